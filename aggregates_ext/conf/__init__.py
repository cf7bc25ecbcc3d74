"""Configuration options, one module per option group.

``CONF`` is the process-wide ``oslo_config.cfg.CONF`` with every group of
this package registered on it.  Each group module offers
``register_opts(conf)`` and ``list_opts()``; ``opts.list_opts`` gathers them
for the oslo-config-generator.
"""

from oslo_config import cfg

from aggregates_ext.conf import api
from aggregates_ext.conf import compute
from aggregates_ext.conf import database
from aggregates_ext.conf import default
from aggregates_ext.conf import glance
from aggregates_ext.conf import host_views
from aggregates_ext.conf import image
from aggregates_ext.conf import image_cache
from aggregates_ext.conf import messaging
from aggregates_ext.conf import notifications

CONF = cfg.CONF

_MODULES = [default, api, database, notifications, compute, image,
            glance, image_cache, messaging, host_views]


def register_all(conf):
    for module in _MODULES:
        module.register_opts(conf)


register_all(CONF)

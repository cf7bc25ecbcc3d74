"""Configuration options, one module per option group.

``CONF`` is this service's own ``ConfigOpts`` (not oslo.config's global
``cfg.CONF``) with every group of this package registered on it, so that
the package can also run inside another service's process (our Paste filter
in nova-api), whose global configuration has options of the same names.
Libraries get it explicitly (oslo.messaging, oslo.policy, oslo.log, the
Paste middleware factories of ``api/middleware.py``).  Each group module offers
``register_opts(conf)`` and ``list_opts()``; ``opts.list_opts`` gathers them
for the oslo-config-generator.
"""

from oslo_config import cfg

from aggregates_ext.conf import api
from aggregates_ext.conf import compute
from aggregates_ext.conf import conductor
from aggregates_ext.conf import database
from aggregates_ext.conf import default
from aggregates_ext.conf import glance
from aggregates_ext.conf import host_views
from aggregates_ext.conf import image
from aggregates_ext.conf import image_cache
from aggregates_ext.conf import messaging
from aggregates_ext.conf import notifications
from aggregates_ext.conf import nova

CONF = cfg.ConfigOpts()

_MODULES = [default, api, database, notifications, compute, conductor,
            image, glance, image_cache, messaging, host_views, nova]


def register_all(conf):
    for module in _MODULES:
        module.register_opts(conf)


register_all(CONF)

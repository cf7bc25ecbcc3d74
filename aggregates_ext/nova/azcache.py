"""nova-api's per-process cache of host zones, when we run inside it.

nova-api caches every host's availability zone for an hour and updates the
cache itself when it changes a host's aggregates.  When our filter serves
``/os-aggregates`` inside nova-api, the changes are ours, so after each one
that touches a zone the cache of this process is reset; a boot right after
an ``add_host`` then already lands in the new zone.  Other nova-api
processes keep their caches until they expire (as with Nova's own changes,
unless nova-api shares a memcached cache).
"""

import sys

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def inside_nova_api():
    return 'nova.availability_zones' in sys.modules


def reset():
    if not inside_nova_api():
        return
    try:
        sys.modules['nova.availability_zones'].reset_cache()
    except Exception as exc:
        LOG.warning('Could not reset nova-api\'s availability zone cache: '
                    '%s', exc)

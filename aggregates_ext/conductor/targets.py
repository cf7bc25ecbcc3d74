"""Who carries out a pre-cache request on each host, and whether it is up.

Our agent, where one is registered and heartbeating; in Nova mode also the
host's own nova-compute (Nova's ``cache_images``), chosen by ``[nova]
precache_via``.  A host with nobody up to ask is skipped.
"""

from oslo_log import log as logging
from oslo_utils import timeutils

from aggregates_ext import conf
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import nova as nova_db
from aggregates_ext import hosts as hosts_api
from aggregates_ext.nova import rpc as nova_rpc

LOG = logging.getLogger(__name__)
CONF = conf.CONF

AGENT = 'agent'
NOVA_COMPUTE = 'nova-compute'


def choose(hosts):
    """{host: AGENT, NOVA_COMPUTE or None (nobody up there)}."""
    via = CONF.nova.precache_via if engines.nova_mode() else AGENT
    now = timeutils.utcnow()
    agents = {svc.host for svc in hosts_db.get_many(hosts)
              if hosts_api.is_up(svc, now)}
    computes = set()
    if via != AGENT:
        if nova_rpc.enabled():
            computes = {host for host, svc in
                        nova_db.compute_services(hosts).items()
                        if nova_db.is_up(svc, CONF.service_down_time)}
        else:
            LOG.warning('[nova] transport_url is not set: nova-compute '
                        'cannot be asked to pre-cache')
    chosen = {}
    for host in hosts:
        if via in (AGENT, 'auto') and host in agents:
            chosen[host] = AGENT
        elif via in (NOVA_COMPUTE, 'auto') and host in computes:
            chosen[host] = NOVA_COMPUTE
        else:
            chosen[host] = None
    return chosen

"""The compute host registry as the host views and the conductor see it.

Whether a host is up, and its zone; no HTTP here.  The rows are
``db/hosts.py``'s.
"""

from oslo_utils import timeutils

from aggregates_ext import aggregates
from aggregates_ext import conf
from aggregates_ext.db import hosts as hosts_db

CONF = conf.CONF


def is_up(service, now=None):
    """Up: not forced down, and a heartbeat within ``service_down_time``."""
    if service is None or service.forced_down:
        return False
    last = service.last_seen_up or service.updated_at or service.created_at
    if last is None:
        return False
    now = now or timeutils.utcnow()
    return (now - last).total_seconds() <= CONF.service_down_time


def compute_hosts(context, host=None):
    """[(service row, up)] of the registered compute hosts, in id order.

    :param host: only the host of exactly this name
    """
    now = timeutils.utcnow()
    rows = hosts_db.get_all(binary=hosts_db.COMPUTE_BINARY, host=host)
    # The lookup may ignore case or trailing spaces (MySQL); Nova's
    # filter does not.
    return [(svc, is_up(svc, now)) for svc in rows
            if host is None or svc.host == host]


def zones(context, hosts):
    """{host: availability zone} as Nova's set_availability_zones makes it.

    A host in aggregates with zones is in those zones (one, as the zone
    rules allow no more; Nova joins several with commas); any other host is
    in ``[DEFAULT] default_availability_zone``.
    """
    if not hosts:
        return {}
    found = {}
    for agg in aggregates.AggregateAPI().get_all(context):
        metadata = agg.metadata_dict
        if aggregates.AZ_KEY in metadata:
            for host in agg.hosts:
                found.setdefault(host, set()).add(metadata[aggregates.AZ_KEY])
    default = CONF.default_availability_zone
    return {svc.host: ','.join(sorted(found[svc.host]))
            if found.get(svc.host) else default
            for svc, _up in hosts}

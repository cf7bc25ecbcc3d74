"""Whether a compute host is up, from the host registry."""

from oslo_utils import timeutils

from aggregates_ext import conf

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

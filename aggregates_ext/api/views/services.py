"""Compute host representations of GET /os-services, in Nova's key order."""

from aggregates_ext.api import microversion
from aggregates_ext.api.views import common
from aggregates_ext import conf

CONF = conf.CONF

_datetime = common.datetime_text


def presented_binary():
    """The binary every registered compute host is shown with."""
    return CONF.api.compute_service_binary


def service(req, svc, up, zone):
    """One registered compute host as Nova shows a compute service.

    :param up: whether the host is up (``hosts.is_up``)
    :param zone: the host's availability zone
    """
    version = req.api_version
    body = {
        'binary': presented_binary(),
        'host': svc.host,
        'id': (svc.uuid if version.matches(microversion.HOST_UUIDS)
               else svc.id),
        'zone': zone,
        'status': 'disabled' if svc.disabled else 'enabled',
        'state': 'up' if up else 'down',
        # Nova shows the time of the last report; ours is the heartbeat.
        'updated_at': _datetime(svc.last_seen_up),
        'disabled_reason': svc.disabled_reason,
    }
    if version.matches(microversion.SERVICE_FORCED_DOWN):
        body['forced_down'] = svc.forced_down
    return body


def index(req, hosts, zones):
    """:param hosts: [(service row, up)]; :param zones: {host: zone}"""
    return {'services': [service(req, svc, up, zones[svc.host])
                         for svc, up in hosts]}

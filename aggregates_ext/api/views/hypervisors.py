"""Hypervisor representations of GET /os-hypervisors, in Nova's key order.

A registered compute host is shown as one hypervisor whose id is the
host's service id (its UUID from 2.53).  The registry knows nothing of the
host's hypervisor, so the detail fields say so: the type is this service's
agent, the version is the agent's service version, the address, the disk
estimate and the uptime are null, and the statistics of the versions before
2.88 are zeros.
"""

from aggregates_ext.api import microversion
from aggregates_ext.api.views import common
from aggregates_ext import conf

CONF = conf.CONF

HYPERVISOR_TYPE = 'aggregates-ext'

_ZERO_STATS = ('vcpus', 'memory_mb', 'local_gb', 'vcpus_used',
               'memory_mb_used', 'local_gb_used', 'free_ram_mb',
               'free_disk_gb', 'current_workload', 'running_vms')


def presented_id(req, svc):
    """The id a client sees for this host's hypervisor (and pages by)."""
    if req.api_version.matches(microversion.HOST_UUIDS):
        return svc.uuid
    return svc.id


def _details(req, svc):
    version = req.api_version
    body = {
        'hypervisor_type': HYPERVISOR_TYPE,
        'hypervisor_version': svc.version,
        'host_ip': None,
        'service': {
            'id': presented_id(req, svc),
            'host': svc.host,
            'disabled_reason': svc.disabled_reason,
        },
    }
    if version.matches(microversion.HYPERVISOR_NO_STATS):
        body['uptime'] = None
        return body
    body.update((name, 0) for name in _ZERO_STATS)
    body['disk_available_least'] = None
    body['cpu_info'] = ({} if version.matches(
        microversion.HYPERVISOR_CPU_INFO_OBJECT)
                        else '{}')
    return body


def hypervisor(req, svc, up, detail=False, with_servers=False):
    """One registered compute host as Nova shows a hypervisor.

    :param up: whether the host is up (``hosts.is_up``)
    :param with_servers: the client asked for the servers of the host;
        there are none here, and Nova shows the empty list from 2.75
    """
    body = {
        'id': presented_id(req, svc),
        'hypervisor_hostname': svc.host,
        'state': 'up' if up else 'down',
        'status': 'disabled' if svc.disabled else 'enabled',
    }
    if detail:
        body.update(_details(req, svc))
    if with_servers and req.api_version.matches(
            microversion.HOSTS_STRICT_QUERY):
        body['servers'] = []
    return body


def index(req, hosts, detail=False, with_servers=False, page_size=None):
    """The list, with Nova's ``next`` link when a page is full.

    :param hosts: [(service row, up)]
    :param page_size: the page limit when the list is paged (2.33), else
        None
    """
    body = {'hypervisors': [
        hypervisor(req, svc, up, detail=detail, with_servers=with_servers)
        for svc, up in hosts]}
    if page_size and len(hosts) == page_size:
        collection = 'os-hypervisors/detail' if detail else 'os-hypervisors'
        last, _up = hosts[-1]
        href = common.next_link(req, presented_id(req, last), collection)
        body['hypervisors_links'] = [{'rel': 'next', 'href': href}]
    return body

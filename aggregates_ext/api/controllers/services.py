"""/os-services: the registered compute hosts, as Nova lists its services.

Read-only: the host registry is written by the compute agents' heartbeats
(through the conductor), not through this API.  Every host is shown with
the binary ``[api] compute_service_binary`` (``nova-compute`` by default),
because Tempest and other tools look for compute hosts under that name.
"""

from oslo_utils import timeutils

from aggregates_ext import aggregates
from aggregates_ext.api import microversion as mv
from aggregates_ext.api.schemas import services as schema
from aggregates_ext.api import validation
from aggregates_ext.api.views import services as view
from aggregates_ext.api import wsgi
from aggregates_ext import conf
from aggregates_ext.db import api as db_api
from aggregates_ext.policies import services as policies
from aggregates_ext import servicegroup

CONF = conf.CONF


def last_value(req, name):
    """A query parameter as Nova reads it (``req.GET[name]``).

    :returns: the last value when it is repeated, None when absent
    """
    values = req.GET.getall(name)
    return values[-1] if values else None


def compute_hosts(context, host=None):
    """[(service row, up)] of the registered compute hosts, in id order.

    :param host: only the host of exactly this name
    """
    now = timeutils.utcnow()
    rows = db_api.service_get_all(context, binary=aggregates.COMPUTE_BINARY,
                                  host=host)
    # The lookup may ignore case or trailing spaces (MySQL); Nova's
    # filter does not.
    return [(svc, servicegroup.is_up(svc, now)) for svc in rows
            if host is None or svc.host == host]


def _zones(context, hosts):
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


class ServicesController:

    @wsgi.expected_errors({})
    @validation.query_schema(schema.index_query, max_version=(2, 74))
    @validation.query_schema(schema.index_query_v275, schema.STRICT_QUERY)
    @validation.response_body_schema(schema.index_response,
                                     max_version=(2, 10))
    @validation.response_body_schema(schema.index_response_v211,
                                     schema.FORCED_DOWN, (2, 52))
    @validation.response_body_schema(schema.index_response_v253,
                                     mv.HOST_UUIDS)
    def index(self, req):
        """GET /os-services: the compute hosts, up or down.

        ``host`` and ``binary`` filter by exact name (the binary as shown);
        an empty value filters nothing, as on Nova.
        """
        context = req.context
        context.can(policies.LIST)
        host = last_value(req, 'host') or None
        binary = last_value(req, 'binary')
        if binary and binary != view.presented_binary():
            hosts = []
        else:
            hosts = compute_hosts(context, host=host)
        return wsgi.Result(view.index(req, hosts, _zones(context, hosts)))

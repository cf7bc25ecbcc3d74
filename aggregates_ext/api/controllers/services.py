"""/os-services: the registered compute hosts, as Nova lists its services.

Read-only: the host registry is written by the compute agents' heartbeats
(through the conductor), not through this API.  Every host is shown with
the binary ``[api] compute_service_binary`` (``nova-compute`` by default),
because Tempest and other tools look for compute hosts under that name.
"""

from aggregates_ext.api.controllers import common
from aggregates_ext.api import dispatch
from aggregates_ext.api import microversion as mv
from aggregates_ext.api.schemas import services as schema
from aggregates_ext.api import validation
from aggregates_ext.api.views import services as view
from aggregates_ext import conf
from aggregates_ext import hosts as hosts_api
from aggregates_ext.policies import services as policies

CONF = conf.CONF


class ServicesController:

    @dispatch.expected_errors({})
    @validation.query_schema(schema.index_query,
                             max_version=mv.before(mv.HOSTS_STRICT_QUERY))
    @validation.query_schema(schema.index_query_v275, mv.HOSTS_STRICT_QUERY)
    @validation.response_body_schema(
        schema.index_response, max_version=mv.before(mv.SERVICE_FORCED_DOWN))
    @validation.response_body_schema(schema.index_response_v211,
                                     mv.SERVICE_FORCED_DOWN,
                                     mv.before(mv.HOST_UUIDS))
    @validation.response_body_schema(schema.index_response_v253,
                                     mv.HOST_UUIDS)
    def index(self, req):
        """GET /os-services: the compute hosts, up or down.

        ``host`` and ``binary`` filter by exact name (the binary as shown);
        an empty value filters nothing, as on Nova.
        """
        context = req.context
        context.can(policies.LIST)
        host = common.last_value(req, 'host') or None
        binary = common.last_value(req, 'binary')
        if binary and binary != view.presented_binary():
            hosts = []
        else:
            hosts = hosts_api.compute_hosts(context, host=host)
        zones = hosts_api.zones(context, hosts)
        return dispatch.Result(view.index(req, hosts, zones))

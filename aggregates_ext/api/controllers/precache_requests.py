"""GET /os-aggregates/{aggregate_id}/precache-requests[/{id}] (2.81).

Not in Nova, which answers these paths with 404: what became of the
pre-cache requests of an aggregate, host by host, image by image, while
they run and after.
"""

from aggregates_ext.api.controllers import common
from aggregates_ext.api import dispatch
from aggregates_ext.api import microversion as mv
from aggregates_ext.api.schemas import precache_requests as schema
from aggregates_ext.api import validation
from aggregates_ext.api.views import precache_requests as view
from aggregates_ext import exception
from aggregates_ext.policies import precache_requests as policies
from aggregates_ext import precache

MAX_LIMIT = 1000


class PrecacheRequestsController:

    def __init__(self, api=None):
        self.api = api or precache.PrecacheAPI()

    @dispatch.api_version(mv.IMAGE_PRECACHE)
    @dispatch.expected_errors({exception.AggregateNotFound: 404,
                               exception.MarkerNotFound: 400})
    @validation.query_schema(schema.index_query)
    @validation.response_body_schema(schema.index_response)
    def index(self, req, aggregate_id):
        """The aggregate's requests, newest first, paged by limit/marker.

        ``status`` and ``request_id`` (the POST's x-openstack-request-id)
        filter, each may be repeated.
        """
        req.context.can(policies.LIST)
        agg_id = common.parse_aggregate_id(aggregate_id)
        query = req.GET
        limit = min(int(query.get('limit', MAX_LIMIT)), MAX_LIMIT)
        requests = self.api.list_requests(
            req.context, agg_id, status=query.getall('status'),
            request_id=query.getall('request_id'), limit=limit,
            marker=query.get('marker'))
        return dispatch.Result(view.index(req, agg_id, requests, limit))

    @dispatch.api_version(mv.IMAGE_PRECACHE)
    @dispatch.expected_errors({exception.NotFound: 404})
    @validation.query_schema(schema.show_query)
    @validation.response_body_schema(schema.show_response)
    def show(self, req, aggregate_id, id):
        """One request: counts, and every host's state per image."""
        req.context.can(policies.SHOW)
        agg_id = common.parse_aggregate_id(aggregate_id)
        return dispatch.Result(view.show(
            self.api.get_request(req.context, agg_id, id)))

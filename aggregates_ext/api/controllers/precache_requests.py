"""Pre-cache requests of an aggregate (2.81): made, listed, shown.

``POST /os-aggregates/{id}/images`` makes one, as Nova does (Nova's path,
policy and notifications); ``GET /os-aggregates/{aggregate_id}/
precache-requests[/{id}]`` are not in Nova, which answers these paths with
404: what became of the pre-cache requests of an aggregate, host by host,
image by image, while they run and after.
"""

import uuid

from aggregates_ext.api.controllers import common
from aggregates_ext.api import dispatch
from aggregates_ext.api import fault
from aggregates_ext.api import microversion as mv
from aggregates_ext.api.schemas import precache_requests as schema
from aggregates_ext.api import validation
from aggregates_ext.api.views import common as views_common
from aggregates_ext.api.views import precache_requests as view
from aggregates_ext import exception
from aggregates_ext.policies import aggregates as aggregates_policies
from aggregates_ext.policies import precache_requests as policies
from aggregates_ext import precache

MAX_LIMIT = 1000


def canonical_image_id(image_id):
    """Lower-case, hyphenated form of any UUID spelling the schema allows.

    Nova passes ids through as typed, so ``ABC…`` and ``abc…`` are two
    images to its duplicate check and two cache files on the host; we
    canonicalise first, on purpose.
    """
    return str(uuid.UUID(image_id))


class PrecacheRequestsController:

    def __init__(self, api=None):
        self.api = api or precache.PrecacheAPI()

    @dispatch.api_version(mv.IMAGE_PRECACHE)
    @dispatch.expected_errors({exception.AggregateNotFound: 404,
                               exception.ConductorUnavailable: 503,
                               exception.AggregatesExtException: 400})
    @validation.schema(schema.images)
    @validation.response_body_schema(schema.images_response)
    @common.typed_id_in_errors
    def images(self, req, id, body):
        """Cast a pre-cache request to the conductor: 202, empty body.

        Duplicates (400) are found before the aggregate is looked up (404);
        every image must exist in the image service (400 otherwise); the
        first failing image aborts the request and nothing is cast.  The
        ``Location`` header names the new request in the status API (Nova
        sends none).
        """
        context = req.context
        context.can(aggregates_policies.PRECACHE)
        aggregate_id = dispatch.parse_id(id)
        image_ids = [canonical_image_id(item['id']) for item in body['cache']]
        if len(set(image_ids)) != len(image_ids):
            raise fault.BadRequest('Duplicate images in request')
        if aggregate_id is None:
            raise exception.AggregateNotFound(aggregate_id=id)
        request = self.api.create_request(context, aggregate_id, image_ids)
        path = 'os-aggregates/%s/precache-requests/%s' % (aggregate_id,
                                                          request.uuid)
        location = views_common.resource_url(req, path)
        return dispatch.Result(None, status=202,
                               headers={'Location': location})

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

"""POST /os-aggregates/{id}/images (2.81): ask hosts to pre-cache images."""

import uuid

from aggregates_ext.api.controllers import common as controllers_common
from aggregates_ext.api import dispatch
from aggregates_ext.api import fault
from aggregates_ext.api import microversion as mv
from aggregates_ext.api.schemas import aggregate_images as schema
from aggregates_ext.api import validation
from aggregates_ext.api.views import common
from aggregates_ext import exception
from aggregates_ext.policies import aggregates as policies
from aggregates_ext import precache


def canonical_image_id(image_id):
    """Lower-case, hyphenated form of any UUID spelling the schema allows.

    Nova passes ids through as typed, so ``ABC…`` and ``abc…`` are two
    images to its duplicate check and two cache files on the host; we
    canonicalise first, on purpose.
    """
    return str(uuid.UUID(image_id))


class AggregateImagesController:

    def __init__(self, api=None):
        self.api = api or precache.PrecacheAPI()

    @dispatch.api_version(mv.IMAGE_PRECACHE)
    @dispatch.expected_errors({exception.AggregateNotFound: 404,
                               exception.ConductorUnavailable: 503,
                               exception.AggregatesExtException: 400})
    @validation.schema(schema.images)
    @validation.response_body_schema(schema.images_response)
    @controllers_common.typed_id_in_errors
    def images(self, req, id, body):
        """Cast a pre-cache request to the conductor: 202, empty body.

        Duplicates (400) are found before the aggregate is looked up (404);
        every image must exist in the image service (400 otherwise); the
        first failing image aborts the request and nothing is cast.  The
        ``Location`` header names the new request in the status API (Nova
        sends none).
        """
        context = req.context
        context.can(policies.IMAGES)
        aggregate_id = dispatch.parse_id(id)
        image_ids = [canonical_image_id(item['id']) for item in body['cache']]
        if len(set(image_ids)) != len(image_ids):
            raise fault.BadRequest('Duplicate images in request')
        if aggregate_id is None:
            raise exception.AggregateNotFound(aggregate_id=id)
        request = self.api.cache_images(context, aggregate_id, image_ids)
        path = 'os-aggregates/%s/precache-requests/%s' % (aggregate_id,
                                                          request.uuid)
        location = common.resource_url(req, path)
        return dispatch.Result(None, status=202,
                               headers={'Location': location})

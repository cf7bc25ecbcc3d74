"""Image pre-caching, API side: check, record, cast to the conductor."""

from oslo_log import log as logging

from aggregates_ext.conductor import rpcapi as conductor_rpcapi
from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import precache as precache_db
from aggregates_ext import exception
from aggregates_ext import image
from aggregates_ext import precache_status as states

LOG = logging.getLogger(__name__)


class PrecacheAPI:
    """Accept pre-cache requests for the conductor to carry out."""

    def __init__(self, image_api=None, conductor=None):
        self._image_api = image_api
        self._conductor = conductor

    @property
    def image_api(self):
        if self._image_api is None:
            self._image_api = image.get_image_api()
        return self._image_api

    @property
    def conductor(self):
        if self._conductor is None:
            self._conductor = conductor_rpcapi.ConductorAPI()
        return self._conductor

    def create_request(self, context, aggregate_id, image_ids):
        """Record a pre-cache request and cast it to the conductor.

        :raises AggregateNotFound: no such aggregate
        :raises ImageNotFound: the first image, in request order, that the
            image service does not have (nothing is recorded or cast)
        :returns: the recorded request
        """
        agg = agg_db.get(aggregate_id)
        for image_id in image_ids:
            self.image_api.get(context, image_id)
        # The x-openstack-request-id the client gets back.
        request = precache_db.create_request(agg.snapshot(), image_ids,
                                             request_id=context.request_id)
        LOG.info('Pre-cache request %s: image(s) %s on aggregate %s '
                 '(%d hosts)', request.uuid, ', '.join(image_ids), agg.id,
                 len(agg.hosts))
        try:
            self.conductor.cache_images(context, request.uuid,
                                        agg.snapshot(), image_ids)
        except Exception as exc:
            LOG.error('Could not cast pre-cache request %s: %s', request.uuid,
                      exc)
            precache_db.finish(request.uuid, states.FAILED)
            raise exception.ConductorUnavailable(reason=type(exc).__name__)
        return request

    def list_requests(self, context, aggregate_id, status=None,
                      request_id=None, limit=None, marker=None):
        """The aggregate's requests, newest first, with their hosts' results.

        Without their images' rows: a list shows counts of hosts only.

        :raises AggregateNotFound: no such aggregate
        :raises MarkerNotFound: ``marker`` is not one of its requests
        """
        agg_db.get(aggregate_id)
        return precache_db.list_requests(
            aggregate_id=aggregate_id, status=status, request_id=request_id,
            limit=limit, marker=marker, newest_first=True, images=False)

    def get_request(self, context, aggregate_id, request_uuid):
        """One request of the aggregate, with its hosts and images.

        :raises AggregateNotFound, PrecacheRequestNotFound:
        """
        agg_db.get(aggregate_id)
        return precache_db.get_request(request_uuid,
                                       aggregate_id=aggregate_id)

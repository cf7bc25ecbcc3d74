"""The compute agent: serves cache_images for its host.

Agents never touch the database; they report through the conductor.
"""

from oslo_log import log as logging
import oslo_messaging as messaging

from aggregates_ext.compute import rpcapi

LOG = logging.getLogger(__name__)

CACHED = 'cached'
EXISTING = 'existing'
ERROR = 'error'
UNSUPPORTED = 'unsupported'


class ComputeManager:
    """RPC endpoint of the agent on one host."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)
    RPC_API_VERSION = rpcapi.RPC_API_VERSION

    def __init__(self, host, driver):
        self.host = host
        self.driver = driver

    def cache_images(self, context, image_ids):
        """Cache each image in turn.

        :returns: {image_id: cached|existing|error|unsupported}; a failing
            image never fails the call.
        """
        LOG.info('Caching %d image(s) by request', len(image_ids))
        results = {}
        for image_id in image_ids:
            try:
                downloaded = self.driver.cache_image(context, image_id)
            except NotImplementedError:
                LOG.warning('The image cache driver does not support image '
                            'pre-caching; ignoring request')
                results[image_id] = UNSUPPORTED
            except Exception as exc:
                LOG.warning('Failed to cache image %s: %s', image_id, exc)
                results[image_id] = ERROR
            else:
                results[image_id] = CACHED if downloaded else EXISTING
        return results

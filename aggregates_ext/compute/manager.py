"""The compute agent: serves cache_images for its host.

Agents never touch the database; they report through the conductor: their
heartbeats, and while a download runs, its progress, a few seconds apart
(``[image_cache] progress_interval``), never per chunk.  Every line an
agent logs names its host (the all-in-one process runs several).
"""

import time

from oslo_log import log as logging
import oslo_messaging as messaging

from aggregates_ext.compute import rpcapi
from aggregates_ext import conf
from aggregates_ext import precache_status as states

LOG = logging.getLogger(__name__)
CONF = conf.CONF


class ProgressReporter:
    """Called per chunk with (bytes done, total); reports at a set rate.

    The first call and then at most one call per ``interval`` seconds
    reach the conductor; a report that cannot be sent is dropped (the
    download goes on, and the next report says more).
    """

    def __init__(self, send, interval, clock=time.monotonic):
        self.send = send
        self.interval = interval
        self.clock = clock
        self.last = None

    def __call__(self, done, total):
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        try:
            self.send(done, total)
        except Exception as exc:
            LOG.debug('Progress report dropped: %s', exc)


class ComputeManager:
    """RPC endpoint of the agent on one host."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)
    RPC_API_VERSION = rpcapi.RPC_API_VERSION

    def __init__(self, host, driver, conductor_api=None):
        self.host = host
        self.driver = driver
        self.conductor_api = conductor_api

    def _reporter(self, context, request_id, image_id):
        if request_id is None or self.conductor_api is None:
            return None

        def send(done, total):
            self.conductor_api.precache_progress(
                context, request_id, self.host, image_id, done, total)
        return ProgressReporter(send, CONF.image_cache.progress_interval)

    def cache_images(self, context, image_ids, request_id=None):
        """Cache each image in turn; a failing image never fails the call.

        :param request_id: the pre-cache request (1.1): progress is
            reported for it, and the answer carries reasons
        :returns: {image_id: cached|existing|error|unsupported} without
            ``request_id``; {image_id: {status, reason_code, reason}} with
        """
        # DEBUG, as Nova's compute: an all-in-one process with 50 agents
        # would otherwise write 50 lines per pre-cache from 8 threads at
        # once, which took a third of the fan-out's time.  What an operator
        # watches is at INFO elsewhere: the conductor's lines for the
        # request, the download of an image, and every failure.
        LOG.debug('%s: caching %d image(s) for request %s', self.host,
                  len(image_ids), request_id or '(unknown)')
        results = {}
        for image_id in image_ids:
            try:
                downloaded = self.driver.cache_image(
                    context, image_id,
                    progress=self._reporter(context, request_id, image_id))
            except NotImplementedError as exc:
                LOG.warning('%s: the image cache driver does not support '
                            'image pre-caching; ignoring request', self.host)
                results[image_id] = (states.UNSUPPORTED,) + \
                    states.reason_of(exc)
            except Exception as exc:
                code, reason = states.reason_of(exc)
                LOG.warning('%s: failed to cache image %s: %s', self.host,
                            image_id, reason)
                results[image_id] = (states.ERROR, code, reason)
            else:
                results[image_id] = (
                    states.CACHED if downloaded else states.EXISTING,
                    None, None)
        if request_id is None:
            return {i: r[0] for i, r in results.items()}
        return {i: {'status': s, 'reason_code': c, 'reason': r}
                for i, (s, c, r) in results.items()}

"""The conductor: host registry writes and the image pre-cache fan-out.

Unlike Nova, every host of a pre-cache request ends with a recorded result:
down hosts are ``skipped``, and a host whose RPC call fails (timeout,
vanished agent, broker trouble) is recorded as ``failed`` with every image
in ``error`` and a warning in the log, instead of being dropped silently.
"""

import dataclasses
import threading
import time

import futurist
from futurist import waiters
from oslo_log import log as logging
import oslo_messaging as messaging

from aggregates_ext.compute import manager as compute_manager
from aggregates_ext.compute import rpcapi as compute_rpcapi
from aggregates_ext.conductor import rpcapi
from aggregates_ext.conductor import targets
from aggregates_ext import conf
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import precache as precache_db
from aggregates_ext import notifications
from aggregates_ext.nova import rpc as nova_rpc

LOG = logging.getLogger(__name__)
CONF = conf.CONF

SKIPPED = 'skipped'  # an image's status on a host that was down
HOST_DONE = 'done'
HOST_SKIPPED = 'skipped'
HOST_FAILED = 'failed'

_executor_lock = threading.Lock()
_EXECUTOR = None
_COORDINATOR = None
# Requests run side by side, each mostly waiting on its hosts; the
# per-host calls are bounded by precache_concurrency, not by this.
COORDINATOR_THREADS = 16


def get_executor():
    """The process-wide fan-out executor, ``precache_concurrency`` wide.

    Shared by all requests of this conductor, so the bound holds for the
    process however many requests overlap.
    """
    global _EXECUTOR
    with _executor_lock:
        if _EXECUTOR is None:
            _EXECUTOR = futurist.ThreadPoolExecutor(
                max_workers=CONF.image_cache.precache_concurrency)
        return _EXECUTOR


def get_coordinator():
    """The process-wide executor that runs whole pre-cache requests."""
    global _COORDINATOR
    with _executor_lock:
        if _COORDINATOR is None:
            _COORDINATOR = futurist.ThreadPoolExecutor(
                max_workers=COORDINATOR_THREADS)
        return _COORDINATOR


def reset_executor():
    global _EXECUTOR, _COORDINATOR
    with _executor_lock:
        executors = [e for e in (_COORDINATOR, _EXECUTOR) if e is not None]
        _EXECUTOR = _COORDINATOR = None
    for executor in executors:
        executor.shutdown(wait=True)


@dataclasses.dataclass
class Tally:
    """Counts of one pre-cache request, updated as hosts finish."""

    total: int
    completed: int = 0
    cached: int = 0
    existing: int = 0
    errors: int = 0
    unsupported: int = 0
    skipped_hosts: int = 0
    failed_hosts: int = 0
    failures_by_image: dict = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def record(self, images, host_status):
        """Count one host's result; returns its completion index."""
        with self.lock:
            if host_status == HOST_SKIPPED:
                self.skipped_hosts += 1
            elif host_status == HOST_FAILED:
                self.failed_hosts += 1
            for image_id, status in images.items():
                if status == compute_manager.CACHED:
                    self.cached += 1
                elif status == compute_manager.EXISTING:
                    self.existing += 1
                elif status == compute_manager.UNSUPPORTED:
                    self.unsupported += 1
                elif status == compute_manager.ERROR:
                    self.errors += 1
                if status in (compute_manager.ERROR,
                              compute_manager.UNSUPPORTED):
                    self.failures_by_image[image_id] = (
                        self.failures_by_image.get(image_id, 0) + 1)
            self.completed += 1
            return self.completed


class ConductorManager:
    """RPC endpoint of the conductor."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)
    RPC_API_VERSION = rpcapi.RPC_API_VERSION

    def __init__(self, compute_api=None, notifier=None):
        self._compute_api = compute_api
        self._nova_compute = None
        self._notifier = notifier

    @property
    def nova_compute(self):
        if self._nova_compute is None:
            self._nova_compute = nova_rpc.ComputeCacheImages()
        return self._nova_compute

    @property
    def compute_api(self):
        if self._compute_api is None:
            self._compute_api = compute_rpcapi.ComputeAPI()
        return self._compute_api

    @property
    def notifier(self):
        return self._notifier or notifications.get_notifier()

    # Host registry ---------------------------------------------------------

    def service_report(self, context, host, binary, topic, version):
        """Record a heartbeat of a compute agent."""
        svc = hosts_db.report(host, binary, topic, version)
        return {'host': svc.host, 'report_count': svc.report_count,
                'disabled': svc.disabled, 'forced_down': svc.forced_down}

    # Pre-caching -----------------------------------------------------------

    def cache_images(self, context, request_uuid, aggregate, image_ids):
        """Start a pre-cache request; the RPC cast returns at once.

        The request runs on the coordinator executor, so that long
        requests never hold the RPC server's threads, which also serve the
        agents' heartbeats.
        """
        get_coordinator().submit(self._run_logged, context, request_uuid,
                                 aggregate, image_ids)

    def _run_logged(self, context, request_uuid, aggregate, image_ids):
        """run_cache_images, whose failure nobody would otherwise see."""
        try:
            return self.run_cache_images(context, request_uuid, aggregate,
                                         image_ids)
        except Exception:
            LOG.exception('Pre-cache request %s failed before its hosts '
                          'had results', request_uuid)
            try:
                precache_db.set_status(request_uuid, 'failed',
                                       finished=True)
            except Exception:
                LOG.exception('Could not record the failure of pre-cache '
                              'request %s', request_uuid)

    def run_cache_images(self, context, request_uuid, aggregate, image_ids):
        """Fan a pre-cache request out to the up hosts of the aggregate.

        Blocks until every host has a result; each one is stored with the
        request as it arrives, with a progress notification.
        """
        started = time.monotonic()
        hosts = list(aggregate['hosts'])
        self.notifier.cache_images(context, aggregate, 'start')
        precache_db.set_status(request_uuid, 'running', conductor=CONF.host)
        chosen = targets.choose(hosts)
        tally = Tally(total=len(hosts))
        LOG.info('Preparing to request pre-caching of image(s) %s on %d '
                 'hosts (request %s).', image_ids, len(hosts), request_uuid)
        futures = {}
        for host in hosts:
            if chosen[host] is None:
                LOG.info("Skipping image pre-cache request to compute '%s' "
                         "because it is not up", host)
                self._finish_host(context, request_uuid, aggregate, tally,
                                  host, HOST_SKIPPED,
                                  {i: SKIPPED for i in image_ids}, None)
                continue
            futures[get_executor().submit(
                self._cache_on_host, context, request_uuid, aggregate,
                tally, host, image_ids, chosen[host])] = host
        waiters.wait_for_all(futures)
        for future, host in futures.items():
            if future.exception() is not None:
                # Not the RPC call (that is handled inside): our own
                # bookkeeping failed.  The host still gets a result.
                exc = future.exception()
                LOG.error('Image pre-cache request %s on %s failed: %s: %s',
                          request_uuid, host, type(exc).__name__, exc)
                self._finish_host(
                    context, request_uuid, aggregate, tally, host,
                    HOST_FAILED, {i: compute_manager.ERROR
                                  for i in image_ids},
                    '%s: %s' % (type(exc).__name__, exc))
        self._summarise(context, request_uuid, aggregate, image_ids, tally,
                        time.monotonic() - started)
        return tally

    def _cache_on_host(self, context, request_uuid, aggregate, tally, host,
                       image_ids, target=targets.AGENT):
        client = (self.compute_api if target == targets.AGENT
                  else self.nova_compute)
        try:
            images = client.cache_images(context, host, image_ids)
        except Exception as exc:
            LOG.warning('Image pre-cache request %s to compute %s failed: '
                        '%s: %s', request_uuid, host, type(exc).__name__,
                        exc)
            images = {i: compute_manager.ERROR for i in image_ids}
            detail = '%s: %s' % (type(exc).__name__, exc)
            self._finish_host(context, request_uuid, aggregate, tally, host,
                              HOST_FAILED, images, detail)
            return
        # Keep only the ids we asked for, whatever the agent answered.
        if not isinstance(images, dict):
            images = {}
        images = {i: images.get(i, compute_manager.ERROR) for i in image_ids}
        self._finish_host(context, request_uuid, aggregate, tally, host,
                          HOST_DONE, images, None)

    def _finish_host(self, context, request_uuid, aggregate, tally, host,
                     host_status, images, detail):
        index = tally.record(images, host_status)
        try:
            precache_db.save_host_result(request_uuid, host, host_status,
                                         images, detail)
        except Exception:
            LOG.exception('Could not record the pre-cache result of %s for '
                          'request %s', host, request_uuid)
        ok = (compute_manager.CACHED, compute_manager.EXISTING)
        self.notifier.cache_images_progress(
            context, aggregate, host,
            [i for i, s in images.items() if s in ok],
            [i for i, s in images.items() if s not in ok],
            index, tally.total)

    def _summarise(self, context, request_uuid, aggregate, image_ids, tally,
                   elapsed):
        LOG.info('Image pre-cache operation for image(s) %s completed in '
                 '%.2f seconds; %d cached, %d existing, %d errors, %d '
                 'unsupported, %d skipped (down) hosts, %d failed hosts '
                 '(request %s)', image_ids, elapsed, tally.cached,
                 tally.existing, tally.errors, tally.unsupported,
                 tally.skipped_hosts, tally.failed_hosts, request_uuid)
        for image_id, count in sorted(tally.failures_by_image.items()):
            LOG.warning('Image pre-cache operation for image %s failed %d '
                        'times', image_id, count)
        status = 'complete' if not (tally.errors or tally.unsupported or
                                    tally.skipped_hosts) else 'partial'
        try:
            precache_db.set_status(request_uuid, status, finished=True)
        except Exception:
            LOG.exception('Could not record the end of pre-cache request %s',
                          request_uuid)
        self.notifier.cache_images(context, aggregate, 'end')

"""The pre-cache fan-out: one request, its hosts, its lease.

A conductor works on a request only while it holds the request's lease
(``db/precache.py``).  It asks every host of the aggregate that has no
final result yet, ``[image_cache] precache_concurrency`` hosts at a time
across all its requests, hands each host's result to the ``Recorder``
(``recorder.py``, batched writes) as it arrives, and finishes the request
once all are written.  ``leases.LeaseKeeper`` renews the leases this
conductor holds and takes over requests nobody works on: those whose
conductor died (lease expired) and pending ones whose cast was lost.  A
host asked twice (once by a conductor that died) answers ``existing`` for
what it finished, and waits for a download still running rather than
starting another.

Unlike Nova, every host ends with a recorded result: down hosts are
``skipped``, and a host whose call fails (timeout, vanished agent, broker
trouble) is ``failed`` with the reason, never dropped silently.
"""

import dataclasses
import os
import threading
import time
import uuid

import futurist
from futurist import waiters
from oslo_log import log as logging

from aggregates_ext.conductor import recorder
from aggregates_ext.conductor import targets
from aggregates_ext import conf
from aggregates_ext.db import precache as precache_db
from aggregates_ext import precache_status as states

LOG = logging.getLogger(__name__)
CONF = conf.CONF

# Requests run side by side, each mostly waiting on its hosts; the
# per-host calls are bounded by precache_concurrency, not by this.
COORDINATOR_THREADS = 16

_executor_lock = threading.Lock()
_EXECUTOR = None
_COORDINATOR = None
_OWNER = None


def owner():
    """This process's lease owner name: ``host:pid:random``.

    A restarted conductor, or a second one on the same host, never takes
    another process's lease for its own.
    """
    global _OWNER
    with _executor_lock:
        if _OWNER is None:
            _OWNER = '%s:%d:%s' % (CONF.host, os.getpid(),
                                   uuid.uuid4().hex[:8])
        return _OWNER


def current_owner():
    """This process's lease owner name, or None before it took a lease."""
    return _OWNER


def get_executor():
    """The process-wide fan-out executor, ``precache_concurrency`` wide."""
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


def reset():
    """Stop the executors and take a new owner name (tests, restarts)."""
    global _EXECUTOR, _COORDINATOR, _OWNER
    with _executor_lock:
        executors = [e for e in (_COORDINATOR, _EXECUTOR) if e is not None]
        _EXECUTOR = _COORDINATOR = _OWNER = None
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
        counters = {states.CACHED: 'cached', states.EXISTING: 'existing',
                    states.UNSUPPORTED: 'unsupported', states.ERROR: 'errors'}
        with self.lock:
            if host_status == states.HOST_SKIPPED:
                self.skipped_hosts += 1
            elif host_status == states.HOST_FAILED:
                self.failed_hosts += 1
            for image_id, (state, _code, _reason) in images.items():
                if state in counters:
                    name = counters[state]
                    setattr(self, name, getattr(self, name) + 1)
                if state in (states.ERROR, states.UNSUPPORTED):
                    self.failures_by_image[image_id] = (
                        self.failures_by_image.get(image_id, 0) + 1)
            self.completed += 1
            return self.completed


class Fanout:
    """Carries out pre-cache requests for one conductor."""

    def __init__(self, clients):
        """Work with the RPC clients and notifier of ``clients``.

        ``clients`` has ``compute_api`` (our agents), ``nova_compute``
        (Nova's) and ``notifier``, looked up when needed.
        """
        self.clients = clients
        self.recorder = recorder.Recorder()
        self._active = set()
        # {request uuid: row id} of the requests running here.
        self._pks = {}
        self._active_lock = threading.Lock()

    def start(self, context, request_uuid):
        """Run a request on the coordinator executor, unless it runs here.

        :returns: False when this conductor already works on it
        """
        with self._active_lock:
            if request_uuid in self._active:
                return False
            self._active.add(request_uuid)
        get_coordinator().submit(self._run_logged, context, request_uuid)
        return True

    def _run_logged(self, context, request_uuid):
        """run(), whose failure nobody would otherwise see."""
        try:
            return self.run(context, request_uuid)
        except Exception:
            LOG.exception('Pre-cache request %s stopped before it finished; '
                          'its lease will expire and another conductor '
                          'resume it', request_uuid)
        finally:
            with self._active_lock:
                self._active.discard(request_uuid)

    def run(self, context, request_uuid):
        """Claim the request and ask every host without a final result.

        :returns: the Tally, or None when another conductor holds it
        """
        context.update_store()
        if not precache_db.claim(request_uuid, owner(),
                                 CONF.conductor.precache_lease_seconds):
            LOG.info('Pre-cache request %s is another conductor\'s',
                     request_uuid)
            return None
        started = time.monotonic()
        req = precache_db.get_request(request_uuid, results=False)
        self._pks[request_uuid] = req.id
        aggregate, image_ids = req.aggregate, list(req.image_ids)
        hosts = list(aggregate['hosts'])
        recorded = precache_db.host_states(req.id)
        finished = {host for host, (status, _via, _images) in recorded.items()
                    if status in (states.HOST_DONE, states.HOST_FAILED,
                                  states.HOST_SKIPPED)}
        remaining = [h for h in hosts if h not in finished]
        tally = Tally(total=len(hosts), completed=len(finished))
        if finished:
            LOG.info('Resuming pre-cache request %s: %d of %d hosts still '
                     'to ask', request_uuid, len(remaining), len(hosts))
        else:
            self.clients.notifier.cache_images(context, aggregate, 'start')
        LOG.info('Preparing to request pre-caching of image(s) %s on %d '
                 'hosts (request %s).', image_ids, len(remaining),
                 request_uuid)
        chosen = targets.choose(remaining)
        # Hosts a previous conductor may have asked already: asked again
        # however they look now, since a heartbeat lost with that
        # conductor can make a busy host look down at a takeover.
        for host, (status, via, _images) in recorded.items():
            if (status in (states.HOST_PENDING, states.HOST_RUNNING) and
                    via and chosen.get(host) is None and host in chosen):
                chosen[host] = via
        # Before any host is asked, the route of every host to ask, in one
        # statement: whatever becomes of this conductor, the hosts it may
        # have asked are known.
        precache_db.save_host_results(req.id, [
            (host, states.HOST_PENDING, {}, None, chosen[host])
            for host in remaining if chosen[host] is not None])
        futures = {}
        for host in remaining:
            if chosen[host] is None:
                LOG.info("Skipping image pre-cache request to compute '%s' "
                         "because it is not up", host)
                self._finish_host(
                    context, request_uuid, aggregate, tally, host,
                    states.HOST_SKIPPED,
                    {i: (states.SKIPPED, states.HOST_DOWN,
                         'The host was down.') for i in image_ids},
                    None, None)
                continue
            futures[get_executor().submit(
                self._cache_on_host, context, request_uuid, aggregate,
                tally, host, image_ids, chosen[host])] = host
        waiters.wait_for_all(futures)
        for future, host in futures.items():
            exc = future.exception()
            if exc is not None:
                # Our own bookkeeping failed, not the call.
                LOG.error('Image pre-cache request %s on %s failed: %s: %s',
                          request_uuid, host, type(exc).__name__, exc)
                code, reason = states.reason_of(exc)
                self._finish_host(
                    context, request_uuid, aggregate, tally, host,
                    states.HOST_FAILED,
                    {i: (states.ERROR, code, reason) for i in image_ids},
                    reason, chosen[host])
        self.recorder.wait(req.id)
        self._summarise(context, request_uuid, aggregate, image_ids, tally,
                        time.monotonic() - started)
        self._pks.pop(request_uuid, None)
        return tally

    def _cache_on_host(self, context, request_uuid, aggregate, tally, host,
                       image_ids, target):
        context.update_store()
        self.recorder.add(recorder.Result(
            self._pks[request_uuid], request_uuid, host, states.HOST_RUNNING,
            {}, None, target, None))
        try:
            if target == targets.AGENT:
                answer = self.clients.compute_api.cache_images(
                    context, host, image_ids, request_id=request_uuid)
            else:
                answer = self.clients.nova_compute.cache_images(
                    context, host, image_ids)
        except Exception as exc:
            code, reason = states.reason_of(exc)
            if code == states.OTHER:
                code = states.HOST_UNREACHABLE
            LOG.warning('Image pre-cache request %s to compute %s failed: '
                        '%s', request_uuid, host, reason)
            self._finish_host(
                context, request_uuid, aggregate, tally, host,
                states.HOST_FAILED,
                {i: (states.ERROR, code, reason) for i in image_ids},
                reason, target)
            return
        self._finish_host(context, request_uuid, aggregate, tally, host,
                          states.HOST_DONE, _images(answer, image_ids),
                          None, target)

    def _finish_host(self, context, request_uuid, aggregate, tally, host,
                     host_status, images, detail, via):
        index = tally.record(images, host_status)
        ok = [i for i, (s, _c, _r) in images.items() if s in states.IMAGE_OK]

        def notify():
            self.clients.notifier.cache_images_progress(
                context, aggregate, host, ok,
                [i for i in images if i not in ok], index, tally.total)
        self.recorder.add(recorder.Result(
            self._pks[request_uuid], request_uuid, host, host_status, images,
            detail, via, notify))

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
        status = states.final_status(
            (host_status, images) for host_status, _via, images in
            precache_db.host_states(self._pks[request_uuid]).values())
        if precache_db.finish(request_uuid, status, owner=owner()):
            self.clients.notifier.cache_images(context, aggregate, 'end')
        else:
            LOG.warning('Pre-cache request %s was taken over by another '
                        'conductor before it finished here', request_uuid)


def _images(answer, image_ids):
    """The answer for each image asked: {image_id: (state, code, reason)}.

    Agents at compute RPC 1.1 answer {id: {status, reason_code, reason}};
    1.0 agents and nova-compute answer {id: status}.  Anything else, or a
    missing image, is an error.
    """
    if not isinstance(answer, dict):
        answer = {}
    found = {}
    for image_id in image_ids:
        value = answer.get(image_id, states.ERROR)
        if isinstance(value, dict):
            found[image_id] = (value.get('status', states.ERROR),
                               value.get('reason_code'), value.get('reason'))
        elif value == states.UNSUPPORTED:
            found[image_id] = (value, states.NOT_SUPPORTED,
                               'The host cannot pre-cache images.')
        elif value == states.ERROR:
            found[image_id] = (value, states.OTHER,
                               'The host reported an error (see its log).')
        else:
            found[image_id] = (value, None, None)
    return found

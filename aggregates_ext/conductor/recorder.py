"""Hosts' results of the fan-out, written to the database in batches.

A host that answers hands its result to the ``Recorder`` and goes on to
the next host; it never waits for the database.  A writer thread, started
when results arrive and none runs, writes everything handed in so far in
one transaction, and again until nothing is left (a group commit): 50
hosts answering at once cost a few transactions instead of 50, and the
calls to the hosts go on while it writes.  Before each transaction it
gathers for up to ``GATHER_SECONDS``, unless a request waits to be
summarised: a host that answers within that time has its ``running`` mark
and its result written as one row, and slow hosts share transactions.
It waits for more for ``IDLE_SECONDS`` before it ends, so that a
fan-out's results do not start a thread each.  The notification of a host's
result is sent after the transaction that recorded it.  A request is
summarised only after ``wait`` says all of its results are written.

Crash: the results handed in but not yet written when the conductor dies
are lost; the host rows still say ``pending``/``running`` with the route
they were asked by, so the conductor that takes the request over asks
those hosts again and they answer ``existing``.
"""

import collections
import threading

from oslo_log import log as logging

from aggregates_ext.db import precache as precache_db

LOG = logging.getLogger(__name__)

# How long the writer gathers results before a transaction, at most.
GATHER_SECONDS = 0.05
# How long the writer thread waits for more results before it ends.
IDLE_SECONDS = 2.0

# One host's result: ``images`` is {image_id: (state, code, reason)};
# ``after`` is called once it is written (or could not be, or a newer
# result of the host replaced it).
Result = collections.namedtuple(
    'Result', 'request_pk request_uuid host status images detail via after')


class Recorder:
    """Writes the results handed in, in batches, in the order they came."""

    def __init__(self):
        lock = threading.Lock()
        # Results handed in (for the writer), and results written (for
        # ``wait``): one lock, two conditions.
        self._work = threading.Condition(lock)
        self._written = threading.Condition(lock)
        # (request row id, host) -> the host's newest result not written
        # yet; a newer one (its answer after its ``running`` mark)
        # replaces it, as one statement may not update a row twice.
        self._queued = {}
        self._unwritten = collections.Counter()
        self._writing = False
        # Callers of wait(): the writer then writes without gathering.
        self._waiters = 0

    def add(self, result):
        """Queue ``result`` for the writer thread, started if none runs."""
        key = (result.request_pk, result.host)
        with self._work:
            # Only an idle writer needs waking: a gathering one waits for
            # the time or for wait(), not for each result.
            idle = not self._queued
            replaced = self._queued.pop(key, None)
            self._queued[key] = result
            if replaced is None:
                self._unwritten[result.request_pk] += 1
            start, self._writing = not self._writing, True
            if idle:
                self._work.notify()
        if replaced is not None:
            _after(replaced)
        if start:
            threading.Thread(target=self._write_queued, daemon=True,
                             name='precache-recorder').start()

    def wait(self, request_pk):
        """Until every result of the request handed in so far is written."""
        with self._written:
            self._waiters += 1
            self._work.notify()
            try:
                self._written.wait_for(
                    lambda: not self._unwritten.get(request_pk))
            finally:
                self._waiters -= 1

    def _write_queued(self):
        while True:
            with self._work:
                if not self._queued:
                    self._work.wait(IDLE_SECONDS)
                if self._queued:
                    self._work.wait_for(lambda: self._waiters,
                                        GATHER_SECONDS)
                batch = list(self._queued.values())
                self._queued.clear()
                if not batch:
                    self._writing = False
                    return
            by_request = collections.defaultdict(list)
            for result in batch:
                by_request[result.request_pk].append(result)
            for request_pk, results in by_request.items():
                self._write(request_pk, results)
            for result in batch:
                _after(result)
            with self._written:
                for request_pk, results in by_request.items():
                    self._unwritten[request_pk] -= len(results)
                    if not self._unwritten[request_pk]:
                        del self._unwritten[request_pk]
                self._written.notify_all()

    @staticmethod
    def _write(request_pk, results):
        try:
            precache_db.save_host_results(request_pk, [
                (r.host, r.status, r.images, r.detail, r.via)
                for r in results])
        except Exception:
            LOG.exception('Could not record the pre-cache results of %s '
                          'for request %s',
                          ', '.join(sorted(r.host for r in results)),
                          results[0].request_uuid)


def _after(result):
    if result.after is None:
        return
    try:
        result.after()
    except Exception:
        LOG.exception('After recording the pre-cache result of %s for '
                      'request %s', result.host, result.request_uuid)

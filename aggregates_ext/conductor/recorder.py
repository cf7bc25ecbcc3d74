"""Hosts' results of the fan-out, written to the database in batches.

A host that answers hands its result to the ``Recorder`` and goes on to
the next host; it never waits for the database.  A writer thread, started
when results arrive and none runs, writes everything handed in so far in
one transaction, and again until nothing is left (a group commit): 50
hosts answering at once cost a few transactions instead of 50, and the
calls to the hosts go on while it writes.  The notification of a host's
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

# One host's result: ``images`` is {image_id: (state, code, reason)};
# ``after`` is called once it is written (or could not be, or a newer
# result of the host replaced it).
Result = collections.namedtuple(
    'Result', 'request_pk request_uuid host status images detail via after')


class Recorder:
    """Writes the results handed in, in batches, in the order they came."""

    def __init__(self):
        self._cv = threading.Condition()
        # (request row id, host) -> the host's newest result not written
        # yet; a newer one (its answer after its ``running`` mark)
        # replaces it, as one statement may not update a row twice.
        self._queued = {}
        self._unwritten = collections.Counter()
        self._writing = False

    def add(self, result):
        """Queue ``result`` for the writer thread, started if none runs."""
        key = (result.request_pk, result.host)
        with self._cv:
            replaced = self._queued.pop(key, None)
            self._queued[key] = result
            if replaced is None:
                self._unwritten[result.request_pk] += 1
            start, self._writing = not self._writing, True
        if replaced is not None:
            _after(replaced)
        if start:
            threading.Thread(target=self._write_queued, daemon=True,
                             name='precache-recorder').start()

    def wait(self, request_pk):
        """Until every result of the request handed in so far is written."""
        with self._cv:
            self._cv.wait_for(lambda: not self._unwritten.get(request_pk))

    def _write_queued(self):
        while True:
            with self._cv:
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
            with self._cv:
                for request_pk, results in by_request.items():
                    self._unwritten[request_pk] -= len(results)
                    if not self._unwritten[request_pk]:
                        del self._unwritten[request_pk]
                self._cv.notify_all()

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

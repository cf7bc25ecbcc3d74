"""Hosts' results recorded in batches while another transaction blocks.

Also run on MariaDB and PostgreSQL (``functional/test_api_databases.py``).
"""

import threading
import time

import fixtures
import sqlalchemy as sa

from aggregates_ext.conductor import recorder
from aggregates_ext.db import engines
from aggregates_ext.db import models
from aggregates_ext.db import precache as precache_db
from aggregates_ext.tests.unit.api import base

IMAGE = '6a1f2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'


class TestRecorder(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.request = precache_db.create_request(
            {'id': 1, 'uuid': 'agg-uuid', 'name': 'agg',
             'hosts': ['c%d' % i for i in range(5)], 'metadata': {}},
            [IMAGE])
        self.recorder = recorder.Recorder()
        self.statements = []
        engine = engines.get_engine()

        def count(conn, cursor, statement, *args):
            if 'precache_host_results' in statement and \
                    statement.lstrip().upper().startswith('INSERT'):
                self.statements.append(statement)
        sa.event.listen(engine, 'before_cursor_execute', count)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        count)

    def result(self, host, status='done', after=None):
        images = {IMAGE: ('cached', None, None)} if status == 'done' else {}
        return recorder.Result(self.request.id, self.request.uuid, host,
                               status, images, None, 'agent', after)

    def stored(self):
        req = precache_db.get_request(self.request.uuid)
        images = {row.host: row.status for row in req.images}
        return {r.host: (r.status, images.get(r.host)) for r in req.results}

    def test_results_handed_in_during_a_write_go_in_one_batch(self):
        # Another transaction holds c0's row (and, on SQLite, the writer
        # turn): the writer thread waits for it with c0's result; those
        # handed in meanwhile are written together after it.
        precache_db.save_host_results(self.request.id, [
            ('c0', 'pending', {}, None, 'agent')])
        self.statements.clear()
        holding, release = threading.Event(), threading.Event()
        results = models.PrecacheHostResult.__table__

        def hold():
            with engines.writer() as session:
                session.execute(sa.select(results.c.id).where(
                    results.c.host == 'c0').with_for_update()).all()
                holding.set()
                release.wait(10)
        holder = threading.Thread(target=hold)
        holder.start()
        self.assertTrue(holding.wait(10))
        self.recorder.add(self.result('c0'))
        for _ in range(1000):
            if not self.recorder._queued:
                break   # the writer took c0
            time.sleep(0.01)
        self.assertEqual({}, self.recorder._queued)
        notified = []
        for i in range(1, 5):
            self.recorder.add(self.result('c%d' % i, 'running'))
            self.recorder.add(self.result(
                'c%d' % i, after=lambda i=i: notified.append(i)))
        self.assertEqual({'c0': ('pending', None)}, self.stored())
        self.assertEqual([], notified)
        release.set()
        holder.join(10)
        self.recorder.wait(self.request.id)
        # c0 alone, then the four others (the newest of each) together.
        self.assertEqual(2, len(self.statements), self.statements)
        self.assertEqual(
            {'c%d' % i: ('done', 'cached') for i in range(5)}, self.stored())
        # Notified after the transaction that wrote them, in order.
        self.assertEqual([1, 2, 3, 4], notified)

    def test_a_quick_answer_and_its_running_mark_are_one_row_write(self):
        # Gathering longer than the test could take: only wait() makes
        # the writer write, at once.
        self.useFixture(fixtures.MonkeyPatch(
            'aggregates_ext.conductor.recorder.GATHER_SECONDS', 30))
        self.recorder.add(self.result('c0', 'running'))
        self.recorder.add(self.result('c0'))
        self.recorder.add(self.result('c1', 'running'))
        started = time.monotonic()
        self.recorder.wait(self.request.id)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(1, len(self.statements), self.statements)
        self.assertEqual({'c0': ('done', 'cached'), 'c1': ('running', None)},
                         self.stored())

    def test_wait_returns_at_once_without_results(self):
        self.recorder.wait(self.request.id)
        self.assertEqual({}, self.stored())

    def test_a_failed_write_is_logged_and_still_notified(self):
        logged = self.useFixture(fixtures.FakeLogger(
            'aggregates_ext.conductor.recorder'))
        notified = []
        bad = recorder.Result(self.request.id + 1000, 'no-such-request',
                              'c0', 'done', {}, None, 'agent',
                              lambda: notified.append('c0'))
        self.recorder.add(bad)
        self.recorder.wait(bad.request_pk)
        self.assertIn('Could not record the pre-cache results of c0 for '
                      'request no-such-request', logged.output)
        self.assertEqual(['c0'], notified)
        # The recorder goes on writing.
        self.recorder.add(self.result('c1'))
        self.recorder.wait(self.request.id)
        self.assertEqual({'c1': ('done', 'cached')}, self.stored())

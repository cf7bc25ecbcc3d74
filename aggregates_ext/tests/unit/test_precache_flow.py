"""Image pre-caching end to end in one process: HTTP to files on disk.

Real API, conductor and agent managers on the fake:// transport, a real
local image store and libvirt-layout caches in temp directories.
"""

import datetime
import hashlib
import os
import threading
import time

import fixtures
from oslo_utils import timeutils
from sqlalchemy import event as sa_event

from aggregates_ext import allinone
from aggregates_ext.conductor import fanout
from aggregates_ext.conductor import leases
from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import models
from aggregates_ext.db import precache as precache_db
from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.unit.api import base

IMAGE_ID = '6a1f2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
OTHER_ID = '7b2a3c4d-5e6f-4a71-9b0c-1d2e3f4a5b6c'


def cache_path(state, host, image_id):
    return os.path.join(allinone.agent_instances_path(state, host), '_base',
                        hashlib.sha1(image_id.encode()).hexdigest())


class PrecacheTestCase(base.APITestCase):
    AGENTS = 3
    REPORT_INTERVAL = 1

    def setUp(self):
        super().setUp()
        self.state = self.config.conf.state_path
        self.config.conf.set_override('source', 'local', group='image')
        self.config.conf.set_override('reserved_disk_mb', 0,
                                      group='image_cache')
        self.config.conf.set_override('transport_url', 'fake://')
        self.cloud = allinone.AllInOne(agents=self.AGENTS,
                                       report_interval=self.REPORT_INTERVAL)
        self.cloud.start(notification_sink=self.notifications._sink)
        self.addCleanup(self.cloud.stop)
        self.cloud.wait_for_hosts()
        self.images = self.cloud.image_api
        self.data = agg_fixtures.raw_image_data(3 * 1024 * 1024 + 17)
        self.register(IMAGE_ID, self.data)

    def register(self, image_id, data):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'img')
        with open(path, 'wb') as f:
            f.write(data)
        return self.images.register(path, image_id=image_id)

    def precache(self, agg_id, image_ids, version='2.81', **kwargs):
        return self.req('POST', '/os-aggregates/%s/images' % agg_id,
                        {'cache': [{'id': i} for i in image_ids]},
                        version=version, **kwargs)

    def wait_for_request(self, agg_id, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reqs = precache_db.list_requests(aggregate_id=agg_id)
            if reqs and reqs[-1].finished_at is not None:
                return reqs[-1]
            time.sleep(0.05)
        self.fail('pre-cache request did not finish')

    def results(self, request):
        images = {}
        for row in request.images:
            images.setdefault(row.host, {})[row.image_id] = row.status
        return {r.host: (r.status, images.get(r.host, {}))
                for r in request.results}

    def aggregate_with(self, hosts):
        agg = self.create('agg-precache')
        for host in hosts:
            self.add_host(agg['id'], host)
        return agg


class TestPrecacheFlow(PrecacheTestCase):

    def test_images_reach_every_host_cache(self):
        agg = self.aggregate_with(self.cloud.agent_names)
        resp = self.precache(agg['id'], [IMAGE_ID.upper()])
        self.assertEqual(202, resp.status_int)
        self.assertEqual(b'', resp.body)
        self.assertEqual('application/json', resp.headers['Content-Type'])
        request = self.wait_for_request(agg['id'])
        self.assertEqual('complete', request.status)
        self.assertEqual([IMAGE_ID], request.image_ids)
        for host in self.cloud.agent_names:
            with open(cache_path(self.state, host, IMAGE_ID), 'rb') as f:
                self.assertEqual(self.data, f.read())
        self.assertEqual({h: ('done', {IMAGE_ID: 'cached'})
                          for h in self.cloud.agent_names},
                         self.results(request))

    def test_second_request_reports_existing(self):
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        self.precache(agg['id'], [IMAGE_ID])
        self.wait_for_request(agg['id'])
        self.precache(agg['id'], [IMAGE_ID])
        request = self.wait_for_request(agg['id'])
        self.assertEqual({'compute-0': ('done', {IMAGE_ID: 'existing'})},
                         self.results(request))

    def test_notifications(self):
        agg = self.aggregate_with(self.cloud.agent_names[:2])
        self.precache(agg['id'], [IMAGE_ID])
        self.wait_for_request(agg['id'])
        deadline = time.monotonic() + 5
        while (time.monotonic() < deadline and
               'aggregate.cache_images.end' not in
               self.notifications.event_types()):
            time.sleep(0.05)
        sent = [n for n in self.notifications.sent
                if 'cache_images' in n['event_type']]
        self.assertEqual(['aggregate.cache_images.start',
                          'aggregate.cache_images.progress',
                          'aggregate.cache_images.progress',
                          'aggregate.cache_images.end'],
                         [n['event_type'] for n in sent])
        self.assertEqual('nova-api:testhost', sent[0]['publisher_id'])
        self.assertEqual('nova-conductor:testhost', sent[1]['publisher_id'])
        progress = [n['payload']['nova_object.data'] for n in sent[1:3]]
        self.assertEqual([1, 2], sorted(p['index'] for p in progress))
        self.assertEqual({2}, {p['total'] for p in progress})
        self.assertEqual({'compute-0', 'compute-1'},
                         {p['host'] for p in progress})
        for p in progress:
            self.assertEqual([IMAGE_ID], p['images_cached'])
            self.assertEqual([], p['images_failed'])

    def test_down_host_is_skipped(self):
        agg = self.aggregate_with(self.cloud.agent_names[:2])
        hosts_db.update('compute-1', forced_down=True)
        self.precache(agg['id'], [IMAGE_ID])
        request = self.wait_for_request(agg['id'])
        self.assertEqual('partial', request.status)
        self.assertEqual({'compute-0': ('done', {IMAGE_ID: 'cached'}),
                          'compute-1': ('skipped', {IMAGE_ID: 'skipped'})},
                         self.results(request))
        self.assertFalse(os.path.exists(
            cache_path(self.state, 'compute-1', IMAGE_ID)))

    def test_empty_aggregate_202(self):
        agg = self.create('empty')
        self.assertEqual(202, self.precache(agg['id'], [IMAGE_ID]).status_int)
        request = self.wait_for_request(agg['id'])
        self.assertEqual({}, self.results(request))

    def test_corrupt_image_is_an_error_and_leaves_nothing(self):
        self.register(OTHER_ID, b'x' * 4096)
        meta_path = os.path.join(self.config.conf.state_path, 'images',
                                 OTHER_ID)
        with open(meta_path, 'r+b') as f:
            f.write(b'y')
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        self.precache(agg['id'], [OTHER_ID, IMAGE_ID])
        request = self.wait_for_request(agg['id'])
        self.assertEqual(
            {'compute-0': ('done', {OTHER_ID: 'error', IMAGE_ID: 'cached'})},
            self.results(request))
        base_dir = os.path.dirname(cache_path(self.state, 'compute-0',
                                              OTHER_ID))
        self.assertEqual(
            [os.path.basename(cache_path(self.state, 'compute-0', IMAGE_ID))],
            os.listdir(base_dir))


class TestAllInOneThreads(PrecacheTestCase):
    AGENTS = 6
    # Heartbeats (one at start) would grow the conductor's own pool.
    REPORT_INTERVAL = 600

    def test_agents_keep_one_rpc_worker_each(self):
        # oslo.messaging's default pool would give every agent one more
        # idle thread per call it served (up to 64 each), each waking
        # every second.
        agg = self.aggregate_with(self.cloud.agent_names)
        for _ in range(2):
            self.precache(agg['id'], [IMAGE_ID])
            self.wait_for_request(agg['id'])
        before = threading.active_count()
        requests = 5
        for _ in range(requests):
            self.precache(agg['id'], [IMAGE_ID])
            request = self.wait_for_request(agg['id'])
            self.assertEqual('complete', request.status)
        grown = threading.active_count() - before
        # At most the conductor's own pools growing, by a thread per
        # request (its RPC server's, its coordinator's) and fan-out
        # workers up to precache_concurrency, and the recorder: not the
        # 6 agents x 5 calls = 30 more of the default pool.
        self.assertLessEqual(
            grown, 2 * requests + 1 +
            self.config.conf.image_cache.precache_concurrency)


class TestConductorTakeover(PrecacheTestCase):
    """Requests nobody works on are taken over, their finished hosts kept."""

    AGENTS = 2

    def orphan(self, agg_id, status, owner=None):
        request = precache_db.create_request(
            agg_db.get(agg_id).snapshot(), [IMAGE_ID])
        if owner is not None:
            # A conductor that claimed it and died: its lease expired.
            self.assertTrue(precache_db.claim(request.uuid, owner, 5))
            table = models.PrecacheRequest.__table__
            with engines.writer() as session:
                session.execute(table.update().where(
                    table.c.uuid == request.uuid).values(
                    lease_expires=timeutils.utcnow() -
                    datetime.timedelta(seconds=1)))
        return request

    def test_expired_lease_resumes_with_the_hosts_left(self):
        agg = self.aggregate_with(self.cloud.agent_names)
        request = self.orphan(agg['id'], 'running', owner='dead:1:x')
        # The dead conductor had recorded compute-0 already.
        precache_db.save_host_result(
            request.uuid, 'compute-0', 'done',
            {IMAGE_ID: ('existing', None, None)}, via='agent')
        leases.LeaseKeeper(self.conductor_fanout())()
        done = self.wait_for_request(agg['id'])
        self.assertEqual(request.uuid, done.uuid)
        self.assertEqual('complete', done.status)
        self.assertEqual({'compute-0': ('done', {IMAGE_ID: 'existing'}),
                          'compute-1': ('done', {IMAGE_ID: 'cached'})},
                         self.results(done))
        # compute-0 was not asked again.
        self.assertFalse(os.path.exists(
            cache_path(self.state, 'compute-0', IMAGE_ID)))
        self.assertTrue(done.conductor.startswith('testhost:'))

    def assertAskedAgainThoughDown(self, recorded_status):
        agg = self.aggregate_with(self.cloud.agent_names)
        request = self.orphan(agg['id'], 'running', owner='dead:1:x')
        precache_db.save_host_result(request.uuid, 'compute-1',
                                     recorded_status, {}, via='agent')
        hosts_db.update('compute-1', forced_down=True)
        leases.LeaseKeeper(self.conductor_fanout())()
        done = self.wait_for_request(agg['id'])
        self.assertEqual('complete', done.status)
        self.assertEqual({'compute-0': ('done', {IMAGE_ID: 'cached'}),
                          'compute-1': ('done', {IMAGE_ID: 'cached'})},
                         self.results(done))

    def test_host_asked_before_is_asked_again_though_down(self):
        # The dead conductor had asked compute-1, whose heartbeat went to
        # the dead conductor: it looks down now.
        self.assertAskedAgainThoughDown('running')

    def test_host_chosen_before_is_asked_again_though_down(self):
        # The dead conductor had recorded compute-1's route, and may have
        # asked it before its "running" mark was written.
        self.assertAskedAgainThoughDown('pending')

    def test_lost_pending_cast_is_picked_up(self):
        self.config.conf.set_override('precache_pending_grace', 1,
                                      group='conductor')
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        self.orphan(agg['id'], 'pending')
        time.sleep(1.2)
        leases.LeaseKeeper(self.conductor_fanout())()
        self.assertEqual('complete',
                         self.wait_for_request(agg['id']).status)

    def test_live_lease_is_left_to_its_owner(self):
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        request = precache_db.create_request(
            agg_db.get(agg['id']).snapshot(), [IMAGE_ID])
        self.assertTrue(precache_db.claim(request.uuid, 'alive:1:x', 60))
        self.assertFalse(precache_db.claim(request.uuid, 'other:2:y', 60))
        leases.LeaseKeeper(self.conductor_fanout())()
        time.sleep(0.3)
        self.assertEqual('alive:1:x',
                         precache_db.get_request(request.uuid).conductor)

    def test_clean_stop_releases_leases_at_once(self):
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        mine, theirs = (precache_db.create_request(
            agg_db.get(agg['id']).snapshot(), [IMAGE_ID]) for _ in range(2))
        self.assertTrue(precache_db.claim(mine.uuid, fanout.owner(), 60))
        self.assertTrue(precache_db.claim(theirs.uuid, 'alive:1:x', 60))
        self.assertEqual([], precache_db.adoptable(60))
        # The conductor stops cleanly (SIGTERM).
        next(svc for svc in self.cloud.services
             if hasattr(svc.manager, 'fanout')).stop(graceful=True)
        # Adoptable by the next check of any conductor, not in 60 s.
        self.assertEqual([mine.uuid], precache_db.adoptable(60))
        self.assertEqual('alive:1:x',
                         precache_db.get_request(theirs.uuid).conductor)

    def conductor_fanout(self):
        return next(svc.manager.fanout for svc in self.cloud.services
                    if hasattr(svc.manager, 'fanout'))


class TestHostResultRace(PrecacheTestCase):
    """A host's rows written by two parties at once: none is lost."""

    AGENTS = 1

    def _insert_first(self, table, values):
        """Insert ``values`` into ``table`` just before our first INSERT.

        As another transaction (an agent's progress report arriving on
        another RPC thread) would between our UPDATE, which found no row,
        and our INSERT.
        """
        raced = []

        def before_execute(conn, clause, multiparams, params, options):
            if (not raced and getattr(clause, 'is_insert', False) and
                    clause.table is table):
                raced.append(True)
                conn.execute(table.insert().values(**values))
        engine = engines.get_engine()
        sa_event.listen(engine, 'before_execute', before_execute)
        self.addCleanup(sa_event.remove, engine, 'before_execute',
                        before_execute)
        return raced

    def test_result_recorded_when_a_progress_row_appears_meanwhile(self):
        agg = self.aggregate_with(self.cloud.agent_names)
        request = precache_db.create_request(
            agg_db.get(agg['id']).snapshot(), [IMAGE_ID])
        table = models.PrecacheHostImage.__table__
        raced = self._insert_first(table, {
            'request_id': request.id, 'host': 'compute-0',
            'image_id': IMAGE_ID, 'status': 'downloading',
            'bytes_done': 10, 'bytes_total': 10,
            'created_at': timeutils.utcnow()})
        precache_db.save_host_result(
            request.uuid, 'compute-0', 'done',
            {IMAGE_ID: ('cached', None, None)}, via='agent')
        self.assertEqual([True], raced)
        self.assertEqual({'compute-0': ('done', {IMAGE_ID: 'cached'})},
                         self.results(precache_db.get_request(request.uuid)))


class TestPrecacheAPIErrors(PrecacheTestCase):
    AGENTS = 1

    def test_duplicates_400_before_aggregate_lookup(self):
        resp = self.precache(999, [IMAGE_ID, IMAGE_ID])
        self.assertFault(resp, 400, 'Duplicate images in request')

    def test_differently_spelled_duplicates_400(self):
        agg = self.create()
        resp = self.precache(agg['id'], [IMAGE_ID,
                                         IMAGE_ID.replace('-', '').upper()])
        self.assertFault(resp, 400, 'Duplicate images in request')

    def test_unknown_aggregate_404(self):
        self.assertFault(self.precache(999, [IMAGE_ID]), 404,
                         'Aggregate 999 could not be found.')

    def test_unknown_image_400_and_nothing_recorded(self):
        agg = self.create()
        resp = self.precache(agg['id'], [IMAGE_ID, OTHER_ID])
        self.assertFault(resp, 400, 'Image %s could not be found.' % OTHER_ID)
        self.assertEqual([], precache_db.list_requests())

    def test_below_2_81_404(self):
        agg = self.create()
        self.assertFault(self.precache(agg['id'], [IMAGE_ID], version='2.80'),
                         404, 'The resource could not be found.')

    def test_non_admin_403(self):
        agg = self.create()
        resp = self.precache(agg['id'], [IMAGE_ID], token=base.MEMBER)
        self.assertFault(resp, 403, "Policy doesn't allow "
                         "compute:aggregates:images to be performed.")

    def test_schema_errors(self):
        agg = self.create()
        path = '/os-aggregates/%s/images' % agg['id']
        cases = [
            ({'cache': []}, "Invalid input for field/attribute cache. "
             "Value: []. [] should be non-empty"),
            ({'cache': [{'id': 'not-a-uuid'}]}, "Invalid input for "
             "field/attribute id. Value: not-a-uuid. 'not-a-uuid' is not a "
             "'uuid'"),
            ({'cache': [{'id': IMAGE_ID, 'x': 1}]}, None),
            ({'cache': [{'id': IMAGE_ID}], 'x': 1}, "Additional properties "
             "are not allowed ('x' was unexpected)"),
            ({}, "'cache' is a required property"),
        ]
        for body, message in cases:
            resp = self.req('POST', path, body, version='2.81')
            if message is None:
                self.assertEqual(400, resp.status_int)
            else:
                self.assertFault(resp, 400, message)

    def test_bad_id_400(self):
        self.assertFault(self.precache('abc', [IMAGE_ID]), 400,
                         'Invalid input received: id must be an integer')

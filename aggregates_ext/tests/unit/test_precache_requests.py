"""The pre-cache status API, in process: the real API, conductor, agents.

GET /os-aggregates/{id}/precache-requests and .../{request id} (2.81):
what every host made of every image, the reasons of failures, the POST's
Location and request id, filters and paging.
"""

import datetime
import os
import threading
import urllib.parse

from oslo_utils import timeutils
import sqlalchemy as sa

from aggregates_ext.compute import manager as compute_manager
from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import models
from aggregates_ext.db import precache as precache_db
from aggregates_ext.tests.unit.api import base
from aggregates_ext.tests.unit import test_precache_flow as flow

IMAGE_ID = flow.IMAGE_ID
OTHER_ID = flow.OTHER_ID


class TestPrecacheStatus(flow.PrecacheTestCase):
    AGENTS = 2

    def get(self, path, **kwargs):
        kwargs.setdefault('version', '2.81')
        return self.req('GET', path, **kwargs)

    def get_with_statement_hook(self, path, hook):
        """GET ``path``, ``hook`` called before every SQL statement."""
        engine = engines.get_engine()
        sa.event.listen(engine, 'before_cursor_execute', hook)
        try:
            return self.get(path)
        finally:
            sa.event.remove(engine, 'before_cursor_execute', hook)

    def started(self, agg_id, image_ids):
        resp = self.precache(agg_id, image_ids)
        self.assertEqual(202, resp.status_int, resp.body)
        self.wait_for_request(agg_id)
        return resp

    def test_location_leads_to_the_finished_request(self):
        agg = self.aggregate_with(self.cloud.agent_names)
        resp = self.started(agg['id'], [IMAGE_ID])
        location = resp.headers['Location']
        path = urllib.parse.urlsplit(location).path
        self.assertRegex(path, r'^/v2\.1/os-aggregates/%s/precache-requests/'
                         r'[0-9a-f-]{36}$' % agg['id'])
        shown = self.get(path[len('/v2.1'):])
        self.assertEqual(200, shown.status_int, shown.body)
        body = shown.json_body_or_none['precache_request']
        self.assertEqual('complete', body['status'])
        self.assertEqual([IMAGE_ID], body['images'])
        self.assertEqual(resp.headers['x-openstack-request-id'],
                         body['request_id'])
        self.assertEqual({'hosts': 2, 'done': 2, 'failed': 0, 'skipped': 0,
                          'remaining': 0}, body['counts'])
        self.assertEqual(self.cloud.agent_names,
                         [h['host'] for h in body['hosts']])
        for host in body['hosts']:
            self.assertEqual(('done', 'agent'), (host['status'],
                                                 host['via']))
            (image,) = host['images']
            self.assertEqual((IMAGE_ID, 'cached', None),
                             (image['id'], image['status'],
                              image['reason_code']))
        self.assertIsNotNone(body['finished_at'])

    def test_reasons_of_failures_per_host_and_image(self):
        self.register(OTHER_ID, b'x' * 4096)
        meta = os.path.join(self.config.conf.state_path, 'images', OTHER_ID)
        with open(meta, 'r+b') as f:
            f.write(b'y')
        agg = self.aggregate_with(self.cloud.agent_names)
        hosts_db.update('compute-1', forced_down=True)
        self.started(agg['id'], [OTHER_ID, IMAGE_ID])
        (summary,) = self.get('/os-aggregates/%s/precache-requests'
                              % agg['id']).json_body_or_none[
            'precache_requests']
        body = self.get('/os-aggregates/%s/precache-requests/%s' % (
            agg['id'], summary['id'])).json_body_or_none['precache_request']
        self.assertEqual('partial', body['status'])
        self.assertEqual({'hosts': 2, 'done': 1, 'failed': 0, 'skipped': 1,
                          'remaining': 0}, body['counts'])
        by_host = {h['host']: h for h in body['hosts']}
        corrupt, good = by_host['compute-0']['images']
        self.assertEqual(('error', 'hash_mismatch'),
                         (corrupt['status'], corrupt['reason_code']))
        self.assertIn('does not match its sha512 hash', corrupt['reason'])
        self.assertEqual('cached', good['status'])
        self.assertEqual('skipped', by_host['compute-1']['status'])
        self.assertEqual({('skipped', 'host_down')}, {
            (i['status'], i['reason_code'])
            for i in by_host['compute-1']['images']})

    def test_list_newest_first_filters_and_pages(self):
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        posts = [self.started(agg['id'], [IMAGE_ID]) for _ in range(3)]
        path = '/os-aggregates/%s/precache-requests' % agg['id']
        listed = self.get(path).json_body_or_none['precache_requests']
        self.assertEqual(3, len(listed))
        ids = [r['id'] for r in listed]
        self.assertEqual([p.headers['Location'].rsplit('/', 1)[1]
                          for p in reversed(posts)], ids)
        page = self.get(path + '?limit=2').json_body_or_none
        self.assertEqual(ids[:2], [r['id'] for r in
                                   page['precache_requests']])
        (link,) = page['precache_requests_links']
        self.assertIn('marker=%s' % ids[1], link['href'])
        rest = self.get(path + '?limit=2&marker=%s' % ids[1])
        self.assertEqual(ids[2:], [r['id'] for r in
                                   rest.json_body_or_none[
                                       'precache_requests']])
        one = self.get(path + '?request_id=%s'
                       % posts[0].headers['x-openstack-request-id'])
        self.assertEqual([ids[2]], [r['id'] for r in one.json_body_or_none[
            'precache_requests']])
        self.assertEqual(3, len(self.get(path + '?status=complete')
                                .json_body_or_none['precache_requests']))
        self.assertEqual([], self.get(path + '?status=failed')
                         .json_body_or_none['precache_requests'])

    def test_list_reads_no_image_rows_and_a_fixed_number_of_queries(self):
        """A summary counts hosts: the images' rows are not read for it."""
        agg = self.aggregate_with(self.cloud.agent_names)
        path = '/os-aggregates/%s/precache-requests' % agg['id']

        def listed():
            # The API's own statements: the conductor's recorder thread
            # may still be writing the last results.
            mine = threading.get_ident()
            statements = []

            def count(conn, cursor, statement, *args):
                if threading.get_ident() == mine:
                    statements.append(statement)
            resp = self.get_with_statement_hook(path, count)
            self.assertEqual(200, resp.status_int, resp.body)
            return resp.json_body_or_none['precache_requests'], statements

        self.register(OTHER_ID, b'x' * 4096)
        self.started(agg['id'], [IMAGE_ID, OTHER_ID])
        _, few = listed()
        for _ in range(3):
            self.started(agg['id'], [IMAGE_ID])
        four, many = listed()
        self.assertEqual(len(few), len(many), many)
        self.assertEqual([], [q for q in few + many
                              if 'precache_host_images' in q])
        self.assertEqual([{'hosts': 2, 'done': 2, 'failed': 0,
                           'skipped': 0, 'remaining': 0}] * 4,
                         [r['counts'] for r in four])
        self.assertEqual([IMAGE_ID, OTHER_ID], four[-1]['images'])

    def test_errors(self):
        agg = self.aggregate_with([])
        path = '/os-aggregates/%s/precache-requests' % agg['id']
        self.assertFault(self.get('/os-aggregates/99/precache-requests'),
                         404, 'Aggregate 99 could not be found.')
        unknown = '00000000-0000-4000-8000-000000000000'
        self.assertFault(self.get(path + '/' + unknown), 404,
                         'Pre-cache request %s could not be found.' %
                         unknown)
        self.assertFault(self.get(path + '?marker=' + unknown), 400,
                         'Marker %s could not be found.' % unknown)
        self.assertEqual(400, self.get(path + '?status=nope').status_int)
        self.assertEqual(400, self.get(path + '?other=1').status_int)
        self.assertFault(self.get(path, version='2.80'), 404,
                         'The resource could not be found.')
        self.assertEqual(403, self.get(path, token=base.MEMBER).status_int)

    def test_request_of_another_aggregate_404(self):
        mine = self.aggregate_with(self.cloud.agent_names[:1])
        other = self.create('other')
        resp = self.started(mine['id'], [IMAGE_ID])
        request_uuid = resp.headers['Location'].rsplit('/', 1)[1]
        self.assertEqual(404, self.get(
            '/os-aggregates/%s/precache-requests/%s'
            % (other['id'], request_uuid)).status_int)

    def test_download_in_progress_and_stalled(self):
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        request = precache_db.create_request(
            agg_db.get(agg['id']).snapshot(), [IMAGE_ID])
        precache_db.save_progress(request.uuid, 'compute-0', IMAGE_ID,
                                  1024, 4096)
        path = '/os-aggregates/%s/precache-requests/%s' % (agg['id'],
                                                           request.uuid)
        (host,) = self.get(path).json_body_or_none['precache_request'][
            'hosts']
        self.assertEqual(('downloading', 1024, 4096), (
            host['images'][0]['status'], host['images'][0]['bytes_done'],
            host['images'][0]['bytes_total']))
        self.config.conf.set_override('stall_seconds', 1,
                                      group='image_cache')
        self.reported_long_ago(request.uuid)
        (host,) = self.get(path).json_body_or_none['precache_request'][
            'hosts']
        self.assertEqual('stalled', host['images'][0]['status'])

    def test_finished_download_shows_its_whole_size(self):
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        request = precache_db.create_request(
            agg_db.get(agg['id']).snapshot(), [IMAGE_ID, OTHER_ID])
        precache_db.save_progress(request.uuid, 'compute-0', IMAGE_ID,
                                  1024, 4096)
        precache_db.save_host_result(
            request.uuid, 'compute-0', 'done',
            {IMAGE_ID: ('cached', None, None),
             OTHER_ID: ('cached', None, None)})
        path = '/os-aggregates/%s/precache-requests/%s' % (agg['id'],
                                                           request.uuid)
        (host,) = self.get(path).json_body_or_none['precache_request'][
            'hosts']
        reported, unreported = host['images']
        self.assertEqual(('cached', 4096, 4096), (
            reported['status'], reported['bytes_done'],
            reported['bytes_total']))
        # Finished before its first report: the size is not known.
        self.assertEqual(('cached', None, None), (
            unreported['status'], unreported['bytes_done'],
            unreported['bytes_total']))

    def test_a_result_committed_mid_read_is_shown_whole_or_not_at_all(self):
        """A host's final result lands between the reads of its tables.

        The request's images and its hosts' results are read by two
        SELECTs; a conductor that records the host's failure (its result
        and its images' states, in one transaction) between the two must
        not make the host look failed with its image still downloading.
        """
        agg = self.aggregate_with(self.cloud.agent_names[:1])
        request = precache_db.create_request(
            agg_db.get(agg['id']).snapshot(), [IMAGE_ID])
        precache_db.save_host_result(request.uuid, 'compute-0', 'running',
                                     {})
        precache_db.save_progress(request.uuid, 'compute-0', IMAGE_ID,
                                  1024, 4096)
        path = '/os-aggregates/%s/precache-requests/%s' % (agg['id'],
                                                           request.uuid)
        children = []

        def commit_between(conn, cursor, statement, *args):
            if 'FROM precache_host_' not in statement or len(children) > 1:
                return
            children.append(statement)
            if len(children) == 2:
                precache_db.save_host_result(
                    request.uuid, 'compute-0', 'failed',
                    {IMAGE_ID: ('error', 'timeout', 'No answer in time')},
                    'MessagingTimeout')
        shown = self.get_with_statement_hook(path, commit_between)
        self.assertEqual(2, len(children), children)

        def host_and_image(resp):
            self.assertEqual(200, resp.status_int, resp.body)
            (host,) = resp.json_body_or_none['precache_request']['hosts']
            return host['status'], host['images'][0]['status']
        # As it was when the read began; the next read shows the failure.
        self.assertEqual(('running', 'downloading'), host_and_image(shown))
        self.assertEqual(('failed', 'error'), host_and_image(self.get(path)))

    def reported_long_ago(self, request_uuid):
        table = models.PrecacheHostImage.__table__
        with engines.writer() as session:
            session.execute(table.update().values(
                updated_at=timeutils.utcnow() -
                datetime.timedelta(seconds=5)))


class TestProgressReporter(base.APITestCase):
    """The agent's rate limit, with a clock the test turns."""

    def test_first_report_then_one_per_interval(self):
        now = [100.0]
        sent = []
        reporter = compute_manager.ProgressReporter(
            lambda done, total: sent.append(done), 3, clock=lambda: now[0])
        for done in range(0, 100, 10):
            reporter(done, 100)
            now[0] += 1
        self.assertEqual([0, 30, 60, 90], sent)

    def test_a_failing_report_never_fails_the_download(self):
        def send(done, total):
            raise RuntimeError('broker gone')
        reporter = compute_manager.ProgressReporter(send, 1)
        reporter(1, 2)

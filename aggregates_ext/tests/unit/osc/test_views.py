"""What the plugin prints of a request, and watch's exit status."""

import copy
import io

import testtools

from aggregates_ext.osc.v1 import precache_requests as commands
from aggregates_ext.osc import views

IMAGE = '6a1f2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'


def image(status, done=None, total=None, reason_code=None, reason=None):
    return {'id': IMAGE, 'status': status, 'reason_code': reason_code,
            'reason': reason, 'bytes_done': done, 'bytes_total': total,
            'updated_at': None}


def request(status, *hosts):
    """A status API document with ``hosts`` as (name, status, image)."""
    counts = {'hosts': len(hosts), 'done': 0, 'failed': 0, 'skipped': 0}
    for _name, host_status, _image in hosts:
        if host_status in counts:
            counts[host_status] += 1
    counts['remaining'] = len(hosts) - sum(
        counts[k] for k in ('done', 'failed', 'skipped'))
    return {'id': 'r1', 'status': status, 'images': [IMAGE],
            'counts': counts,
            'hosts': [{'host': name, 'status': host_status, 'via': 'agent',
                       'detail': None, 'images': [img]}
                      for name, host_status, img in hosts]}


class TestImageProgress(testtools.TestCase):

    def test_sizes(self):
        self.assertEqual(['512 B', '4.0 KiB', '16.0 MiB', '1.5 GiB', '?'],
                         [views.size(n) for n in (512, 4096, 16 << 20,
                                                  3 << 29, None)])

    def test_downloading_shows_bytes_and_percent(self):
        self.assertEqual('downloading 4.0 MiB/16.0 MiB (25%)',
                         views.image_progress(image('downloading', 4 << 20,
                                                    16 << 20)))

    def test_downloading_without_a_total_shows_bytes(self):
        self.assertEqual('stalled 1.0 MiB', views.image_progress(
            image('stalled', 1 << 20)))

    def test_failure_shows_its_reason_code(self):
        self.assertEqual('error (disk_reserve)', views.image_progress(
            image('error', reason_code='disk_reserve')))
        self.assertEqual('error', views.image_progress(
            image('error', reason_code='error')))

    def test_cached_shows_its_size(self):
        self.assertEqual('cached 16.0 MiB', views.image_progress(
            image('cached', 16 << 20, 16 << 20)))
        self.assertEqual('pending', views.image_progress(image('pending')))


class TestExitStatus(testtools.TestCase):

    def test_complete_0(self):
        self.assertEqual(0, views.exit_status(request(
            'complete', ('c0', 'done', image('cached')))))

    def test_partial_1(self):
        self.assertEqual(1, views.exit_status(request(
            'partial', ('c0', 'done', image('cached')),
            ('c1', 'skipped', image('skipped')))))

    def test_failed_1(self):
        self.assertEqual(1, views.exit_status(request(
            'failed', ('c0', 'failed', image('pending')))))

    def test_a_failed_host_is_1_whatever_the_request_says(self):
        self.assertEqual(1, views.exit_status(request(
            'complete', ('c0', 'failed', image('pending')))))

    def test_unfinished_2(self):
        for status in ('pending', 'running'):
            self.assertEqual(2, views.exit_status(request(
                status, ('c0', 'running', image('downloading')))))


class TestWatchLines(testtools.TestCase):

    def test_progress_lines_align_hosts_and_images(self):
        lines = views.progress_lines(request(
            'running', ('compute-0', 'done', image('cached', 10, 10)),
            ('c1', 'running', image('downloading', 5, 10))), 'agg1', 3.2)
        self.assertEqual(
            ['Pre-cache request r1 of aggregate agg1: running, 1/2 hosts '
             'finished (3 s)',
             'HOST       STATUS   IMAGE%sPROGRESS' % (' ' * 33),
             'compute-0  done     %s  cached 10 B' % IMAGE,
             'c1         running  %s  downloading 5 B/10 B (50%%)' % IMAGE],
            lines)

    def test_change_lines_name_only_what_changed(self):
        before = request('running', ('c0', 'running',
                                     image('downloading', 1, 10)),
                         ('c1', 'running', image('pending')))
        after = copy.deepcopy(before)
        after['hosts'][0]['images'][0]['bytes_done'] = 5
        self.assertEqual(['[   2.0s] c0 %s: downloading 5 B/10 B (50%%)'
                          % IMAGE],
                         views.change_lines(before, after, 2.0))
        self.assertEqual([], views.change_lines(after, after, 2.5))

    def test_first_change_lines_are_every_state(self):
        lines = views.change_lines(None, request(
            'pending', ('c0', 'pending', image('pending'))), 0)
        self.assertEqual(['[   0.0s] request r1: pending',
                          '[   0.0s] c0: pending',
                          '[   0.0s] c0 %s: pending' % IMAGE], lines)

    def test_summary_names_every_host_and_image_that_failed(self):
        doc = request('partial',
                      ('c0', 'done', image('cached', 10, 10)),
                      ('c1', 'done', image('error', reason_code='size_cap',
                                           reason='Too large.')),
                      ('c2', 'skipped', image('skipped')))
        doc['hosts'][2]['detail'] = 'The host is down.'
        self.assertEqual(
            ['Pre-cache request r1 partial after 4.0 s: hosts 3, done 2, '
             'failed 0, skipped 1, remaining 0.',
             '  c1 %s: error (size_cap): Too large.' % IMAGE,
             '  c2: skipped: The host is down.'],
            views.summary_lines(doc, 4.0))


class TestScreen(testtools.TestCase):

    def test_redraw_goes_up_the_lines_drawn_and_clears(self):
        out = io.StringIO()
        screen = commands.Screen(out)
        doc = request('running', ('c0', 'running', image('downloading', 1,
                                                         10)))
        screen.show(doc, 'agg1', 1)
        first = out.getvalue()
        self.assertNotIn('\x1b', first)
        self.assertEqual(3, len(first.splitlines()))
        doc['hosts'][0]['images'][0]['bytes_done'] = 9
        screen.show(doc, 'agg1', 2)
        second = out.getvalue()[len(first):]
        self.assertTrue(second.startswith('\x1b[3F\x1b[J'), repr(second))
        self.assertIn('downloading 9 B/10 B (90%)', second)

"""``openstack aggregate precache ...`` against the all-in-one service.

``aggregates-ext-all`` runs as a process, as the README starts it (its
own state directory, a free port, its ``clouds.yaml``), and the commands
run through the ``openstack`` of the test environment: there
python-openstackclient (a test requirement) and this package are
installed side by side, as a user installs them
(``pip install python-openstackclient aggregates-ext``), so OSC finds the
plugin through the entry points of this package's metadata, as it would
for a user.  ``tools/ci/readme-smoke.py`` does the same from a bare
install and a separate client venv.

One host fails for real: the directory of its image cache cannot be made
because a file holds its name.
"""

import os
import re
import signal
import subprocess
import time

import fixtures
import testtools

from aggregates_ext.tests.functional import clients_base
from aggregates_ext.tests.functional import support

START_TIMEOUT = 120
LIST_COLUMNS = ['ID', 'Status', 'Images', 'Hosts', 'Done', 'Failed',
                'Skipped', 'Remaining', 'Created At']


class TestPrecacheCommands(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.openstack = support.bin_path('openstack')
        self.start()
        self.env = {'OS_CLIENT_CONFIG_FILE': os.path.join(self.state,
                                                          'clouds.yaml'),
                    'OS_CLOUD': 'aggregates-ext'}

    def start(self):
        out = open(os.path.join(self.state, 'all.out'), 'w+')
        self.addCleanup(out.close)
        proc = subprocess.Popen(
            [support.bin_path('aggregates-ext-all'), '--port', '0',
             '--state-dir', self.state, '--demo-image-mb', '4'],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.addCleanup(self.stop, proc)
        deadline = time.monotonic() + START_TIMEOUT
        while 'or with curl:' not in self.output(out):
            if proc.poll() is not None or time.monotonic() > deadline:
                self.fail('aggregates-ext-all did not start:\n%s'
                          % self.output(out)[-3000:])
            time.sleep(0.2)
        self.image = re.search(r'Images:\s+(\S+)', self.output(out)).group(1)

    @staticmethod
    def output(out):
        out.seek(0)
        return out.read()

    @staticmethod
    def stop(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def cli(self, *args, expect=0):
        result = clients_base.run_cli(self.openstack, list(args),
                                      env_extra=self.env, timeout=180)
        if expect is not None:
            self.assertEqual(expect, result.returncode, result)
        return result

    def aggregate(self, name, hosts, zone=None):
        self.cli('aggregate', 'create', name,
                 *(['--zone', zone] if zone else []))
        for host in hosts:
            self.cli('aggregate', 'add', 'host', name, host)

    def cache(self, name):
        self.cli('--os-compute-api-version', '2.81', 'aggregate', 'cache',
                 'image', name, self.image)

    def watch(self, name, expect):
        result = self.cli('aggregate', 'precache', 'watch', name,
                          '--interval', '0.5', '--timeout', '120',
                          expect=expect)
        self.assertNotIn('\x1b', result.stdout)
        return result.stdout.splitlines()

    def test_list_show_watch_of_a_complete_request(self):
        self.aggregate('agg1', ['compute-0', 'compute-1'], zone='az1')
        self.cache('agg1')
        lines = self.watch('agg1', expect=0)
        self.assertRegex(lines[-1], r'^Pre-cache request \S+ complete after '
                         r'\S+ s: hosts 2, done 2, failed 0, skipped 0, '
                         r'remaining 0\.$')

        (summary,) = self.cli('aggregate', 'precache', 'list', 'agg1',
                              '-f', 'json').json()
        self.assertEqual(LIST_COLUMNS, list(summary))
        self.assertEqual(('complete', [self.image], 2, 2),
                         (summary['Status'], summary['Images'],
                          summary['Hosts'], summary['Done']))
        rows = clients_base.parse_table(
            self.cli('aggregate', 'precache', 'list', 'agg1').stdout)
        self.assertEqual(LIST_COLUMNS, rows[0])
        self.assertEqual([summary['ID'], 'complete', self.image, '2', '2',
                          '0', '0', '0'], rows[1][:8])

        shown = self.cli('aggregate', 'precache', 'show', 'agg1',
                         summary['ID'], '-f', 'json').json()
        self.assertEqual({'hosts': 2, 'done': 2, 'failed': 0, 'skipped': 0,
                          'remaining': 0}, shown['counts'])
        self.assertEqual(
            [('compute-0', 'done', 'cached'), ('compute-1', 'done',
                                               'cached')],
            [(h['host'], h['status'], h['images'][0]['status'])
             for h in shown['hosts']])
        rows = clients_base.parse_table(self.cli(
            'aggregate', 'precache', 'show', 'agg1', summary['ID']).stdout)
        self.assertEqual(['Field', 'Value'], rows[0])
        fields = [field for field, _value in rows[1:] if field]
        self.assertEqual(list(shown), fields)
        self.assertIn(['hosts', 'compute-0: done via agent'], rows)

    def test_watch_exit_1_when_a_host_cannot_cache(self):
        # compute-1 cannot make its image cache directory: a file has its
        # name.  compute-0 caches the image; the request ends partial.
        instances = os.path.join(self.state, 'hosts', 'compute-1',
                                 'instances')
        os.makedirs(instances, exist_ok=True)
        with open(os.path.join(instances, '_base'), 'w') as f:
            f.write('not a directory\n')
        self.aggregate('agg2', ['compute-0', 'compute-1'])
        self.cache('agg2')
        lines = self.watch('agg2', expect=1)
        self.assertRegex(lines[-2], r'^Pre-cache request \S+ partial after '
                         r'\S+ s: hosts 2, done 2, failed 0, skipped 0, '
                         r'remaining 0\.$')
        self.assertIn('  compute-1 %s: error: FileExistsError' % self.image,
                      lines[-1])
        shown = self.cli('aggregate', 'precache', 'show', 'agg2',
                         self.cli('aggregate', 'precache', 'list', 'agg2',
                                  '-f', 'value', '-c', 'ID').stdout.strip(),
                         '-f', 'json').json()
        self.assertEqual('partial', shown['status'])
        self.assertEqual(['cached', 'error'],
                         [h['images'][0]['status'] for h in shown['hosts']])
        # A failed request is found by its status; none completed.
        self.assertEqual([], self.cli('aggregate', 'precache', 'list',
                                      'agg2', '--status', 'complete', '-f',
                                      'json').json())

"""A misconfigured service stops at start with one line naming the fix.

Each case runs a real console script with a real config file (and the
machine's RabbitMQ where the broker is the point) and reads what an
operator sees: the exit status, stderr and the log file.
"""

import os
import subprocess
import time
import urllib.parse

import fixtures
import testtools

from aggregates_ext.tests.functional import rabbit
from aggregates_ext.tests.functional import support

TIMEOUT = 60


class TestStartupErrors(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.log_file = os.path.join(self.dir, 'service.log')

    def conf(self, **sections):
        base = {'DEFAULT': {'state_path': self.dir,
                            'log_file': self.log_file,
                            'transport_url': 'fake://'},
                'api': {'auth_strategy': 'noauth2', 'bind_port': 0}}
        path = os.path.join(self.dir, 'service.conf')
        support.write_conf(
            path, support.merge(base, sections))
        return path

    def run_script(self, name, conf):
        started = time.monotonic()
        result = subprocess.run(
            [support.bin_path(name), '--config-file', conf],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            timeout=TIMEOUT)
        return result, time.monotonic() - started

    def db_sync(self, conf):
        subprocess.run([support.bin_path('aggregates-ext-manage'),
                        '--config-file', conf, 'db', 'sync'], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def assertRefused(self, result, name, *fragments):
        """Exit 1, one line on stderr with every fragment, logged too."""
        self.assertEqual(1, result.returncode, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line]
        self.assertEqual(1, len(lines), result.stderr)
        self.assertTrue(lines[0].startswith(name + ': error: '), lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertNotIn('Traceback', result.stdout + result.stderr)
        with open(self.log_file) as f:
            self.assertIn('%s cannot start: ' % name, f.read())
        return lines[0]

    def broker_url(self, user=None, password=None, vhost=None):
        url = urllib.parse.urlsplit(rabbit.rabbit_url())
        netloc = '%s:%s@%s:%d' % (
            user or urllib.parse.unquote(url.username or 'guest'),
            password or urllib.parse.unquote(url.password or 'guest'),
            url.hostname or '127.0.0.1', url.port or 5672)
        return 'rabbit://%s/%s' % (netloc, vhost or '')

    def test_api_on_an_unsynced_database(self):
        result, _ = self.run_script('aggregates-ext-api', self.conf())
        self.assertRefused(result, 'aggregates-ext-api',
                           'aggregates-ext-manage db sync')

    def test_conductor_on_an_unsynced_database(self):
        result, _ = self.run_script('aggregates-ext-conductor', self.conf())
        self.assertRefused(result, 'aggregates-ext-conductor',
                           'aggregates-ext-manage db sync')

    def test_api_with_keystone_and_no_authtoken_settings(self):
        conf = self.conf(api={'auth_strategy': 'keystone'})
        self.db_sync(conf)
        result, _ = self.run_script('aggregates-ext-api', conf)
        self.assertRefused(result, 'aggregates-ext-api',
                           '[keystone_authtoken] auth_type')

    def test_api_with_keystone_and_incomplete_authtoken_settings(self):
        conf = self.conf(api={'auth_strategy': 'keystone'},
                         keystone_authtoken={'auth_type': 'password'})
        self.db_sync(conf)
        result, _ = self.run_script('aggregates-ext-api', conf)
        self.assertRefused(result, 'aggregates-ext-api',
                           '[keystone_authtoken] lacks auth_url')

    def test_agent_with_a_refused_broker_login(self):
        url = self.broker_url(user='nobody', password='wrong')
        result, elapsed = self.run_script(
            'aggregates-ext-compute',
            self.conf(DEFAULT={'transport_url': url, 'host': 'compute-x'}))
        line = self.assertRefused(result, 'aggregates-ext-compute',
                                  'ACCESS_REFUSED', '[DEFAULT] transport_url',
                                  'nobody@')
        self.assertNotIn('wrong', line)
        self.assertLess(elapsed, 30)

    def test_conductor_with_a_missing_virtual_host(self):
        conf = self.conf(DEFAULT={
            'transport_url': self.broker_url(vhost='no-such-vhost')})
        self.db_sync(conf)
        result, _ = self.run_script('aggregates-ext-conductor', conf)
        self.assertRefused(result, 'aggregates-ext-conductor',
                           'no-such-vhost', '[DEFAULT] transport_url')

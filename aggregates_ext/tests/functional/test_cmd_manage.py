"""aggregates-ext-manage: db sync/version and the pre-cache reports."""

import os
import subprocess
import sys

import fixtures
import testtools

from aggregates_ext.db import migration


class TestManage(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.conf = os.path.join(self.state, 'a.conf')
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\n' % self.state)

    def manage(self, *args):
        proc = subprocess.run(
            [sys.executable, '-m', 'aggregates_ext.cmd.manage',
             '--config-file', self.conf] + list(args),
            capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def test_db_sync_then_version(self):
        code, out, err = self.manage('db', 'version')
        self.assertEqual((0, 'None\n'), (code, out), err)
        code, out, err = self.manage('db', 'sync')
        self.assertEqual(0, code, err)
        self.assertIn(migration.head(), out)
        self.assertTrue(os.path.exists(
            os.path.join(self.state, 'aggregates-ext.sqlite')))
        code, out, err = self.manage('db', 'version')
        self.assertEqual((0, migration.head() + '\n'), (code, out), err)
        # Idempotent.
        self.assertEqual(0, self.manage('db', 'sync')[0])

    def test_precache_show_unknown_request(self):
        self.manage('db', 'sync')
        code, out, err = self.manage('precache', 'show', 'nope')
        self.assertEqual(1, code)
        self.assertIn('No pre-cache request nope', err)
        self.assertEqual((0, ''), self.manage('precache', 'list')[:2])

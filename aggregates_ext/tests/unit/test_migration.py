"""The start-up check reads the schema revision without alembic."""

import os
import subprocess
import sys

import fixtures
import testtools

from aggregates_ext.db import migration
from aggregates_ext.tests import fixtures as ae_fixtures

# A service's start-up check of its database, in a new interpreter: what
# it says, and whether alembic was imported for it.
_CHECK = '''
import sys
from aggregates_ext import conf, startup
from aggregates_ext.db import engines
conf.CONF([], project='aggregates-ext', default_config_files=[])
conf.CONF.set_override('connection', sys.argv[1], group='database')
engines.configure(conf.CONF)
try:
    startup.check_database()
    print('ok')
except startup.StartupError as exc:
    print(exc)
print('alembic' in sys.modules)
'''


class TestRevision(testtools.TestCase):

    def check_in_a_new_process(self, url):
        env = dict(os.environ)
        env.pop('PYTHONWARNINGS', None)
        out = subprocess.run([sys.executable, '-c', _CHECK, url],
                             capture_output=True, text=True, check=True,
                             env=env, timeout=60)
        return out.stdout.strip().splitlines()[-2:]

    def test_head_is_the_scripts_head(self):
        self.assertEqual(migration.scripts_head(), migration.head())

    def test_synced_database_passes_without_importing_alembic(self):
        db = self.useFixture(ae_fixtures.Database())
        self.assertEqual(migration.head(), migration.version())
        self.assertEqual(['ok', 'False'],
                         self.check_in_a_new_process(db.url))

    def test_an_empty_database_is_told_to_sync(self):
        path = self.useFixture(fixtures.TempDir()).path
        url = 'sqlite:///%s' % os.path.join(path, 'empty.db')
        said, _ = self.check_in_a_new_process(url)
        self.assertIn('schema is at revision none, this release needs %s'
                      % migration.head(), said)
        self.assertIn('aggregates-ext-manage db sync', said)

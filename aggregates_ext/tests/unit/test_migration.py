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

# The all-in-one's first start on a new SQLite file, in a new interpreter:
# the revision it leaves, and whether alembic was imported into it.
_FIRST_START = '''
import sys
from aggregates_ext import allinone, conf
from aggregates_ext.db import migration
conf.CONF([], project='aggregates-ext', default_config_files=[])
conf.CONF.set_override('state_path', sys.argv[1])
conf.CONF.set_override('transport_url', 'fake://')
conf.CONF.set_override('source', 'local', group='image')
cloud = allinone.AllInOne(agents=1).start()
try:
    print(migration.version())
    print('alembic' in sys.modules)
finally:
    cloud.stop()
'''


class TestRevision(testtools.TestCase):

    def run_in_a_new_process(self, script, arg):
        env = dict(os.environ)
        env.pop('PYTHONWARNINGS', None)
        out = subprocess.run([sys.executable, '-c', script, arg],
                             capture_output=True, text=True, check=True,
                             env=env, timeout=60)
        return out.stdout.strip().splitlines()[-2:]

    def check_in_a_new_process(self, url):
        return self.run_in_a_new_process(_CHECK, url)

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

    def test_all_in_one_migrates_a_new_database_in_a_child(self):
        state = self.useFixture(fixtures.TempDir()).path
        self.assertEqual([migration.head(), 'False'],
                         self.run_in_a_new_process(_FIRST_START, state))

    def test_a_failed_migration_in_the_child_is_raised(self):
        # Nothing listens on port 1: the child cannot connect.
        self.assertRaisesRegex(
            RuntimeError, 'database migration failed',
            migration.upgrade_in_child,
            'postgresql+psycopg2://nobody@127.0.0.1:1/none')

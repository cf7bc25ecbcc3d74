"""Several processes writing one SQLite file (API and conductor split)."""

import os
import subprocess
import sys

import fixtures
import testtools

WRITER = r'''
import sys
from aggregates_ext import conf
from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
CONF = conf.CONF
CONF([], project='aggregates-ext', default_config_files=[])
CONF.set_override('state_path', sys.argv[1])
engines.configure(CONF)
me = sys.argv[2]
for i in range(40):
    hosts_db.report('%s-host' % me, 'b', 't', 1)
    agg = agg_db.create('%s-%d' % (me, i))
    agg_db.update(agg.id, set_metadata={'k': str(i)})
    agg_db.delete(agg.id)
print('ok')
'''


class TestSQLiteAcrossProcesses(testtools.TestCase):

    def test_concurrent_writers_never_see_database_is_locked(self):
        state = self.useFixture(fixtures.TempDir()).path
        subprocess.run([sys.executable, '-c',
                        'import sys\n'
                        'from aggregates_ext import conf\n'
                        'from aggregates_ext.db import engines, migration\n'
                        'conf.CONF([], project="x", default_config_files=[])\n'
                        'conf.CONF.set_override("state_path", sys.argv[1])\n'
                        'engines.configure(conf.CONF)\n'
                        'migration.upgrade()\n', state],
                       check=True, capture_output=True)
        procs = [subprocess.Popen([sys.executable, '-c', WRITER, state,
                                   'w%d' % n], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for n in range(4)]
        for proc in procs:
            out, err = proc.communicate(timeout=240)
            self.assertEqual((0, 'ok\n'), (proc.returncode, out), err[-2000:])
        self.assertTrue(os.path.exists(
            os.path.join(state, 'aggregates-ext.sqlite.lock')))

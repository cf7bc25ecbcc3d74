"""Our own programs run without eventlet; a host that loads us keeps it."""

import os
import subprocess
import sys

import testtools

import aggregates_ext

_PROBE = ('import sys; import aggregates_ext, futurist; '
          'print(sys.modules.get("eventlet") is not None)')


def _eventlet_loaded(argv):
    env = dict(os.environ)
    env.pop('PYTHONWARNINGS', None)
    out = subprocess.run([sys.executable] + argv, capture_output=True,
                         text=True, check=True, env=env, timeout=60)
    return out.stdout.strip().splitlines()[-1]


class TestOurProgram(testtools.TestCase):

    def test_console_scripts_and_our_modules_are_ours(self):
        ours = aggregates_ext._runs_our_program
        self.assertTrue(ours('/usr/bin/aggregates-ext-all', ['python3']))
        self.assertTrue(ours('-m', ['python3', '-X', 'importtime', '-m',
                                    'aggregates_ext.tests.bench', 'x']))
        self.assertFalse(ours('/usr/bin/nova-api', ['python3']))
        self.assertFalse(ours('-m', ['python3', '-m', 'stestr', 'run']))
        self.assertFalse(ours('-m', ['python3', '-m',
                                     'aggregates_extra.cmd']))
        self.assertFalse(ours('-c', ['python3', '-c', 'import x', '-m']))
        self.assertFalse(ours('/usr/bin/stestr', [
            'python3', '/usr/bin/stestr', 'run', '-m', 'aggregates_ext']))
        self.assertTrue(ours('-m', ['python3', '-W', 'ignore', '-X', 'dev',
                                    '-m', 'aggregates_ext']))

    def test_our_program_imports_futurist_without_eventlet(self):
        # As a console script starts: the whole package and futurist
        # import, eventlet does not.
        self.assertEqual('False', _eventlet_loaded(
            ['-c', 'import sys; sys.argv[0] = "/usr/bin/aggregates-ext-x"; ' +
             _PROBE]))

    def test_another_program_keeps_eventlet(self):
        # eventlet is installed (oslo.service depends on it): a program
        # that is not ours, nova-api say, finds it.
        self.assertEqual('True', _eventlet_loaded(['-c', _PROBE]))

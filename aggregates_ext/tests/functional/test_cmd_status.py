"""aggregates-ext-status upgrade check: the installed console script.

Runs ``aggregates-ext-status`` as an operator does, on a real SQLite
database and configuration file; each check in-process is in
``tests/unit/test_cmd_status.py``.
"""

import json
import os
import subprocess
import sys

from aggregates_ext import conf
from aggregates_ext.tests import fixtures as ae_fixtures
from aggregates_ext.tests.unit import test_cmd_status as unit_status

CONF = conf.CONF


class TestConsoleScript(unit_status.StatusTestCase):
    """The installed ``aggregates-ext-status``, as an operator runs it."""

    def run_status(self, *args, conf_path=None):
        script = os.path.join(os.path.dirname(sys.executable),
                              'aggregates-ext-status')
        self.assertTrue(os.path.exists(script),
                        '%s is not installed: reinstall the package (tox -r)'
                        % script)
        proc = subprocess.run(
            [script, '--config-file', conf_path] + list(args),
            capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def deployment(self, **sections):
        """A synced database with one live agent, and its config file."""
        self.useFixture(ae_fixtures.Database())
        ae_fixtures.register_host('compute-0')
        base = {'DEFAULT': {'state_path': CONF.state_path,
                            'transport_url': 'fake://'},
                'api': {'auth_strategy': 'keystone'},
                'keystone_authtoken': unit_status.AUTHTOKEN}
        base.update(sections)
        path = os.path.join(self.dir, 'aggregates-ext.conf')
        unit_status.write_conf(path, base)
        return path

    def test_ready_deployment_exits_0(self):
        code, out, err = self.run_status(
            'upgrade', 'check', '--json', conf_path=self.deployment())
        self.assertEqual(0, code, out + err)
        report = json.loads(out)
        self.assertEqual(
            ['Database schema', 'Policy file',
             'Policy File JSON to YAML Migration', 'API authentication',
             'Message broker', 'Compute agents'],
            [c['check'] for c in report['checks']])
        self.assertEqual({0}, {c['result'] for c in report['checks']})
        self.assertEqual('', err)

    def test_failing_check_exits_2_with_its_hint(self):
        path = self.deployment(DEFAULT={
            'state_path': CONF.state_path,
            'transport_url': 'rabbit://guest:guest@127.0.0.1:%d/'
                             % unit_status.free_port()})
        code, out, err = self.run_status('upgrade', 'check',
                                         conf_path=path)
        self.assertEqual(2, code, out + err)
        self.assertIn('Result: Failure', out)
        self.assertIn('transport_url', out)
        self.assertNotIn('Traceback', out + err)

    def test_missing_config_file_exits_255(self):
        code, out, err = self.run_status(
            'upgrade', 'check', conf_path=os.path.join(self.dir, 'nope.conf'))
        self.assertEqual(255, code, out + err)
        self.assertIn('aggregates-ext-status: error: ', err)

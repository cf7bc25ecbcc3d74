# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Test base for the Keystone and client tests: class-wide services.

Keystone, Glance and the service processes take seconds to start, so a
test class starts them once in ``setUpClass`` (``setUpClassFixtures``) and
every test of the class shares them; each test then works on aggregates
and images of its own.  The services' log tails are attached to every
test, so a failure shows them.
"""

import json
import os
import subprocess

import fixtures
import testtools

from aggregates_ext.tests.functional import support


class ClassFixturesTestCase(testtools.TestCase):
    """``setUpClassFixtures`` starts fixtures shared by the class's tests."""

    _class_fixtures = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        container = fixtures.Fixture()
        container.setUp()
        cls._class_fixtures = container
        try:
            cls.setUpClassFixtures()
        except BaseException:
            container.cleanUp()
            cls._class_fixtures = None
            raise

    @classmethod
    def tearDownClass(cls):
        if cls._class_fixtures is not None:
            cls._class_fixtures.cleanUp()
            cls._class_fixtures = None
        super().tearDownClass()

    @classmethod
    def setUpClassFixtures(cls):
        pass

    @classmethod
    def useClassFixture(cls, fixture):
        return cls._class_fixtures.useFixture(fixture)

    def setUp(self):
        super().setUp()
        if self._class_fixtures is not None:
            for name, detail in self._class_fixtures.getDetails().items():
                self.addDetail(name, detail)


class CLIResult(object):
    def __init__(self, argv, returncode, stdout, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return '<CLIResult %s rc=%s\nstdout:\n%s\nstderr:\n%s>' % (
            ' '.join(self.argv), self.returncode, self.stdout, self.stderr)


def run_cli(script, args, env_extra=None, timeout=120):
    """Run a console script of this environment; return a CLIResult."""
    argv = [support.bin_path(script)] + list(args)
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['PYTHONWARNINGS'] = 'ignore'
    env.update(env_extra or {})
    proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=timeout)
    return CLIResult(argv, proc.returncode, proc.stdout, proc.stderr)


def parse_table(text):
    """A cliff/prettytable table as a list of rows (lists of cells).

    The first row is the header.  Border lines (``+---+``) are dropped;
    a cell keeps its text, stripped.
    """
    rows = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line.startswith('|'):
            continue
        rows.append([cell.strip() for cell in line.strip('|').split('|')])
    return rows

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

"""Glance and Keystone's venv, and the server they run in.

Keystone and Glance run as subprocesses from a separate virtualenv (made
by ``tools/functional/openstack-venv.sh``), each on a free 127.0.0.1 port
with SQLite in a temporary directory, served by
``tools/functional/serve.py``.  The test process itself needs only the
standard library, ``fixtures``, ``testtools``, ``keystoneauth1`` and
``requests``.
"""

import atexit
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time

from aggregates_ext.tests.functional import processes
from aggregates_ext.tests.functional import support

TOOLS_DIR = os.path.join(support.REPO_ROOT, 'tools', 'functional')
VENV_SCRIPT = os.path.join(TOOLS_DIR, 'openstack-venv.sh')
SERVE_PY = os.path.join(TOOLS_DIR, 'serve.py')


_venv_lock = threading.Lock()
_venv_state = {}


def functional_dir():
    return os.environ.get('AGGREGATES_EXT_FUNCTIONAL_DIR') or os.path.join(
        os.path.expanduser('~'), '.cache', 'aggregates-ext-functional')


def ensure_openstack_venv():
    """Run openstack-venv.sh once per process; return the venv path.

    Skips or fails (see :func:`support.require_or_skip`) if it cannot be
    made; the outcome is remembered, so later callers in the process do
    not retry.
    """
    with _venv_lock:
        if 'path' not in _venv_state and 'error' not in _venv_state:
            _venv_state.update(_make_venv())
    if 'error' in _venv_state:
        support.require_or_skip(_venv_state['error'])
    return _venv_state['path']


def _make_venv():
    base = functional_dir()
    log = os.path.join(base, 'openstack-venv.log')
    lines = []
    try:
        os.makedirs(base, exist_ok=True)
        # Progress goes to the log as it comes (tail -f it on a cold run).
        with open(log, 'a') as f:
            f.write('==== %s (pid %d)\n' % (time.ctime(), os.getpid()))
            f.flush()
            proc = subprocess.Popen(
                ['bash', VENV_SCRIPT], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=processes.clean_env(), text=True, errors='replace')
            for line in proc.stdout:
                lines.append(line.rstrip('\n'))
                f.write(line)
                f.flush()
            rc = proc.wait()
    except OSError as e:
        return {'error': 'OpenStack venv: %s failed: %s' % (VENV_SCRIPT, e)}
    if rc != 0 or not lines:
        return {'error': 'OpenStack venv could not be made (%s exited %d):\n%s'
                         % (VENV_SCRIPT, rc, '\n'.join(lines)[-2000:])}
    return {'path': lines[-1].strip()}


class OpenStackVenv(support.ServiceFixture):
    """The venv with Glance and Keystone (created on first use).

    Attributes: ``path``, ``python``; method ``bin(name)``.
    """

    def _setUp(self):
        self.path = ensure_openstack_venv()
        self.python = os.path.join(self.path, 'bin', 'python')

    def bin(self, name):
        return os.path.join(self.path, 'bin', name)


class ServerFixture(support.ServiceFixture):
    """Common start/stop for Keystone and Glance.

    Subclasses set ``name`` and implement ``_start(deadline)``, which
    calls :meth:`_serve`.  A server that cannot be started skips the test
    (see :func:`support.require_or_skip`).
    """

    name = None

    def __init__(self, venv=None, threaded=False):
        super().__init__()
        self._venv = venv
        self.threaded = threaded

    def _setUp(self):
        if self._venv is None:
            self.venv = self.useFixture(OpenStackVenv()).path
        else:
            self.venv = getattr(self._venv, 'path', self._venv)
        self.dir = self.useFixture(support.WorkDir(self.name)).path
        deadline = time.monotonic() + support.timeout()
        started = time.monotonic()
        try:
            self._start(deadline)
        except (processes.StartError, processes.ProcessExited, OSError,
                sqlite3.Error) as e:
            support.require_or_skip('%s could not be started: %s'
                                    % (self.name, e))
        self.start_seconds = time.monotonic() - started

    def _serve(self, app, env, deadline):
        """Start ``app`` under serve.py; return once it has bound a port."""
        port_file = os.path.join(self.dir, '%s.port' % self.name)
        extra = dict(env, SERVE_PORT_FILE=port_file,
                     SERVE_PARENT_PID=str(os.getpid()))
        if self.threaded:
            extra['SERVE_THREADED'] = '1'
        server = processes.Process(
            self.name,
            [os.path.join(self.venv, 'bin', 'python'), SERVE_PY, app, '0'],
            os.path.join(self.dir, '%s.log' % self.name),
            env=processes.clean_env(self.venv, **extra), cwd=self.dir)
        self.addCleanup(server.stop, 10)
        self.addDetail('%s-log' % self.name, server.log_detail())
        self.server = server
        server.start()
        # serve.py binds port 0 before importing the app: no port race.
        self.port = server.wait_port_file(port_file, deadline)
        return server

    def wait_ready(self, path, deadline):
        """Return once ``GET path`` of the server answers 200."""
        self.server.wait_http('http://127.0.0.1:%d%s' % (self.port, path),
                              deadline)

    @property
    def pid(self):
        return self.server.proc.pid if self.server.proc else None


# Per-process templates: the expensive one-off setup (db sync, keys,
# bootstrap) is done once, then copied for each fixture instance.
_template_lock = threading.Lock()
_templates = {}


def template(kind, venv, build):
    key = (kind, venv)
    with _template_lock:
        if key not in _templates:
            path = tempfile.mkdtemp(prefix='aggext-%s-template-' % kind)
            try:
                build(path)
            except (processes.StartError, OSError) as e:
                shutil.rmtree(path, ignore_errors=True)
                # Remembered: later fixtures in this process fail fast.
                _templates[key] = processes.StartError(
                    'preparing the %s database failed: %s' % (kind, e))
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            else:
                _templates[key] = path
                atexit.register(shutil.rmtree, path, True)
        if isinstance(_templates[key], Exception):
            raise _templates[key]
        return _templates[key]

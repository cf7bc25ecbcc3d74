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

"""Real external services for functional tests.

Keystone and Glance run as subprocesses from a separate virtualenv (made
by ``tools/functional/openstack-venv.sh``), each on a free 127.0.0.1 port
with SQLite in a temporary directory, served by ``tools/functional/serve.py``.
MariaDB, PostgreSQL and RabbitMQ are the machine's own services; the helpers
here give each test a throwaway database or check the broker.

The test process itself needs only the standard library, ``fixtures``,
``testtools``, ``keystoneauth1`` and ``requests`` (plus PyMySQL, psycopg2 or
amqp for the helper that uses them).

Skip or fail: when a service cannot be had, the fixture or helper skips the
test with the reason, unless ``AGGREGATES_EXT_REQUIRE_SERVICES=1`` is set,
in which case it fails (raises :class:`ServiceUnavailable`).

Environment:

``AGGREGATES_EXT_REQUIRE_SERVICES``  ``1``: a missing service is a failure.
``AGGREGATES_EXT_FUNCTIONAL_DIR``    base dir for the OpenStack venv
    (default ``~/.cache/aggregates-ext-functional``).
``AGGREGATES_EXT_OPENSTACK_VENV``    the venv path
    (default ``$BASE/venv-openstack``).
``AGGREGATES_EXT_SERVICE_TIMEOUT``   seconds a server may take to start
    (default 180).
``AGGREGATES_EXT_FUNCTIONAL_KEEP``   ``1``: keep the services' temp dirs
    (their logs).
``AGGREGATES_EXT_MYSQL_URL``         server URL for :func:`mysql_url`
    (default ``mysql+pymysql://root@127.0.0.1:3306``).
``AGGREGATES_EXT_POSTGRESQL_URL``    server URL for :func:`postgresql_url`
    (default ``postgresql+psycopg2://postgres@127.0.0.1:5432``).
``AGGREGATES_EXT_RABBIT_URL``        transport URL for :func:`rabbit_url`
    (default ``rabbit://guest:guest@127.0.0.1:5672/``).
"""

import atexit
import base64
import errno
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

import fixtures
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import requests
from testtools import content

REQUIRE_ENV = 'AGGREGATES_EXT_REQUIRE_SERVICES'

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..'))
TOOLS_DIR = os.path.join(REPO_ROOT, 'tools', 'functional')
VENV_SCRIPT = os.path.join(TOOLS_DIR, 'openstack-venv.sh')
SERVE_PY = os.path.join(TOOLS_DIR, 'serve.py')

LOG_TAIL_BYTES = 16 * 1024


class ServiceUnavailable(Exception):
    """A required external service could not be had."""


def services_required():
    return os.environ.get(REQUIRE_ENV) == '1'


def require_or_skip(reason):
    """Skip the current test, or fail it when services are required.

    Raises ``unittest.SkipTest`` (what ``testtools.TestCase.skipTest``
    raises) with ``reason``, or :class:`ServiceUnavailable` when
    ``AGGREGATES_EXT_REQUIRE_SERVICES=1``.
    """
    if services_required():
        raise ServiceUnavailable('%s (and %s=1)' % (reason, REQUIRE_ENV))
    raise unittest.SkipTest(reason)


def _timeout():
    return float(os.environ.get('AGGREGATES_EXT_SERVICE_TIMEOUT', '180'))


def _keep_dirs():
    return os.environ.get('AGGREGATES_EXT_FUNCTIONAL_KEEP') == '1'


def _tail(path, limit=4000):
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode('utf-8', 'replace')
    except OSError as e:
        return '(no log: %s)' % e


class _ServiceFixture(fixtures.Fixture):
    """Turns a skip raised in _setUp into a plain skip.

    ``fixtures`` wraps any exception from ``_setUp`` in MultipleExceptions
    together with a SetupError, which testtools would report as an error
    next to the skip.
    """

    def setUp(self):
        try:
            super().setUp()
        except fixtures.MultipleExceptions as e:
            first = e.args[0][1]
            if isinstance(first, unittest.SkipTest):
                raise first from None
            raise


# -- the OpenStack venv ------------------------------------------------------

_venv_lock = threading.Lock()
_venv_state = {}


def _functional_dir():
    return os.environ.get('AGGREGATES_EXT_FUNCTIONAL_DIR') or os.path.join(
        os.path.expanduser('~'), '.cache', 'aggregates-ext-functional')


def ensure_openstack_venv():
    """Run openstack-venv.sh once per process; return the venv path.

    Skips or fails (see :func:`require_or_skip`) if it cannot be made; the
    outcome is remembered, so later callers in the process do not retry.
    """
    with _venv_lock:
        if 'path' not in _venv_state and 'error' not in _venv_state:
            _venv_state.update(_make_venv())
    if 'error' in _venv_state:
        require_or_skip(_venv_state['error'])
    return _venv_state['path']


def _make_venv():
    base = _functional_dir()
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
                env=_clean_env(), text=True, errors='replace')
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


class OpenStackVenv(_ServiceFixture):
    """The venv with Glance and Keystone (created on first use).

    Attributes: ``path``, ``python``; method ``bin(name)``.
    """

    def _setUp(self):
        self.path = ensure_openstack_venv()
        self.python = os.path.join(self.path, 'bin', 'python')

    def bin(self, name):
        return os.path.join(self.path, 'bin', name)


def _clean_env(venv=None, **extra):
    """Environment for a child: nothing of the test venv leaks in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV',
                        'PYTHONSTARTUP')
           and not k.startswith('OS_')}
    if venv:
        env['VIRTUAL_ENV'] = venv
        env['PATH'] = os.path.join(venv, 'bin') + os.pathsep + env.get(
            'PATH', '/usr/bin:/bin')
    env['PYTHONWARNINGS'] = 'ignore'
    env['PYTHONUNBUFFERED'] = '1'
    env.update(extra)
    return env


# -- processes ----------------------------------------------------------------

class _StartError(Exception):
    pass


def _run(argv, log, env, cwd, timeout=None):
    """Run a setup command, its output appended to ``log``."""
    with open(log, 'ab') as f:
        f.write(('$ %s\n' % ' '.join(argv)).encode())
        f.flush()
        try:
            rc = subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                 timeout=timeout or _timeout())
        except (OSError, subprocess.TimeoutExpired) as e:
            raise _StartError('%s: %s' % (os.path.basename(argv[0]), e))
    if rc != 0:
        raise _StartError('%s exited %d; %s ends with:\n%s' % (
            ' '.join(os.path.basename(a) for a in argv[:3]), rc, log,
            _tail(log)))


class _Server(object):
    """A WSGI app served by serve.py in its own process group."""

    def __init__(self, name, venv, app, workdir, env, threaded=False):
        self.name = name
        self.log = os.path.join(workdir, '%s.log' % name)
        self._port_file = os.path.join(workdir, '%s.port' % name)
        self._log_cache = None
        extra = dict(env, SERVE_PORT_FILE=self._port_file,
                     SERVE_PARENT_PID=str(os.getpid()))
        if threaded:
            extra['SERVE_THREADED'] = '1'
        self.argv = [os.path.join(venv, 'bin', 'python'), SERVE_PY, app, '0']
        self.env = _clean_env(venv, **extra)
        self.cwd = workdir
        self.proc = None
        self.port = None

    def start(self, deadline):
        with open(self.log, 'ab') as f:
            self.proc = subprocess.Popen(
                self.argv, stdout=f, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                start_new_session=True)
        # serve.py binds port 0 before importing the app: no port race.
        while True:
            try:
                with open(self._port_file) as f:
                    self.port = int(f.read())
                return self.port
            except (OSError, ValueError):
                pass
            self._check_alive()
            if time.monotonic() > deadline:
                raise _StartError('%s did not bind a port in time; %s:\n%s'
                                  % (self.name, self.log, _tail(self.log)))
            time.sleep(0.05)

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise _StartError('%s exited with %s while starting; %s ends '
                              'with:\n%s' % (self.name, self.proc.returncode,
                                             self.log, _tail(self.log)))

    def wait_ready(self, path, deadline, ok=(200,)):
        url = 'http://127.0.0.1:%d%s' % (self.port, path)
        last = None
        while True:
            self._check_alive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _StartError('%s not ready in %ss (last: %s); %s ends '
                                  'with:\n%s' % (self.name, _timeout(), last,
                                                 self.log, _tail(self.log)))
            try:
                # Blocks while the app is still being imported: the
                # connection waits in the listen backlog.
                r = requests.get(url, timeout=min(remaining, 10))
                if r.status_code in ok:
                    return
                last = 'HTTP %s' % r.status_code
            except requests.RequestException as e:
                last = e
            time.sleep(0.2)

    def stop(self):
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group is the pid
        _signal_group(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        # Whatever is left of the group (the server, or children it leaked
        # even after it exited) is killed.
        _signal_group(pgid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None
        self._log_cache = _tail(self.log, LOG_TAIL_BYTES)

    def log_detail(self):
        """A testtools detail: the log tail, kept after the dir is gone."""
        return log_tail_detail(self)


def log_tail_detail(process):
    """A testtools detail of ``process.log``'s tail.

    ``process._log_cache`` holds the tail read when the process stopped,
    so the detail survives the removal of its work directory.
    """
    def get():
        text = process._log_cache
        if text is None:
            text = _tail(process.log, LOG_TAIL_BYTES)
        return [text.encode('utf-8')]
    return content.Content(content.UTF8_TEXT, get)


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        pass


class _WorkDir(fixtures.Fixture):
    """A temp dir, removed at cleanup unless AGGREGATES_EXT_FUNCTIONAL_KEEP."""

    def __init__(self, prefix):
        super().__init__()
        self.prefix = prefix

    def _setUp(self):
        self.path = tempfile.mkdtemp(prefix='aggext-%s-' % self.prefix)
        if not _keep_dirs():
            self.addCleanup(shutil.rmtree, self.path, ignore_errors=True)


class _ServerFixture(_ServiceFixture):
    """Common start/stop for Keystone and Glance."""

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
        self.dir = self.useFixture(_WorkDir(self.name)).path
        deadline = time.monotonic() + _timeout()
        started = time.monotonic()
        try:
            self._start(deadline)
        except (_StartError, OSError, sqlite3.Error) as e:
            require_or_skip('%s could not be started: %s' % (self.name, e))
        self.start_seconds = time.monotonic() - started

    def _serve(self, app, env, deadline):
        server = _Server(self.name, self.venv, app, self.dir, env,
                         threaded=self.threaded)
        self.addCleanup(server.stop)
        self.addDetail('%s-log' % self.name, server.log_detail())
        self.server = server
        server.start(deadline)
        self.port = server.port
        return server

    @property
    def pid(self):
        return self.server.proc.pid if self.server.proc else None


# Per-process templates: the expensive one-off setup (db sync, keys,
# bootstrap) is done once, then copied for each fixture instance.
_template_lock = threading.Lock()
_templates = {}


def _template(kind, venv, build):
    key = (kind, venv)
    with _template_lock:
        if key not in _templates:
            path = tempfile.mkdtemp(prefix='aggext-%s-template-' % kind)
            try:
                build(path)
            except (_StartError, OSError) as e:
                shutil.rmtree(path, ignore_errors=True)
                # Remembered: later fixtures in this process fail fast.
                _templates[key] = _StartError(
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


# -- Keystone ------------------------------------------------------------

class Credentials(object):
    """What a keystoneauth1 v3.Password plugin needs, plus the ids."""

    def __init__(self, username, password, project_name, roles=(),
                 user_id=None, project_id=None):
        self.username = username
        self.password = password
        self.project_name = project_name
        self.user_domain_id = 'default'
        self.project_domain_id = 'default'
        self.roles = tuple(roles)
        self.user_id = user_id
        self.project_id = project_id

    def auth_kwargs(self):
        return dict(username=self.username, password=self.password,
                    project_name=self.project_name,
                    user_domain_id=self.user_domain_id,
                    project_domain_id=self.project_domain_id)

    def __repr__(self):
        return '<Credentials %s@%s %s>' % (self.username, self.project_name,
                                           ','.join(self.roles))


_KS_PLACEHOLDER_URL = 'http://127.0.0.1:1/v3/'

_KEYSTONE_CONF = """\
[DEFAULT]
debug = False

[database]
connection = sqlite:///{dir}/keystone.sqlite

[token]
provider = fernet

[fernet_tokens]
key_repository = {dir}/fernet-keys

[fernet_receipts]
key_repository = {dir}/fernet-keys

[credential]
key_repository = {dir}/credential-keys

[identity]
# test-only: cheap password hashes (must be set before bootstrap)
password_hash_rounds = 4
"""


class KeystoneFixture(_ServerFixture):
    """A fresh Keystone: SQLite, fernet tokens, bootstrapped, seeded.

    :param compute_url: URL of the ``compute`` endpoint in the catalog;
        default ``http://127.0.0.1:<compute_port>/v2.1`` where
        ``compute_port`` is a port free when the fixture started.  Change it
        later with :meth:`add_compute_endpoint`.
    :param image_url: URL of the ``image`` endpoint (none if not given).
        A :class:`GlanceFixture` given this fixture registers its own.
    :param venv: an :class:`OpenStackVenv` (or path); default: made here.
    :param threaded: serve requests in threads (SQLite may then report
        "database is locked" under concurrent writes).

    Attributes: ``auth_url`` (``http://127.0.0.1:PORT/v3``), ``url``,
    ``port``, ``pid``, ``dir``, ``compute_port``, ``compute_url``,
    ``image_url``, ``users`` (name -> :class:`Credentials`), ``admin``,
    ``member``, ``service_user`` (``aggregates-ext``), ``project_ids``,
    ``role_ids``, ``start_seconds``.
    """

    name = 'keystone'
    ADMIN_PASSWORD = 'admin-secret'
    SERVICE_USER = 'aggregates-ext'
    REGION = 'RegionOne'

    def __init__(self, compute_url=None, image_url=None, venv=None,
                 threaded=False):
        super().__init__(venv=venv, threaded=threaded)
        self._compute_url = compute_url
        self.image_url = image_url

    # setup

    def _build_template(self, path):
        with open(os.path.join(path, 'keystone.conf'), 'w') as f:
            f.write(_KEYSTONE_CONF.format(dir=path))
        env = _clean_env(self.venv)
        log = os.path.join(path, 'keystone-manage.log')
        km = [os.path.join(self.venv, 'bin', 'keystone-manage'),
              '--config-file', os.path.join(path, 'keystone.conf')]
        _run(km + ['db_sync'], log, env, path)
        # What "keystone-manage fernet_setup/credential_setup" make (saves
        # two ~2 s runs): a repository with a staged key 0 and a primary
        # key 1, each a urlsafe-base64 32-byte Fernet key.
        for repo in ('fernet-keys', 'credential-keys'):
            os.mkdir(os.path.join(path, repo), 0o700)
            for index in ('0', '1'):
                key_file = os.path.join(path, repo, index)
                fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, 'wb') as f:
                    f.write(base64.urlsafe_b64encode(os.urandom(32)))
        _run(km + ['bootstrap', '--bootstrap-password', self.ADMIN_PASSWORD,
                   '--bootstrap-region-id', self.REGION,
                   '--bootstrap-admin-url', _KS_PLACEHOLDER_URL,
                   '--bootstrap-internal-url', _KS_PLACEHOLDER_URL,
                   '--bootstrap-public-url', _KS_PLACEHOLDER_URL],
             log, env, path)

    def _start(self, deadline):
        template = _template('keystone', self.venv, self._build_template)
        for name in ('keystone.sqlite', 'fernet-keys', 'credential-keys'):
            src = os.path.join(template, name)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(self.dir, name))
            else:
                shutil.copy2(src, os.path.join(self.dir, name))
        conf = os.path.join(self.dir, 'keystone.conf')
        with open(conf, 'w') as f:
            f.write(_KEYSTONE_CONF.format(dir=self.dir))
        server = self._serve('keystone.wsgi.api:application',
                             {'OS_KEYSTONE_CONFIG_FILES': conf}, deadline)
        self.url = 'http://127.0.0.1:%d' % server.port
        self.auth_url = self.url + '/v3'
        # The app is still importing: point the identity endpoints of the
        # copied database at the port we got.
        db = sqlite3.connect(os.path.join(self.dir, 'keystone.sqlite'))
        try:
            with db:
                n = db.execute('UPDATE endpoint SET url = ? WHERE url = ?',
                               (self.auth_url + '/',
                                _KS_PLACEHOLDER_URL)).rowcount
        finally:
            db.close()
        if n != 3:
            raise _StartError('expected 3 identity endpoints, found %d' % n)
        server.wait_ready('/v3', deadline)
        try:
            self._seed()
        except (ks_exc.ClientException, KeyError, ValueError) as e:
            raise _StartError('seeding keystone failed: %s; %s ends with:\n%s'
                              % (e, server.log, _tail(server.log)))

    def _seed(self):
        self.users = {}
        self.project_ids = {}
        self.admin = Credentials('admin', self.ADMIN_PASSWORD, 'admin',
                                 roles=('admin',))
        self.users['admin'] = self.admin
        self._admin_session = self.session(self.admin)
        self.role_ids = {r['name']: r['id']
                         for r in self._get('/roles')['roles']}
        for p in self._get('/projects')['projects']:
            self.project_ids[p['name']] = p['id']
        self.admin.project_id = self.project_ids['admin']
        self.admin.user_id = self._find('users', 'admin')['id']
        self.member = self.create_user('member', project='demo',
                                       roles=('member',))
        self.service_user = self.create_user(
            self.SERVICE_USER, project='service', roles=('admin', 'service'))
        self.compute_port = _free_port()
        self.compute_url = (self._compute_url or
                            'http://127.0.0.1:%d/v2.1' % self.compute_port)
        self.add_compute_endpoint(self.compute_url)
        if self.image_url:
            self.add_image_endpoint(self.image_url)

    # admin API helpers

    _EP = {'service_type': 'identity', 'interface': 'public'}

    def _get(self, path):
        return self._admin_session.get(path, endpoint_filter=self._EP).json()

    def _post(self, path, body):
        return self._admin_session.post(path, json=body,
                                        endpoint_filter=self._EP).json()

    def _find(self, kind, name):
        items = self._get('/%s?name=%s' % (kind, urllib.parse.quote(name)))
        return items[kind][0] if items[kind] else None

    def create_project(self, name):
        """Return the id of project ``name``, creating it if needed."""
        if name not in self.project_ids:
            p = self._find('projects', name) or self._post(
                '/projects', {'project': {'name': name,
                                          'domain_id': 'default'}}
            )['project']
            self.project_ids[name] = p['id']
        return self.project_ids[name]

    def create_user(self, name, password=None, project='demo',
                    roles=('member',)):
        """Create (or reuse) user ``name`` with ``roles`` on ``project``.

        Returns its :class:`Credentials`, also kept in ``users[name]``.
        """
        password = password or '%s-pw' % name
        project_id = self.create_project(project)
        user = self._find('users', name)
        if user is None:
            user = self._post('/users', {'user': {
                'name': name, 'password': password,
                'domain_id': 'default',
                'default_project_id': project_id}})['user']
        for role in roles:
            self._admin_session.put(
                '/projects/%s/users/%s/roles/%s' % (
                    project_id, user['id'], self.role_ids[role]),
                endpoint_filter=self._EP)
        creds = Credentials(name, password, project, roles=roles,
                            user_id=user['id'], project_id=project_id)
        self.users[name] = creds
        return creds

    def delete_user(self, name):
        """Delete user ``name`` (if it exists) and forget it."""
        user = self._find('users', name)
        if user is not None:
            self._admin_session.delete('/users/%s' % user['id'],
                                       endpoint_filter=self._EP)
        self.users.pop(name, None)

    def add_endpoint(self, service_type, url, name=None,
                     interfaces=('public', 'internal', 'admin')):
        """Make ``url`` the (only) endpoint of ``service_type``."""
        services = self._get('/services?type=%s' % service_type)['services']
        if services:
            service_id = services[0]['id']
        else:
            service_id = self._post('/services', {'service': {
                'type': service_type, 'name': name or service_type,
                'enabled': True}})['service']['id']
        for ep in self._get('/endpoints?service_id=%s'
                            % service_id)['endpoints']:
            self._admin_session.delete('/endpoints/%s' % ep['id'],
                                       endpoint_filter=self._EP)
        for interface in interfaces:
            self._post('/endpoints', {'endpoint': {
                'service_id': service_id, 'interface': interface,
                'url': url, 'region_id': self.REGION}})

    def add_compute_endpoint(self, url):
        """Point the catalog's ``compute`` entry at ``url``."""
        self.add_endpoint('compute', url, name='nova')
        self.compute_url = url

    def add_image_endpoint(self, url):
        """Point the catalog's ``image`` entry at ``url``."""
        self.add_endpoint('image', url, name='glance')
        self.image_url = url

    # client helpers

    def _creds(self, user):
        if isinstance(user, Credentials):
            return user
        return self.users[user]

    def auth(self, user='admin'):
        """A keystoneauth1 ``v3.Password`` plugin for ``user``."""
        return v3.Password(auth_url=self.auth_url,
                           **self._creds(user).auth_kwargs())

    def session(self, user='admin'):
        """A keystoneauth1 Session authenticated as ``user``."""
        return ks_session.Session(auth=self.auth(user))

    def token(self, user='admin'):
        """A new project-scoped token (string) for ``user``."""
        return self.session(user).get_token()

    def authtoken_options(self, user=SERVICE_USER):
        """``[keystone_authtoken]`` options for a service run as ``user``."""
        creds = self._creds(user)
        return {'www_authenticate_uri': self.auth_url,
                'auth_url': self.auth_url,
                'auth_type': 'password',
                'username': creds.username,
                'password': creds.password,
                'project_name': creds.project_name,
                'user_domain_id': 'default',
                'project_domain_id': 'default',
                'region_name': self.REGION}


def _free_port():
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
    finally:
        s.close()


# -- Glance --------------------------------------------------------------

# Our own paste file with two flavors: "keystone" (the production pipeline)
# and "headerauth" (test-only: no authtoken, Glance's context middleware
# trusts the X-Identity-Status/X-Roles/X-User-Id/X-Project-Id headers that
# keystonemiddleware would set).
_GLANCE_PASTE = """\
[composite:glance-api-keystone]
paste.composite_factory = glance.api:root_app_factory
/: api
/healthcheck: healthcheck

[composite:glance-api-headerauth]
paste.composite_factory = glance.api:root_app_factory
/: api
/healthcheck: healthcheck

[composite:api]
paste.composite_factory = glance.api:pipeline_factory
keystone = {head} authtoken context rootapp
headerauth = {head} context rootapp

[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app

[app:apiversions]
paste.app_factory = glance.api.versions:create_resource

[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory

[app:healthcheck]
paste.app_factory = oslo_middleware:Healthcheck.app_factory
backends = disable_by_file
disable_by_file_path = {dir}/healthcheck_disable

[filter:versionnegotiation]
paste.filter_factory = {vn}

[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true

[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory

[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
"""

_GLANCE_CONF = """\
[DEFAULT]
debug = False
enabled_backends = fs:file
image_cache_dir = {dir}/cache

[database]
connection = sqlite:///{dir}/glance.sqlite

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = {dir}/images/

[os_glance_staging_store]
filesystem_store_datadir = {dir}/staging/

[os_glance_tasks_store]
filesystem_store_datadir = {dir}/tasks/

[paste_deploy]
flavor = {flavor}
config_file = {dir}/glance-api-paste.ini
"""


class GlanceFixture(_ServerFixture):
    """A fresh Glance: SQLite, file store in a temp dir.

    :param keystone: a started :class:`KeystoneFixture`: Glance then runs
        the real keystonemiddleware pipeline with a ``glance`` service user,
        and is registered as ``image`` in that Keystone's catalog.  Without
        it, the test-only ``headerauth`` pipeline trusts identity headers
        (see :meth:`identity_headers`).
    :param venv: an :class:`OpenStackVenv` (or path); default: made here.
    :param threaded: serve requests in threads.

    Attributes: ``url`` (``http://127.0.0.1:PORT``), ``port``, ``pid``,
    ``dir``, ``images_dir``, ``keystone``, ``project_id``/``user_id`` (the
    identity the headers carry without Keystone), ``start_seconds``.
    """

    name = 'glance'

    def __init__(self, keystone=None, venv=None, threaded=False):
        super().__init__(venv=venv, threaded=threaded)
        self.keystone = keystone
        self.project_id = uuid.uuid4().hex
        self.user_id = uuid.uuid4().hex
        self._token = None

    def _build_template(self, path):
        with open(os.path.join(path, 'glance-api.conf'), 'w') as f:
            f.write(_GLANCE_CONF.format(dir=path, flavor='headerauth'))
        _run([os.path.join(self.venv, 'bin', 'glance-manage'),
              '--config-file', os.path.join(path, 'glance-api.conf'),
              'db_sync'],
             os.path.join(path, 'glance-manage.log'), _clean_env(self.venv),
             path)

    def _start(self, deadline):
        template = _template('glance', self.venv, self._build_template)
        shutil.copy2(os.path.join(template, 'glance.sqlite'),
                     os.path.join(self.dir, 'glance.sqlite'))
        for sub in ('images', 'staging', 'tasks', 'cache'):
            os.makedirs(os.path.join(self.dir, sub))
        self.images_dir = os.path.join(self.dir, 'images')
        with open(os.path.join(self.dir, 'glance-api-paste.ini'), 'w') as f:
            f.write(_GLANCE_PASTE.format(
                dir=self.dir,
                head='cors http_proxy_to_wsgi versionnegotiation osprofiler',
                vn='glance.api.middleware.version_negotiation:'
                   'VersionNegotiationFilter.factory'))
        conf = _GLANCE_CONF.format(
            dir=self.dir,
            flavor='keystone' if self.keystone else 'headerauth')
        if self.keystone is not None:
            try:
                creds = self.keystone.create_user(
                    'glance', project='service', roles=('admin', 'service'))
            except ks_exc.ClientException as e:
                raise _StartError('cannot create the glance user: %s' % e)
            conf += '\n[keystone_authtoken]\n' + ''.join(
                '%s = %s\n' % kv
                for kv in self.keystone.authtoken_options(creds).items())
        with open(os.path.join(self.dir, 'glance-api.conf'), 'w') as f:
            f.write(conf)
        server = self._serve('glance.wsgi.api:application',
                             {'OS_GLANCE_CONFIG_DIR': self.dir}, deadline)
        self.url = 'http://127.0.0.1:%d' % server.port
        server.wait_ready('/healthcheck', deadline)
        if self.keystone is not None:
            try:
                self.keystone.add_image_endpoint(self.url)
            except ks_exc.ClientException as e:
                raise _StartError('cannot register glance in the catalog: '
                                  '%s' % e)

    # client helpers

    def identity_headers(self, project_id=None, user_id=None,
                         roles=('admin', 'member', 'reader')):
        """Headers the ``headerauth`` pipeline trusts (no Keystone)."""
        return {'X-Identity-Status': 'Confirmed',
                'X-Roles': ','.join(roles),
                'X-User-Id': user_id or self.user_id,
                'X-Project-Id': project_id or self.project_id}

    def auth_headers(self):
        """Admin credentials as headers: a Keystone token, or identity."""
        if self.keystone is None:
            return self.identity_headers()
        if self._token is None:
            self._token = self.keystone.token('admin')
        return {'X-Auth-Token': self._token}

    def request(self, method, path, **kwargs):
        headers = dict(self.auth_headers())
        headers.update(kwargs.pop('headers', {}))
        kwargs.setdefault('timeout', 120)
        r = requests.request(method, self.url + path, headers=headers,
                             **kwargs)
        return r

    def _check(self, r, *ok):
        if r.status_code not in ok:
            raise AssertionError('glance %s %s -> %s: %s' % (
                r.request.method, r.request.url, r.status_code, r.text[:500]))
        return r

    def create_image(self, data, disk_format='raw', image_id=None,
                     container_format='bare', visibility='public',
                     name=None, **properties):
        """Create an image, upload ``data``; return the active record.

        The record is Glance's JSON (``id``, ``status``, ``size``,
        ``checksum``, ``os_hash_algo``, ``os_hash_value``, ...).
        """
        body = dict(properties, name=name or 'test-%s' % uuid.uuid4().hex[:8],
                    disk_format=disk_format,
                    container_format=container_format, visibility=visibility)
        if image_id:
            body['id'] = image_id
        image = self._check(self.request('POST', '/v2/images', json=body),
                            201).json()
        self._check(self.request(
            'PUT', '/v2/images/%s/file' % image['id'], data=data,
            headers={'Content-Type': 'application/octet-stream'}), 204)
        return self.get_image(image['id'])

    def get_image(self, image_id):
        return self._check(self.request('GET', '/v2/images/%s' % image_id),
                           200).json()

    def image_data(self, image_id):
        """The image's bytes, downloaded through the API."""
        return self._check(self.request(
            'GET', '/v2/images/%s/file' % image_id), 200).content

    def delete_image(self, image_id):
        self._check(self.request('DELETE', '/v2/images/%s' % image_id), 204)


# -- the machine's MariaDB, PostgreSQL, RabbitMQ ------------------------

def _db_name():
    return 'aggext_%s' % uuid.uuid4().hex[:12]


def _server_url(env, default):
    url = os.environ.get(env) or default
    return urllib.parse.urlsplit(url.rstrip('/'))


def mysql_admin():
    """The MariaDB/MySQL server as its administrator: ``(pymysql, kwargs)``.

    ``kwargs`` are ``pymysql.connect``'s for the server of
    AGGREGATES_EXT_MYSQL_URL (default ``root@127.0.0.1:3306``), without a
    database; skips (see :func:`require_or_skip`) without PyMySQL.
    """
    try:
        import pymysql
    except ImportError as e:
        require_or_skip('MySQL: PyMySQL is not installed (%s)' % e)
    u = _server_url('AGGREGATES_EXT_MYSQL_URL',
                    'mysql+pymysql://root@127.0.0.1:3306')
    kw = dict(host=u.hostname or '127.0.0.1', port=u.port or 3306,
              user=urllib.parse.unquote(u.username or 'root'),
              password=urllib.parse.unquote(u.password or ''),
              connect_timeout=10, autocommit=True)
    return pymysql, kw


def mysql_execute(kw, *statements):
    """Run ``statements`` on a new connection made with ``kw``."""
    import pymysql
    conn = pymysql.connect(**kw)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def mysql_drop_database(kw, name):
    """Drop database ``name``, killing the connections still open to it."""
    import pymysql
    conn = pymysql.connect(**kw)
    try:
        with conn.cursor() as cur:
            # Connections left open (a test's engine pool) would block
            # DROP DATABASE on metadata locks.
            cur.execute('SELECT id FROM information_schema.processlist '
                        'WHERE db = %s AND id != CONNECTION_ID()', (name,))
            for (thread_id,) in cur.fetchall():
                try:
                    cur.execute('KILL %d' % thread_id)
                except pymysql.Error:
                    pass
            cur.execute('DROP DATABASE IF EXISTS `%s`' % name)
    finally:
        conn.close()


def mysql_url():
    """A new empty MariaDB/MySQL database: ``(url, drop)``.

    ``url`` is ``mysql+pymysql://root@127.0.0.1:3306/NAME?charset=utf8mb4``
    (server from AGGREGATES_EXT_MYSQL_URL); ``drop()`` removes the database.
    """
    pymysql, kw = mysql_admin()
    name = _db_name()
    try:
        mysql_execute(kw, 'CREATE DATABASE `%s` CHARACTER SET utf8mb4 '
                          'COLLATE utf8mb4_general_ci' % name)
    except pymysql.Error as e:
        require_or_skip('MySQL at %s:%s is not usable: %s'
                        % (kw['host'], kw['port'], e))

    def drop():
        mysql_drop_database(kw, name)

    netloc = urllib.parse.quote(kw['user'], safe='')
    if kw['password']:
        netloc += ':' + urllib.parse.quote(kw['password'], safe='')
    url = 'mysql+pymysql://%s@%s:%d/%s?charset=utf8mb4' % (
        netloc, kw['host'], kw['port'], name)
    return url, drop


def postgresql_admin():
    """The PostgreSQL server as its superuser: ``(psycopg2, kwargs)``.

    ``kwargs`` are ``psycopg2.connect``'s for the server of
    AGGREGATES_EXT_POSTGRESQL_URL (default ``postgres@127.0.0.1:5432``,
    database ``postgres``); skips (see :func:`require_or_skip`) without
    psycopg2.
    """
    try:
        import psycopg2
    except ImportError as e:
        require_or_skip('PostgreSQL: psycopg2 is not installed (%s)' % e)
    u = _server_url('AGGREGATES_EXT_POSTGRESQL_URL',
                    'postgresql+psycopg2://postgres@127.0.0.1:5432')
    kw = dict(host=u.hostname or '127.0.0.1', port=u.port or 5432,
              user=urllib.parse.unquote(u.username or 'postgres'),
              dbname='postgres', connect_timeout=10)
    if u.password:
        kw['password'] = urllib.parse.unquote(u.password)
    return psycopg2, kw


def postgresql_execute(kw, *statements):
    """Run ``statements`` in autocommit mode on a new connection."""
    import psycopg2
    conn = psycopg2.connect(**kw)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def postgresql_url():
    """A new empty PostgreSQL database: ``(url, drop)``.

    ``url`` is ``postgresql+psycopg2://postgres@127.0.0.1:5432/NAME``
    (server from AGGREGATES_EXT_POSTGRESQL_URL); ``drop()`` removes it,
    ending any connection still open to it.
    """
    psycopg2, kw = postgresql_admin()
    name = _db_name()
    try:
        postgresql_execute(kw, 'CREATE DATABASE "%s" ENCODING \'UTF8\' '
                               'TEMPLATE template0' % name)
    except psycopg2.Error as e:
        require_or_skip('PostgreSQL at %s:%s is not usable: %s'
                        % (kw['host'], kw['port'], str(e).strip()))

    def drop():
        postgresql_execute(kw, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                           % name)

    netloc = urllib.parse.quote(kw['user'], safe='')
    if 'password' in kw:
        netloc += ':' + urllib.parse.quote(kw['password'], safe='')
    url = 'postgresql+psycopg2://%s@%s:%d/%s' % (
        netloc, kw['host'], kw['port'], name)
    return url, drop


def rabbit_url():
    """The machine's RabbitMQ as a transport URL, checked reachable.

    Logs in with the URL's credentials (guest/guest by default) when the
    ``amqp`` library is importable, else checks the AMQP greeting.
    """
    url = (os.environ.get('AGGREGATES_EXT_RABBIT_URL') or
           'rabbit://guest:guest@127.0.0.1:5672/')
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname or '127.0.0.1', u.port or 5672
    try:
        import amqp
    except ImportError:
        amqp = None
    try:
        if amqp is not None:
            vhost = urllib.parse.unquote(u.path[1:]) or '/'
            conn = amqp.Connection(
                host='%s:%d' % (host, port),
                userid=urllib.parse.unquote(u.username or 'guest'),
                password=urllib.parse.unquote(u.password or 'guest'),
                virtual_host=vhost, connect_timeout=10)
            conn.connect()
            conn.close()
        else:
            with socket.create_connection((host, port), timeout=10) as s:
                s.sendall(b'AMQP\x00\x00\x09\x01')
                frame = s.recv(7)
                if not frame or frame[0] != 1:
                    raise OSError(errno.EPROTO, 'no AMQP connection.start')
    except Exception as e:
        require_or_skip('RabbitMQ at %s:%d is not usable: %s: %s'
                        % (host, port, type(e).__name__, e))
    return url


class ThrowawayDatabase(_ServiceFixture):
    """Fixture form of :func:`mysql_url`/:func:`postgresql_url`.

    ``ThrowawayDatabase('mysql')`` or ``('postgresql')``; attribute ``url``.
    """

    def __init__(self, backend):
        super().__init__()
        self.backend = backend

    def _setUp(self):
        make = {'mysql': mysql_url, 'postgresql': postgresql_url}
        self.url, drop = make[self.backend]()
        self.addCleanup(drop)


__all__ = ['Credentials', 'GlanceFixture', 'KeystoneFixture',
           'OpenStackVenv', 'ServiceUnavailable', 'ThrowawayDatabase',
           'ensure_openstack_venv', 'mysql_admin', 'mysql_drop_database',
           'mysql_execute', 'mysql_url', 'postgresql_admin',
           'postgresql_execute', 'postgresql_url',
           'rabbit_url', 'require_or_skip', 'services_required']

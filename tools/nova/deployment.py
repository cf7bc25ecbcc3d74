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

"""A real Nova 34.0.0 deployment from PyPI, for tests.

:class:`NovaDeployment` (a ``fixtures.Fixture``) brings up, on 127.0.0.1
and on free ports only:

* three throwaway databases (``api``, ``cell0``, ``cell1``) on the
  machine's MariaDB or PostgreSQL, and a RabbitMQ virtual host of its own;
* real Placement 16.0.0 (SQLite, ``noauth2``), real Glance 33.0.0
  (SQLite, file store) with one public image, and a test-only Neutron stub
  (``pythonpath/aggext_neutron_stub.py``);
* real ``nova-conductor``, ``nova-scheduler`` (one worker each), N
  ``nova-compute`` (``fake.FakeDriverWithCaching`` by default) and
  ``nova-api`` (``nova.wsgi.osapi_compute`` served by
  ``tools/functional/serve.py``, threaded);

everything from the cached venv of :mod:`tools.nova.novavenv`, each
process in a session of its own and stopped by process group; at cleanup
the databases are dropped and the vhost deleted.

Authentication (``auth``):

``token`` (default)
    nova-api and Glance run the test-only filter
    ``pythonpath/aggext_nova_tokenauth.py`` where keystonemiddleware's
    ``authtoken`` was: ``X-Auth-Token: admin:admin`` is admin,
    ``demo:demo`` a member of project ``demo``.  No Keystone.
``keystone``
    a real Keystone (``keystone.KeystoneFixture``, from the functional
    tests' OpenStack venv; or the one passed as ``keystone``) with nova
    (``compute``) and glance (``image``) in its catalog; nova-api and
    Glance run the stock pipelines with real keystonemiddleware.  Users
    ``admin`` (admin), ``member`` and ``reader`` (project ``demo``).

In both modes Nova reaches Placement and the Neutron stub with the
keystoneauth ``admin_token`` plugin (Placement's ``noauth2`` takes the
token ``admin`` as an admin), and Glance with the caller's token.

For the product's tests:

* ``paste_filters=[PasteFilter(name, factory, {option: value})]`` puts
  filters into both ``keystone =`` pipelines of nova-api's api-paste.ini
  right after ``keystonecontext`` (where ``environ['nova.context']``
  exists); :meth:`NovaDeployment.restart_api` changes them later;
* ``extra_packages=['-e', '/path/to/aggregates-ext']`` installs into a venv
  of its own (the stock one stays as it is), so nova-api imports them;
* :meth:`NovaDeployment.start_process` starts another process (our
  conductor) that is stopped with the rest; :meth:`NovaDeployment.info`
  and the attributes give what it needs: the database URLs, the transport
  URL, ``nova_conf``, ``python`` (the Nova venv's interpreter).

Command line (``python tools/nova/deployment.py --help``): ``up`` runs a
deployment in the foreground until SIGINT/SIGTERM (or ``down``) and writes
``deployment.json`` into its work dir; ``down WORKDIR`` stops one, and
cleans up after one whose owner died.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import fixtures  # noqa: E402
import requests  # noqa: E402

from aggregates_ext.tests.functional import databases  # noqa: E402
from aggregates_ext.tests.functional import rabbit  # noqa: E402
from aggregates_ext.tests.functional import support  # noqa: E402
from tools.nova import novavenv  # noqa: E402
from tools.nova import templates  # noqa: E402

PYTHONPATH_DIR = os.path.join(HERE, 'pythonpath')
SERVE_PY = os.path.join(REPO_ROOT, 'tools', 'functional', 'serve.py')
ENTRY = 'aggext_nova_entry'
CACHING_DRIVER = 'fake.FakeDriverWithCaching'
PLAIN_DRIVER = 'fake.FakeDriver'
TOKEN_FILTER = 'aggext_tokenauth'
# The product's filter, for --with-filter.
PRODUCT_FILTER_FACTORY = 'aggregates_ext.api.router:filter_factory'

PasteFilter = collections.namedtuple('PasteFilter',
                                     'name factory local_conf')
PasteFilter.__new__.__defaults__ = (None,)
PasteFilter.__doc__ = """A Paste filter for nova-api's pipelines.

``name`` (the ``[filter:NAME]`` section), ``factory`` (its
``paste.filter_factory``, ``module:callable``), ``local_conf`` (a dict of
further lines of the section, or None).
"""

# Console scripts of the nova wheel (run through aggext_nova_entry).
_SCRIPTS = {
    'nova-conductor': 'nova.cmd.conductor:main',
    'nova-scheduler': 'nova.cmd.scheduler:main',
    'nova-compute': 'nova.cmd.compute:main',
    'nova-manage': 'nova.cmd.manage:main',
}


class DeploymentError(Exception):
    pass


def _timeout():
    # The whole start-up (and each nova-manage run) must be done by then.
    return float(os.environ.get('AGGREGATES_EXT_NOVA_TIMEOUT') or 900)


def _tail(path, limit=4000):
    return support.tail(path, limit)


def child_env(venv, **extra):
    """An environment for a process of the Nova venv.

    Nothing of the calling venv leaks in (PYTHONPATH, VIRTUAL_ENV, OS_*);
    our helper modules are importable; eventlet stays off in nova-manage.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV',
                        'PYTHONSTARTUP')
           and not k.startswith('OS_')}
    env['VIRTUAL_ENV'] = venv
    env['PATH'] = os.path.join(venv, 'bin') + os.pathsep + env.get(
        'PATH', '/usr/bin:/bin')
    env['PYTHONPATH'] = PYTHONPATH_DIR
    env['PYTHONWARNINGS'] = 'ignore'
    env['PYTHONUNBUFFERED'] = '1'
    env['OS_NOVA_DISABLE_EVENTLET_PATCHING'] = '1'
    env['AGGEXT_PARENT_PID'] = str(os.getpid())
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


# -- processes ----------------------------------------------------------------

class Process(object):
    """A process in a session of its own (its group id is its pid)."""

    def __init__(self, name, argv, log, env=None, cwd=None):
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.env = env
        self.cwd = cwd
        self.proc = None
        self.port = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        with open(self.log, 'ab') as f:
            f.write(('==== %s $ %s\n' % (time.strftime('%H:%M:%S'),
                                         ' '.join(self.argv))).encode())
            f.flush()
            self.proc = subprocess.Popen(
                self.argv, stdout=f, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                start_new_session=True)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise DeploymentError('%s exited with %s; %s ends with:\n%s' % (
                self.name, self.proc.returncode, self.log,
                _tail(self.log)))

    def signal(self, sig):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


def stop_processes(processes, timeout=20):
    """SIGTERM every group at once, SIGKILL what is left after ``timeout``.

    Returns ``{name: seconds}`` (how long each took to go).
    """
    processes = [p for p in processes if p.proc is not None]
    started = time.monotonic()
    for p in processes:
        p.signal(signal.SIGTERM)
    took = {}
    for p in processes:
        remaining = max(0.1, started + timeout - time.monotonic())
        try:
            p.proc.wait(timeout=remaining)
            took[p.name] = time.monotonic() - started
        except subprocess.TimeoutExpired:
            took[p.name] = None  # killed
        # The leader is gone; whatever else was in its group goes too.
        p.signal(signal.SIGKILL)
        try:
            p.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        p.proc = None
    return took


def group_members(pgid):
    """PIDs of the live processes of process group ``pgid``."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces.
        fields = stat[stat.rfind(')') + 2:].split()
        if len(fields) > 2 and fields[0] != 'Z' and int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


def memory_of(pids):
    """``(rss_kib, pss_kib)`` summed over ``pids``."""
    rss = pss = 0
    for pid in pids:
        try:
            with open('/proc/%d/smaps_rollup' % pid) as f:
                for line in f:
                    if line.startswith('Rss:'):
                        rss += int(line.split()[1])
                    elif line.startswith('Pss:'):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def _run(argv, log, env, cwd, timeout):
    with open(log, 'ab') as f:
        f.write(('==== %s $ %s\n' % (time.strftime('%H:%M:%S'),
                                     ' '.join(argv))).encode())
        f.flush()
        try:
            rc = subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                 timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise DeploymentError('%s timed out after %ds; see %s'
                                  % (' '.join(argv[3:6]), timeout, log))
    if rc != 0:
        raise DeploymentError('%s exited %d; %s ends with:\n%s' % (
            ' '.join(os.path.basename(a) for a in argv[:6]), rc, log,
            _tail(log)))


# -- configuration files ------------------------------------------------------

def _ini(sections):
    """``{section: {option: value}}`` as ini text (in the given order)."""
    out = []
    for section, options in sections.items():
        out.append('[%s]' % section)
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            out.append('%s = %s' % (key, value))
        out.append('')
    return '\n'.join(out)


def merge_sections(base, extra):
    """``base`` updated, section by section, with ``extra`` (both dicts)."""
    merged = collections.OrderedDict(
        (s, collections.OrderedDict(o)) for s, o in base.items())
    for section, options in (extra or {}).items():
        merged.setdefault(section, collections.OrderedDict()).update(options)
    return merged


def nova_api_paste(stock_text, auth, filters=()):
    """nova-api's api-paste.ini for ``auth``, with ``filters`` inserted.

    Filters go into both ``keystone =`` pipelines right after
    ``keystonecontext``: they see ``environ['nova.context']``, and the
    microversion header still raw (it is parsed inside the app).  With
    ``auth == 'token'`` keystonemiddleware's ``authtoken`` is replaced by
    the test-only token filter.
    """
    names = [f.name for f in filters]
    lines = []
    found = 0
    for line in stock_text.splitlines():
        if re.match(r'^keystone\s*=', line):
            words = line.split('=', 1)[1].split()
            if 'keystonecontext' not in words or 'authtoken' not in words:
                raise DeploymentError('unexpected pipeline in nova\'s '
                                      'api-paste.ini: %s' % line)
            if auth == 'token':
                words[words.index('authtoken')] = TOKEN_FILTER
            at = words.index('keystonecontext') + 1
            words[at:at] = names
            line = 'keystone = ' + ' '.join(words)
            found += 1
        lines.append(line)
    if found != 2:
        raise DeploymentError('expected 2 "keystone =" pipelines in nova\'s '
                              'api-paste.ini, found %d' % found)
    sections = collections.OrderedDict()
    if auth == 'token':
        sections['filter:%s' % TOKEN_FILTER] = {
            'paste.filter_factory': 'aggext_nova_tokenauth:filter_factory'}
    for f in filters:
        options = collections.OrderedDict(
            [('paste.filter_factory', f.factory)])
        options.update(f.local_conf or {})
        sections['filter:%s' % f.name] = options
    text = '\n'.join(lines) + '\n'
    if sections:
        text += ('\n# -- added by tools/nova/deployment.py\n' +
                 _ini(sections))
    return text


_GLANCE_PASTE = """\
[composite:glance-api-{flavor}]
paste.composite_factory = glance.api:root_app_factory
/: api
/healthcheck: healthcheck

[composite:api]
paste.composite_factory = glance.api:pipeline_factory
{flavor} = cors http_proxy_to_wsgi versionnegotiation osprofiler {auth} \
context rootapp

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
paste.filter_factory = \
glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory

[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true

[filter:aggext_tokenauth]
paste.filter_factory = aggext_nova_tokenauth:filter_factory

[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory

[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
"""


# -- the deployment -----------------------------------------------------------

class NovaDeployment(fixtures.Fixture):
    """Real Nova, Placement and Glance as processes (see the module doc).

    :param db: ``mysql`` (MariaDB) or ``postgresql``.
    :param auth: ``token`` or ``keystone``.
    :param keystone: a started ``keystone.KeystoneFixture`` to use with
        ``auth='keystone'`` (default: one is started).
    :param computes: number of nova-compute services (``compute-1`` ...),
        or a list of virt drivers, one per compute (e.g.
        ``[CACHING_DRIVER, PLAIN_DRIVER]``).
    :param paste_filters: :class:`PasteFilter` s for nova-api.
    :param extra_packages: pip arguments installed into the Nova venv (a
        venv of its own per distinct list).
    :param api_pythonpath: directories put on nova-api's PYTHONPATH
        (before our helper modules).
    :param nova_conf: ``{section: {option: value}}`` merged into nova.conf
        (every Nova service reads it).
    :param notifications: versioned notifications on the broker
        (``messagingv2``); off: ``noop``.
    :param workdir: where configs, logs and state go (default: a new temp
        dir, removed at cleanup unless ``keep``).
    :param keep: keep the work dir.
    :param out: a file for progress lines (default: none).

    After setUp: ``api_url`` (``http://127.0.0.1:PORT/v2.1``),
    ``api_root``, ``placement_url``, ``placement_token``, ``glance_url``,
    ``neutron_url``, ``auth_url`` (Keystone, or None), ``keystone``,
    ``api_db_url``, ``cell0_db_url``, ``cell1_db_url``, ``transport_url``,
    ``vhost``, ``image_id``, ``flavor_id``, ``compute_hosts``,
    ``conductor_host`` (the host of conductor and scheduler), ``venv``,
    ``python``, ``nova_conf``, ``api_paste``, ``etc_dir``, ``log_dir``,
    ``logs`` (name -> path), ``processes`` (name -> :class:`Process`),
    ``start_seconds``, ``timings`` (step -> seconds since start).
    """

    CONDUCTOR_HOST = 'nova-ctl'
    REGION = 'RegionOne'

    def __init__(self, db='mysql', auth='token', keystone=None, computes=2,
                 paste_filters=(), extra_packages=(), api_pythonpath=(),
                 nova_conf=None, notifications=False, workdir=None,
                 keep=False, out=None):
        super().__init__()
        if db not in ('mysql', 'postgresql'):
            raise ValueError('db must be mysql or postgresql, not %r' % db)
        if auth not in ('token', 'keystone'):
            raise ValueError('auth must be token or keystone, not %r' % auth)
        self.db = db
        self.auth = auth
        self.keystone = keystone
        self.auth_url = None
        if isinstance(computes, int):
            computes = [CACHING_DRIVER] * computes
        self.compute_drivers = list(computes)
        self.paste_filters = list(paste_filters)
        self.extra_packages = list(extra_packages)
        self.api_pythonpath = list(api_pythonpath)
        self.extra_nova_conf = nova_conf or {}
        self.notifications = notifications
        self._workdir = workdir
        self.keep = keep
        self.out = out
        self.processes = collections.OrderedDict()
        self.extra_processes = collections.OrderedDict()
        self.logs = collections.OrderedDict()
        self.timings = collections.OrderedDict()
        self._tokens = {}
        self._t0 = None

    # -- progress ---------------------------------------------------------

    def _step(self, what):
        seconds = time.monotonic() - self._t0
        self.timings[what] = round(seconds, 1)
        if self.out is not None:
            self.out.write('[nova] %6.1f s  %s\n' % (seconds, what))
            self.out.flush()

    # -- set-up -----------------------------------------------------------

    def _setUp(self):
        try:
            self.venv = novavenv.ensure(self.extra_packages,
                                        out=self.out or sys.stderr)
        except (novavenv.VenvError, OSError,
                subprocess.SubprocessError) as e:
            support.require_or_skip('the Nova venv could not be made: %s'
                                    % e)
        self.python = os.path.join(self.venv, 'bin', 'python')
        self._t0 = time.monotonic()
        self.deadline = self._t0 + _timeout()
        self._make_dirs()
        self._databases()
        self._broker()
        # From now on deployment.json says what to clean up after a crash
        # ("deployment.py down WORKDIR"); it is rewritten as we go.
        self._write_info()
        # From here on, whatever was started is stopped at cleanup (before
        # the databases and the vhost go: cleanups run last-in first-out).
        self.addCleanup(self.stop)
        self._ks_job = None
        if self.auth == 'keystone':
            # Keystone (db sync, bootstrap: 10-40 s) starts while Placement
            # and nova-manage run; it is needed from Glance on.
            self._ks_job = self._keystone_start()
        started = False
        try:
            self._start_all()
            started = True
        except DeploymentError as e:
            self._write_info()
            raise DeploymentError('%s\n(logs in %s)' % (e, self.log_dir))
        finally:
            # Keystone's own failure, if any, must not hide ours.
            self._keystone_join(raise_error=started)
        self.start_seconds = time.monotonic() - self._t0
        self._step('READY: %d computes up, image %s, flavor %s'
                   % (len(self.compute_hosts), self.image_id,
                      self.flavor_id))
        self._write_info()

    def _make_dirs(self):
        if self._workdir:
            self.workdir = self._workdir
            os.makedirs(self.workdir, exist_ok=True)
        else:
            self.workdir = tempfile.mkdtemp(prefix='aggext-nova-')
            if not self.keep:
                self.addCleanup(shutil.rmtree, self.workdir, True)
        self.etc_dir = os.path.join(self.workdir, 'etc')
        self.log_dir = os.path.join(self.workdir, 'logs')
        self.state_dir = os.path.join(self.workdir, 'state')
        for d in (self.etc_dir, self.log_dir, self.state_dir):
            os.makedirs(d, exist_ok=True)
        for sub in ('nova', 'placement', 'glance'):
            os.makedirs(os.path.join(self.etc_dir, sub), exist_ok=True)

    def _databases(self):
        make = {'mysql': databases.mysql_url,
                'postgresql': databases.postgresql_url}[self.db]
        urls = {}
        for name in ('api', 'cell0', 'cell1'):
            url, drop = make()
            self.addCleanup(drop)
            parts = urllib.parse.urlsplit(url)
            # Nova's own choice for MySQL; psycopg2 takes no charset.
            query = 'charset=utf8' if self.db == 'mysql' else ''
            urls[name] = urllib.parse.urlunsplit(
                parts._replace(query=query))
        self.api_db_url = urls['api']
        self.cell0_db_url = urls['cell0']
        self.cell1_db_url = urls['cell1']
        self._step('databases (%s): %s' % (self.db, ', '.join(
            urllib.parse.urlsplit(u).path[1:] for u in urls.values())))

    def _broker(self):
        vhost = self.useFixture(rabbit.RabbitVhost())
        if not vhost.name:
            support.require_or_skip(
                'a RabbitMQ vhost of its own is needed (rabbitmqctl on a '
                'local broker): Nova names its queues after topics only')
        self.vhost = vhost.name
        self.transport_url = vhost.url
        self._step('rabbitmq vhost %s' % self.vhost)

    def _keystone_start(self):
        result = {}

        def run():
            started = time.monotonic()
            try:
                if self.keystone is None:
                    fixture = templates.CachedKeystoneFixture()
                    # cleaned up by _keystone_join, in our thread
                    result['fixture'] = fixture
                    fixture.setUp()
                ks = result.get('fixture', self.keystone)
                ks.create_user('reader', project='demo', roles=('reader',))
                result['nova'] = ks.create_user(
                    'nova', project='service', roles=('admin', 'service'))
                result['glance'] = ks.create_user(
                    'glance', project='service', roles=('admin', 'service'))
                result['seconds'] = time.monotonic() - started
            except BaseException as e:  # noqa: H201 - re-raised in join
                result['error'] = e

        thread = threading.Thread(target=run, name='keystone-start',
                                  daemon=True)
        thread.start()
        return thread, result

    def _keystone_join(self, raise_error=True):
        """Wait for Keystone; its clean-up joins ours.  Idempotent."""
        if self._ks_job is None:
            return
        thread, result = self._ks_job
        self._ks_job = None
        thread.join()
        fixture = result.get('fixture')
        if fixture is not None:
            # A fixture whose setUp failed has cleaned up already.
            if 'error' not in result:
                self.addCleanup(fixture.cleanUp)
            self.keystone = fixture
        if 'error' in result:
            if raise_error:
                raise result['error']
            return
        self._nova_user = result['nova']
        self._glance_user = result['glance']
        self.auth_url = self.keystone.auth_url
        self.keystone_seconds = result['seconds']
        self._step('keystone %s (took %.1f s, alongside the steps above)'
                   % (self.auth_url, self.keystone_seconds))

    def _start_all(self):
        self._start_side_services()
        if self.auth == 'token':
            self._start_glance()
        # nova-manage needs only the databases and the broker.
        self._write_nova_conf()
        self._nova_manage_all()
        self._keystone_join()
        if self.auth == 'keystone':
            self._start_glance()
        # Now with Glance's URL and [keystone_authtoken].
        self._write_nova_conf()
        self._start_control_services()
        self._start_computes()
        self._upload_image()
        self._wait_api()
        self._create_flavor()
        self._wait_computes()

    # Placement, Glance, the Neutron stub

    def _serve(self, name, app, env, threaded=False, port=0):
        port_file = os.path.join(self.state_dir, '%s.port' % name)
        try:
            os.unlink(port_file)
        except OSError:
            pass
        extra = dict(env, SERVE_PORT_FILE=port_file,
                     SERVE_PARENT_PID=str(os.getpid()))
        if threaded:
            extra['SERVE_THREADED'] = '1'
        proc = self._start(name, [self.python, SERVE_PY, app, str(port)],
                           child_env(self.venv, **extra))
        while True:
            try:
                with open(port_file) as f:
                    proc.port = int(f.read())
                return proc
            except (OSError, ValueError):
                pass
            proc.check_alive()
            if time.monotonic() > self.deadline:
                raise DeploymentError('%s bound no port in time' % name)
            time.sleep(0.05)

    def _start(self, name, argv, env, registry=None, cwd=None):
        log = os.path.join(self.log_dir, '%s.log' % name)
        proc = Process(name, argv, log, env=env, cwd=cwd or self.state_dir)
        (self.processes if registry is None else registry)[name] = proc
        self.logs[name] = log
        proc.start()
        self._write_info()
        return proc

    def _start_side_services(self):
        stub = self._serve('neutron-stub', 'aggext_neutron_stub:application',
                           {'NEUTRON_STUB_LOG': os.path.join(
                               self.log_dir, 'neutron-stub-requests.log')})
        self.neutron_url = 'http://127.0.0.1:%d' % stub.port
        conf = os.path.join(self.etc_dir, 'placement', 'placement.conf')
        with open(conf, 'w') as f:
            f.write(_ini({
                'DEFAULT': {'debug': False},
                'api': {'auth_strategy': 'noauth2'},
                # The schema is made when the app loads: no
                # placement-manage run (about 2 s).
                'placement_database': {
                    'connection': 'sqlite:///%s/placement.sqlite'
                                  % self.state_dir,
                    'sync_on_startup': True},
            }))
        placement = self._serve('placement', 'placement.wsgi.api:application',
                                {'OS_PLACEMENT_CONFIG_DIR':
                                 os.path.dirname(conf)})
        self.placement_url = 'http://127.0.0.1:%d' % placement.port
        self.placement_token = 'admin'
        self._step('neutron stub and placement started (ports %d, %d)'
                   % (stub.port, placement.port))

    def _start_glance(self):
        etc = os.path.join(self.etc_dir, 'glance')
        data = os.path.join(self.state_dir, 'glance')
        for sub in ('images', 'staging', 'tasks', 'cache'):
            os.makedirs(os.path.join(data, sub), exist_ok=True)
        flavor = 'keystone' if self.auth == 'keystone' else 'tokenauth'
        with open(os.path.join(etc, 'glance-api-paste.ini'), 'w') as f:
            f.write(_GLANCE_PASTE.format(
                flavor=flavor, dir=data,
                auth='authtoken' if flavor == 'keystone' else TOKEN_FILTER))
        sections = collections.OrderedDict([
            ('DEFAULT', {'debug': False, 'enabled_backends': 'fs:file',
                         'image_cache_dir': data + '/cache'}),
            ('database', {'connection': 'sqlite:///%s/glance.sqlite'
                                        % data}),
            ('glance_store', {'default_backend': 'fs'}),
            ('fs', {'filesystem_store_datadir': data + '/images/'}),
            ('os_glance_staging_store', {
                'filesystem_store_datadir': data + '/staging/'}),
            ('os_glance_tasks_store', {
                'filesystem_store_datadir': data + '/tasks/'}),
            ('paste_deploy', {'flavor': flavor, 'config_file': os.path.join(
                etc, 'glance-api-paste.ini')}),
        ])
        if self.auth == 'keystone':
            sections['keystone_authtoken'] = self.keystone.authtoken_options(
                self._glance_user)
        conf = os.path.join(etc, 'glance-api.conf')
        with open(conf, 'w') as f:
            f.write(_ini(sections))
        self._glance_schema(conf, os.path.join(data, 'glance.sqlite'))
        glance = self._serve('glance', 'glance.wsgi.api:application',
                             {'OS_GLANCE_CONFIG_DIR': etc})
        self.glance_url = 'http://127.0.0.1:%d' % glance.port
        self._step('glance started (port %d)' % glance.port)

    def _glance_schema(self, conf, target):
        """glance-manage db_sync, or its result from an earlier run."""
        template = os.path.join(templates.template_dir(
            self.venv, 'glance-%s' % templates.stamp(
                self.venv, novavenv.MARKER)), 'glance.sqlite')
        if templates.enabled() and os.path.exists(template):
            shutil.copy2(template, target)
            return
        _run([os.path.join(self.venv, 'bin', 'glance-manage'),
              '--config-file', conf, 'db_sync'],
             os.path.join(self.log_dir, 'glance-manage.log'),
             child_env(self.venv), self.state_dir, _timeout())
        if templates.enabled():
            tmp = '%s.%d.tmp' % (os.path.dirname(template), os.getpid())
            os.makedirs(tmp, exist_ok=True)
            shutil.copy2(target, os.path.join(tmp, 'glance.sqlite'))
            os.makedirs(os.path.dirname(os.path.dirname(template)),
                        exist_ok=True)
            templates.publish(tmp, os.path.dirname(template))

    # Nova

    def nova_sections(self):
        """nova.conf as ``{section: {option: value}}`` (before extras)."""
        s = collections.OrderedDict()
        s['DEFAULT'] = {
            'debug': False,
            'host': self.CONDUCTOR_HOST,
            'my_ip': '127.0.0.1',
            'state_path': os.path.join(self.state_dir, 'nova-ctl'),
            'transport_url': self.transport_url,
            'compute_driver': CACHING_DRIVER,
            # No periodic Neutron polling of the (empty) stub.
            'heal_instance_info_cache_interval': -1,
            # Periodic tasks start at once, not after up to 60 s: the
            # scheduler's host discovery (below) maps new computes within
            # 2 s of their start.
            'periodic_fuzzy_delay': 0,
        }
        s['conductor'] = {'workers': 1}
        s['scheduler'] = {'workers': 1,
                          # maps new computes: no "discover_hosts" run
                          'discover_hosts_in_cells_interval': 2}
        s['api_database'] = {'connection': self.api_db_url}
        s['database'] = {'connection': self.cell1_db_url}
        s['placement'] = {'auth_type': 'admin_token',
                          'endpoint': self.placement_url,
                          'token': self.placement_token}
        s['glance'] = {'endpoint_override': getattr(self, 'glance_url',
                                                    None)}
        s['neutron'] = {'auth_type': 'admin_token',
                        'endpoint': self.neutron_url,
                        'token': 'admin',
                        'endpoint_override': self.neutron_url}
        s['oslo_concurrency'] = {'lock_path': os.path.join(self.state_dir,
                                                           'lock')}
        s['vnc'] = {'enabled': False}
        s['oslo_messaging_notifications'] = {
            'driver': 'messagingv2' if self.notifications else 'noop'}
        s['notifications'] = {'notification_format': 'versioned'}
        if getattr(self, '_nova_user', None) is not None:
            s['keystone_authtoken'] = self.keystone.authtoken_options(
                self._nova_user)
        return s

    def _write_nova_conf(self):
        etc = os.path.join(self.etc_dir, 'nova')
        self.nova_conf = os.path.join(etc, 'nova.conf')
        with open(self.nova_conf, 'w') as f:
            f.write('# written by tools/nova/deployment.py\n')
            f.write(_ini(merge_sections(self.nova_sections(),
                                        self.extra_nova_conf)))
        # nova-manage db sync --local_cell of cell0: the same file with
        # cell0 as the local database.
        self._cell0_conf = os.path.join(etc, 'cell0-sync.conf')
        with open(self._cell0_conf, 'w') as f:
            f.write(_ini({'database': {'connection': self.cell0_db_url}}))
        self.compute_hosts = []
        self.compute_confs = collections.OrderedDict()
        for i, driver in enumerate(self.compute_drivers, 1):
            host = 'compute-%d' % i
            state = os.path.join(self.state_dir, host)
            conf = os.path.join(etc, '%s.conf' % host)
            with open(conf, 'w') as f:
                f.write(_ini({'DEFAULT': {
                    'host': host, 'compute_driver': driver,
                    'state_path': state,
                    'instances_path': os.path.join(state, 'instances')}}))
            self.compute_hosts.append(host)
            self.compute_confs[host] = conf
        self.api_paste = os.path.join(etc, 'api-paste.ini')
        self._write_api_paste()

    def _write_api_paste(self):
        with open(os.path.join(self.venv, 'etc', 'nova',
                               'api-paste.ini')) as f:
            stock = f.read()
        with open(self.api_paste, 'w') as f:
            f.write(nova_api_paste(stock, self.auth, self.paste_filters))

    def nova_command(self, script, *args, config_files=None):
        """argv running a Nova console script from the venv."""
        conf = []
        for path in config_files or [self.nova_conf]:
            conf += ['--config-file', path]
        return [self.python, '-m', ENTRY, _SCRIPTS[script], script] + \
            conf + list(args)

    def nova_manage(self, *args, config_files=None):
        """Run ``nova-manage ARGS`` (output in logs/nova-manage.log)."""
        self.logs.setdefault('nova-manage', os.path.join(
            self.log_dir, 'nova-manage.log'))
        _run(self.nova_command('nova-manage', *args,
                               config_files=config_files),
             self.logs['nova-manage'], child_env(self.venv), self.state_dir,
             _timeout())

    def _in_parallel(self, *jobs):
        """Run the callables at once; raise the first error."""
        # 2 cores, and each nova-manage run is mostly imports.
        errors = []

        def run(job):
            try:
                job()
            except (DeploymentError, OSError) as e:
                errors.append(e)

        threads = [threading.Thread(target=run, args=(job,), daemon=True)
                   for job in jobs[1:]]
        for t in threads:
            t.start()
        run(jobs[0])
        for t in threads:
            t.join()
        if errors:
            raise DeploymentError(str(errors[0]))

    def _map_cells(self):
        self._in_parallel(
            lambda: self.nova_manage('cell_v2', 'map_cell0',
                                     '--database_connection',
                                     self.cell0_db_url),
            lambda: self.nova_manage('cell_v2', 'create_cell', '--name',
                                     'cell1'))

    def _nova_manage_all(self):
        """Schemas (from the templates, or synced) and the cell mappings."""
        usable = templates.enabled() and templates.tools_available(self.db)
        cache = templates.template_dir(self.venv, 'nova-%s-%s' % (
            self.db, templates.stamp(self.venv, novavenv.MARKER)))
        api_sql = os.path.join(cache, 'api.sql')
        cell_sql = os.path.join(cache, 'cell.sql')
        if usable and os.path.exists(cell_sql):
            self._in_parallel(
                lambda: templates.load(self.api_db_url, api_sql),
                lambda: templates.load(self.cell0_db_url, cell_sql),
                lambda: templates.load(self.cell1_db_url, cell_sql))
            self._map_cells()
            self._step('nova schemas loaded from %s; nova-manage cell_v2 '
                       'map_cell0, create_cell' % cache)
            return
        tmp = '%s.%d.tmp' % (cache, os.getpid())
        if usable:
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)

        def api():
            self.nova_manage('api_db', 'sync')
            if usable:
                # before any cell is mapped
                templates.dump(self.api_db_url, os.path.join(tmp, 'api.sql'))

        def cells():
            self.nova_manage('db', 'sync', '--local_cell')
            if usable:
                templates.dump(self.cell1_db_url,
                               os.path.join(tmp, 'cell.sql'))
            self.nova_manage('db', 'sync', '--local_cell',
                             config_files=[self.nova_conf,
                                           self._cell0_conf])

        try:
            self._in_parallel(api, cells)
        except DeploymentError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if usable:
            templates.publish(tmp, cache)
        self._map_cells()
        self._step('nova-manage api_db sync, db sync (cell0, cell1), '
                   'map_cell0, create_cell%s'
                   % ('; schemas kept in %s' % cache if usable else ''))

    def _api_env(self):
        path = os.pathsep.join(self.api_pythonpath + [PYTHONPATH_DIR])
        return {'OS_NOVA_CONFIG_DIR': os.path.dirname(self.nova_conf),
                'OS_NOVA_CONFIG_FILES': 'api-paste.ini;nova.conf',
                'PYTHONPATH': path}

    def _start_api(self, port=0):
        api = self._serve('nova-api', 'nova.wsgi.osapi_compute:application',
                          self._api_env(), threaded=True, port=port)
        self.api_root = 'http://127.0.0.1:%d' % api.port
        self.api_url = self.api_root + '/v2.1'
        return api

    def _start_control_services(self):
        env = child_env(self.venv)
        for name in ('nova-conductor', 'nova-scheduler'):
            self._start(name, self.nova_command(name), env)
        self._start_api()
        if self.auth == 'keystone':
            self.keystone.add_compute_endpoint(self.api_url)
            self.keystone.add_image_endpoint(self.glance_url)
        # A compute that starts before the conductor consumes waits 10 s
        # or more for the answer to its first call.
        self._wait('conductor consuming', self._conductor_consuming,
                   ('nova-conductor',))
        self._step('nova-conductor consuming, nova-scheduler and nova-api '
                   'started (%s)' % self.api_url)

    def _conductor_consuming(self):
        import amqp
        u = urllib.parse.urlsplit(self.transport_url)
        conn = amqp.Connection(
            host='%s:%d' % (u.hostname, u.port or 5672),
            userid=urllib.parse.unquote(u.username or 'guest'),
            password=urllib.parse.unquote(u.password or 'guest'),
            virtual_host=self.vhost, connect_timeout=10)
        try:
            conn.connect()
            ch = conn.channel()
            try:
                _q, _n, consumers = ch.queue_declare('conductor',
                                                     passive=True)
            except amqp.exceptions.NotFound:
                return False
            return consumers > 0
        finally:
            try:
                conn.close()
            except Exception:  # noqa: H201 - closing a dead channel
                pass

    def _start_computes(self):
        env = child_env(self.venv)
        for host in self.compute_hosts:
            argv = self.nova_command('nova-compute', config_files=[
                self.nova_conf, self.compute_confs[host]])
            self._start('nova-%s' % host, argv, env)
        self._step('nova-compute started: %s' % ', '.join(
            '%s (%s)' % (h, d) for h, d in zip(self.compute_hosts,
                                               self.compute_drivers)))

    def _wait(self, what, check, watch=None, interval=0.25):
        last = None
        while True:
            for name in watch or self.processes:
                self.processes[name].check_alive()
            try:
                result = check()
                if result:
                    return result
            except (requests.RequestException, OSError, ValueError,
                    KeyError) as e:
                last = e
            except Exception as e:  # noqa: H201 - amqp/sqlalchemy errors
                last = e
            if time.monotonic() > self.deadline:
                raise DeploymentError('timed out waiting for %s (%ss; last '
                                      'error: %s)' % (what, _timeout(), last))
            time.sleep(interval)

    # -- client helpers ---------------------------------------------------

    USERS = {'admin': ('admin', 'admin', 'admin,member,reader'),
             'member': ('demo', 'demo', 'member,reader'),
             'reader': ('reader', 'demo', 'reader')}

    def token(self, user='admin'):
        """A token for ``admin``, ``member`` or ``reader``.

        Token mode: ``admin:admin``, ``demo:demo``, ``reader:demo:reader``;
        Keystone: a project-scoped token (cached for the deployment).
        """
        if self.auth == 'token':
            name, project, roles = self.USERS[user]
            if user == 'reader':
                return '%s:%s:%s' % (name, project, roles)
            return '%s:%s' % (name, project)
        if user not in self._tokens:
            self._tokens[user] = self.keystone.token(user)
        return self._tokens[user]

    def api(self, method, path, user='admin', microversion=None,
            **kwargs):
        """A request to nova-api (``path`` below ``/v2.1``)."""
        headers = {'X-Auth-Token': self.token(user)}
        if microversion:
            headers['OpenStack-API-Version'] = 'compute %s' % microversion
        headers.update(kwargs.pop('headers', {}))
        kwargs.setdefault('timeout', 120)
        return requests.request(method, self.api_url + path,
                                headers=headers, **kwargs)

    def placement(self, method, path, microversion='1.19', **kwargs):
        headers = {'X-Auth-Token': self.placement_token,
                   'OpenStack-API-Version': 'placement %s' % microversion}
        kwargs.setdefault('timeout', 60)
        return requests.request(method, self.placement_url + path,
                                headers=headers, **kwargs)

    def glance(self, method, path, user='admin', **kwargs):
        headers = {'X-Auth-Token': self.token(user)}
        headers.update(kwargs.pop('headers', {}))
        kwargs.setdefault('timeout', 120)
        return requests.request(method, self.glance_url + path,
                                headers=headers, **kwargs)

    @staticmethod
    def _expect(r, *ok):
        if r.status_code not in ok:
            raise DeploymentError('%s %s -> %s: %s' % (
                r.request.method, r.request.url, r.status_code,
                r.text[:1000]))
        return r

    def _upload_image(self):
        self._wait('glance', lambda: requests.get(
            self.glance_url + '/healthcheck', timeout=10).ok, ('glance',))
        image = self._expect(self.glance('POST', '/v2/images', json={
            'name': 'aggext-nova-image', 'disk_format': 'raw',
            'container_format': 'bare', 'visibility': 'public'}), 201).json()
        self._expect(self.glance(
            'PUT', '/v2/images/%s/file' % image['id'],
            data=bytes(512) + os.urandom(1024 * 1024 - 512),  # no MBR
            headers={'Content-Type': 'application/octet-stream'}), 204)
        self.image_id = image['id']
        self._step('glance image %s active' % self.image_id)

    def _wait_api(self):
        self._wait('nova-api', lambda: self.api(
            'GET', '/os-services', timeout=30).status_code == 200,
            ('nova-api',))

    FLAVOR = {'name': 'aggext.tiny', 'ram': 512, 'vcpus': 1, 'disk': 1,
              'id': '1'}

    def _create_flavor(self):
        r = self._expect(self.api('POST', '/flavors',
                                  json={'flavor': self.FLAVOR}), 200)
        self.flavor_id = r.json()['flavor']['id']

    def _computes_ready(self):
        r = self._expect(self.api('GET', '/os-services',
                                  params={'binary': 'nova-compute'}), 200)
        up = {s['host'] for s in r.json()['services']
              if s['state'] == 'up' and s['status'] == 'enabled'}
        if not set(self.compute_hosts) <= up:
            return False
        r = self._expect(self.api('GET', '/os-hypervisors'), 200)
        hypervisors = {h['hypervisor_hostname'] for h in
                       r.json()['hypervisors'] if h['state'] == 'up'}
        if not set(self.compute_hosts) <= hypervisors:
            return False
        return set(self.compute_hosts) <= set(self.host_mappings())

    def host_mappings(self):
        """Hosts mapped to a cell (what add_host needs), from the API DB."""
        import sqlalchemy
        engine = sqlalchemy.create_engine(
            self.api_db_url, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as conn:
                return [row[0] for row in conn.execute(sqlalchemy.text(
                    'SELECT host FROM host_mappings'))]
        finally:
            engine.dispose()

    def _wait_computes(self):
        self._wait('%d computes up and mapped' % len(self.compute_hosts),
                   self._computes_ready, interval=0.5)
        self._step('computes up, in placement and mapped to cell1')

    # -- the product's hooks ----------------------------------------------

    def start_process(self, name, argv, env=None, cwd=None,
                      clean_env=True):
        """Start another process, stopped (first) with the deployment.

        ``env`` is added to a clean environment (or to ours with
        ``clean_env=False``); ``AGGEXT_NOVA_*`` variables from
        :meth:`service_env` are always there.  Output goes to
        ``logs/NAME.log``.  Returns the :class:`Process`.
        """
        if clean_env:
            base = {k: v for k, v in os.environ.items()
                    if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')
                    and not k.startswith('OS_')}
        else:
            base = dict(os.environ)
        base.update(self.service_env())
        base.update(env or {})
        return self._start(name, argv, base, registry=self.extra_processes,
                           cwd=cwd)

    def bin(self, name):
        """A console script of the Nova venv.

        ``aggregates-ext-conductor`` is there once our package is in
        ``extra_packages``.
        """
        return os.path.join(self.venv, 'bin', name)

    def write_config(self, name, sections):
        """Write ``etc/NAME`` from ``{section: {option: value}}``.

        For a process of ours: e.g. ``[api_database] connection =
        dep.api_db_url``, ``[DEFAULT] transport_url = dep.transport_url``.
        Returns the path.
        """
        path = os.path.join(self.etc_dir, name)
        with open(path, 'w') as f:
            f.write(_ini(sections))
        return path

    def stop_process(self, name, timeout=20):
        """Stop a process by name (an extra one or a Nova service)."""
        proc = self.extra_processes.get(name) or self.processes[name]
        return stop_processes([proc], timeout=timeout)

    def service_env(self):
        """What another service needs to join this Nova, as env vars."""
        return {
            'AGGEXT_NOVA_API_DB_URL': self.api_db_url,
            'AGGEXT_NOVA_CELL0_DB_URL': self.cell0_db_url,
            'AGGEXT_NOVA_CELL1_DB_URL': self.cell1_db_url,
            'AGGEXT_NOVA_TRANSPORT_URL': self.transport_url,
            'AGGEXT_NOVA_CONF': self.nova_conf,
            'AGGEXT_NOVA_API_URL': self.api_url,
            'AGGEXT_NOVA_PLACEMENT_URL': self.placement_url,
            'AGGEXT_NOVA_GLANCE_URL': self.glance_url,
            'AGGEXT_NOVA_IMAGE_ID': self.image_id,
        }

    def restart_api(self, paste_filters=None, api_pythonpath=None):
        """Restart nova-api on the same port, with other filters.

        ``paste_filters``: the new list (None: unchanged).
        """
        if paste_filters is not None:
            self.paste_filters = list(paste_filters)
        if api_pythonpath is not None:
            self.api_pythonpath = list(api_pythonpath)
        port = self.processes['nova-api'].port
        stop_processes([self.processes['nova-api']])
        self._write_api_paste()
        self.deadline = time.monotonic() + _timeout()
        self._start_api(port=port)
        self._wait_api()

    def memory(self):
        """``{name: (processes, rss_kib, pss_kib)}`` of every process."""
        result = collections.OrderedDict()
        everything = list(self.processes.values()) + list(
            self.extra_processes.values())
        if self.keystone is not None and getattr(self.keystone, 'pid',
                                                 None):
            keystone = Process('keystone', [], None)
            keystone.proc = self.keystone.server.proc
            everything.append(keystone)
        for p in everything:
            if p.alive():
                pids = group_members(p.pid)
                rss, pss = memory_of(pids)
                result[p.name] = (len(pids), rss, pss)
        return result

    def info(self):
        """What the tests need, JSON-serialisable."""
        names = ('db', 'auth', 'workdir', 'venv', 'python', 'api_url',
                 'api_root', 'placement_url', 'placement_token',
                 'glance_url', 'neutron_url', 'auth_url', 'api_db_url',
                 'cell0_db_url', 'cell1_db_url', 'transport_url', 'vhost',
                 'image_id', 'flavor_id', 'compute_hosts', 'compute_drivers',
                 'nova_conf', 'api_paste', 'log_dir', 'start_seconds')
        data = collections.OrderedDict(
            (n, getattr(self, n, None)) for n in names)
        data['conductor_host'] = self.CONDUCTOR_HOST
        data['paste_filters'] = [f._asdict() for f in self.paste_filters]
        data['tokens'] = ({u: self.token(u) for u in self.USERS}
                          if self.auth == 'token' else None)
        data['users'] = {u: {'username': self.USERS[u][0],
                             'project_name': self.USERS[u][1]}
                         for u in self.USERS}
        if self.auth == 'keystone' and self.keystone is not None:
            data['users'] = {u: {'username': c.username,
                                 'password': c.password,
                                 'project_name': c.project_name}
                             for u, c in self.keystone.users.items()
                             if u in self.USERS}
        data['logs'] = dict(self.logs)
        data['pgids'] = {p.name: p.pid for p in list(
            self.processes.values()) + list(self.extra_processes.values())
            if p.pid}
        data['timings'] = dict(self.timings)
        return data

    def _write_info(self):
        path = os.path.join(self.workdir, 'deployment.json')
        try:
            data = self.info()
        except Exception as e:  # noqa: H201 - a partial deployment
            data = {'error': str(e), 'workdir': self.workdir}
        data['owner_pid'] = os.getpid()
        with open(path + '.tmp', 'w') as f:
            json.dump(data, f, indent=2, default=str)
        os.replace(path + '.tmp', path)

    # -- tear-down --------------------------------------------------------

    def stop(self):
        """Stop every process: ours first, then nova-api, then the rest."""
        t0 = time.monotonic()
        took = {}
        took.update(stop_processes(list(self.extra_processes.values())))
        if 'nova-api' in self.processes:
            took.update(stop_processes([self.processes['nova-api']]))
        took.update(stop_processes(list(self.processes.values())))
        self.stop_seconds = time.monotonic() - t0
        self.stop_times = took
        if self.out is not None:
            killed = sorted(n for n, s in took.items() if s is None)
            self.out.write('[nova] stopped in %.1f s%s\n' % (
                self.stop_seconds,
                ' (killed after 20 s: %s)' % ', '.join(killed)
                if killed else ''))
            self.out.flush()


def format_memory(memory):
    """Lines for :meth:`NovaDeployment.memory`'s result, with a total."""
    lines = []
    total_rss = total_pss = total_n = 0
    for name, (n, rss, pss) in memory.items():
        lines.append('%-18s %2d proc  RSS %7.1f MiB  PSS %7.1f MiB'
                     % (name, n, rss / 1024.0, pss / 1024.0))
        total_n += n
        total_rss += rss
        total_pss += pss
    lines.append('%-18s %2d proc  RSS %7.1f MiB  PSS %7.1f MiB'
                 % ('TOTAL', total_n, total_rss / 1024.0,
                    total_pss / 1024.0))
    return lines


# -- command line -------------------------------------------------------------

def _down(workdir, out):
    """Stop a deployment left by ``up`` (its owner first, else by hand)."""
    path = os.path.join(workdir, 'deployment.json')
    with open(path) as f:
        data = json.load(f)
    owner = data.get('owner_pid')
    if owner and _pid_alive(owner):
        out.write('stopping the owner (pid %d)\n' % owner)
        os.kill(owner, signal.SIGTERM)
        for _ in range(1200):
            if not _pid_alive(owner):
                return 0
            time.sleep(0.1)
        out.write('owner still alive after 120 s\n')
        return 1
    # The owner died without cleaning up: kill the groups it left, drop
    # the databases, delete the vhost.
    for name, pgid in (data.get('pgids') or {}).items():
        if group_members(pgid):
            out.write('killing %s (group %d)\n' % (name, pgid))
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
    for key in ('api_db_url', 'cell0_db_url', 'cell1_db_url'):
        if data.get(key):
            _drop_database(data[key], out)
    if data.get('vhost'):
        subprocess.call(['rabbitmqctl', '-q', 'delete_vhost', data['vhost']])
        out.write('deleted vhost %s\n' % data['vhost'])
    return 0


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _drop_database(url, out):
    import sqlalchemy
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip('/')
    server = urllib.parse.urlunsplit(parts._replace(
        path='/postgres' if parts.scheme.startswith('postgresql') else '/',
        query=''))
    engine = sqlalchemy.create_engine(server, isolation_level='AUTOCOMMIT')
    try:
        with engine.connect() as conn:
            if parts.scheme.startswith('postgresql'):
                conn.execute(sqlalchemy.text(
                    'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name))
            else:
                conn.execute(sqlalchemy.text(
                    'DROP DATABASE IF EXISTS `%s`' % name))
        out.write('dropped database %s\n' % name)
    finally:
        engine.dispose()


def build_parser():
    parser = argparse.ArgumentParser(
        description='A real Nova 34.0.0 deployment for tests.')
    sub = parser.add_subparsers(dest='command', required=True)
    up = sub.add_parser('up', help='run a deployment in the foreground '
                                   'until SIGINT/SIGTERM')
    add_deployment_options(up)
    down = sub.add_parser('down', help='stop the deployment of WORKDIR')
    down.add_argument('workdir')
    sub.add_parser('venv', help='make the cached Nova venv, print its path')
    return parser


def add_deployment_options(parser):
    parser.add_argument('--db', choices=('mysql', 'postgresql'),
                        default='mysql')
    parser.add_argument('--auth', choices=('token', 'keystone'),
                        default='token')
    parser.add_argument('--computes', type=int, default=2,
                        help='nova-compute services (default 2)')
    parser.add_argument('--plain-driver', action='store_true',
                        help='the last compute runs fake.FakeDriver (no '
                             'image cache) instead of '
                             'fake.FakeDriverWithCaching')
    parser.add_argument('--with-filter', action='store_true',
                        help='put %s into nova-api\'s pipelines (after '
                             'keystonecontext) and install this checkout '
                             'into the Nova venv (-e)'
                             % PRODUCT_FILTER_FACTORY)
    parser.add_argument('--filter', action='append', default=[],
                        metavar='NAME=MODULE:FACTORY',
                        help='another Paste filter for nova-api (repeat)')
    parser.add_argument('--install', action='append', default=[],
                        metavar='PIP_ARG', help='pip argument for the Nova '
                        'venv (repeat; e.g. --install=-e --install=PATH)')
    parser.add_argument('--notifications', action='store_true')
    parser.add_argument('--workdir', help='default: a new temp dir')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work dir (configs, logs)')


def deployment_from_args(args, out):
    drivers = [CACHING_DRIVER] * args.computes
    if args.plain_driver and drivers:
        drivers[-1] = PLAIN_DRIVER
    filters = []
    install = list(args.install)
    if args.with_filter:
        filters.append(PasteFilter('aggregates_ext', PRODUCT_FILTER_FACTORY))
        install += ['-e', REPO_ROOT]
    for spec in args.filter:
        name, _, factory = spec.partition('=')
        filters.append(PasteFilter(name, factory))
    return NovaDeployment(db=args.db, auth=args.auth, computes=drivers,
                          paste_filters=filters, extra_packages=install,
                          notifications=args.notifications,
                          workdir=args.workdir, keep=args.keep, out=out)


def _up(args, out):
    stop = threading.Event()

    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    os.environ.setdefault(support.REQUIRE_ENV, '1')
    deployment = deployment_from_args(args, out)
    with deployment:
        info = deployment.info()
        out.write(json.dumps(info, indent=2, default=str) + '\n')
        out.write('\n'.join(format_memory(deployment.memory())) + '\n')
        out.write('up in %.1f s; info in %s/deployment.json; stop with '
                  'Ctrl-C or "%s down %s"\n' % (
                      deployment.start_seconds, deployment.workdir,
                      sys.argv[0], deployment.workdir))
        out.flush()
        while not stop.wait(1):
            pass
        out.write('stopping\n')
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    out = sys.stdout
    if args.command == 'venv':
        out.write(novavenv.ensure(out=sys.stderr) + '\n')
        return 0
    if args.command == 'down':
        return _down(args.workdir, out)
    return _up(args, out)


if __name__ == '__main__':
    sys.exit(main())

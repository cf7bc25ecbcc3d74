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

"""The service as deployers run it: one process per service.

:class:`Deployment` writes a configuration file and starts, as
subprocesses of the test, the console scripts ``aggregates-ext-manage db
sync``, ``aggregates-ext-api`` (cheroot, on a free port),
``aggregates-ext-conductor`` and N ``aggregates-ext-compute`` agents
(``[DEFAULT] host = compute-N``, the ``libvirt`` image cache below their own
``instances_path``), all talking over the machine's RabbitMQ
(:func:`services.rabbit_url`) in a virtual host of their own
(:class:`RabbitVhost`), so that other test runs on the same broker never
see our messages.  The database is a throwaway MariaDB database by
default: the API and the conductor are two processes writing to it, which
SQLite does not bear (concurrent writers get "database is locked").

Authentication is ``noauth2`` or ``keystone`` (a started
:class:`services.KeystoneFixture`; the API is then registered as that
Keystone's ``compute`` endpoint and runs keystonemiddleware with the
fixture's ``[keystone_authtoken]`` options).

Images come from a real Glance (:class:`services.GlanceFixture`).  With
Keystone, the API and the agents authenticate to it as the
``aggregates-ext`` service user and find it in the catalog.  Without
Keystone, the Glance fixture runs its test-only ``headerauth`` pipeline;
:class:`GlanceAuthProxy` stands in front of it in the role of
keystonemiddleware, turning the noauth2 token (``user:project``) into the
identity headers Glance trusts, so that clients, and our services passing
on the caller's token (``[glance] endpoint_override`` without
``auth_type``), reach that Glance with the token given to the API.

This module is also used outside of tests (``tools/tempest/run.py``).
"""

import configparser
import ctypes
import hashlib
import http.client
import http.server
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

import requests
import sqlalchemy

from aggregates_ext.tests.functional import services

COMPUTE_BINARY = 'aggregates-ext-compute'
LOG_TAIL_BYTES = services.LOG_TAIL_BYTES


def _timeout():
    return float(os.environ.get('AGGREGATES_EXT_SERVICE_TIMEOUT', '180'))


def bin_path(name):
    """A console script of the running interpreter's environment."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(candidate):
        return candidate
    found = shutil.which(name)
    if found:
        return found
    raise services.ServiceUnavailable('console script %s not found next to '
                                      '%s nor on PATH' % (name,
                                                          sys.executable))


def libvirt_cache_name(image_id):
    """File name nova-compute's libvirt driver gives a cached image."""
    return hashlib.sha1(image_id.encode('utf-8')).hexdigest()


def _pdeathsig():
    # Linux: the child gets SIGKILL when the test process dies, so a run
    # that crashes leaves no services behind.
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class StartError(Exception):
    pass


class Process(object):
    """One service process, in its own process group, logging to a file."""

    def __init__(self, name, argv, log, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log = log
        self.env = env
        self.cwd = cwd
        self.proc = None
        self._log_cache = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        with open(self.log, 'ab') as f:
            self.proc = subprocess.Popen(
                self.argv, stdout=f, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                start_new_session=True, preexec_fn=_pdeathsig)
        return self

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise StartError('%s exited with %s; %s ends with:\n%s' % (
                self.name, self.proc.returncode, self.log,
                services._tail(self.log)))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        if self.proc is None:
            return
        pgid = self.proc.pid
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
            try:
                os.killpg(pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=wait)
                if sig == signal.SIGTERM:
                    # Leftover children of the group, if any.
                    try:
                        os.killpg(pgid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None
        self._log_cache = services._tail(self.log, LOG_TAIL_BYTES)

    def log_detail(self):
        return services.log_tail_detail(self)


# -- Glance without Keystone ------------------------------------------------

_HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-authenticate',
               'proxy-authorization', 'te', 'trailers', 'transfer-encoding',
               'upgrade'}


class GlanceAuthProxy(services._ServiceFixture):
    """keystonemiddleware's part, for a ``headerauth`` Glance, in-process.

    Listens on a free 127.0.0.1 port and forwards every request to the
    Glance fixture.  A request with ``X-Auth-Token: user:project`` (the
    noauth2 convention) gets the identity headers Glance trusts: the user
    ``admin`` has the roles admin, member and reader in the Glance fixture's
    project; anyone else is member and reader of ``project``.  Identity
    headers sent by the client are dropped; a request without a token is
    forwarded without identity (Glance answers 401).

    Attribute ``url``: the proxy's root URL (what a catalog would list).
    """

    def __init__(self, glance):
        super().__init__()
        self.glance = glance

    def identity(self, token):
        user, _sep, project = token.partition(':')
        if user == 'admin':
            return self.glance.identity_headers()
        return self.glance.identity_headers(
            project_id=project or user, user_id=user,
            roles=('member', 'reader'))

    def _setUp(self):
        target = urllib.parse.urlsplit(self.glance.url)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in _HOP_BY_HOP and
                           not k.lower().startswith('x-identity') and
                           k.lower() not in ('x-roles', 'x-user-id',
                                             'x-project-id')}
                token = self.headers.get('X-Auth-Token')
                if token:
                    headers.update(proxy.identity(token))
                conn = http.client.HTTPConnection(
                    target.hostname, target.port, timeout=300)
                try:
                    conn.request(self.command, self.path, body=body,
                                 headers=headers)
                    resp = conn.getresponse()
                    self.send_response_only(resp.status, resp.reason)
                    out = [(k, v) for k, v in resp.getheaders()
                           if k.lower() not in _HOP_BY_HOP]
                    chunked = resp.getheader('Content-Length') is None and (
                        self.command != 'HEAD' and
                        resp.status not in (204, 304))
                    for k, v in out:
                        self.send_header(k, v)
                    if chunked:
                        self.send_header('Transfer-Encoding', 'chunked')
                    self.send_header('Connection', 'close')
                    self.end_headers()
                    while True:
                        chunk = resp.read(1024 * 1024)
                        if not chunk:
                            break
                        if chunked:
                            self.wfile.write(b'%x\r\n' % len(chunk))
                            self.wfile.write(chunk + b'\r\n')
                        else:
                            self.wfile.write(chunk)
                    if chunked:
                        self.wfile.write(b'0\r\n\r\n')
                finally:
                    conn.close()
                self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _forward
            do_DELETE = _forward

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        thread = threading.Thread(target=self.server.serve_forever,
                                  name='glance-auth-proxy', daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)


# -- RabbitMQ ---------------------------------------------------------------

class RabbitVhost(services._ServiceFixture):
    """A virtual host of its own on the machine's RabbitMQ.

    oslo.messaging's rabbit driver names a topic's queue after the topic
    alone (``control_exchange`` only names the exchange it is bound to), so
    two deployments on one virtual host share their conductor and agent
    queues and take each other's messages.  A throwaway vhost, made with
    ``rabbitmqctl`` (the broker is the machine's), keeps runs apart; it is
    deleted at cleanup.  Without ``rabbitmqctl`` (a remote broker) the URL
    of :func:`services.rabbit_url` is used as it is.

    Attributes: ``url``, ``vhost`` (None when shared).
    """

    def __init__(self, base_url=None):
        super().__init__()
        self.base_url = base_url

    def _ctl(self, *args):
        ctl = shutil.which('rabbitmqctl')
        if ctl is None:
            raise OSError('rabbitmqctl not found')
        proc = subprocess.run([ctl, '-q'] + list(args), capture_output=True,
                              text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise OSError('rabbitmqctl %s: %s' % (' '.join(args),
                                                  proc.stderr.strip()))

    def _setUp(self):
        base = self.base_url or services.rabbit_url()
        parts = urllib.parse.urlsplit(base)
        self.vhost = None
        self.url = base
        if parts.hostname not in ('127.0.0.1', 'localhost', '::1'):
            return
        vhost = 'aggext-%s' % uuid.uuid4().hex[:12]
        try:
            self._ctl('add_vhost', vhost)
        except (OSError, subprocess.SubprocessError):
            return
        self.addCleanup(self._delete, vhost)
        user = urllib.parse.unquote(parts.username or 'guest')
        try:
            self._ctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*')
        except (OSError, subprocess.SubprocessError) as e:
            services.require_or_skip('RabbitMQ vhost %s: %s' % (vhost, e))
        self.vhost = vhost
        self.url = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, '/' + vhost, parts.query, ''))

    def _delete(self, vhost):
        try:
            self._ctl('delete_vhost', vhost)
        except (OSError, subprocess.SubprocessError):
            pass


# -- the deployment ---------------------------------------------------------

class Deployment(services._ServiceFixture):
    """aggregates-ext-api, -conductor and N -compute agents as processes.

    :param auth_strategy: ``noauth2`` or ``keystone``.
    :param keystone: a started ``KeystoneFixture`` (required for
        ``keystone``; the API becomes its ``compute`` endpoint).
    :param image_url: the Glance root URL the services use (a Glance
        fixture's ``url`` or a :class:`GlanceAuthProxy`'s); with Keystone
        it is found in the catalog instead and this may be None.
    :param agents: number of compute agents (``compute-0`` …).
    :param conductor: start a conductor.
    :param transport_url: default: a :class:`RabbitVhost` of the
        machine's RabbitMQ (:func:`services.rabbit_url`).
    :param base_dir: directory for config, database, logs and the agents'
        instances paths; default: a temp dir (removed at cleanup unless
        AGGREGATES_EXT_FUNCTIONAL_KEEP=1).
    :param database: ``mysql`` (default), ``postgresql`` (a throwaway
        database on the machine's server, see
        :class:`services.ThrowawayDatabase`) or ``sqlite`` (a file shared by
        the API and conductor processes).
    :param extra_config: ``{section: {option: value}}`` added to the
        common configuration file.

    Attributes: ``url`` (``http://127.0.0.1:PORT``), ``endpoint``
    (``url + '/v2.1'``), ``port``, ``dir``, ``config_file``, ``hosts``,
    ``processes`` (name -> :class:`Process`), ``start_seconds``.
    """

    def __init__(self, auth_strategy='noauth2', keystone=None,
                 image_url=None, agents=2, conductor=True,
                 transport_url=None, base_dir=None, extra_config=None,
                 host_prefix='compute', database='mysql'):
        super().__init__()
        self.database = database
        if auth_strategy == 'keystone' and keystone is None:
            raise ValueError('the keystone strategy needs a KeystoneFixture')
        self.auth_strategy = auth_strategy
        self.keystone = keystone
        self.image_url = image_url
        self.hosts = ['%s-%d' % (host_prefix, i) for i in range(agents)]
        self.with_conductor = conductor
        self.transport_url = transport_url
        self.base_dir = base_dir
        self.extra_config = extra_config or {}
        self.processes = {}
        self._engine = None

    # -- paths --------------------------------------------------------------

    def instances_path(self, host):
        return os.path.join(self.dir, host, 'instances')

    def cache_dir(self, host):
        """The libvirt image cache of ``host``: ``<instances_path>/_base``."""
        return os.path.join(self.instances_path(host), '_base')

    def cache_path(self, host, image_id):
        return os.path.join(self.cache_dir(host),
                            libvirt_cache_name(image_id))

    def log_path(self, name):
        return os.path.join(self.dir, '%s.log' % name)

    # -- setup --------------------------------------------------------------

    def _setUp(self):
        started = time.monotonic()
        if self.base_dir:
            os.makedirs(self.base_dir, exist_ok=True)
            self.dir = tempfile.mkdtemp(prefix='aggext-deploy-',
                                        dir=self.base_dir)
        else:
            self.dir = tempfile.mkdtemp(prefix='aggext-deploy-')
            if os.environ.get('AGGREGATES_EXT_FUNCTIONAL_KEEP') != '1':
                self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        transport_url = self.transport_url
        if transport_url is None:
            transport_url = self.useFixture(RabbitVhost()).url
        self.port = services._free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.endpoint = self.url + '/v2.1'
        self.db_path = os.path.join(self.dir, 'aggregates-ext.sqlite')
        if self.database == 'sqlite':
            self.db_url = 'sqlite:///' + self.db_path
        else:
            self.db_url = self.useFixture(
                services.ThrowawayDatabase(self.database)).url
        self.config_file = os.path.join(self.dir, 'aggregates-ext.conf')
        self._write_config(transport_url)
        env = dict(os.environ, PYTHONWARNINGS='ignore', PYTHONUNBUFFERED='1')
        for key in list(env):
            if key.startswith('OS_'):
                del env[key]
        self.env = env
        try:
            self._manage('db', 'sync')
            if self.with_conductor:
                self._start('conductor', 'aggregates-ext-conductor',
                            self.config_file)
            self._start('api', 'aggregates-ext-api', self.config_file)
            for host in self.hosts:
                self._start(host, 'aggregates-ext-compute', self.config_file,
                            self._write_agent_config(host))
            deadline = time.monotonic() + _timeout()
            self._wait_api(deadline)
            if self.hosts:
                self.wait_for_hosts(deadline=deadline)
        except (StartError, OSError) as e:
            services.require_or_skip('aggregates-ext could not be started: '
                                     '%s' % e)
        if self.keystone is not None:
            self.keystone.add_compute_endpoint(self.endpoint)
        self.start_seconds = time.monotonic() - started

    def _config(self, transport_url):
        c = {
            'DEFAULT': {
                'host': 'controller',
                'state_path': self.dir,
                'transport_url': transport_url,
                'debug': 'True',
                'use_stderr': 'True',
            },
            'database': {'connection': self.db_url},
            'api': {
                'auth_strategy': self.auth_strategy,
                'bind_host': '127.0.0.1',
                'bind_port': str(self.port),
                'response_validation': 'error',
            },
            'image': {'source': 'glance'},
            'image_cache': {'driver': 'libvirt',
                            'reserved_disk_mb': '16'},
            'glance': {},
        }
        if self.keystone is not None:
            c['keystone_authtoken'] = dict(self.keystone.authtoken_options())
            creds = self.keystone.service_user
            c['glance'].update({
                'auth_type': 'password',
                'auth_url': self.keystone.auth_url,
                'username': creds.username,
                'password': creds.password,
                'project_name': creds.project_name,
                'user_domain_id': 'default',
                'project_domain_id': 'default',
                'region_name': self.keystone.REGION,
            })
            if self.image_url:
                c['glance']['endpoint_override'] = self.image_url
        elif self.image_url:
            # No service user: the API and the agents pass on the token of
            # the request (the noauth2 one, which GlanceAuthProxy accepts).
            c['glance']['endpoint_override'] = self.image_url
        for section, options in self.extra_config.items():
            c.setdefault(section, {}).update(options)
        return c

    def _write_config(self, transport_url):
        parser = configparser.RawConfigParser()
        for section, options in self._config(transport_url).items():
            if section != 'DEFAULT':
                parser.add_section(section)
            for key, value in options.items():
                parser.set(section, key, value)
        with open(self.config_file, 'w') as f:
            parser.write(f)

    def _write_agent_config(self, host):
        path = os.path.join(self.dir, '%s.conf' % host)
        os.makedirs(self.instances_path(host), exist_ok=True)
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nhost = %s\ninstances_path = %s\n'
                    % (host, self.instances_path(host)))
        return path

    def _manage(self, *args):
        log = self.log_path('manage')
        argv = [bin_path('aggregates-ext-manage'), '--config-file',
                self.config_file] + list(args)
        with open(log, 'ab') as f:
            rc = subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=self.env,
                                 cwd=self.dir, timeout=_timeout())
        if rc != 0:
            raise StartError('aggregates-ext-manage %s exited %d:\n%s'
                             % (' '.join(args), rc, services._tail(log)))

    def _start(self, name, script, *config_files):
        argv = [bin_path(script)]
        for path in config_files:
            argv += ['--config-file', path]
        proc = Process(name, argv, self.log_path(name), env=self.env,
                       cwd=self.dir)
        self.processes[name] = proc
        self.addCleanup(proc.stop)
        self.addDetail('%s-log' % name, proc.log_detail())
        proc.start()
        return proc

    def stop_agents_first(self):
        """Stop agents, conductor, API in that order (cleanup does too)."""
        for name in self.hosts + ['conductor', 'api']:
            if name in self.processes:
                self.processes[name].stop()

    def _wait_api(self, deadline):
        last = None
        while time.monotonic() < deadline:
            self.processes['api'].check_alive()
            try:
                r = requests.get(self.url + '/', timeout=10)
                if r.status_code == 200:
                    return
                last = 'HTTP %d' % r.status_code
            except requests.RequestException as e:
                last = e
            time.sleep(0.1)
        raise StartError('the API did not answer in time (last: %s); %s:\n%s'
                         % (last, self.log_path('api'),
                            services._tail(self.log_path('api'))))

    def registered_hosts(self):
        """{host: last_seen_up} of the agents in the host registry."""
        if self._engine is None:
            self._engine = sqlalchemy.create_engine(
                self.db_url, poolclass=sqlalchemy.pool.NullPool)
        services_table = sqlalchemy.table(
            'services', sqlalchemy.column('host'),
            sqlalchemy.column('binary'), sqlalchemy.column('last_seen_up'))
        query = sqlalchemy.select(
            services_table.c.host, services_table.c.last_seen_up).where(
                services_table.c.binary == COMPUTE_BINARY)
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(query).fetchall()
        except sqlalchemy.exc.SQLAlchemyError:
            return {}
        return {row[0]: row[1] for row in rows}

    def wait_for_hosts(self, hosts=None, deadline=None):
        """Block until every agent has reported through the conductor."""
        hosts = set(hosts or self.hosts)
        deadline = deadline or time.monotonic() + _timeout()
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                proc.check_alive()
            if hosts <= set(self.registered_hosts()):
                return
            time.sleep(0.1)
        raise StartError('agents %s did not register in time (registered: '
                         '%s); conductor log:\n%s' % (
                             sorted(hosts), sorted(self.registered_hosts()),
                             services._tail(self.log_path('conductor'))))

    def wait_for_cached(self, image_id, hosts=None, size=None, timeout=60):
        """Paths of ``image_id`` in every host's cache, once all exist.

        :raises AssertionError: not all there after ``timeout`` seconds.
        """
        hosts = list(hosts or self.hosts)
        deadline = time.monotonic() + timeout
        paths = {h: self.cache_path(h, image_id) for h in hosts}
        missing = hosts
        while time.monotonic() < deadline:
            missing = [h for h, p in paths.items()
                       if not os.path.isfile(p) or
                       (size is not None and os.path.getsize(p) != size)]
            if not missing:
                return paths
            time.sleep(0.1)
        raise AssertionError(
            'image %s not cached on %s after %ss; agent logs:\n%s' % (
                image_id, missing, timeout, '\n'.join(
                    '--- %s\n%s' % (h, services._tail(self.log_path(h), 3000))
                    for h in missing)))

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

"""A real Glance for functional tests, and what stands in front of it.

* :class:`GlanceFixture`: SQLite, file store in a temp dir, from the
  OpenStack venv under ``serve.py`` (see :mod:`openstack`); with a
  :class:`keystone.KeystoneFixture` it runs keystonemiddleware, without
  one a test-only ``headerauth`` pipeline that trusts identity headers.
* :class:`PrecacheGlance`: the same with the test filter of
  ``precache_glance_filter`` (request log, throttle, tokenless requests).
* :class:`GlanceAuthProxy`: keystonemiddleware's part for a
  ``headerauth`` Glance, in-process: it turns the noauth2 token
  (``user:project``) into the identity headers Glance trusts, so that
  clients, and our services passing on the caller's token (``[glance]
  endpoint_override`` without ``auth_type``), reach that Glance with the
  token given to the API.
"""

import http.client
import http.server
import os
import shutil
import threading
import urllib.parse
import uuid

from keystoneauth1 import exceptions as ks_exc
import requests

from aggregates_ext.tests.functional import openstack
from aggregates_ext.tests.functional import processes
from aggregates_ext.tests.functional import support

FILTER_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'precache_glance_filter.py')


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


class GlanceFixture(openstack.ServerFixture):
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
        processes.run([os.path.join(self.venv, 'bin', 'glance-manage'),
                       '--config-file', os.path.join(path, 'glance-api.conf'),
                       'db_sync'],
                      os.path.join(path, 'glance-manage.log'),
                      processes.clean_env(self.venv), path)

    def _start(self, deadline):
        template = openstack.template('glance', self.venv,
                                      self._build_template)
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
                raise processes.StartError(
                    'cannot create the glance user: %s' % e)
            conf += '\n[keystone_authtoken]\n' + ''.join(
                '%s = %s\n' % kv
                for kv in self.keystone.authtoken_options(creds).items())
        with open(os.path.join(self.dir, 'glance-api.conf'), 'w') as f:
            f.write(conf)
        server = self._serve('glance.wsgi.api:application',
                             {'OS_GLANCE_CONFIG_DIR': self.dir}, deadline)
        self.url = 'http://127.0.0.1:%d' % server.port
        self.wait_ready('/healthcheck', deadline)
        if self.keystone is not None:
            try:
                self.keystone.add_image_endpoint(self.url)
            except ks_exc.ClientException as e:
                raise processes.StartError(
                    'cannot register glance in the catalog: %s' % e)

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


class PrecacheGlance(GlanceFixture):
    """GlanceFixture with ``precache_glance_filter`` in its pipeline.

    :param tokenless: what the filter does with requests that carry no
        token and no identity headers: ``deny`` or ``admin``.

    Extra attributes: ``filter_dir`` (request log and throttle file).
    """

    def __init__(self, tokenless='deny', **kwargs):
        super().__init__(**kwargs)
        self.tokenless = tokenless

    def _serve(self, app, env, deadline):
        # GlanceFixture._start has written its paste file; add our filter
        # to the headerauth pipeline before Glance is started.
        self.filter_dir = os.path.join(self.dir, 'precache')
        os.makedirs(self.filter_dir)
        shutil.copy(FILTER_SRC, os.path.join(self.filter_dir,
                                             'precache_glance_filter.py'))
        paste = os.path.join(self.dir, 'glance-api-paste.ini')
        with open(paste) as f:
            text = f.read()
        head, sep, tail = text.partition('headerauth = ')
        line, nl, rest = tail.partition('\n')
        if not sep or ' context ' not in line:
            raise processes.StartError('unexpected Glance paste file')
        line = line.replace(' context ', ' precache context ', 1)
        text = head + sep + line + nl + rest + (
            '\n[filter:precache]\n'
            'paste.filter_factory = precache_glance_filter:filter_factory\n'
            'directory = %s\ntokenless = %s\n'
            % (self.filter_dir, self.tokenless))
        with open(paste, 'w') as f:
            f.write(text)
        env = dict(env, PYTHONPATH=self.filter_dir)
        return super()._serve(app, env, deadline)

    def set_throttle(self, bytes_per_second):
        path = os.path.join(self.filter_dir, 'throttle')
        with open(path + '.tmp', 'w') as f:
            f.write('%d\n' % (bytes_per_second or 0))
        os.replace(path + '.tmp', path)

    def requests_log(self):
        """[(time, event, method, path, auth, bytes, outcome)]."""
        entries = []
        try:
            with open(os.path.join(self.filter_dir, 'requests.log')) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return entries
        for line in lines:
            parts = line.split()
            parts += [None] * (7 - len(parts))
            ts, event, method, path, auth, size, outcome = parts[:7]
            entries.append((float(ts), event, method, path, auth,
                            int(size) if size else None, outcome))
        return entries

    def downloads(self, image_id, event='BEGIN'):
        """Log entries of the agents' (non-fixture) GETs of image data."""
        path = '/v2/images/%s/file' % image_id
        return [e for e in self.requests_log()
                if e[1] == event and e[2] == 'GET' and e[3] == path
                and e[4] != 'headers']

    def download_clients(self, image_id):
        """[(time, pid, pgid)] of the agents' GETs of the image's data.

        ``pgid`` is the process group of the process that sent the GET:
        a :class:`processes.Process`'s ``pid``.  None where the filter could
        not tell.
        """
        path = '/v2/images/%s/file' % image_id
        found = []
        try:
            with open(os.path.join(self.filter_dir, 'clients.log')) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return found
        for line in lines:
            ts, logged, pid, pgid = (line.split() + [None] * 4)[:4]
            if logged == path:
                found.append((float(ts),
                              int(pid) if pid.isdigit() else None,
                              int(pgid) if pgid.isdigit() else None))
        return found

    def stored_file(self, image_id):
        """The file store's copy of the image data."""
        return os.path.join(self.images_dir, image_id)


_HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-authenticate',
               'proxy-authorization', 'te', 'trailers', 'transfer-encoding',
               'upgrade'}


class GlanceAuthProxy(support.ServiceFixture):
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

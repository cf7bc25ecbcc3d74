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

"""A real Keystone for functional tests: SQLite, fernet tokens, seeded.

Runs from the OpenStack venv under ``serve.py`` (see :mod:`openstack`); the
expensive setup (db sync, keys, bootstrap) is made once per test process
and copied for each fixture.
"""

import base64
import os
import shutil
import sqlite3
import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session

from aggregates_ext.tests.functional import openstack
from aggregates_ext.tests.functional import processes
from aggregates_ext.tests.functional import support


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


class KeystoneFixture(openstack.ServerFixture):
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
        env = processes.clean_env(self.venv)
        log = os.path.join(path, 'keystone-manage.log')
        km = [os.path.join(self.venv, 'bin', 'keystone-manage'),
              '--config-file', os.path.join(path, 'keystone.conf')]
        processes.run(km + ['db_sync'], log, env, path)
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
        processes.run(km + [
            'bootstrap', '--bootstrap-password', self.ADMIN_PASSWORD,
            '--bootstrap-region-id', self.REGION,
            '--bootstrap-admin-url', _KS_PLACEHOLDER_URL,
            '--bootstrap-internal-url', _KS_PLACEHOLDER_URL,
            '--bootstrap-public-url', _KS_PLACEHOLDER_URL], log, env, path)

    def _start(self, deadline):
        template = openstack.template('keystone', self.venv,
                                      self._build_template)
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
            raise processes.StartError(
                'expected 3 identity endpoints, found %d' % n)
        self.wait_ready('/v3', deadline)
        try:
            self._seed()
        except (ks_exc.ClientException, KeyError, ValueError) as e:
            raise processes.StartError(
                'seeding keystone failed: %s; %s ends with:\n%s'
                % (e, server.log, support.tail(server.log)))

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
        self.compute_port = support.free_port()
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

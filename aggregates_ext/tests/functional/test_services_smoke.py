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

"""The service fixtures themselves work against the real services."""

import hashlib
import os
import unittest

import fixtures
import requests
import sqlalchemy
import testtools

from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.functional import databases
from aggregates_ext.tests.functional import glance as glance_fixtures
from aggregates_ext.tests.functional import keystone
from aggregates_ext.tests.functional import rabbit
from aggregates_ext.tests.functional import support


def _pid_gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class TestSkipOrFail(testtools.TestCase):

    class Unavailable(support.ServiceFixture):
        def _setUp(self):
            support.require_or_skip('no such service')

    def test_skips_by_default(self):
        self.useFixture(fixtures.EnvironmentVariable(support.REQUIRE_ENV))
        self.assertRaises(unittest.SkipTest, support.require_or_skip, 'x')
        # A fixture's skip reaches the test as a plain skip.
        e = self.assertRaises(unittest.SkipTest, self.useFixture,
                              self.Unavailable())
        self.assertEqual('no such service', str(e))

    def test_fails_when_required(self):
        self.useFixture(fixtures.EnvironmentVariable(support.REQUIRE_ENV,
                                                     '1'))
        self.assertRaises(support.ServiceUnavailable,
                          support.require_or_skip, 'x')
        e = self.assertRaises(fixtures.MultipleExceptions, self.useFixture,
                              self.Unavailable())
        self.assertIsInstance(e.args[0][1], support.ServiceUnavailable)


class TestKeystone(testtools.TestCase):

    def test_tokens_and_catalog(self):
        ks = self.useFixture(keystone.KeystoneFixture(
            image_url='http://127.0.0.1:1/image'))
        admin_token = ks.token('admin')
        member_token = ks.token(ks.member)
        self.assertNotEqual(admin_token, member_token)

        def validate(token):
            r = requests.get(ks.auth_url + '/auth/tokens',
                             headers={'X-Auth-Token': admin_token,
                                      'X-Subject-Token': token},
                             timeout=60)
            self.assertEqual(200, r.status_code, r.text)
            return r.json()['token']

        admin = validate(admin_token)
        self.assertEqual('admin', admin['project']['name'])
        self.assertIn('admin', [r['name'] for r in admin['roles']])
        member = validate(member_token)
        self.assertEqual('demo', member['project']['name'])
        self.assertEqual(ks.member.project_id, member['project']['id'])
        roles = [r['name'] for r in member['roles']]
        self.assertIn('member', roles)
        self.assertNotIn('admin', roles)
        service = validate(ks.token(keystone.KeystoneFixture.SERVICE_USER))
        self.assertEqual('service', service['project']['name'])
        self.assertTrue({'admin', 'service'}.issubset(
            r['name'] for r in service['roles']))

        # The catalog: compute at the default URL, then moved; image given.
        sess = ks.session('member')
        self.assertEqual(
            ks.compute_url,
            'http://127.0.0.1:%d/v2.1' % ks.compute_port)
        self.assertEqual(ks.compute_url, sess.get_endpoint(
            service_type='compute', interface='public'))
        self.assertEqual('http://127.0.0.1:1/image', sess.get_endpoint(
            service_type='image', interface='public'))
        ks.add_compute_endpoint('http://127.0.0.1:2/v2.1')
        self.assertEqual('http://127.0.0.1:2/v2.1', ks.session().get_endpoint(
            service_type='compute', interface='internal'))

        # A bad password is refused.
        r = requests.post(ks.auth_url + '/auth/tokens', timeout=60, json={
            'auth': {'identity': {'methods': ['password'], 'password': {
                'user': {'name': 'member', 'domain': {'id': 'default'},
                         'password': 'wrong'}}}}})
        self.assertEqual(401, r.status_code)


class TestGlance(testtools.TestCase):

    data = agg_fixtures.raw_image_data(3 * 1024 * 1024 + 17)

    def _check_image(self, glance, image):
        self.assertEqual('active', image['status'])
        self.assertEqual(len(self.data), image['size'])
        self.assertEqual('sha512', image['os_hash_algo'])
        self.assertEqual(hashlib.sha512(self.data).hexdigest(),
                         image['os_hash_value'])
        self.assertEqual(hashlib.md5(self.data).hexdigest(),
                         image['checksum'])
        self.assertEqual(self.data, glance.image_data(image['id']))
        # and the file store really holds it
        stored = os.path.join(glance.images_dir, image['id'])
        with open(stored, 'rb') as f:
            self.assertEqual(self.data, f.read())

    def test_without_keystone(self):
        # Runs after the fixture's cleanup: the server process is gone.
        pids = []
        self.addCleanup(lambda: self.assertTrue(all(map(_pid_gone, pids))))
        glance = self.useFixture(glance_fixtures.GlanceFixture())
        pids.append(glance.pid)
        image_id = '8f2d6a1e-5a43-4c0e-9d2b-1c7e0b4a9f11'
        # (Glance checks the data against disk_format: random bytes are raw)
        image = glance.create_image(self.data, disk_format='raw',
                                    image_id=image_id)
        self.assertEqual(image_id, image['id'])
        self.assertEqual('raw', image['disk_format'])
        self.assertEqual(glance.project_id, image['owner'])
        self._check_image(glance, image)
        # No identity: 401.
        r = requests.get(glance.url + '/v2/images', timeout=60)
        self.assertEqual(401, r.status_code)

    def test_with_keystone(self):
        ks = self.useFixture(keystone.KeystoneFixture())
        glance = self.useFixture(glance_fixtures.GlanceFixture(keystone=ks))
        self.assertEqual(glance.url, ks.image_url)
        image = glance.create_image(self.data)
        self.assertEqual(ks.admin.project_id, image['owner'])
        self._check_image(glance, image)

        # A member finds Glance through the catalog and reads the public
        # image with its own token.
        sess = ks.session('member')
        r = sess.get('/v2/images/%s/file' % image['id'],
                     endpoint_filter={'service_type': 'image',
                                      'interface': 'public'})
        self.assertEqual(200, r.status_code)
        self.assertEqual(self.data, r.content)
        # No token: 401; a bogus one: 401.
        self.assertEqual(401, requests.get(
            glance.url + '/v2/images', timeout=60).status_code)
        self.assertEqual(401, requests.get(
            glance.url + '/v2/images', headers={'X-Auth-Token': 'bogus'},
            timeout=60).status_code)


class TestDatabases(testtools.TestCase):

    def _exercise(self, url, drop):
        self.addCleanup(drop)
        engine = sqlalchemy.create_engine(url)
        self.addCleanup(engine.dispose)
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(
                'CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(64))'))
            conn.execute(sqlalchemy.text(
                "INSERT INTO t VALUES (1, 'caf\u00e9 \U0001f600')"))
        with engine.connect() as conn:
            self.assertEqual('caf\u00e9 \U0001f600', conn.execute(
                sqlalchemy.text('SELECT name FROM t')).scalar())
        name = url.rsplit('/', 1)[1].split('?')[0]
        self.assertTrue(name.startswith('aggext_'))
        return engine, name

    def test_mysql(self):
        url, drop = databases.mysql_url()
        self.assertTrue(url.startswith('mysql+pymysql://root@127.0.0.1:3306/'))
        self.assertTrue(url.endswith('?charset=utf8mb4'))
        engine, name = self._exercise(url, drop)
        drop()  # even with the engine's pooled connection still open
        with self.assertRaisesRegex(sqlalchemy.exc.OperationalError,
                                    'Unknown database'):
            sqlalchemy.create_engine(url).connect()

    def test_postgresql(self):
        url, drop = databases.postgresql_url()
        self.assertTrue(url.startswith(
            'postgresql+psycopg2://postgres@127.0.0.1:5432/'))
        engine, name = self._exercise(url, drop)
        drop()
        with self.assertRaisesRegex(sqlalchemy.exc.OperationalError,
                                    'does not exist'):
            sqlalchemy.create_engine(url).connect()

    def test_each_call_is_a_new_database(self):
        a, drop_a = databases.mysql_url()
        self.addCleanup(drop_a)
        b, drop_b = databases.mysql_url()
        self.addCleanup(drop_b)
        self.assertNotEqual(a, b)


class TestRabbit(testtools.TestCase):

    def test_reachable(self):
        url = rabbit.rabbit_url()
        self.assertEqual('rabbit://guest:guest@127.0.0.1:5672/', url)

    def test_unreachable_skips(self):
        self.useFixture(fixtures.EnvironmentVariable(support.REQUIRE_ENV))
        self.useFixture(fixtures.EnvironmentVariable(
            'AGGREGATES_EXT_RABBIT_URL', 'rabbit://guest:guest@127.0.0.1:1/'))
        self.assertRaises(unittest.SkipTest, rabbit.rabbit_url)

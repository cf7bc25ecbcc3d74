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

"""The API behind the ``keystone`` pipeline, against a real Keystone.

``aggregates-ext-api`` runs as its own process with ``[api] auth_strategy =
keystone`` and the ``[keystone_authtoken]`` options of a service user, so
keystonemiddleware validates every token with Keystone, exactly as in a
deployment.  The API is registered as Keystone's ``compute`` endpoint.
"""

import requests

from aggregates_ext.tests.functional import clients_base
from aggregates_ext.tests.functional import deployment
from aggregates_ext.tests.functional import keystone

TIMEOUT = 60

# What keystonemiddleware answers for a missing or invalid token.
UNAUTHORIZED_BODY = {'error': {
    'code': 401, 'title': 'Unauthorized',
    'message': 'The request you have made requires authentication.'}}


def forbidden_body(rule):
    return {'forbidden': {
        'code': 403,
        'message': "Policy doesn't allow %s to be performed." % rule}}


class TestKeystonePipeline(clients_base.ClassFixturesTestCase):

    @classmethod
    def setUpClassFixtures(cls):
        cls.keystone = cls.useClassFixture(keystone.KeystoneFixture())
        # No agents: this is about authentication only.
        cls.deployment = cls.useClassFixture(deployment.Deployment(
            auth_strategy='keystone', keystone=cls.keystone, agents=0,
            conductors=0))
        cls.reader = cls.keystone.create_user(
            'reader', project='demo', roles=('reader',))

    def get(self, path, token=None, **headers):
        if token is not None:
            headers['X-Auth-Token'] = token
        return requests.get(self.deployment.endpoint + path, headers=headers,
                            timeout=TIMEOUT)

    def assertUnauthorized(self, r):
        self.assertEqual(401, r.status_code, r.text)
        self.assertEqual(UNAUTHORIZED_BODY, r.json())
        self.assertEqual('application/json', r.headers['Content-Type'])
        self.assertEqual('Keystone uri="%s"' % self.keystone.auth_url,
                         r.headers['WWW-Authenticate'])

    def test_admin_token_lists_aggregates(self):
        r = self.get('/os-aggregates', self.keystone.token('admin'))
        self.assertEqual(200, r.status_code, r.text)
        self.assertIsInstance(r.json()['aggregates'], list)
        self.assertEqual('2.1', r.headers['X-OpenStack-Nova-API-Version'])

    def test_admin_through_the_catalog(self):
        # A keystoneauth session finds the API as "compute" in the catalog
        # and drives it with the admin's token, create to delete.
        sess = self.keystone.session('admin')
        ep = {'service_type': 'compute', 'interface': 'public'}
        self.assertEqual(self.deployment.endpoint,
                         sess.get_endpoint(**ep))
        mv = {'OpenStack-API-Version': 'compute 2.81'}
        r = sess.post('/os-aggregates', endpoint_filter=ep, headers=mv,
                      json={'aggregate': {'name': 'ks-catalog',
                                          'availability_zone': 'ks-az'}})
        self.assertEqual(200, r.status_code, r.text)
        agg = r.json()['aggregate']
        self.assertEqual('ks-catalog', agg['name'])
        self.assertIn('uuid', agg)
        r = sess.get('/os-aggregates/%d' % agg['id'], endpoint_filter=ep,
                     headers=mv)
        self.assertEqual({'availability_zone': 'ks-az'},
                         r.json()['aggregate']['metadata'])
        r = sess.delete('/os-aggregates/%d' % agg['id'], endpoint_filter=ep)
        self.assertEqual(200, r.status_code)
        self.assertEqual(b'', r.content)
        r = sess.get('/os-aggregates/%d' % agg['id'], endpoint_filter=ep,
                     raise_exc=False)
        self.assertEqual(404, r.status_code)

    def test_member_is_forbidden(self):
        token = self.keystone.token('member')
        r = self.get('/os-aggregates', token)
        self.assertEqual(403, r.status_code, r.text)
        self.assertEqual(
            {'forbidden': {'code': 403, 'message': "Policy doesn't allow "
                           "os_compute_api:os-aggregates:index to be "
                           "performed."}}, r.json())
        self.assertTrue(r.headers['Content-Type'].startswith(
            'application/json'))
        # The other rules are checked with the same token too.
        r = requests.post(self.deployment.endpoint + '/os-aggregates',
                          headers={'X-Auth-Token': token},
                          json={'aggregate': {'name': 'by-member'}},
                          timeout=TIMEOUT)
        self.assertEqual(403, r.status_code, r.text)
        self.assertEqual(
            forbidden_body('os_compute_api:os-aggregates:create'), r.json())
        r = self.get('/os-aggregates/1', token)
        self.assertEqual(403, r.status_code, r.text)
        self.assertEqual(
            forbidden_body('os_compute_api:os-aggregates:show'), r.json())

    def test_reader_is_forbidden(self):
        r = self.get('/os-aggregates', self.keystone.token(self.reader))
        self.assertEqual(403, r.status_code, r.text)
        self.assertEqual(
            forbidden_body('os_compute_api:os-aggregates:index'), r.json())

    def test_no_token(self):
        self.assertUnauthorized(self.get('/os-aggregates'))

    def test_bad_token(self):
        self.assertUnauthorized(self.get('/os-aggregates', 'bogus-token'))

    def test_revoked_token(self):
        token = self.keystone.token('admin')
        admin = self.keystone.session('admin')
        r = admin.delete('/auth/tokens', headers={'X-Subject-Token': token},
                         endpoint_filter={'service_type': 'identity',
                                          'interface': 'public'})
        self.assertEqual(204, r.status_code)
        self.assertUnauthorized(self.get('/os-aggregates', token))

    def test_noauth2_token_is_not_trusted(self):
        # "admin:admin" means something to the noauth2 pipeline only.
        self.assertUnauthorized(self.get('/os-aggregates', 'admin:admin'))

    def test_version_documents_need_no_token(self):
        r = requests.get(self.deployment.url + '/', timeout=TIMEOUT)
        self.assertEqual(200, r.status_code, r.text)
        versions = {v['id']: v for v in r.json()['versions']}
        self.assertEqual('CURRENT', versions['v2.1']['status'])
        self.assertEqual('2.1', versions['v2.1']['min_version'])
        for path in ('/v2.1', '/v2.1/'):
            r = requests.get(self.deployment.url + path, timeout=TIMEOUT)
            self.assertEqual(200, r.status_code, r.text)
            version = r.json()['version']
            self.assertEqual('v2.1', version['id'])
            self.assertEqual('CURRENT', version['status'])
            self.assertEqual('2.1', version['min_version'])
            self.assertGreaterEqual(
                tuple(int(p) for p in version['version'].split('.')),
                (2, 81))
            self_links = [link['href'] for link in version['links']
                          if link['rel'] == 'self']
            self.assertEqual([self.deployment.endpoint + '/'], self_links)
        # ... and a token does not hurt either.
        r = requests.get(self.deployment.endpoint,
                         headers={'X-Auth-Token': 'bogus-token'},
                         timeout=TIMEOUT)
        self.assertEqual(200, r.status_code)

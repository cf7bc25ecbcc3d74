"""Base class of the API tests: the real Paste app on a real database.

``DB_CONNECTION`` is None for SQLite in a temp dir; the functional tests
subclass with MySQL and PostgreSQL connections and run the same tests.
"""

import testtools

from aggregates_ext.tests import fixtures as agg_fixtures

ADMIN = 'admin:admin'
MEMBER = 'demo:demo'


class APITestCase(testtools.TestCase):
    DB_CONNECTION = None

    def setUp(self):
        super().setUp()
        self.config = self.useFixture(agg_fixtures.Config())
        self.db = self.useFixture(
            agg_fixtures.Database(self.database_connection()))
        self.notifications = self.useFixture(agg_fixtures.Notifications())
        self.api = self.useFixture(agg_fixtures.API())

    def database_connection(self):
        return self.DB_CONNECTION

    # Helpers ----------------------------------------------------------------

    def req(self, method, path, body=None, **kwargs):
        return self.api.request(method, '/v2.1' + path, body, **kwargs)

    def assertFault(self, resp, status, message):
        self.assertEqual(status, resp.status_int, resp.body)
        self.assertEqual('application/json; charset=UTF-8',
                         resp.headers['Content-Type'])
        body = resp.json_body_or_none
        self.assertIsNotNone(body, resp.body)
        self.assertEqual(1, len(body))
        (fault,) = body.values()
        self.assertEqual({'code': status, 'message': message}, fault)
        return next(iter(body))

    def create(self, name='agg1', az=None, version=None):
        body = {'aggregate': {'name': name}}
        if az is not None:
            body['aggregate']['availability_zone'] = az
        resp = self.req('POST', '/os-aggregates', body, version=version)
        self.assertEqual(200, resp.status_int, resp.body)
        return resp.json_body_or_none['aggregate']

    def action(self, agg_id, name, value, **kwargs):
        return self.req('POST', '/os-aggregates/%s/action' % agg_id,
                        {name: value}, **kwargs)

    def add_host(self, agg_id, host):
        resp = self.action(agg_id, 'add_host', {'host': host})
        self.assertEqual(200, resp.status_int, resp.body)
        return resp.json_body_or_none['aggregate']

    def register_host(self, host):
        return agg_fixtures.register_host(host)

    def show(self, agg_id, **kwargs):
        resp = self.req('GET', '/os-aggregates/%s' % agg_id, **kwargs)
        self.assertEqual(200, resp.status_int, resp.body)
        return resp.json_body_or_none['aggregate']

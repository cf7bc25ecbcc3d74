"""The Paste filter that serves /os-aggregates inside another pipeline."""

import webob
import webob.dec

from aggregates_ext.api import router
from aggregates_ext.tests.unit.api import base


@webob.dec.wsgify
def other_api(req):
    return webob.Response(body=b'other', content_type='text/plain')


class TestAggregatesFilter(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.app = router.filter_factory({})(other_api)

    def get(self, path, roles):
        # As keystonemiddleware leaves a request for the app behind it.
        req = webob.Request.blank(path)
        req.headers.update({'X-Identity-Status': 'Confirmed',
                            'X-User-Id': 'u1', 'X-Project-Id': 'p1',
                            'X-Roles': roles})
        return req.get_response(self.app)

    def test_aggregates_served_here_for_an_admin(self):
        self.create('agg1')
        resp = self.get('/os-aggregates', 'admin,member')
        self.assertEqual(200, resp.status_int)
        self.assertEqual(['agg1'],
                         [a['name'] for a in resp.json['aggregates']])

    def test_policy_applies_to_keystone_roles(self):
        resp = self.get('/os-aggregates', 'member,reader')
        self.assertEqual(403, resp.status_int)

    def test_other_paths_pass_through(self):
        resp = self.get('/servers', 'admin')
        self.assertEqual(b'other', resp.body)

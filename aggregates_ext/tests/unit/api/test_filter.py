"""The Paste filter that serves /os-aggregates inside another pipeline."""

import webob
import webob.dec

from aggregates_ext.api import router
from aggregates_ext.tests.unit.api import base


@webob.dec.wsgify
def other_api(req):
    return webob.Response(body=b'other %s' % req.environ['PATH_INFO'].encode(
        'latin-1'), content_type='text/plain')


class TestAggregatesFilter(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.app = router.filter_factory({})(other_api)

    def get(self, path, roles, project='p1'):
        # As keystonemiddleware leaves a request for the app behind it.
        req = webob.Request.blank(path)
        req.headers.update({'X-Identity-Status': 'Confirmed',
                            'X-User-Id': 'u1', 'X-Project-Id': project,
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
        self.assertEqual(b'other /servers', resp.body)

    def test_project_id_prefix_served_here(self):
        project = '0123456789abcdef0123456789abcdef'
        resp = self.get('/%s/os-aggregates' % project, 'admin', project)
        self.assertEqual({'aggregates': []}, resp.json)

    def test_os_aggregates_after_a_non_project_segment_passes_through(self):
        # The first segment was taken for a project id whatever it was:
        # the other API's /flavors/os-aggregates got our router's 404.
        for path in ('/flavors/os-aggregates', '/flavors/os-aggregates/x',
                     '/ABC/os-aggregates', '//os-aggregates',
                     '/os-aggregatesx', '/abc/def/os-aggregates'):
            resp = self.get(path, 'admin')
            self.assertEqual(b'other ' + path.encode(), resp.body)

    def test_path_not_utf8_passes_through(self):
        # req.path_info decoded it as UTF-8, and the error escaped the
        # filter into the other API's pipeline.
        resp = self.get('/servers/%FF', 'admin')
        self.assertEqual(b'other /servers/\xff', resp.body)

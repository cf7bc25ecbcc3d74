"""Microversion headers, content types, routes, version documents."""

import io
import logging

import fixtures
import webob

from aggregates_ext.api import app as api_app
from aggregates_ext.api import router
from aggregates_ext.api import validation
from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.unit.api import base

STD = 'OpenStack-API-Version'
LEGACY = 'X-OpenStack-Nova-API-Version'


class TestMicroversions(base.APITestCase):

    def get(self, headers):
        return self.req('GET', '/os-aggregates', headers=headers)

    def assertVersion(self, resp, version):
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('compute %s' % version, resp.headers[STD])
        self.assertEqual(version, resp.headers[LEGACY])
        self.assertEqual([STD, LEGACY], resp.headers.getall('Vary'))

    def test_no_header_is_2_1(self):
        self.assertVersion(self.get({}), '2.1')

    def test_legacy_header(self):
        self.assertVersion(self.get({LEGACY: '2.41'}), '2.41')

    def test_standard_header_case_insensitive_service(self):
        self.assertVersion(self.get({STD: 'COMPUTE 2.41'}), '2.41')

    def test_last_compute_entry_wins(self):
        self.assertVersion(self.get({STD: 'compute 2.3, compute 2.41'}),
                           '2.41')

    def test_other_service_falls_back_to_legacy(self):
        self.assertVersion(self.get({STD: 'volume 3.0', LEGACY: '2.50'}),
                           '2.50')

    def test_catalog_type_entry(self):
        # What keystoneauth sends when it found the API as host-aggregates.
        self.assertVersion(self.get({STD: 'host-aggregates 2.81'}), '2.81')

    def test_configured_catalog_type_entry(self):
        self.config.conf.set_override('service_type', 'aggregates',
                                      group='api')
        self.assertVersion(self.get({STD: 'aggregates 2.81'}), '2.81')
        self.assertVersion(self.get({STD: 'host-aggregates 2.81'}), '2.1')

    def test_compute_entry_wins_over_catalog_type(self):
        self.assertVersion(self.get(
            {STD: 'host-aggregates 2.81, compute 2.41'}), '2.41')

    def test_catalog_type_entry_wins_over_legacy(self):
        self.assertVersion(self.get({STD: 'host-aggregates 2.81',
                                     LEGACY: '2.50'}), '2.81')

    def test_standard_wins_over_legacy(self):
        self.assertVersion(self.get({STD: 'compute 2.60', LEGACY: '2.50'}),
                           '2.60')

    def test_latest(self):
        self.assertVersion(self.get({LEGACY: 'latest'}), '2.104')

    def test_latest_is_case_sensitive(self):
        resp = self.get({LEGACY: 'Latest'})
        self.assertFault(resp, 400, 'API Version String Latest is of invalid '
                         'format. Must be of format MajorNum.MinorNum.')
        self.assertNotIn(LEGACY, resp.headers)
        self.assertNotIn(STD, resp.headers)

    def test_bad_formats_400(self):
        for bad in ('2.01', '02.1', '2.a', '2'):
            resp = self.get({LEGACY: bad})
            self.assertEqual(400, resp.status_int, bad)

    def test_out_of_range_406_echoes_version(self):
        for bad in ('2.0', '2.999', '3.0'):
            resp = self.get({LEGACY: bad})
            self.assertEqual('computeFault', self.assertFault(
                resp, 406, 'Version %s is not supported by the API. Minimum '
                'is 2.1 and maximum is 2.104.' % bad))
            self.assertEqual(bad, resp.headers[LEGACY])
            self.assertEqual('compute %s' % bad, resp.headers[STD])

    def test_errors_carry_version_headers(self):
        resp = self.req('GET', '/os-aggregates/55', version='2.41')
        self.assertEqual(404, resp.status_int)
        self.assertEqual('2.41', resp.headers[LEGACY])

    def test_version_of_thousands_of_digits_406(self):
        # Found by the fuzz tests: well-formed, but more digits than int()
        # converts, and the ValueError was a 500.
        for bad in ('2.' + '9' * 5000, '9' * 5000 + '.1'):
            resp = self.get({LEGACY: bad})
            self.assertEqual('computeFault', self.assertFault(
                resp, 406, 'Version %s is not supported by the API. Minimum '
                'is 2.1 and maximum is 2.104.' % bad))
            self.assertEqual(bad, resp.headers[LEGACY])
            # The version document negotiates the same way.
            self.assertEqual(406, self.api.request(
                'GET', '/v2.1', token=None, version=bad).status_int)

    def test_images_below_2_81_is_404_fault(self):
        agg = self.create()
        resp = self.req('POST', '/os-aggregates/%s/images' % agg['id'],
                        {'cache': [{'id':
                                    '3b1c2d9e-6f1a-4c55-9d0e-2b7f8c1a0e11'}]},
                        version='2.80')
        self.assertEqual('itemNotFound', self.assertFault(
            resp, 404, 'The resource could not be found.'))
        self.assertEqual('2.80', resp.headers[LEGACY])


class TestContentTypes(base.APITestCase):

    def test_unsupported_content_type_415(self):
        resp = self.req('POST', '/os-aggregates', raw='{}',
                        content_type='application/xml')
        self.assertEqual('badMediaType', self.assertFault(
            resp, 415, 'Unsupported Content-Type'))

    def test_text_plain_and_vendor_types_parse_as_json(self):
        for ctype in ('text/plain', 'application/vnd.openstack.compute+json'):
            resp = self.req('POST', '/os-aggregates',
                            raw='{"aggregate": {"name": "%s"}}' % ctype,
                            content_type=ctype)
            self.assertEqual(200, resp.status_int, resp.body)

    def test_malformed_json_400(self):
        resp = self.req('POST', '/os-aggregates', raw='{"aggregate": [')
        self.assertFault(resp, 400, 'Malformed request body')

    def test_success_content_type_has_no_charset(self):
        resp = self.req('GET', '/os-aggregates')
        self.assertEqual('application/json', resp.headers['Content-Type'])

    def test_query_not_utf8_400(self):
        agg = self.create()
        for method, path in (('GET', '/os-aggregates/%s?%%FF=1' % agg['id']),
                             ('DELETE', '/os-aggregates/99?%FF=1')):
            self.assertFault(self.req(method, path), 400,
                             'Malformed request URL: not valid UTF-8')

    def test_path_not_utf8_is_a_fault_not_a_crash(self):
        self.assertFault(self.req('GET', '/os-aggregates/%FF'), 400,
                         'Invalid input received: id must be an integer')
        self.assertEqual(300, self.api.request('GET', '/%FF',
                                               token=None).status_int)

    def test_nul_and_lone_surrogate_in_values_400(self):
        agg = self.create()
        for value in ('a\x00b', '\ud800'):
            resp = self.action(agg['id'], 'set_metadata',
                               {'metadata': {'k': value}})
            self.assertFault(resp, 400, 'Malformed request body')
        self.assertEqual({}, self.show(agg['id'])['metadata'])

    def test_oversized_chunked_body_413(self):
        body = b'{"aggregate": {"name": "%s"}}' % (b'a' * 120000)
        req = webob.Request.blank('/v2.1/os-aggregates', method='POST')
        req.headers['X-Auth-Token'] = 'admin:admin'
        req.content_type = 'application/json'
        # As a server hands over a chunked body: no length, terminated.
        req.environ.update({'wsgi.input': io.BytesIO(body),
                            'wsgi.input_terminated': True,
                            'HTTP_TRANSFER_ENCODING': 'chunked'})
        req.environ.pop('CONTENT_LENGTH', None)
        resp = req.get_response(self.api.app)
        self.assertEqual(413, resp.status_int, resp.body)

    def test_oversized_body_413(self):
        resp = self.req('POST', '/os-aggregates',
                        raw='{"aggregate": {"name": "%s"}}' % ('a' * 120000))
        self.assertEqual(413, resp.status_int)

    def test_oversized_body_413_names_the_limit(self):
        # oslo.middleware's message says "(%s)"; ours says the limit, in
        # webob's plain 413 still (Nova's is plain too).
        raw = '{"aggregate": {"name": "%s"}}' % ('a' * 120000)
        resp = self.req('POST', '/os-aggregates', raw=raw)
        self.assertEqual(413, resp.status_int)
        self.assertIn(b'Request is too large. Larger than '
                      b'max_request_body_size (114688).', resp.body)
        self.assertNotIn(b'%s', resp.body)
        resp = self.req('POST', '/os-aggregates', raw=raw,
                        headers={'Accept': 'application/json'})
        self.assertEqual({'code': '413 Request Entity Too Large',
                          'title': 'Request Entity Too Large',
                          'message': 'Request is too large. Larger than '
                                     'max_request_body_size (114688).'
                                     '<br /><br />\n\n\n'},
                         resp.json_body_or_none)

    def test_oversized_body_413_names_the_configured_limit(self):
        self.config.conf.set_override('max_request_body_size', 1000,
                                      group='oslo_middleware')
        resp = self.req('POST', '/os-aggregates', raw='[%s]' % ('1,' * 600))
        self.assertEqual(413, resp.status_int)
        self.assertIn(b'max_request_body_size (1000).', resp.body)


class TestDeepBodies(base.APITestCase):
    """A deep body was a 500 RecursionError with a logged traceback."""

    MESSAGE = 'Malformed request body: nested deeper than 32 levels'

    def test_deep_bodies_400_before_policy(self):
        errors = self.useFixture(fixtures.FakeLogger(level=logging.ERROR))
        agg = self.create()
        bodies = ('[' * 2000, '{"a": ' * 2000, '[' * 950 + ']' * 950,
                  '{"aggregate": ' * 950 + '{}' + '}' * 950)
        for method, path in (('POST', '/os-aggregates'),
                             ('PUT', '/os-aggregates/%s' % agg['id']),
                             ('POST', '/os-aggregates/%s/action' % agg['id']),
                             ('POST', '/os-aggregates/%s/images' % agg['id'])):
            for raw in bodies:
                resp = self.req(method, path, raw=raw, token=base.MEMBER,
                                version='latest')
                self.assertFault(resp, 400, self.MESSAGE)
        self.assertEqual('agg1', self.show(agg['id'])['name'])
        self.assertEqual('', errors.output)

    def test_depth_32_reaches_the_schema_33_does_not(self):
        def body(depth):
            # {"aggregate": {"name": [[...]]}} is ``depth`` levels deep.
            return ('{"aggregate": {"name": %s1%s}}'
                    % ('[' * (depth - 2), ']' * (depth - 2)))
        resp = self.req('POST', '/os-aggregates', raw=body(32))
        self.assertEqual(400, resp.status_int)
        self.assertIn('is not of type', resp.json_body_or_none[
            'badRequest']['message'])
        resp = self.req('POST', '/os-aggregates', raw=body(33))
        self.assertFault(resp, 400, self.MESSAGE)

    def test_depth_and_storable_checks_do_not_recurse(self):
        deep = []
        for _ in range(100000):
            deep = [deep]
        self.assertEqual(100001, validation.nesting_depth(deep))
        self.assertTrue(validation.storable({'a': deep}))
        self.assertFalse(validation.storable({'a': [deep, 'b\x00']}))
        self.assertEqual(0, validation.nesting_depth('a'))
        self.assertEqual(2, validation.nesting_depth({'a': [], 'b': 1}))

    def test_deep_body_ignored_where_no_body_is_read(self):
        resp = self.req('GET', '/os-aggregates', raw='[' * 2000)
        self.assertEqual(200, resp.status_int)


class TestRoutes(base.APITestCase):

    def test_unknown_path_plain_webob_404(self):
        resp = self.req('GET', '/os-nothing',
                        headers={'Accept': 'application/json'})
        self.assertEqual(404, resp.status_int)
        self.assertEqual({'message': 'The resource could not be found.'
                                     '<br /><br />\n\n\n',
                          'code': '404 Not Found', 'title': 'Not Found'},
                         resp.json_body_or_none)

    def test_unrouted_method_404_not_405(self):
        agg = self.create()
        for method, path in (('PATCH', '/os-aggregates/%s' % agg['id']),
                             ('GET', '/os-aggregates/%s/images' % agg['id'])):
            self.assertEqual(404, self.req(method, path).status_int)

    def test_project_id_prefix(self):
        token = 'admin:0123abcd'
        resp = self.req('GET', '/0123abcd/os-aggregates', token=token)
        self.assertEqual(200, resp.status_int)

    def test_project_id_mismatch_400(self):
        resp = self.req('GET', '/abcdef/os-aggregates',
                        token='admin:0123abcd')
        self.assertFault(resp, 400, "Malformed request URL: URL's project_id "
                         "'abcdef' doesn't match Context's project_id "
                         "'0123abcd'")

    def test_is_ours_for_filter_mode(self):
        self.assertTrue(router.is_ours('/os-aggregates'))
        self.assertTrue(router.is_ours('/os-aggregates/1/action'))
        self.assertTrue(router.is_ours('/abc/os-aggregates/1/action'))
        self.assertTrue(router.is_ours('/0123-abcd/os-aggregates'))
        self.assertFalse(router.is_ours('/servers'))
        self.assertFalse(router.is_ours('/abc/servers'))

    def test_is_ours_needs_a_project_id_before_os_aggregates(self):
        # Any first segment was taken for a project id.
        for path in ('/flavors/os-aggregates', '/flavors/os-aggregates/x',
                     '/ABC/os-aggregates', '/abc/def/os-aggregates',
                     '//os-aggregates', '/os-aggregatesx',
                     '/abc/os-aggregatesx', 'os-aggregates', '', '/',
                     '/\xff/os-aggregates'):
            self.assertFalse(router.is_ours(path), path)


class TestVersionDocuments(base.APITestCase):

    def test_root(self):
        resp = self.api.request('GET', '/', token=None)
        self.assertEqual(200, resp.status_int)
        versions = resp.json_body_or_none['versions']
        self.assertEqual(['v2.0', 'v2.1'], [v['id'] for v in versions])
        self.assertEqual('DEPRECATED', versions[0]['status'])
        self.assertEqual({'id': 'v2.1', 'status': 'CURRENT',
                          'version': '2.104', 'min_version': '2.1',
                          'updated': '2013-07-23T11:33:21Z',
                          'links': [{'rel': 'self',
                                     'href': 'http://localhost/v2.1/'}]},
                         versions[1])
        self.assertNotIn('x-openstack-request-id', resp.headers)
        self.assertNotIn(LEGACY, resp.headers)

    def test_v21_unauthenticated_with_headers(self):
        for path in ('/v2.1', '/v2.1/'):
            resp = self.api.request('GET', path, token=None, version='2.50')
            self.assertEqual(200, resp.status_int)
            doc = resp.json_body_or_none['version']
            self.assertEqual('2.104', doc['version'])
            self.assertEqual('2.1', doc['min_version'])
            self.assertEqual('http://localhost/v2.1/',
                             doc['links'][0]['href'])
            self.assertEqual('2.50', resp.headers[LEGACY])
            rid = resp.headers['x-openstack-request-id']
            self.assertRegex(rid, '^req-[0-9a-f-]{36}$')
            self.assertEqual(rid, resp.headers['x-compute-request-id'])

    def test_proxy_headers_parsed_only_when_enabled(self):
        forwarded = {'X-Forwarded-Proto': 'https',
                     'X-Forwarded-Host': 'compute.example.com'}

        def link(path):
            resp = self.api.request('GET', path, token=None,
                                    headers=forwarded)
            return resp.json_body_or_none['version']['links'][0]['href']

        self.assertEqual('http://localhost/v2.1/', link('/v2.1'))
        self.config.conf.set_override('enable_proxy_headers_parsing', True,
                                      group='oslo_middleware')
        self.api = self.useFixture(agg_fixtures.API())
        self.assertEqual('https://compute.example.com/v2.1/', link('/v2.1'))

    def test_versions_alias_needs_auth(self):
        self.assertEqual(401, self.api.request(
            'GET', '/v2.1/versions/v2.1', token=None).status_int)
        resp = self.req('GET', '/versions/v2.1')
        self.assertEqual('v2.1', resp.json_body_or_none['version']['id'])

    def test_other_root_paths_300(self):
        resp = self.api.request('GET', '/foo', token=None)
        self.assertEqual(300, resp.status_int)
        choices = resp.json_body_or_none['choices']
        self.assertEqual(['v2.0', 'v2.1'], [c['id'] for c in choices])
        for choice in choices:
            self.assertEqual({'id', 'status', 'links', 'media-types'},
                             set(choice))
        self.assertEqual('http://localhost/v2.1/foo',
                         choices[1]['links'][0]['href'])
        # Nova names the major version in the v2.0 choice's media type.
        self.assertEqual(
            [[{'base': 'application/json',
               'type': 'application/vnd.openstack.compute+json;version=2'}],
             [{'base': 'application/json',
               'type': 'application/vnd.openstack.compute+json;'
                       'version=2.1'}]],
            [c['media-types'] for c in choices])

    def test_api_without_token_401(self):
        resp = self.api.request('GET', '/v2.1/os-aggregates', token=None)
        self.assertFault(resp, 401, 'The request you have made requires '
                         'authentication.')


class TestHealthcheck(base.APITestCase):
    """oslo.middleware's /healthcheck, unauthenticated, in every flavor."""

    def test_ok_without_token_in_every_flavor(self):
        for strategy in ('noauth2', 'keystone'):
            self.config.conf.set_override('auth_strategy', strategy,
                                          group='api')
            application = api_app.load_app()
            resp = webob.Request.blank('/healthcheck').get_response(
                application)
            self.assertEqual(200, resp.status_int, strategy)

    def test_disable_file_from_the_service_config_503(self):
        path = self.useFixture(fixtures.TempDir()).join('disable')
        self.config.conf.set_override('backends', ['disable_by_file'],
                                      group='healthcheck')
        application = api_app.load_app()
        # The backend registers its own option when it is loaded.
        self.config.conf.set_override('disable_by_file_path', path,
                                      group='healthcheck')
        resp = webob.Request.blank('/healthcheck').get_response(application)
        self.assertEqual(200, resp.status_int)
        open(path, 'w').close()
        resp = webob.Request.blank('/healthcheck').get_response(application)
        self.assertEqual(503, resp.status_int)

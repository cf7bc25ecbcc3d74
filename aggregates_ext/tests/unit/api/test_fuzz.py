"""Fuzzing every route and method: paths, ids, versions, queries, types.

See ``fuzz.py`` for what every case must satisfy.  The bodies here are
valid ones (or none, or a little junk): ``test_fuzz_bodies`` fuzzes the
bodies themselves.
"""

import re

from hypothesis import given
from hypothesis import strategies as st
import webob
import webob.dec

from aggregates_ext.api import router
from aggregates_ext.tests.unit.api import fuzz
from aggregates_ext.tests.unit.api import fuzz_strategies as parts

IMAGE = '3b1c2d9e-6f1a-4c55-9d0e-2b7f8c1a0e11'
VALID_BODIES = {
    'create': {'aggregate': {'name': 'fuzzed'}},
    'update': {'aggregate': {'name': 'fuzzed'}},
    'add_host': {'add_host': {'host': 'c3'}},
    'remove_host': {'remove_host': {'host': 'c1'}},
    'set_metadata': {'set_metadata': {'metadata': {'k2': 'v2'}}},
    'images': {'cache': [{'id': IMAGE}]},
}


def _targets():
    """(path template, method, handler name) of every handler."""
    for path, method, action in fuzz.ROUTES:
        if action == 'action':
            for name in ('add_host', 'remove_host', 'set_metadata'):
                yield path, method, name
        else:
            yield path, method, action


TARGETS = list(_targets())
ID_TARGETS = [t for t in TARGETS if '{id}' in t[0]]
# Paths that no route serves, next to the ones that routes do.
UNROUTED = ['/os-nothing', '/os-aggregates/{id}/action/x',
            '/os-aggregates/{id}/other', '/os-aggregates/{id}/',
            '/os-aggregates/', '/os-aggregates//action', '//os-aggregates',
            '/OS-AGGREGATES', '/os-aggregatesx', '/flavors/os-aggregates',
            '/os-hypervisors/{id}', '/os-services/{id}', '/versions',
            '/os-hypervisors/detail/x', '/os-aggregates/{id}/images/x',
            '/servers', '/', '', '//']
PREFIXES = st.sampled_from(['', '', '', '', '/' + fuzz.PROJECT, '/abcdef',
                            '/ABC', '/0-0', '/-', '/xyz'])
# The root app and the legacy mount, besides /v2.1.
APP_PREFIXES = st.sampled_from(['/v2.1'] * 12 + ['', '/v2', '/v2.0',
                                                 '/v2.1x', '/V2.1'])


def _body_for(name, method):
    body = VALID_BODIES.get(name)
    if body is None and method in ('POST', 'PUT'):
        body = VALID_BODIES['create']
    return body


def _with_id(template, agg_id):
    return template.replace('{id}', agg_id)


# Strategies are built once: building one per example costs more than
# the request.
_TEMPLATES = st.one_of(st.sampled_from(TARGETS), st.sampled_from(TARGETS),
                       st.sampled_from(TARGETS),
                       st.sampled_from([(t, None, None) for t in UNROUTED]))
_METHODS = {method: st.sampled_from(fuzz.METHODS + (method,) * 6)
            for method in fuzz.METHODS}
_METHODS[None] = st.sampled_from(fuzz.METHODS)
_ODD_BODIES = st.sampled_from(['valid', None, None, b'', b'{}', b'null',
                               b'[]', b'junk'])
_JSON_OR_NONE = st.sampled_from([None, 'application/json'])


@st.composite
def _route_case(draw):
    template, method, name = draw(_TEMPLATES)
    method = draw(_METHODS[method])
    path = draw(PREFIXES) + _with_id(template, draw(parts.IDS))
    body = draw(_ODD_BODIES)
    if body == 'valid':
        body = _body_for(name, method)
        body = fuzz.json_bytes(body) if body else None
    headers = dict(draw(parts.VERSION_HEADERS), **draw(parts.OTHER_HEADERS))
    return fuzz.Case(method, path, draw(parts.QUERIES), headers, body,
                     draw(_JSON_OR_NONE), draw(parts.TOKENS),
                     draw(APP_PREFIXES))


_ALL_TARGETS = st.sampled_from(TARGETS)
_ID_TARGETS = st.sampled_from(ID_TARGETS)


def _valid_case(draw, targets=_ALL_TARGETS, version=None):
    """A valid request for a handler (the seeded id 1 where one is used)."""
    template, method, name = draw(targets)
    body = _body_for(name, method)
    headers = {}
    if version is not None:
        headers[fuzz.LEGACY] = version
    elif name == 'images':
        headers[fuzz.LEGACY] = '2.81'
    return fuzz.Case(method, _with_id(template, '1'), headers=headers,
                     body=fuzz.json_bytes(body) if body else None,
                     content_type='application/json' if body else None)


_ID_VERSIONS = st.sampled_from(['2.1', '2.81', 'latest'])
_ADMIN_OR_MEMBER = st.sampled_from([fuzz.ADMIN] * 4 + [fuzz.MEMBER])


@st.composite
def _id_case(draw):
    case = _valid_case(draw, _ID_TARGETS, draw(_ID_VERSIONS))
    agg_id = draw(parts.IDS)
    case.path = case.path.replace('/1', '/' + agg_id, 1)
    case.token = draw(_ADMIN_OR_MEMBER)
    return case


@st.composite
def _version_case(draw):
    case = _valid_case(draw)
    case.headers = draw(parts.VERSION_HEADERS)
    return case


@st.composite
def _query_case(draw):
    case = _valid_case(draw, version=draw(parts.VERSIONS))
    case.query = draw(parts.QUERIES)
    return case


_CT_VERSIONS = st.sampled_from(['2.1', 'latest'])
_CT_BODIES = st.sampled_from(['valid', 'valid', None, b'', b'{"a": 1}',
                              b'--xyz\r\n\r\n--xyz--', b'a=1&b=2', b'<a/>'])


@st.composite
def _content_type_case(draw):
    case = _valid_case(draw, version=draw(_CT_VERSIONS))
    case.content_type = draw(parts.CONTENT_TYPES)
    body = draw(_CT_BODIES)
    if body != 'valid':
        case.body = body
    return case


class TestFuzzRoutes(fuzz.FuzzTestCase):

    @fuzz.fuzz(19)
    @given(_route_case())
    def test_any_route_any_method(self, case):
        self.send(case)

    @fuzz.fuzz(12)
    @given(_id_case())
    def test_ids(self, case):
        self.send(case)

    @fuzz.fuzz(10)
    @given(_version_case())
    def test_microversion_headers(self, case):
        resp = self.send(case)
        if resp.status_int == 400 and b'API Version String' in resp.body:
            self.assertNotIn(fuzz.LEGACY, resp.headers)

    @fuzz.fuzz(8)
    @given(_query_case())
    def test_query_strings(self, case):
        self.send(case)

    @fuzz.fuzz(9)
    @given(_content_type_case())
    def test_content_types(self, case):
        self.send(case)


@webob.dec.wsgify
def _other_api(req):
    req.environ['fuzz.behind'] = (req.environ['SCRIPT_NAME'],
                                  req.environ['PATH_INFO'])
    return webob.Response(body=b'other', content_type='text/plain')


_SEGMENTS = st.one_of(
    st.sampled_from(['os-aggregates', 'os-aggregates', fuzz.PROJECT, 'abc',
                     '0', '-', 'flavors', 'servers', 'os-aggregatesx',
                     'OS-AGGREGATES', 'ABC', '', '1', 'action', 'x%FFy',
                     'os-services']),
    parts.latin1(max_size=6))
_PATHS = st.lists(_SEGMENTS, max_size=5).map('/'.join)
_FILTER_METHODS = st.sampled_from(['GET', 'GET', 'POST', 'DELETE'])
_ROLES = st.sampled_from(['admin', 'member'])


@st.composite
def _filter_case(draw):
    case = fuzz.Case(draw(_FILTER_METHODS), '/' + draw(_PATHS), prefix='',
                     query=draw(parts.QUERIES))
    case.headers = {'X-Identity-Status': 'Confirmed', 'X-User-Id': 'u1',
                    'X-Project-Id': fuzz.PROJECT, 'X-Roles': draw(_ROLES)}
    case.token = None
    case.api = _ours(case.path)
    return case


def _ours(path):
    """The paths the filter serves: the router's project id, exactly."""
    segments = path.split('/')[1:]
    if segments[:1] == ['os-aggregates']:
        return True
    return (len(segments) > 1 and segments[1] == 'os-aggregates' and
            re.fullmatch('[0-9a-f-]+', segments[0]) is not None)


class TestFuzzFilter(fuzz.FuzzTestCase):
    """The Paste filter in another API's pipeline takes only its paths."""

    def setUp(self):
        super().setUp()
        self.app = router.filter_factory({})(_other_api)

    @fuzz.fuzz(7)
    @given(_filter_case())
    def test_filter_paths(self, case):
        req = case.request()
        resp = self.send(case, self.app, req)
        if case.api:
            self.assertNotEqual(b'other', resp.body, case)
            self.assertNotIn('fuzz.behind', req.environ, case)
        else:
            self.assertEqual(b'other', resp.body, case)
            self.assertEqual(('', case.path), req.environ['fuzz.behind'],
                             case)

"""Property-based fuzzing of the API: the harness the fuzz tests share.

Every case is one request through the real Paste application (as
``base.APITestCase`` drives it) on a SQLite database seeded with
aggregates and hosts.  Whatever the request, three things must hold:

* no 5xx;
* a 4xx is a Nova fault, ``{"<name>": {"code": N, "message": "..."}}``,
  except webob's plain 404 for a path or method that no route serves and
  oslo.middleware's plain 413 for an oversized body (both as on Nova);
* a refused request (4xx) leaves the stored state as it was.

A request that succeeds may change the state; the database is then put
back as it was seeded, so that every case starts from the same state and
the seeded ids stay valid.

Hypothesis runs derandomized (the same cases on every run) and without
its example database.  ``AGGREGATES_EXT_FUZZ_EXAMPLES`` is the number of
cases of the whole fuzz suite (default 11000), shared out among the tests
by weight.  When the process exits, one line tells how many cases ran:
``fuzz: N cases, M x 5xx``.
"""

import atexit
import collections
import os
import re
import sqlite3
import sys
import time

import fixtures
import hypothesis
from oslo_serialization import jsonutils
import sqlalchemy as sa
import webob

from aggregates_ext.api import router
from aggregates_ext.tests.unit.api import base

DEFAULT_CASES = 11000
# Each test's share of the cases; test modules pass their weight.
TOTAL_WEIGHT = 100

ADMIN = base.ADMIN
MEMBER = base.MEMBER
# A token whose project is a valid project id in a URL.
PROJECT = '0123abcd'
PROJECT_ADMIN = 'admin:' + PROJECT

STD = 'OpenStack-API-Version'
LEGACY = 'X-OpenStack-Nova-API-Version'
MAX_BODY = 114688

# Nova's fault names (nova-behaviour.md section 2).
FAULT_NAMES = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
               404: 'itemNotFound', 405: 'badMethod',
               409: 'conflictingRequest', 413: 'overLimit',
               415: 'badMediaType', 429: 'overLimit'}

_counts = collections.Counter()
_started = time.monotonic()


def _report():
    if _counts['cases']:
        tests = len([k for k in _counts if k.startswith('test_')])
        sys.__stdout__.write(
            '\nfuzz: %d cases, %d x 5xx (%d tests, %.1f s)\n'
            % (_counts['cases'], _counts['5xx'], tests,
               time.monotonic() - _started))
        sys.__stdout__.flush()


atexit.register(_report)


def examples(weight):
    """The number of cases of a test of this weight."""
    total = int(os.environ.get('AGGREGATES_EXT_FUZZ_EXAMPLES',
                               DEFAULT_CASES))
    return max(1, total * weight // TOTAL_WEIGHT)


def fuzz(weight):
    """Hypothesis settings of a fuzz test: derandomized, no database."""
    return hypothesis.settings(
        max_examples=examples(weight),
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[hypothesis.HealthCheck.too_slow,
                               hypothesis.HealthCheck.data_too_large,
                               hypothesis.HealthCheck.filter_too_much,
                               hypothesis.HealthCheck.large_base_example])


# Routes ---------------------------------------------------------------------

METHODS = ('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS')
ROUTES = [(path, method, action)
          for path, method, _resource, action in router.routes()]
# What routes match: the optional project id segment, ``{id}`` one
# segment, and Python's ``$`` (so a trailing newline matches, as in
# Routes).
_ROUTE_RES = [
    (re.compile('^(?:/%s)?' % router.PROJECT_ID_PATTERN +
                re.escape(path).replace(re.escape('{id}'), '[^/]+') + '$'),
     method)
    for path, method, _action in ROUTES]


def routed(method, path):
    """Whether a route serves this method and path (below /v2.1)."""
    return any(method == m and regex.match(path)
               for regex, m in _ROUTE_RES)


# Cases ----------------------------------------------------------------------

class Case:
    """One request, as a WSGI server would hand it to the application.

    ``path`` is PATH_INFO below ``prefix`` (/v2.1), decoded as a server
    decodes it (one latin-1 character per byte); ``query`` is the raw
    QUERY_STRING; ``content_type`` None sends no Content-Type.
    """

    def __init__(self, method, path, query='', headers=None, body=None,
                 content_type=None, token=ADMIN, prefix='/v2.1', api=None):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers or {}
        self.body = body
        self.content_type = content_type
        self.token = token
        self.prefix = prefix
        # Whether the API router gets the path (the version documents
        # serve /v2.1 and /v2.1/ themselves).
        self.api = (api if api is not None else
                    prefix == '/v2.1' and path.strip('/') != '')

    def __repr__(self):
        return ('Case(%s %s ?%s headers=%s content_type=%s token=%s '
                'body=%s)' % (self.method, _short(self.prefix + self.path),
                              _short(self.query),
                              '{%s}' % ', '.join(
                                  '%r: %s' % (k, _short(v))
                                  for k, v in self.headers.items()),
                              _short(self.content_type), _short(self.token),
                              _short(self.body)))

    def request(self):
        req = webob.Request.blank('/')
        req.method = self.method
        req.environ['PATH_INFO'] = self.prefix + self.path
        req.environ['QUERY_STRING'] = self.query
        if self.token is not None:
            req.headers['X-Auth-Token'] = self.token
        for name, value in self.headers.items():
            req.headers[name] = value
        if self.body is not None:
            req.body = self.body
        if self.content_type is not None:
            req.environ['CONTENT_TYPE'] = self.content_type
        return req


def _short(value, limit=200):
    """repr() of a value, its middle cut out when it is long."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return '%s...(%d characters)...%s' % (text[:limit // 2], len(text),
                                          text[-limit // 4:])


def json_bytes(value):
    """JSON text of a generated value; lone surrogates become escapes."""
    return jsonutils.dump_as_bytes(value)


# The test case --------------------------------------------------------------

class _Store:
    """The SQLite file under test: snapshots, and back to the seed."""

    def __init__(self, url):
        path = sa.engine.make_url(url).database
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.seed = sqlite3.connect(':memory:')

    def close(self):
        self.conn.close()
        self.seed.close()

    def save(self):
        self.conn.backup(self.seed)

    def restore(self):
        self.seed.backup(self.conn)

    def snapshot(self):
        """The stored state, in plain values."""
        q = self.conn.execute
        return {
            'aggregates': q('SELECT id, uuid, name, created_at, updated_at '
                            'FROM aggregates ORDER BY id').fetchall(),
            'hosts': q('SELECT aggregate_id, host FROM aggregate_hosts '
                       'ORDER BY id').fetchall(),
            'metadata': q('SELECT aggregate_id, key, value FROM '
                          'aggregate_metadata ORDER BY id').fetchall(),
            'services': q('SELECT host, "binary", disabled, forced_down, '
                          'updated_at FROM services ORDER BY id').fetchall(),
            'precache': q('SELECT count(*) FROM precache_requests '
                          ).fetchall(),
        }


class FuzzTestCase(base.APITestCase):
    """The API on a seeded database, and the checks of every case."""

    def setUp(self):
        super().setUp()
        images = self.useFixture(fixtures.TempDir()).path
        self.config.conf.set_override('source', 'local', group='image')
        self.config.conf.set_override('local_directory', images,
                                      group='image')
        self.seed()
        self.store = _Store(self.db.url)
        self.addCleanup(self.store.close)
        self.store.save()
        self.seeded = self.store.snapshot()

    def seed(self):
        """Aggregates 1 to 4 and hosts c1 to c3.

        1: zone az1, host c1, metadata k1; 2: no zone, host c2 (adding c1
        to it is fine, a zone for it then conflicts with az1); 3: zone
        az2, no host; 4: empty.
        """
        for host in ('c1', 'c2', 'c3'):
            self.register_host(host)
        one = self.create('agg1', az='az1')
        self.add_host(one['id'], 'c1')
        self.action(one['id'], 'set_metadata', {'metadata': {'k1': 'v1'}})
        two = self.create('agg2')
        self.add_host(two['id'], 'c2')
        self.create('agg3', az='az2')
        self.create('agg4')
        self.assertEqual([1, 2, 3, 4], [a['id'] for a in self.req(
            'GET', '/os-aggregates').json_body_or_none['aggregates']])

    def count(self):
        _counts['cases'] += 1
        _counts[self._testMethodName] += 1

    def send(self, case, app=None, req=None):
        """Run one case and check it; returns the response."""
        self.count()
        try:
            req = req or case.request()
            resp = req.get_response(app or self.api.app)
            self.check(case, resp)
        finally:
            state = self.store.snapshot()
            changed = state != self.seeded
            if changed:
                self.store.restore()
                self.assertEqual(self.seeded, self.store.snapshot())
        if changed and resp.status_int >= 400:
            self.fail('%s changed the stored state: %r -> %r'
                      % (case, self.seeded, state))
        return resp

    def check(self, case, resp):
        status = resp.status_int
        if status >= 500:
            _counts['5xx'] += 1
            self.fail('%s -> %s %s'
                      % (case, resp.status, _short(resp.body, 2000)))
        unrouted = case.api and not routed(case.method, case.path)
        if unrouted and case.method == 'OPTIONS' and status == 200:
            # oslo.middleware's CORS turns the 404 of an OPTIONS request
            # into a 200, on Nova too.
            return
        if unrouted:
            self.assertIn(status, (401, 404, 413),
                          '%s is not routed but got %s %s'
                          % (case, resp.status, _short(resp.body, 500)))
        if status == 404 and unrouted:
            self.assertPlain(case, resp, b'The resource could not be found.')
        elif status == 413:
            self.assertPlain(case, resp, b'Request is too large.')
            self.assertNotIn(b'%s', resp.body, case)
        elif 400 <= status < 500:
            self.assertNovaFault(case, resp)

    def assertPlain(self, case, resp, text):
        """webob's own error page (HTML, text or JSON), not a fault body."""
        if case.method != 'HEAD':  # webob sends no body for HEAD
            self.assertIn(text, resp.body, case)
        self.assertIsNone(_fault_of(resp), case)

    def assertNovaFault(self, case, resp):
        status = resp.status_int
        message = '%s -> %s %s' % (case, resp.status, _short(resp.body, 500))
        self.assertEqual('application/json; charset=UTF-8',
                         resp.headers.get('Content-Type'), message)
        if case.method == 'HEAD':
            return
        body = _fault_of(resp)
        self.assertIsNotNone(body, message)
        self.assertEqual([FAULT_NAMES.get(status, 'computeFault')],
                         list(body), message)
        (fault,) = body.values()
        self.assertEqual(['code', 'message'], sorted(fault), message)
        self.assertEqual(status, fault['code'], message)
        self.assertIsInstance(fault['message'], str, message)


def _fault_of(resp):
    """The body when it has a fault's shape (one key, a dict), else None."""
    try:
        body = jsonutils.loads(resp.body)
    except ValueError:
        return None
    if (isinstance(body, dict) and len(body) == 1 and
            isinstance(next(iter(body.values())), dict) and
            'code' in next(iter(body.values()))):
        # webob's JSON error page has "code": "404 Not Found" at the top.
        return body
    return None

"""One INFO line per API request, with its request id in the context."""

import logging
import re

from aggregates_ext.tests.unit.api import base

LINE = re.compile(r'^(?P<remote>\S+) "(?P<method>[A-Z]+) (?P<path>\S+)" '
                  r'status: (?P<status>\d{3}) len: (?P<len>\d+) '
                  r'microversion: (?P<version>\S+) time: \d+\.\d{6}$')


class Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        self.records.append(record)


class TestRequestLog(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.handler = Records()
        logger = logging.getLogger('aggregates_ext.api.requestlog')
        logger.addHandler(self.handler)
        self.addCleanup(logger.removeHandler, self.handler)
        old_level = logger.level
        logger.setLevel(logging.INFO)
        self.addCleanup(logger.setLevel, old_level)

    def logged(self, resp):
        """The one line logged for ``resp``, parsed, and its record."""
        request_id = resp.headers['x-openstack-request-id']
        mine = [r for r in self.handler.records
                if getattr(r, 'context', None) is not None and
                r.context.request_id == request_id]
        self.assertEqual(1, len(mine), [r.getMessage()
                                        for r in self.handler.records])
        match = LINE.match(mine[0].getMessage())
        self.assertIsNotNone(match, mine[0].getMessage())
        return match.groupdict(), mine[0]

    def test_success_names_user_and_length(self):
        agg = self.create('agg1')
        resp = self.req('GET', '/os-aggregates/%s?x=1' % agg['id'],
                        version='2.81')
        self.assertEqual(200, resp.status_int)
        line, record = self.logged(resp)
        self.assertEqual({'remote': '-', 'method': 'GET',
                          'path': '/v2.1/os-aggregates/%s?x=1' % agg['id'],
                          'status': '200', 'len': str(len(resp.body)),
                          'version': '2.81'}, line)
        self.assertEqual(('admin', 'admin'), (record.context.user_id,
                                              record.context.project_id))
        self.assertEqual(logging.INFO, record.levelno)

    def test_fault_and_unauthenticated_requests(self):
        missing = self.req('GET', '/os-aggregates/99')
        line, _record = self.logged(missing)
        self.assertEqual(('404', str(len(missing.body)), '2.1'),
                         (line['status'], line['len'], line['version']))
        anonymous = self.req('GET', '/os-aggregates', token=None)
        self.assertEqual(401, anonymous.status_int)
        line, record = self.logged(anonymous)
        self.assertEqual('401', line['status'])
        self.assertIsNone(record.context.user_id)

    def test_version_document(self):
        resp = self.api.request('GET', '/v2.1')
        line, _record = self.logged(resp)
        self.assertEqual(('/v2.1', '200'), (line['path'], line['status']))

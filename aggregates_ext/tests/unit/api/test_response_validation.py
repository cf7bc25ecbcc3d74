"""Responses checked against their schemas: error, warn and ignore."""

import copy

import fixtures

from aggregates_ext.api.controllers import aggregates as controller
from aggregates_ext.api import fault
from aggregates_ext.api import microversion
from aggregates_ext.api import validation
from aggregates_ext.tests.unit.api import base

V2_81 = microversion.APIVersion(2, 81)


class TestResponseValidation(base.APITestCase):

    def setUp(self):
        super().setUp()
        agg = self.create('agg1', az='az1')
        resp = self.req('GET', '/os-aggregates/%s' % agg['id'],
                        version='2.81')
        self.assertEqual(200, resp.status_int)
        self.body = resp.json_body
        self.index = controller.AggregatesController.index
        self.show = controller.AggregatesController.show

    def check(self, body, mode='error', handler=None):
        validation.check_response(handler or self.show, V2_81, body, mode)

    def spoiled(self, **changes):
        body = copy.deepcopy(self.body)
        body['aggregate'].update(changes)
        return body

    def test_a_real_answer_passes(self):
        self.check(self.body)
        self.check({'aggregates': [self.body['aggregate']] * 3},
                   handler=self.index)

    def test_each_kind_of_mismatch_is_a_500_in_error_mode(self):
        for changes in ({'uuid': 'not-a-uuid'}, {'id': 'one'},
                        {'id': True}, {'deleted': True}, {'hosts': [1]},
                        {'created_at': '2026-12-01'}, {'extra': 1},
                        {'metadata': {'ssd': 1}}, {'availability_zone': 5}):
            exc = self.assertRaises(fault.HTTPError, self.check,
                                    self.spoiled(**changes))
            self.assertEqual(500, exc.status)
            self.assertIn('Response body invalid: ', exc.message)
        missing = copy.deepcopy(self.body)
        del missing['aggregate']['metadata']
        self.assertRaises(fault.HTTPError, self.check, missing)
        # An aggregate of a list is checked as well.
        self.assertRaises(fault.HTTPError, self.check,
                          {'aggregates': [self.body['aggregate'],
                                          {'id': 2}]}, handler=self.index)

    def test_warn_logs_and_ignore_says_nothing(self):
        logged = self.useFixture(fixtures.FakeLogger(
            'aggregates_ext.api.validation'))
        self.check(self.spoiled(uuid='not-a-uuid'), mode='warn')
        self.assertIn('does not match its schema', logged.output)
        self.assertIn('AggregatesController.show', logged.output)
        logged = self.useFixture(fixtures.FakeLogger(
            'aggregates_ext.api.validation'))
        self.check(self.spoiled(uuid='not-a-uuid'), mode='ignore')
        self.assertEqual('', logged.output)

    def test_same_verdicts_as_the_request_validator(self):
        # The compiled schemas accept and refuse what jsonschema does.
        schema = validation._schema_for(self.show, 'response', V2_81)
        for changes in ({}, {'id': 1.0}, {'id': True}, {'name': ' x '},
                        {'uuid': 'not-a-uuid'}, {'updated_at': None},
                        {'updated_at': 5}, {'hosts': []}, {'extra': 1}):
            body = self.spoiled(**changes)
            expected = list(validation._Validator(
                schema, format_checker=validation.format_checker
            ).iter_errors(body))
            try:
                self.check(body)
            except fault.HTTPError:
                self.assertTrue(expected, changes)
            else:
                self.assertEqual([], expected, changes)

"""Every route: schemas for every version, and 403 for a non-admin."""

import os
import tempfile
from unittest import mock

import fixtures
import testtools

from aggregates_ext.api import dispatch
from aggregates_ext.api import microversion as mv
from aggregates_ext.api import router
from aggregates_ext.api import validation
from aggregates_ext import policy
from aggregates_ext.tests.unit.api import base

_VALID_BODIES = {
    'create': {'aggregate': {'name': 'x'}},
    'update': {'aggregate': {'name': 'x'}},
    'add_host': {'add_host': {'host': 'c1'}},
    'remove_host': {'remove_host': {'host': 'c1'}},
    'set_metadata': {'set_metadata': {'metadata': {}}},
    'images': {'cache': [{'id': '3b1c2d9e-6f1a-4c55-9d0e-2b7f8c1a0e11'}]},
}


def _handlers():
    """(path, method, handler name, handler) of every routed handler."""
    for path, method, resource, action in router.routes():
        if action == 'action':
            for name in resource.actions.values():
                yield path, method, name, getattr(resource.controller, name)
        else:
            yield path, method, action, getattr(resource.controller, action)


class TestEveryRoute(base.APITestCase):

    def test_every_handler_has_a_request_schema(self):
        missing = []
        for path, method, name, handler in _handlers():
            schemas = validation.schemas_of(handler)
            kind = 'body' if method in ('POST', 'PUT') else 'query'
            if not schemas.get(kind):
                missing.append('%s %s (%s)' % (method, path, name))
        self.assertEqual([], missing)

    def test_every_aggregate_route_403_for_non_admin(self):
        agg = self.create()
        allowed = []
        for path, method, name, handler in _handlers():
            if path.startswith('/versions'):
                continue
            url = path.replace('{aggregate_id}', str(agg['id'])).replace(
                '{id}', str(agg['id']))
            body = _VALID_BODIES.get(name)
            if path.endswith('/action'):
                body = _VALID_BODIES[name]
            resp = self.req(method, url, body, token=base.MEMBER,
                            version='latest')
            if resp.status_int != 403:
                allowed.append('%s %s %s -> %s' % (method, url, name,
                                                   resp.status_int))
            else:
                message = resp.json_body_or_none['forbidden']['message']
                self.assertRegex(message, r"^Policy doesn't allow "
                                 r"(os_compute_api:os-[\w-]+:|"
                                 r"compute:aggregates:|"
                                 r"aggregates_ext:precache_requests:)"
                                 r"[\w-]+ to be "
                                 r"performed\.$")
        self.assertEqual([], allowed)

    def test_resources_are_wsgi_resources(self):
        for path, method, resource, action in router.routes():
            self.assertIsInstance(resource, dispatch.Resource)


class TestPolicyFile(base.APITestCase):

    def test_deployer_policy_file_overrides_default(self):
        path = os.path.join(tempfile.mkdtemp(), 'policy.yaml')
        with open(path, 'w') as f:
            f.write('"os_compute_api:os-aggregates:index": "role:reader"\n')
        self.config.conf.set_override('policy_file', path,
                                      group='oslo_policy')
        policy.reset()
        self.assertEqual(200, self.req('GET', '/os-aggregates',
                                       token=base.MEMBER).status_int)
        self.assertEqual(403, self.req('POST', '/os-aggregates',
                                       {'aggregate': {'name': 'x'}},
                                       token=base.MEMBER).status_int)

    def test_an_edited_policy_file_takes_effect_within_the_recheck(self):
        path = os.path.join(tempfile.mkdtemp(), 'policy.yaml')
        rule = '"os_compute_api:os-aggregates:index": "%s"\n'
        with open(path, 'w') as f:
            f.write(rule % 'role:reader')
        self.config.conf.set_override('policy_file', path,
                                      group='oslo_policy')
        policy.reset()
        self.addCleanup(policy.reset)
        now = [1000.0]
        self.useFixture(fixtures.MockPatchObject(
            policy, '_clock', mock.Mock(side_effect=lambda: now[0])))

        def index():
            return self.req('GET', '/os-aggregates',
                            token=base.MEMBER).status_int

        self.assertEqual(200, index())
        with open(path, 'w') as f:
            f.write(rule % 'role:admin')
        # A second later, oslo.policy sees the new file (by its mtime).
        os.utime(path, (os.stat(path).st_atime, os.stat(path).st_mtime + 1))
        now[0] += policy.RECHECK_SECONDS / 2
        self.assertEqual(200, index())
        now[0] += policy.RECHECK_SECONDS
        self.assertEqual(403, index())


def _following(version):
    return (version[0], version[1] + 1)


class TestSchemaRanges(testtools.TestCase):
    """Every version a handler serves has exactly one schema of each kind.

    The request schema (body or query) and the response schema, from the
    handler's first version (2.1, or its api_version gate) to 2.104: no
    gap, no overlap, as Nova's validation checks its own.
    """

    def test_no_gap_no_overlap(self):
        problems = []
        for path, method, name, handler in _handlers():
            low, high = getattr(handler, '_api_range', (None, None))
            low = tuple(low or mv.MIN_VERSION)
            high = tuple(high or mv.MAX_VERSION)
            kinds = ['body' if method in ('POST', 'PUT') else 'query',
                     'response']
            for kind in kinds:
                ranges = sorted(
                    (tuple(lo or mv.MIN_VERSION), tuple(hi or mv.MAX_VERSION))
                    for _schema, lo, hi in
                    validation.schemas_of(handler).get(kind, []))
                where = '%s %s %s (%s)' % (method, path, name, kind)
                if not ranges:
                    problems.append('%s: none' % where)
                    continue
                if ranges[0][0] > low or ranges[-1][1] < high:
                    problems.append('%s: %s does not cover %s-%s'
                                    % (where, ranges, low, high))
                for (_lo, hi), (next_lo, _hi) in zip(ranges, ranges[1:]):
                    if next_lo != _following(hi):
                        problems.append('%s: %s then %s' % (where, hi,
                                                            next_lo))
        self.assertEqual([], problems)

"""Tempest's own aggregate response schemas accept what we send.

Tempest validates every response against these (additionalProperties is
false, so a field too many fails as surely as one missing).
"""

from tempest.lib.api_schema.response.compute.v2_1 import aggregates as v21
from tempest.lib.api_schema.response.compute.v2_41 import aggregates as v241
from tempest.lib.common import rest_client
from tempest.lib import exceptions

from aggregates_ext.tests.unit.api import base


class _Resp(dict):
    def __init__(self, resp):
        super().__init__(resp.headers)
        self.status = resp.status_int


class TestTempestSchemas(base.APITestCase):

    def check(self, schema, resp):
        body = resp.json_body_or_none
        rest_client.RestClient.validate_response(
            schema, _Resp(resp), body)

    def scenario(self, schemas, version):
        self.register_host('compute1')
        resp = self.req('POST', '/os-aggregates', {
            'aggregate': {'name': 'agg', 'availability_zone': None}},
            version=version)
        self.check(schemas.create_aggregate, resp)
        agg_id = resp.json_body_or_none['aggregate']['id']
        resp = self.req('POST', '/os-aggregates', {
            'aggregate': {'name': 'agg-az', 'availability_zone': 'az1'}},
            version=version)
        self.check(schemas.create_aggregate, resp)
        path = '/os-aggregates/%s' % agg_id
        self.check(schemas.list_aggregates,
                   self.req('GET', '/os-aggregates', version=version))
        self.check(schemas.get_aggregate,
                   self.req('GET', path, version=version))
        self.check(schemas.update_aggregate, self.req(
            'PUT', path, {'aggregate': {'name': 'agg2',
                                        'availability_zone': 'az2'}},
            version=version))
        self.check(schemas.aggregate_set_metadata, self.action(
            agg_id, 'set_metadata', {'metadata': {'k': 'v'}},
            version=version))
        self.check(schemas.aggregate_add_remove_host, self.action(
            agg_id, 'add_host', {'host': 'compute1'}, version=version))
        self.check(schemas.get_aggregate,
                   self.req('GET', path, version=version))
        self.check(schemas.aggregate_add_remove_host, self.action(
            agg_id, 'remove_host', {'host': 'compute1'}, version=version))
        self.check(schemas.delete_aggregate,
                   self.req('DELETE', path, version=version))

    def test_v2_1_schemas(self):
        self.scenario(v21, None)

    def test_v2_41_schemas(self):
        self.scenario(v241, '2.41')

    def test_v2_41_schema_rejects_2_1_bodies(self):
        # The test above must be able to fail: a body without uuid does not
        # pass the 2.41 schema.
        self.create()
        resp = self.req('GET', '/os-aggregates')
        self.assertRaises(
            exceptions.InvalidHTTPResponseBody,
            rest_client.RestClient.validate_response,
            v241.list_aggregates, _Resp(resp), resp.json_body_or_none)

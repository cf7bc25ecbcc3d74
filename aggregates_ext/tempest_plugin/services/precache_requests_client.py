# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Client of aggregates-ext's pre-cache status API (microversion 2.81).

GET /os-aggregates/{aggregate_id}/precache-requests[/{request_id}]; Nova
has no such paths.  The schemas are written from the API reference, not
taken from the service, so that a change of shape shows here.
"""

from urllib import parse

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client
from tempest.lib.services.compute import base_compute_client

_uuid = {'type': 'string', 'format': 'uuid'}
_nullable_time = {'type': ['string', 'null']}
_request_states = ['pending', 'running', 'complete', 'partial', 'failed']

_summary = {
    'type': 'object',
    'properties': {
        'id': _uuid,
        'aggregate_id': {'type': 'integer'},
        'aggregate_uuid': {'type': ['string', 'null']},
        'status': {'enum': _request_states},
        'images': {'type': 'array', 'items': _uuid},
        'request_id': {'type': ['string', 'null']},
        'conductor': {'type': ['string', 'null']},
        'created_at': {'type': 'string'},
        'updated_at': _nullable_time,
        'started_at': _nullable_time,
        'finished_at': _nullable_time,
        'counts': {
            'type': 'object',
            'properties': {name: {'type': 'integer', 'minimum': 0}
                           for name in ('hosts', 'done', 'failed',
                                        'skipped', 'remaining')},
            'required': ['hosts', 'done', 'failed', 'skipped', 'remaining'],
            'additionalProperties': False,
        },
    },
    'required': ['id', 'aggregate_id', 'status', 'images', 'request_id',
                 'created_at', 'finished_at', 'counts'],
}

_host = {
    'type': 'object',
    'properties': {
        'host': {'type': 'string'},
        'status': {'enum': ['pending', 'running', 'done', 'failed',
                            'skipped']},
        'via': {'type': ['string', 'null']},
        'detail': {'type': ['string', 'null']},
        'images': {'type': 'array', 'items': {
            'type': 'object',
            'properties': {
                'id': _uuid,
                'status': {'enum': ['pending', 'downloading', 'stalled',
                                    'cached', 'existing', 'error',
                                    'unsupported', 'skipped']},
                'reason_code': {'type': ['string', 'null']},
                'reason': {'type': ['string', 'null']},
                'bytes_done': {'type': ['integer', 'null']},
                'bytes_total': {'type': ['integer', 'null']},
                'updated_at': _nullable_time,
            },
            'required': ['id', 'status', 'reason_code', 'reason',
                         'bytes_done', 'bytes_total'],
        }},
    },
    'required': ['host', 'status', 'images'],
}

list_schema = {
    'status_code': [200],
    'response_body': {
        'type': 'object',
        'properties': {
            'precache_requests': {'type': 'array', 'items': _summary},
            'precache_requests_links': {'type': 'array'},
        },
        'required': ['precache_requests'],
        'additionalProperties': False,
    },
}

show_schema = {
    'status_code': [200],
    'response_body': {
        'type': 'object',
        'properties': {
            'precache_request': {
                'allOf': [_summary, {
                    'type': 'object',
                    'properties': {'hosts': {'type': 'array',
                                             'items': _host}},
                    'required': ['hosts'],
                }],
            },
        },
        'required': ['precache_request'],
        'additionalProperties': False,
    },
}


class PrecacheRequestsClient(base_compute_client.BaseComputeClient):

    def list_precache_requests(self, aggregate_id, **params):
        """The aggregate's requests; params: status, request_id, limit..."""
        url = 'os-aggregates/%s/precache-requests' % aggregate_id
        if params:
            url += '?%s' % parse.urlencode(params, doseq=True)
        resp, body = self.get(url)
        body = json.loads(body)
        self.validate_response(list_schema, resp, body)
        return rest_client.ResponseBody(resp, body)

    def show_precache_request(self, aggregate_id, request_id):
        resp, body = self.get('os-aggregates/%s/precache-requests/%s'
                              % (aggregate_id, request_id))
        body = json.loads(body)
        self.validate_response(show_schema, resp, body)
        return rest_client.ResponseBody(resp, body)

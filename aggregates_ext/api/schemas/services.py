"""Query and response schemas of GET /os-services."""

import copy


# Microversions that change os-services (Nova's; the UUID ids of 2.53 are
# ``microversion.HOST_UUIDS``).

# Nova's ``common_query_param``: any number of string values.
_string_values = {'type': 'array', 'items': {'type': 'string'}}

# Before STRICT_QUERY other query parameters are accepted and ignored, as
# on Nova; from it on they are refused with 400.
index_query = {
    'type': 'object',
    'properties': {'host': _string_values, 'binary': _string_values},
    'additionalProperties': True,
}
index_query_v275 = copy.deepcopy(index_query)
index_query_v275['additionalProperties'] = False

# Responses ------------------------------------------------------------------

_date_time_or_null = {'type': ['string', 'null'],
                      'pattern': r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$'}

_service = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'binary': {'type': 'string'},
        'host': {'type': 'string'},
        'zone': {'type': 'string'},
        'status': {'enum': ['enabled', 'disabled']},
        'state': {'enum': ['up', 'down']},
        'updated_at': _date_time_or_null,
        'disabled_reason': {'type': ['string', 'null']},
    },
    'required': ['id', 'binary', 'host', 'zone', 'status', 'state',
                 'updated_at', 'disabled_reason'],
    'additionalProperties': False,
}

_service_v211 = copy.deepcopy(_service)
_service_v211['properties']['forced_down'] = {'type': 'boolean'}
_service_v211['required'].append('forced_down')

_service_v253 = copy.deepcopy(_service_v211)
_service_v253['properties']['id'] = {'type': 'string', 'format': 'uuid'}


def _many(schema):
    return {
        'type': 'object',
        'properties': {'services': {'type': 'array', 'items': schema}},
        'required': ['services'],
        'additionalProperties': False,
    }


index_response = _many(_service)
index_response_v211 = _many(_service_v211)
index_response_v253 = _many(_service_v253)

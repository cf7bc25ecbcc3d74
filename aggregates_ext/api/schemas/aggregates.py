"""Request and response schemas of /os-aggregates."""

import copy

from aggregates_ext.api.schemas import parameter_types as types

_availability_zone = {'oneOf': [types.az_name, {'type': 'null'}]}

create = {
    'type': 'object',
    'properties': {
        'aggregate': {
            'type': 'object',
            'properties': {
                'name': types.name,
                'availability_zone': _availability_zone,
            },
            'required': ['name'],
            'additionalProperties': False,
        },
    },
    'required': ['aggregate'],
    'additionalProperties': False,
}

update = {
    'type': 'object',
    'properties': {
        'aggregate': {
            'type': 'object',
            'properties': {
                'name': types.name_with_leading_trailing_spaces,
                'availability_zone': _availability_zone,
            },
            'additionalProperties': False,
            'anyOf': [
                {'required': ['name']},
                {'required': ['availability_zone']},
            ],
        },
    },
    'required': ['aggregate'],
    'additionalProperties': False,
}

_host_body = {
    'type': 'object',
    'properties': {'host': types.fqdn},
    'required': ['host'],
    'additionalProperties': False,
}

add_host = {
    'type': 'object',
    'properties': {'add_host': _host_body},
    'required': ['add_host'],
    'additionalProperties': False,
}

remove_host = {
    'type': 'object',
    'properties': {'remove_host': _host_body},
    'required': ['remove_host'],
    'additionalProperties': False,
}

set_metadata = {
    'type': 'object',
    'properties': {
        'set_metadata': {
            'type': 'object',
            'properties': {'metadata': types.metadata_with_null},
            'required': ['metadata'],
            'additionalProperties': False,
        },
    },
    'required': ['set_metadata'],
    'additionalProperties': False,
}

# Up to 2.101 any query string is accepted and ignored; from 2.102 none is.
index_query = types.no_query
show_query = types.no_query
# Every other method ignores query strings at every version.
delete_query = types.any_query
index_query_legacy = types.any_query
show_query_legacy = types.any_query

# Responses ------------------------------------------------------------------

_date_time_or_null = {'type': ['string', 'null'],
                      'pattern': r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$'}
_date_time = {'type': 'string',
              'pattern': r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$'}

_aggregate_v21 = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'name': {'type': 'string'},
        'hosts': {'type': 'array', 'items': {'type': 'string'}},
        'metadata': {
            'type': 'object',
            'additionalProperties': {'type': 'string'},
        },
        'created_at': _date_time,
        'updated_at': _date_time_or_null,
        'deleted_at': {'type': 'null'},
        'deleted': {'const': False},
        'availability_zone': {'type': ['string', 'null']},
    },
    'required': ['id', 'name', 'hosts', 'metadata', 'created_at',
                 'updated_at', 'deleted_at', 'deleted',
                 'availability_zone'],
    'additionalProperties': False,
}


def _with_uuid(schema):
    schema = copy.deepcopy(schema)
    schema['properties']['uuid'] = {'type': 'string', 'format': 'uuid'}
    schema['required'].append('uuid')
    return schema


def _created(schema):
    schema = copy.deepcopy(schema)
    for key in ('hosts', 'metadata'):
        del schema['properties'][key]
        schema['required'].remove(key)
    return schema


def _single(schema):
    return {
        'type': 'object',
        'properties': {'aggregate': schema},
        'required': ['aggregate'],
        'additionalProperties': False,
    }


def _many(schema):
    return {
        'type': 'object',
        'properties': {'aggregates': {'type': 'array', 'items': schema}},
        'required': ['aggregates'],
        'additionalProperties': False,
    }


_aggregate_v241 = _with_uuid(_aggregate_v21)

index_response = _many(_aggregate_v21)
index_response_v241 = _many(_aggregate_v241)
show_response = _single(_aggregate_v21)
show_response_v241 = _single(_aggregate_v241)
create_response = _single(_created(_aggregate_v21))
create_response_v241 = _single(_created(_aggregate_v241))
delete_response = {'type': 'null'}

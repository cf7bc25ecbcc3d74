"""Schemas of pre-cache requests: the POST that makes one (2.81, as Nova's
``/os-aggregates/{id}/images``) and the status API that shows them."""

from aggregates_ext.api.schemas import parameter_types as types
from aggregates_ext import precache_status as states

# POST /os-aggregates/{id}/images
images = {
    'type': 'object',
    'properties': {
        'cache': {
            'type': 'array',
            'minItems': 1,
            'items': {
                'type': 'object',
                'properties': {'id': types.image_id},
                'required': ['id'],
                'additionalProperties': False,
            },
        },
    },
    'required': ['cache'],
    'additionalProperties': False,
}

images_response = {'type': 'null'}

# The status API

_non_negative_integer = {
    'type': 'string', 'pattern': '^[0-9]+$', 'maxLength': 9,
}

index_query = {
    'type': 'object',
    'properties': {
        'status': {'type': 'array',
                   'items': {'enum': list(states.REQUEST_STATES)}},
        'request_id': {'type': 'array',
                       'items': {'type': 'string', 'maxLength': 255}},
        'limit': {'type': 'array', 'items': _non_negative_integer,
                  'maxItems': 1},
        'marker': {'type': 'array', 'items': types.image_id,
                   'maxItems': 1},
    },
    'additionalProperties': False,
}

show_query = types.no_query

_counts = {
    'type': 'object',
    'properties': {name: {'type': 'integer', 'minimum': 0}
                   for name in ('hosts', 'done', 'failed', 'skipped',
                                'remaining')},
    'required': ['hosts', 'done', 'failed', 'skipped', 'remaining'],
    'additionalProperties': False,
}
_summary_properties = {
    'id': {'type': 'string', 'format': 'uuid'},
    'aggregate_id': {'type': 'integer'},
    'aggregate_uuid': {'type': ['string', 'null']},
    'status': {'enum': list(states.REQUEST_STATES)},
    'images': {'type': 'array', 'items': {'type': 'string',
                                          'format': 'uuid'}},
    'request_id': {'type': ['string', 'null']},
    'conductor': {'type': ['string', 'null']},
    'created_at': {'type': 'string'},
    'updated_at': {'type': ['string', 'null']},
    'started_at': {'type': ['string', 'null']},
    'finished_at': {'type': ['string', 'null']},
    'counts': _counts,
}
_summary = {
    'type': 'object',
    'properties': _summary_properties,
    'required': sorted(_summary_properties),
    'additionalProperties': False,
}
_image = {
    'type': 'object',
    'properties': {
        'id': {'type': 'string', 'format': 'uuid'},
        'status': {'enum': [states.IMAGE_PENDING, states.DOWNLOADING,
                            states.STALLED, states.CACHED, states.EXISTING,
                            states.ERROR, states.UNSUPPORTED,
                            states.SKIPPED]},
        'reason_code': {'type': ['string', 'null']},
        'reason': {'type': ['string', 'null']},
        'bytes_done': {'type': ['integer', 'null'], 'minimum': 0},
        'bytes_total': {'type': ['integer', 'null'], 'minimum': 0},
        'updated_at': {'type': ['string', 'null']},
    },
    'required': ['id', 'status', 'reason_code', 'reason', 'bytes_done',
                 'bytes_total', 'updated_at'],
    'additionalProperties': False,
}
_host = {
    'type': 'object',
    'properties': {
        'host': {'type': 'string'},
        'status': {'enum': [states.HOST_PENDING, states.HOST_RUNNING,
                            states.HOST_DONE, states.HOST_FAILED,
                            states.HOST_SKIPPED]},
        'via': {'type': ['string', 'null']},
        'detail': {'type': ['string', 'null']},
        'images': {'type': 'array', 'items': _image},
    },
    'required': ['host', 'status', 'via', 'detail', 'images'],
    'additionalProperties': False,
}
_detail = {
    'type': 'object',
    'properties': dict(_summary_properties,
                       hosts={'type': 'array', 'items': _host}),
    'required': sorted(list(_summary_properties) + ['hosts']),
    'additionalProperties': False,
}

index_response = {
    'type': 'object',
    'properties': {
        'precache_requests': {'type': 'array', 'items': _summary},
        'precache_requests_links': types.next_links,
    },
    'required': ['precache_requests'],
    'additionalProperties': False,
}

show_response = {
    'type': 'object',
    'properties': {'precache_request': _detail},
    'required': ['precache_request'],
    'additionalProperties': False,
}

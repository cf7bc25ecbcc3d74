"""Request schema of POST /os-aggregates/{id}/images (2.81)."""

from aggregates_ext.api.schemas import parameter_types as types

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

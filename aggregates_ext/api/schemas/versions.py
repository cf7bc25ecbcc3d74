"""Response schema of GET /v2.1/versions/v2.1 (the version document)."""

_link = {
    'type': 'object',
    'properties': {'rel': {'type': 'string'}, 'href': {'type': 'string'},
                   'type': {'type': 'string'}},
    'required': ['rel', 'href'],
    'additionalProperties': False,
}

show_response = {
    'type': 'object',
    'properties': {
        'version': {
            'type': 'object',
            'properties': {
                'id': {'const': 'v2.1'},
                'status': {'type': 'string'},
                'version': {'type': 'string'},
                'min_version': {'type': 'string'},
                'updated': {'type': 'string'},
                'links': {'type': 'array', 'items': _link},
                'media-types': {
                    'type': 'array',
                    'items': {
                        'type': 'object',
                        'properties': {'base': {'type': 'string'},
                                       'type': {'type': 'string'}},
                        'required': ['base', 'type'],
                        'additionalProperties': False,
                    },
                },
            },
            'required': ['id', 'status', 'version', 'min_version',
                         'updated', 'links', 'media-types'],
            'additionalProperties': False,
        },
    },
    'required': ['version'],
    'additionalProperties': False,
}

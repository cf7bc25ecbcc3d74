"""Request parameter types shared by the schemas (Nova's definitions)."""

name = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'format': 'name',
}

name_with_leading_trailing_spaces = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'format': 'name_with_leading_trailing_spaces',
}

az_name = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'format': 'az_name',
}

fqdn = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': '^[a-zA-Z0-9-._]*$',
}

metadata_with_null = {
    'type': 'object',
    'patternProperties': {
        '^[a-zA-Z0-9-_:. ]{1,255}$': {
            'type': ['string', 'null'], 'maxLength': 255,
        },
    },
    'additionalProperties': False,
}

image_id = {
    'type': 'string', 'format': 'uuid',
}

no_query = {
    'type': 'object',
    'properties': {},
    'additionalProperties': False,
}

any_query = {
    'type': 'object',
    'properties': {},
    'additionalProperties': True,
}


# The "next" link of a full page (hypervisors, pre-cache requests).
next_links = {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {
            'href': {'type': 'string'},
            'rel': {'const': 'next'},
        },
        'required': ['href', 'rel'],
        'additionalProperties': False,
    },
}

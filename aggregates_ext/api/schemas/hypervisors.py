"""Query and response schemas of GET /os-hypervisors and its detail."""

import copy

from aggregates_ext.api.schemas import parameter_types as types

# The microversions that change os-hypervisors are named in
# ``api/microversion.py`` (HYPERVISOR_*, HOST_UUIDS, HOSTS_STRICT_QUERY).

# Nova's ``non_negative_integer`` and ``boolean`` parameter types.
_non_negative_integer = {
    'type': ['integer', 'string'],
    'pattern': '^[0-9]*$', 'minimum': 0, 'minLength': 1,
}
_boolean = {
    'type': ['boolean', 'string'],
    'enum': [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on',
             'YES', 'Yes', 'yes',
             False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off',
             'NO', 'No', 'no'],
}


def _values(schema):
    return {'type': 'array', 'items': schema}


def _single(schema):
    return {'type': 'array', 'items': schema, 'maxItems': 1}


# Before PAGING any query parameter is ignored.  From PAGING to HOST_UUIDS
# ``limit`` and ``marker`` are read and others ignored; from HOST_UUIDS on
# each parameter may be given once and any other one is refused (Nova's
# rules, for the list and the detail alike).
index_query = types.any_query
index_query_v233 = {
    'type': 'object',
    'properties': {
        'limit': _values(_non_negative_integer),
        'marker': _values({'type': 'string'}),
    },
    'additionalProperties': True,
}
index_query_v253 = {
    'type': 'object',
    'properties': {
        'limit': _single(_non_negative_integer),
        'marker': _single({'type': 'string'}),
        'hypervisor_hostname_pattern': _single(types.fqdn),
        'with_servers': _single(_boolean),
    },
    'additionalProperties': False,
}

# Responses ------------------------------------------------------------------

_links = types.next_links

_servers = {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {
            'name': {'type': 'string'},
            'uuid': {'type': 'string', 'format': 'uuid'},
        },
        'required': ['name', 'uuid'],
        'additionalProperties': False,
    },
}

_uuid = {'type': 'string', 'format': 'uuid'}

_hypervisor = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'hypervisor_hostname': {'type': 'string'},
        'state': {'enum': ['up', 'down']},
        'status': {'enum': ['enabled', 'disabled']},
    },
    'required': ['id', 'hypervisor_hostname', 'state', 'status'],
    'additionalProperties': False,
}

_hypervisor_v253 = copy.deepcopy(_hypervisor)
_hypervisor_v253['properties'].update({'id': _uuid, 'servers': _servers})

_STATS = ('current_workload', 'free_disk_gb', 'free_ram_mb', 'local_gb',
          'local_gb_used', 'memory_mb', 'memory_mb_used', 'running_vms',
          'vcpus', 'vcpus_used')

_detail = copy.deepcopy(_hypervisor)
_detail['properties'].update({
    'hypervisor_type': {'type': 'string'},
    'hypervisor_version': {'type': 'integer'},
    'host_ip': {'type': ['string', 'null']},
    'service': {
        'type': 'object',
        'properties': {
            'host': {'type': 'string'},
            'id': {'type': 'integer'},
            'disabled_reason': {'type': ['string', 'null']},
        },
        'required': ['host', 'id', 'disabled_reason'],
        'additionalProperties': False,
    },
    'cpu_info': {'type': 'string'},
    'disk_available_least': {'type': ['integer', 'null']},
})
_detail['properties'].update({name: {'type': 'integer'} for name in _STATS})
_detail['required'].extend(
    ['hypervisor_type', 'hypervisor_version', 'host_ip', 'service',
     'cpu_info', 'disk_available_least'] + list(_STATS))

_detail_v228 = copy.deepcopy(_detail)
_detail_v228['properties']['cpu_info'] = {'type': 'object'}

_detail_v253 = copy.deepcopy(_detail_v228)
_detail_v253['properties'].update({'id': _uuid, 'servers': _servers})
_detail_v253['properties']['service']['properties']['id'] = _uuid

_detail_v288 = copy.deepcopy(_detail_v253)
for _name in _STATS + ('cpu_info', 'disk_available_least'):
    del _detail_v288['properties'][_name]
    _detail_v288['required'].remove(_name)
_detail_v288['properties']['uptime'] = {'type': ['string', 'null']}
_detail_v288['required'].append('uptime')


def _many(schema, links=False):
    body = {
        'type': 'object',
        'properties': {'hypervisors': {'type': 'array', 'items': schema}},
        'required': ['hypervisors'],
        'additionalProperties': False,
    }
    if links:
        body['properties']['hypervisors_links'] = _links
    return body


index_response = _many(_hypervisor)
index_response_v233 = _many(_hypervisor, links=True)
index_response_v253 = _many(_hypervisor_v253, links=True)

detail_response = _many(_detail)
detail_response_v228 = _many(_detail_v228)
detail_response_v233 = _many(_detail_v228, links=True)
detail_response_v253 = _many(_detail_v253, links=True)
detail_response_v288 = _many(_detail_v288, links=True)

"""Policies of /os-aggregates: Nova's rule names, defaults and scope."""

from oslo_policy import policy

from aggregates_ext.policies import base

POLICY_ROOT = 'os_compute_api:os-aggregates:%s'
NEW_POLICY_ROOT = 'compute:aggregates:%s'

INDEX = POLICY_ROOT % 'index'
CREATE = POLICY_ROOT % 'create'
SHOW = POLICY_ROOT % 'show'
UPDATE = POLICY_ROOT % 'update'
DELETE = POLICY_ROOT % 'delete'
ADD_HOST = POLICY_ROOT % 'add_host'
REMOVE_HOST = POLICY_ROOT % 'remove_host'
SET_METADATA = POLICY_ROOT % 'set_metadata'
# Nova's rule name for POST /os-aggregates/{id}/images.
PRECACHE = NEW_POLICY_ROOT % 'images'


def _rule(name, description, method, path):
    return policy.DocumentedRuleDefault(
        name=name,
        check_str=base.RULE_ADMIN_API,
        description=description,
        operations=[{'method': method, 'path': path}],
        scope_types=['project'])


rules = [
    _rule(SET_METADATA, 'Create or replace metadata for an aggregate',
          'POST', '/os-aggregates/{aggregate_id}/action (set_metadata)'),
    _rule(ADD_HOST, 'Add a host to an aggregate',
          'POST', '/os-aggregates/{aggregate_id}/action (add_host)'),
    _rule(CREATE, 'Create an aggregate', 'POST', '/os-aggregates'),
    _rule(REMOVE_HOST, 'Remove a host from an aggregate',
          'POST', '/os-aggregates/{aggregate_id}/action (remove_host)'),
    _rule(UPDATE, 'Update name and/or availability zone for an aggregate',
          'PUT', '/os-aggregates/{aggregate_id}'),
    _rule(INDEX, 'List all aggregates', 'GET', '/os-aggregates'),
    _rule(DELETE, 'Delete an aggregate',
          'DELETE', '/os-aggregates/{aggregate_id}'),
    _rule(SHOW, 'Show details for an aggregate',
          'GET', '/os-aggregates/{aggregate_id}'),
    _rule(PRECACHE, 'Request image caching for an aggregate',
          'POST', '/os-aggregates/{aggregate_id}/images'),
]


def list_rules():
    return rules

"""Policies of /os-hypervisors: Nova's rule names, defaults and scope."""

from oslo_policy import policy

from aggregates_ext.policies import base

POLICY_ROOT = 'os_compute_api:os-hypervisors:%s'

LIST = POLICY_ROOT % 'list'
LIST_DETAIL = POLICY_ROOT % 'list-detail'


def _rule(name, description, path):
    return policy.DocumentedRuleDefault(
        name=name,
        check_str=base.RULE_ADMIN_API,
        description=description,
        operations=[{'method': 'GET', 'path': path}],
        scope_types=['project'])


rules = [
    _rule(LIST, 'List all hypervisors.', '/os-hypervisors'),
    _rule(LIST_DETAIL, 'List all hypervisors with details',
          '/os-hypervisors/detail'),
]


def list_rules():
    return rules

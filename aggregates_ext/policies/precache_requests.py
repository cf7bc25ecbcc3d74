"""Policies of the pre-cache request status API (not in Nova)."""

from oslo_policy import policy

from aggregates_ext.policies import base

POLICY_ROOT = 'aggregates_ext:precache_requests:%s'

LIST = POLICY_ROOT % 'list'
SHOW = POLICY_ROOT % 'show'

rules = [
    policy.DocumentedRuleDefault(
        name=LIST,
        check_str=base.RULE_ADMIN_API,
        description="List an aggregate's image pre-cache requests",
        operations=[{'method': 'GET',
                     'path': '/os-aggregates/{aggregate_id}/'
                             'precache-requests'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.RULE_ADMIN_API,
        description='Show an image pre-cache request and the progress of '
                    'every host',
        operations=[{'method': 'GET',
                     'path': '/os-aggregates/{aggregate_id}/'
                             'precache-requests/{request_id}'}],
        scope_types=['project']),
]


def list_rules():
    return rules

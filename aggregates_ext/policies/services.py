"""Policies of /os-services: Nova's rule name, default and scope."""

from oslo_policy import policy

from aggregates_ext.policies import base

POLICY_ROOT = 'os_compute_api:os-services:%s'

LIST = POLICY_ROOT % 'list'

rules = [
    policy.DocumentedRuleDefault(
        name=LIST,
        check_str=base.RULE_ADMIN_API,
        description='List all running Compute services in a region.',
        operations=[{'method': 'GET', 'path': '/os-services'}],
        scope_types=['project']),
]


def list_rules():
    return rules

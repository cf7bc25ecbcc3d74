"""Base rules that the resource policies refer to (Nova's names)."""

from oslo_policy import policy

RULE_ADMIN_API = 'rule:context_is_admin'

rules = [
    policy.RuleDefault(
        'context_is_admin',
        'role:admin',
        'Decides what is required for the admin role.',
        deprecated_rule=policy.DeprecatedRule(
            'context_is_admin', 'is_admin:True',
            deprecated_reason='The admin role replaces the is_admin flag.',
            deprecated_since='1.0.0')),
]


def list_rules():
    return rules

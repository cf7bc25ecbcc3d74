"""oslo.policy enforcement with the defaults registered in code."""

from oslo_policy import opts as policy_opts
from oslo_policy import policy

from aggregates_ext import conf as conf_module
from aggregates_ext import exception
from aggregates_ext import policies

CONF = conf_module.CONF

_ENFORCER = None

# As in Nova since 27.0.0: scope and the new defaults are enforced.
policy_opts.set_defaults(CONF, enforce_scope=True,
                         enforce_new_defaults=True)


def reset():
    global _ENFORCER
    if _ENFORCER is not None:
        _ENFORCER.clear()
    _ENFORCER = None


def init(conf=None):
    global _ENFORCER
    if _ENFORCER is None:
        _ENFORCER = policy.Enforcer(conf or CONF)
        _ENFORCER.register_defaults(policies.list_rules())
        _ENFORCER.load_rules()
    return _ENFORCER


def get_enforcer():
    """The ``oslo.policy.enforcer`` entry point (oslopolicy-* tools)."""
    CONF([], project='aggregates-ext')
    return init()


def authorize(context, action, target, fatal=True):
    enforcer = init()
    credentials = context.to_policy_values()
    try:
        return enforcer.authorize(action, target, credentials,
                                  do_raise=fatal,
                                  exc=exception.PolicyNotAuthorized,
                                  action=action)
    except policy.InvalidScope:
        if not fatal:
            return False
        raise exception.PolicyNotAuthorized(action=action)

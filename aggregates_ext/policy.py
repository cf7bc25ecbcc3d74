"""oslo.policy enforcement with the defaults registered in code."""

import time

from oslo_policy import opts as policy_opts
from oslo_policy import policy

from aggregates_ext import conf as conf_module
from aggregates_ext import exception
from aggregates_ext import policies

CONF = conf_module.CONF

_ENFORCER = None

# How often the enforcer looks for a changed policy file or policy.d.
# oslo.policy looks before every check (it searches the configuration
# directories and stats each file), which was an eighth of the time of a
# read; an edited file still takes effect without a restart, within this
# many seconds.
RECHECK_SECONDS = 1.0
_clock = time.monotonic


class Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, looking at its files once a RECHECK_SECONDS."""

    _next_look = 0.0

    def load_rules(self, force_reload=False):
        now = _clock()
        if force_reload or not self.rules or now >= self._next_look:
            super().load_rules(force_reload)
            self._next_look = now + RECHECK_SECONDS

    def clear(self):
        super().clear()
        self._next_look = 0.0


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
        _ENFORCER = Enforcer(conf or CONF)
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

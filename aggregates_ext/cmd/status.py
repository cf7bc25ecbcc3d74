"""aggregates-ext-status: is this deployment ready to serve?

    aggregates-ext-status upgrade check [--json]

Run it with the configuration of the service, after installing a release
and before (re)starting the services.  Each check reads the deployment as
it is (database, policy file, broker, host registry); a failing check
names the command or option that fixes it.  The exit status is
oslo.upgradecheck's: 0 all checks passed, 1 a warning, 2 a failure, 255 a
check could not run (or the configuration could not be read).
"""

import contextlib
import logging as py_logging
import os
import re
import sys

from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import policy as oslo_policy
from oslo_upgradecheck import common_checks
from oslo_upgradecheck import upgradecheck

from aggregates_ext import conf
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext import hosts as hosts_api
from aggregates_ext import policies
from aggregates_ext import policy
from aggregates_ext import startup

CONF = conf.CONF
NAME = 'aggregates-ext-status'
SUCCESS = upgradecheck.Code.SUCCESS
WARNING = upgradecheck.Code.WARNING
FAILURE = upgradecheck.Code.FAILURE
# Exit status when the checks could not run at all, as
# oslo.upgradecheck's own for a check that raised.
ERROR = 255

# Whoever holds a valid token and no role, in some other project: an
# admin API that lets this user through lets everyone through.
ANYONE = {'user_id': 'aggregates-ext-status-anyone',
          'project_id': 'aggregates-ext-status-anyone', 'roles': []}
ANYONE_TARGET = {'user_id': 'aggregates-ext-status-owner',
                 'project_id': 'aggregates-ext-status-owner'}
_RULE_REFERENCE = re.compile(r'\brule:([^\s()]+)')
_NOT_YET = object()
# How many names a result lists before it says "and N more".
_MAX_NAMES = 5


def _result(code, details=None):
    return upgradecheck.Result(code, details)


def _first_line(exc):
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _names(names):
    names = sorted(names)
    shown = ', '.join(names[:_MAX_NAMES])
    if len(names) > _MAX_NAMES:
        shown += ' and %d more' % (len(names) - _MAX_NAMES)
    return shown


class _ErrorRecords(py_logging.Handler):
    """Collects what a logger says at ERROR, instead of printing it."""

    def __init__(self):
        super().__init__(py_logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def _captured_errors(logger_name):
    """The ERROR records of ``logger_name`` while the block runs.

    oslo.policy reports a rule that does not parse by logging it; here
    that is a check result, so the record is taken, not printed.
    """
    logger = py_logging.getLogger(logger_name)
    handler = _ErrorRecords()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.records
    finally:
        logger.propagate = propagate
        logger.removeHandler(handler)


class Checks(upgradecheck.UpgradeCommands):
    """The checks of ``aggregates-ext-status upgrade check``."""

    display_title = 'aggregates-ext Upgrade Check Results'

    def __init__(self):
        super().__init__()
        self._db_problem = _NOT_YET

    def check(self):
        """Set up logging and the database, then run every check."""
        logging.setup(CONF, startup.PROJECT)
        engines.configure(CONF)
        return super().check()

    def _database_problem(self):
        """What keeps the database from serving this release, or None.

        Asked by two checks, answered once: an unreachable server can
        take a while to say so.
        """
        if self._db_problem is _NOT_YET:
            try:
                startup.check_database()
                self._db_problem = None
            except startup.StartupError as exc:
                self._db_problem = str(exc)
            except Exception as exc:
                # The engine itself could not be made (oslo.db connects
                # when it makes one).
                self._db_problem = ('cannot open the database: %s; check '
                                    '[database] connection'
                                    % _first_line(exc))
        return self._db_problem

    def _check_database(self):
        """The database answers and is at the latest migration."""
        problem = self._database_problem()
        if problem:
            return _result(FAILURE, problem)
        return _result(SUCCESS)

    def _check_policy(self):
        """The policy file loads, parses, and opens no admin API to all."""
        paths = _policy_files()
        if not paths:
            return _result(SUCCESS, 'No policy file (%s); the defaults in '
                                    'code apply.'
                           % CONF.oslo_policy.policy_file)
        file_rules = {}
        for path in paths:
            try:
                with open(path) as f:
                    file_rules.update(oslo_policy.parse_file_contents(
                        f.read()))
            except (OSError, ValueError) as exc:
                return _result(FAILURE, 'Cannot load the policy file %s: '
                                        '%s. Fix it or point [oslo_policy] '
                                        'policy_file elsewhere.'
                               % (path, _first_line(exc)))
        unparsable = _unparsable(file_rules)
        if unparsable:
            return _result(FAILURE, 'Rules that do not parse in %s (they '
                                    'deny everyone): %s. Fix their syntax.'
                           % (', '.join(paths), _names(unparsable)))
        undefined = _undefined_references(file_rules)
        if undefined:
            return _result(FAILURE, 'Rules in %s refer to rules that are not '
                                    'defined: %s. Define them or fix the '
                                    'references.'
                           % (', '.join(paths), _names(undefined)))
        policy.reset()
        try:
            with _captured_errors('oslo_policy'):
                enforcer = policy.init(CONF)
                enforcer.check_rules(raise_on_violation=True)
        except oslo_policy.InvalidDefinitionError:
            policy.reset()
            return _result(FAILURE, 'Rules in %s refer to each other in a '
                                    'cycle (rule:a needs rule:b needs '
                                    'rule:a). Break the cycle.'
                           % ', '.join(paths))
        try:
            open_rules = [name for name in enforcer.registered_rules
                          if _lets_anyone(enforcer, name)]
        finally:
            policy.reset()
        if open_rules:
            return _result(FAILURE, 'These rules let any user without a '
                                    'role through: %s. They guard admin '
                                    'APIs: set them to "rule:'
                                    'context_is_admin" (or remove them to '
                                    'get the defaults) in %s.'
                           % (_names(open_rules), ', '.join(paths)))
        unknown = _unknown_rules(file_rules)
        if unknown:
            return _result(WARNING, 'Rules this service does not know in %s:'
                                    ' %s. Check their spelling, or remove '
                                    'them; "oslopolicy-sample-generator '
                                    '--namespace aggregates_ext" lists the '
                                    'names.' % (', '.join(paths),
                                                _names(unknown)))
        return _result(SUCCESS)

    def _check_auth(self):
        """With keystone auth, ``[keystone_authtoken]`` is complete."""
        if CONF.api.auth_strategy != 'keystone':
            return _result(WARNING, '[api] auth_strategy is %s: the API '
                                    'trusts whoever claims to be admin. Set '
                                    '[api] auth_strategy = keystone outside '
                                    'development.' % CONF.api.auth_strategy)
        try:
            startup.check_keystone_auth()
        except startup.StartupError as exc:
            return _result(FAILURE, str(exc))
        return _result(SUCCESS)

    def _check_broker(self):
        """The message broker is up and accepts our login."""
        problem = startup.broker_problem()
        if problem is not None:
            # Unreachable is a failure here too: the services would start
            # and wait for the broker, serving nothing meanwhile.
            return _result(FAILURE, problem[1])
        if (CONF.transport_url or '').startswith('fake:'):
            return _result(SUCCESS, 'fake:// is the in-process transport: '
                                    'only aggregates-ext-all can use it.')
        return _result(SUCCESS)

    def _check_compute_agents(self):
        """At least one compute agent is registered and up."""
        problem = self._database_problem()
        if problem:
            return _result(FAILURE, 'Cannot read the host registry: %s'
                           % problem)
        agents = hosts_db.get_all(binary=hosts_db.COMPUTE_BINARY)
        if not agents:
            return _result(FAILURE, 'No compute agent has registered. Start '
                                    'aggregates-ext-compute on each compute '
                                    'host ([DEFAULT] host, transport_url) '
                                    'and aggregates-ext-conductor, which '
                                    'records their heartbeats.')
        down = [a.host for a in agents if not hosts_api.is_up(a)]
        if len(down) == len(agents):
            return _result(FAILURE, 'No compute agent is up (down: %s). '
                                    'Start aggregates-ext-compute on those '
                                    'hosts and aggregates-ext-conductor; an '
                                    'agent is down after [DEFAULT] '
                                    'service_down_time seconds without a '
                                    'heartbeat.' % _names(down))
        if down:
            return _result(WARNING, '%d of %d compute agents are down: %s. '
                                    'Pre-caching skips them until '
                                    'aggregates-ext-compute runs there '
                                    'again.' % (len(down), len(agents),
                                                _names(down)))
        return _result(SUCCESS, '%d compute agent(s) up.' % len(agents))

    _upgrade_checks = (
        ('Database schema', _check_database),
        ('Policy file', _check_policy),
        ('Policy File JSON to YAML Migration',
         (common_checks.check_policy_json, {'conf': CONF})),
        ('API authentication', _check_auth),
        ('Message broker', _check_broker),
        ('Compute agents', _check_compute_agents),
    )


def _lets_anyone(enforcer, name):
    """Whether rule ``name`` lets a user without a role through."""
    try:
        return enforcer.enforce(name, ANYONE_TARGET, ANYONE)
    except oslo_policy.InvalidScope:
        # Not for a project-scoped token at all: not open to everyone.
        return False


def _policy_files():
    """The policy file and the files of the policy directories that exist."""
    paths = []
    found = CONF.find_file(CONF.oslo_policy.policy_file)
    if found:
        paths.append(found)
    for directory in CONF.oslo_policy.policy_dirs:
        found = CONF.find_file(directory)
        if found and os.path.isdir(found):
            paths.extend(os.path.join(found, name)
                         for name in sorted(os.listdir(found))
                         if not name.startswith('.'))
    return paths


def _unparsable(file_rules):
    """Names of rules that oslo.policy cannot parse.

    oslo.policy turns such a rule into one that denies everything and
    only logs it; its parser's error record is the sign.
    """
    bad = []
    for name, check_str in file_rules.items():
        with _captured_errors('oslo_policy') as errors:
            # Parsing happens when the check is first asked for.
            oslo_policy.RuleDefault(name, check_str).check
        if errors:
            bad.append(name)
    return bad


def _references(check_strs):
    names = set()
    for check_str in check_strs:
        names.update(_RULE_REFERENCE.findall(check_str))
    return names


def _undefined_references(file_rules):
    """``rule:NAME`` references in the file to rules nobody defines."""
    defined = set(file_rules) | {r.name for r in policies.list_rules()}
    return _references(file_rules.values()) - defined


def _unknown_rules(file_rules):
    """File rules that are neither ours nor referred to by another rule."""
    known = {rule.name for rule in policies.list_rules()}
    referenced = _references(list(file_rules.values()) + [
        rule.check_str for rule in policies.list_rules()])
    return [name for name in file_rules
            if name not in known and name not in referenced]


def main(argv=None):
    logging.register_options(CONF)
    # The report goes to stdout; logs must not mix into it, and alembic's
    # chatter about opening the database is not news here.
    CONF.set_default('use_stderr', True)
    # A check answers now; the services' default waits 100 s for a
    # database server that is down.
    CONF.set_default('max_retries', 0, group='database')
    logging.set_defaults(default_log_levels=(
        logging.get_default_log_levels() + ['alembic=WARN']))
    try:
        return upgradecheck.main(
            CONF, project=startup.PROJECT, upgrade_command=Checks(),
            argv=sys.argv[1:] if argv is None else argv)
    except cfg.Error as exc:
        print('%s: error: %s' % (NAME, exc), file=sys.stderr)
        return ERROR


if __name__ == '__main__':
    sys.exit(main())

"""Process start-up: configuration, logging, and the checks that make a
misconfigured service stop at once with one line naming the fix, instead
of starting cleanly and failing its first request.

Every console script runs through :func:`main_wrapper`, which turns a
:class:`StartupError` into that one line on stderr (and in the log file)
and exit status 1.
"""

import functools
import os
import re
import sys

from amqp import exceptions as amqp_exc
from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging as messaging
import sqlalchemy as sa

from aggregates_ext import conf
from aggregates_ext.db import engines

CONF = conf.CONF
_URL_PASSWORD = re.compile(r'([/,][^:/@,]*):[^@/,]*@')
LOG = logging.getLogger(__name__)
PROJECT = 'aggregates-ext'
AUTHTOKEN_GROUP = 'keystone_authtoken'
# Whether logging goes to a file: then a start-up error is logged there
# too, not only printed.
_log_to_file = False
# Whether prepare_embedded already ran in this process.
_embedded = False


def reset():
    """Forget what start-up noted about this process (tests)."""
    global _log_to_file, _embedded
    _log_to_file = False
    _embedded = False


class StartupError(Exception):
    """A problem that keeps a service from starting; says how to fix it."""


def prepare_service(argv=None, default_config_files=None, database=True):
    """Parse configuration, set up logging and (optionally) the database."""
    logging.register_options(CONF)
    CONF(argv if argv is not None else sys.argv[1:], project=PROJECT,
         default_config_files=default_config_files)
    logging.setup(CONF, PROJECT)
    global _log_to_file
    _log_to_file = bool(CONF.log_file or CONF.log_dir)
    _log_what_was_loaded(database)
    if database:
        engines.configure(CONF)


def safe_url(url):
    """``url`` without its passwords, for logs and messages.

    Database and transport URLs alike, a transport URL's several hosts
    included (``rabbit://u:p@h1,u:p@h2/vhost``).
    """
    if not url:
        return url
    return _URL_PASSWORD.sub(r'\1:***@', url)


def _log_what_was_loaded(database):
    """One start-up line: config files, database, broker; no secrets."""
    LOG.info('%s %s: config files %s; database %s%s; transport %s',
             os.path.basename(sys.argv[0]) or PROJECT, _version(),
             ', '.join(CONF.config_file) or '(none)',
             safe_url(CONF.database.connection) if database else '(unused)',
             '; Nova database %s' % safe_url(CONF.nova_database.connection)
             if CONF.nova_database.connection else '',
             safe_url(CONF.transport_url) or '(none)')


def _version():
    from importlib import metadata
    try:
        return metadata.version('aggregates-ext')
    except metadata.PackageNotFoundError:
        return 'unknown version'


def check_database():
    """The database answers and is at the latest schema revision."""
    from aggregates_ext.db import migration
    try:
        current = migration.version()
    except Exception as exc:
        # Making the engine may be what failed: name the URL from config.
        where = (_safe_db_url(CONF.database.connection)
                 if CONF.database.connection else
                 'the embedded SQLite database under [DEFAULT] state_path')
        raise StartupError('cannot open the database %s: %s; check '
                           '[database] connection'
                           % (where, _first_line(exc)))
    head = migration.head()
    if current != head:
        raise StartupError(
            'the database schema is at revision %s, this release needs %s: '
            'run "aggregates-ext-manage db sync"' % (current or 'none', head))


def check_nova_database():
    """In Nova mode, Nova's API database answers, at a schema we know."""
    from aggregates_ext.db import nova as nova_db
    if not engines.nova_mode():
        return
    try:
        revision = nova_db.api_revision()
    except Exception as exc:
        raise StartupError(
            "cannot open Nova's API database %s: %s; check [nova_database] "
            'connection' % (_safe_db_url(CONF.nova_database.connection),
                            _first_line(exc)))
    if revision not in nova_db.SUPPORTED_API_REVISIONS:
        raise StartupError(
            "Nova's API database is at schema revision %s; this release "
            'works with %s (Nova 2024.1 to 34): check [nova_database] '
            'connection' % (revision or 'none',
                            ', '.join(nova_db.SUPPORTED_API_REVISIONS)))


def prepare_embedded(config_file):
    """Set up the API inside another service's process (nova-api).

    Our own configuration object, databases and transports; the host
    process's logging and authentication are left as they are (its
    pipeline authenticated the request before our filter sees it), and
    our loggers write through its logging.

    :raises StartupError: our or Nova's database is not usable; the host
        process then refuses to load its pipeline and shows the message.
    """
    global _embedded
    if _embedded:
        return
    logging.register_options(CONF)
    CONF([], project=PROJECT, default_config_files=[config_file])
    engines.configure(CONF)
    try:
        check_database()
        check_nova_database()
    except StartupError as exc:
        LOG.error('aggregates-ext filter cannot start: %s', exc)
        raise
    from aggregates_ext import notifications
    from aggregates_ext import rpc
    rpc.init(CONF)
    notifications.init(transport=rpc.get_notification_transport())
    _embedded = True


def check_keystone_auth():
    """Keystone authentication has what it needs to validate tokens.

    With ``[api] auth_strategy = keystone``, authtoken must be able to load
    its service credentials; without them every request would be a 500.
    """
    if CONF.api.auth_strategy != 'keystone':
        return
    from keystoneauth1 import exceptions as ks_exc
    from keystoneauth1 import loading as ks_loading
    ks_loading.register_auth_conf_options(CONF, AUTHTOKEN_GROUP)
    hint = ('set [%s] auth_type (e.g. password) with auth_url, username, '
            'password, project_name, user_domain_name and '
            'project_domain_name, or [api] auth_strategy = noauth2 for '
            'development' % AUTHTOKEN_GROUP)
    try:
        plugin = ks_loading.load_auth_from_conf_options(CONF, AUTHTOKEN_GROUP)
    except ks_exc.MissingRequiredOptions as exc:
        names = ', '.join(o.dest for o in exc.options)
        raise StartupError('[%s] lacks %s: %s' % (AUTHTOKEN_GROUP, names,
                                                  hint))
    except ks_exc.AuthPluginException as exc:
        raise StartupError('[%s] auth_type: %s' % (AUTHTOKEN_GROUP, exc))
    if plugin is None:
        raise StartupError(
            'keystone authentication is on but [%s] auth_type is not set: '
            '%s' % (AUTHTOKEN_GROUP, hint))


def broker_problem(transport_url=None):
    """What is wrong with the message broker, or None.

    :returns: None, or (fatal, message): ``fatal`` when the broker itself
        refused us (login, virtual host), which no retry heals.
    """
    url = transport_url or CONF.transport_url
    if url and url.startswith('fake:'):
        return None
    transport = messaging.get_rpc_transport(CONF, url=url)
    try:
        client = messaging.get_rpc_client(
            transport, messaging.Target(topic='aggregates-ext-preflight'))
        # A cast to a topic nobody serves: it only opens a connection.
        client.prepare(retry=0).cast({}, 'preflight')
    except Exception as exc:
        where = _safe_transport_url(url) if url else 'the default URL'
        if _irrecoverable(exc):
            return True, ('the message broker at %s refused us: %s; check '
                          '[DEFAULT] transport_url'
                          % (where, _first_line(exc)))
        return False, ('cannot reach the message broker at %s: %s; check '
                       '[DEFAULT] transport_url if this persists'
                       % (where, _first_line(exc)))
    finally:
        transport.cleanup()
    return None


def check_broker(transport_url=None):
    """The message broker accepts our credentials.

    A refused login or a missing virtual host can never heal, so it stops
    the service; a broker that is merely not up yet is logged and left to
    oslo.messaging, which reconnects.
    """
    problem = broker_problem(transport_url)
    if problem is None:
        return
    fatal, message = problem
    if fatal:
        raise StartupError(message)
    LOG.error('%s (retrying in the background)', message)


def _irrecoverable(exc):
    """Refused login, vhost or permission: the broker's own "no".

    py-amqp files a refused login under channel errors and a missing
    virtual host under connection errors; both are irrecoverable.
    """
    return isinstance(exc, (amqp_exc.IrrecoverableConnectionError,
                            amqp_exc.IrrecoverableChannelError))


def _first_line(exc):
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _safe_db_url(url):
    """A database URL without its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return '<unparsable URL>'


def _safe_transport_url(url):
    """A transport URL without its password."""
    try:
        parsed = messaging.TransportURL.parse(CONF, url)
    except Exception:
        return '<unparsable URL>'
    hosts = ','.join(
        '%s%s:%s' % (h.username + '@' if h.username else '', h.hostname,
                     h.port) for h in parsed.hosts)
    return '%s://%s/%s' % (parsed.transport, hosts,
                           parsed.virtual_host or '')


def main_wrapper(name):
    """Decorate a console script's ``main``: StartupError → one line, 1."""
    def wrap(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except (StartupError, cfg.Error) as exc:
                if _log_to_file:
                    LOG.error('%s cannot start: %s', name, exc)
                print('%s: error: %s' % (name, exc), file=sys.stderr)
                return 1
        return wrapper
    return wrap


def config_files_from_env():
    """``$AGGREGATES_EXT_CONFIG_FILE`` as a list, for WSGI servers."""
    path = os.environ.get('AGGREGATES_EXT_CONFIG_FILE')
    return [path] if path else None


def check_api():
    """What the API needs before it serves: its databases and its auth."""
    check_database()
    check_nova_database()
    check_keystone_auth()

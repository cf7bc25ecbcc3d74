"""Schema migrations (alembic) behind ``aggregates-ext-manage db``.

alembic is imported only to migrate.  A service's start-up check reads the
revision with one query and compares it with ``HEAD``: importing alembic
(and mako with it) would cost every API worker, conductor and agent about
12 MiB of memory for a check that needs none of it.
"""

import os
import subprocess
import sys

import sqlalchemy as sa

from aggregates_ext.db import engines

# The newest revision under migrations/versions; a unit test holds it to
# the scripts' own head.
HEAD = '0004'

_VERSION_TABLE = 'alembic_version'


def _config(connection):
    from alembic import config as alembic_config
    path = os.path.join(os.path.dirname(__file__), 'migrations',
                        'alembic.ini')
    config = alembic_config.Config(path)
    config.set_main_option('script_location',
                           os.path.join(os.path.dirname(__file__),
                                        'migrations'))
    config.attributes['connection'] = connection
    return config


def upgrade(revision='head'):
    """Bring the configured database to ``revision``."""
    from alembic import command as alembic_command
    engine = engines.get_engine()
    with engine.begin() as connection:
        alembic_command.upgrade(_config(connection), revision)


# The child of ``upgrade_in_child``: the URL comes on stdin, not on the
# command line, where ``ps`` would show its password.
_CHILD = '''
import sys
from aggregates_ext import conf
from aggregates_ext.db import engines, migration
conf.CONF([], project='aggregates-ext', default_config_files=[])
conf.CONF.set_override('connection', sys.stdin.read(), group='database')
engines.configure(conf.CONF)
migration.upgrade()
'''


def upgrade_in_child(connection):
    """Bring ``connection`` to head in a child process.

    A long-running process that migrates at start (the all-in-one) keeps
    what alembic and mako cost it, about 12 MiB, for as long as it runs;
    the child gives it back when it exits.  An in-memory SQLite database
    exists only in this process, so it is migrated here.

    :raises RuntimeError: the migration failed (its log is on stderr).
    """
    if engines.in_memory(connection):
        upgrade()
        return
    done = subprocess.run([sys.executable, '-c', _CHILD],
                          input=connection, text=True)
    if done.returncode:
        raise RuntimeError('database migration failed (exit status %d)'
                           % done.returncode)


def version():
    """The revision the configured database is at, or None."""
    engine = engines.get_engine()
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(_VERSION_TABLE):
            return None
        # One row: the history is linear.
        return connection.execute(sa.text(
            'SELECT version_num FROM %s' % _VERSION_TABLE)).scalar()


def head():
    """The latest revision this release knows."""
    return HEAD


def scripts_head():
    """The head as the migration scripts give it (alembic)."""
    from alembic import script as alembic_script
    return alembic_script.ScriptDirectory.from_config(
        _config(None)).get_current_head()

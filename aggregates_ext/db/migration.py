"""Schema migrations (alembic) behind ``aggregates-ext-manage db``."""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from aggregates_ext.db import engines


def _config(connection):
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
    engine = engines.get_engine()
    with engine.begin() as connection:
        alembic_command.upgrade(_config(connection), revision)


def version():
    """The revision the configured database is at, or None."""
    engine = engines.get_engine()
    with engine.connect() as connection:
        return alembic_migration.MigrationContext.configure(
            connection).get_current_revision()


def head():
    """The latest revision this release knows."""
    return alembic_script.ScriptDirectory.from_config(
        _config(None)).get_current_head()

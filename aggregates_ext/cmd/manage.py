"""aggregates-ext-manage: database and host registry administration.

    aggregates-ext-manage db sync        bring the schema to the latest
    aggregates-ext-manage db version     print the schema revision
"""

import sys

from oslo_config import cfg

from aggregates_ext.api import app
from aggregates_ext.db import migration

CONF = cfg.CONF


def _db_sync():
    migration.upgrade()
    print('Database is at revision %s' % migration.version())
    return 0


def _db_version():
    print(migration.version() or 'None')
    return 0


def _add_commands(subparsers):
    db = subparsers.add_parser('db', help='Database schema')
    db_sub = db.add_subparsers(dest='action')
    db_sub.required = True
    db_sub.add_parser('sync', help='Upgrade the schema to the latest')
    db_sub.add_parser('version', help='Print the schema revision')


_COMMANDS = {('db', 'sync'): _db_sync, ('db', 'version'): _db_version}


def main(argv=None):
    CONF.register_cli_opt(cfg.SubCommandOpt(
        'category', title='Commands', handler=_add_commands))
    app.prepare_service(sys.argv[1:] if argv is None else argv)
    handler = _COMMANDS[(CONF.category.name, CONF.category.action)]
    return handler()


if __name__ == '__main__':
    sys.exit(main())

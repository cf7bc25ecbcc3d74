"""aggregates-ext-manage: database administration and pre-cache results.

    aggregates-ext-manage db sync          bring the schema to the latest
    aggregates-ext-manage db version       print the schema revision
    aggregates-ext-manage precache list    pre-cache requests, newest last
    aggregates-ext-manage precache show ID one request, every host's result
    aggregates-ext-manage placement sync_aggregates [--verbose]
                                           Nova mode: repair Placement's
                                           aggregate membership
"""

import json
import sys

from oslo_config import cfg
from oslo_log import log as logging

from aggregates_ext import conf
from aggregates_ext.db import migration
from aggregates_ext.db import precache as precache_db
from aggregates_ext import exception
from aggregates_ext import startup

CONF = conf.CONF


def _db_sync():
    migration.upgrade()
    print('Database is at revision %s' % migration.version())
    return 0


def _db_version():
    print(migration.version() or 'None')
    return 0


def _precache_list():
    for req in precache_db.list_requests(results=False,
                                         images=False):
        print('%s  aggregate %-6s %-9s %s  images: %s' % (
            req.uuid, req.aggregate_id, req.status,
            req.created_at.isoformat(), ', '.join(req.image_ids)))
    return 0


def _precache_show():
    """The request as the status API shows it, without the API."""
    from aggregates_ext.api.views import precache_requests as view
    try:
        req = precache_db.get_request(CONF.category.request_id)
    except exception.NotFound:
        print('No pre-cache request %s' % CONF.category.request_id,
              file=sys.stderr)
        return 1
    print(json.dumps(view.detail(req), indent=2, sort_keys=True))
    return 0


def _placement_sync_aggregates():
    from aggregates_ext.db import engines
    from aggregates_ext.nova import placement
    if not engines.nova_mode():
        print('Not in Nova mode ([nova_database] connection is unset): '
              'there is no Placement to sync', file=sys.stderr)
        return 1
    if not placement.Placement.enabled():
        print('[placement] auth_type is not set: Placement cannot be '
              'reached', file=sys.stderr)
        return 1
    lines = []
    problems = placement.sync(lines.append)
    if CONF.category.verbose:
        for line in lines:
            print(line)
    print('%d change(s) or problem(s); %d host(s) could not be mirrored'
          % (len(lines), problems))
    # As nova-manage: 0 all mirrored, 1 some hosts could not be.
    return 1 if problems else 0


def _add_commands(subparsers):
    db = subparsers.add_parser('db', help='Database schema')
    db_sub = db.add_subparsers(dest='action')
    db_sub.required = True
    db_sub.add_parser('sync', help='Upgrade the schema to the latest')
    db_sub.add_parser('version', help='Print the schema revision')
    precache = subparsers.add_parser('precache',
                                     help='Image pre-cache requests')
    pre_sub = precache.add_subparsers(dest='action')
    pre_sub.required = True
    pre_sub.add_parser('list', help='List the requests')
    show = pre_sub.add_parser('show', help="A request's per-host results")
    show.add_argument('request_id')
    placement = subparsers.add_parser(
        'placement', help="Placement's aggregate membership (Nova mode)")
    place_sub = placement.add_subparsers(dest='action')
    place_sub.required = True
    sync = place_sub.add_parser(
        'sync_aggregates', help='Put every member host into its Placement '
                                'aggregate, take non-members out')
    sync.add_argument('--verbose', action='store_true',
                      help='Print every change and problem')


_COMMANDS = {('db', 'sync'): _db_sync, ('db', 'version'): _db_version,
             ('precache', 'list'): _precache_list,
             ('precache', 'show'): _precache_show,
             ('placement', 'sync_aggregates'): _placement_sync_aggregates}


@startup.main_wrapper('aggregates-ext-manage')
def main(argv=None):
    CONF.register_cli_opt(cfg.SubCommandOpt(
        'category', title='Commands', handler=_add_commands))
    # Reports go to stdout; logs must not mix into them.
    logging.register_options(CONF)
    CONF.set_default('use_stderr', True)
    startup.prepare_service(sys.argv[1:] if argv is None else argv)
    handler = _COMMANDS[(CONF.category.name, CONF.category.action)]
    return handler()


if __name__ == '__main__':
    sys.exit(main())

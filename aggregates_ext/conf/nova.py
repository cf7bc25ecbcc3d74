"""Options for running against a Nova cloud's own data: Nova mode."""

from oslo_config import cfg

nova_database_group = cfg.OptGroup('nova_database', title='Nova database',
                                   help="""
Nova's API database.  When ``connection`` is set the service runs in Nova
mode: the aggregates it serves are the rows of Nova's own ``aggregates``,
``aggregate_hosts`` and ``aggregate_metadata`` tables, which Nova's
scheduler, ``os-availability-zone`` and Placement mirroring read; hosts are
accepted the way Nova accepts them (its host mappings and the compute
services of its cell databases).  Our own tables (pre-cache requests, the
agent registry, locks) stay in ``[database] connection``.  The service
never changes Nova's schema and refuses to start on one it does not know.
""")

nova_database_opts = [
    cfg.StrOpt(
        'connection',
        secret=True,
        help="""
SQLAlchemy URL of Nova's API database (``[api_database] connection`` of
nova.conf), e.g. ``mysql+pymysql://nova:secret@db/nova_api``.  Unset: the
aggregates live in this service's own database.
"""),
    cfg.StrOpt(
        'cell_url_defaults',
        secret=True,
        help="""
Where the parts of a templated cell database URL come from.  Nova lets a
cell mapping's ``database_connection`` be a template such as
``{scheme}://{username}:{password}@{hostname}/nova_cell1`` filled from the
cell's own ``[database] connection``; this service fills it from this URL,
or from ``connection`` above when unset.  Literal cell URLs need nothing.
"""),
]


def register_opts(conf):
    conf.register_group(nova_database_group)
    conf.register_opts(nova_database_opts, group=nova_database_group)


def list_opts():
    return {nova_database_group: nova_database_opts}

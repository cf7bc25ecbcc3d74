"""Options for running against a Nova cloud's own data: Nova mode."""

from oslo_config import cfg

from aggregates_ext.conf import keystoneauth

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


nova_group = cfg.OptGroup('nova', title='Nova RPC', help="""
How this service talks to Nova's own services over Nova's message broker,
in Nova mode: the schedulers' aggregate broadcasts (as nova-api sends them
on every aggregate change) and pre-caching through nova-compute.
""")

nova_opts = [
    cfg.StrOpt(
        'transport_url',
        secret=True,
        help="""
Nova's message broker: ``[DEFAULT] transport_url`` of nova.conf.  Unset:
Nova's schedulers are not told about aggregate changes (they read the
aggregates again only when they restart) and nova-compute cannot be asked
to pre-cache.
"""),
    cfg.StrOpt(
        'control_exchange',
        default='nova',
        help="Nova's exchange (``[DEFAULT] control_exchange`` of nova.conf)."),
    cfg.StrOpt(
        'scheduler_version_cap',
        help="""
The scheduler RPC version the cloud pins (``[upgrade_levels] scheduler`` of
nova.conf, a version such as ``4.5``).  The broadcasts need 4.1; a lower
pin stops them.
"""),
    cfg.StrOpt(
        'compute_version_cap',
        help="""
The compute RPC version the cloud pins (``[upgrade_levels] compute`` of
nova.conf, a version such as ``6.0``).  ``cache_images`` needs 5.4; with a
lower pin every nova-compute host gets an error result.
"""),
    cfg.StrOpt(
        'precache_via',
        default='auto',
        choices=[
            ('auto', "Our agent where one is registered and up on the host, "
                     "else the host's nova-compute."),
            ('agent', 'Our agents only (hosts without one are skipped).'),
            ('nova-compute', "Nova's compute service on every host."),
        ],
        help="""
Who carries out a pre-cache request on each host in Nova mode.  Either way
every host's result is recorded.  Outside Nova mode only agents exist.
"""),
]

_PLACEMENT = keystoneauth.ServiceGroup('placement', 'Placement', """
How this service reaches Placement in Nova mode, to mirror aggregate
membership as nova-api does (a boot naming an availability zone is a
Placement ``member_of`` query): the ``[placement]`` group of nova.conf.
Unset ``auth_type``: no mirroring (``aggregates-ext-manage placement
sync_aggregates`` repairs it later).
""", 'placement', ['internal', 'public'])


def register_opts(conf):
    conf.register_group(nova_database_group)
    conf.register_opts(nova_database_opts, group=nova_database_group)
    conf.register_group(nova_group)
    conf.register_opts(nova_opts, group=nova_group)
    _PLACEMENT.register_opts(conf)


def list_opts():
    opts = {nova_database_group: nova_database_opts, nova_group: nova_opts}
    opts.update(_PLACEMENT.list_opts())
    return opts

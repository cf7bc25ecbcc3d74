"""Options of the ``[conductor]`` group: pre-cache requests that survive."""

from oslo_config import cfg

conductor_group = cfg.OptGroup('conductor', title='Conductor', help="""
How conductors share pre-cache requests.  Every request is worked on by one
conductor at a time, which holds its lease in the database; any number of
conductors may run on one broker and database.  A request whose conductor
dies is resumed by another (or by the restarted one) within
``precache_lease_seconds`` + ``precache_check_interval`` seconds, asking
only the hosts that have no result yet.
""")

conductor_opts = [
    cfg.IntOpt(
        'precache_lease_seconds',
        default=20,
        min=5,
        help="""
How long a conductor's claim on a pre-cache request lasts without being
renewed.  It renews it every ``precache_check_interval`` seconds while it
works; a conductor that died loses it after this long.
"""),
    cfg.IntOpt(
        'precache_check_interval',
        default=5,
        min=1,
        help="""
How often each conductor renews its leases and looks for requests nobody
works on (an expired lease, or a pending request whose cast was lost).
Must be well below ``precache_lease_seconds``.
"""),
    cfg.IntOpt(
        'precache_pending_grace',
        default=15,
        min=1,
        help="""
Seconds after which a pending request that no conductor has started is
taken over: its cast was lost (a conductor died with it queued, or the
broker dropped it).
"""),
]


def register_opts(conf):
    conf.register_group(conductor_group)
    conf.register_opts(conductor_opts, group=conductor_group)


def list_opts():
    return {conductor_group: conductor_opts}

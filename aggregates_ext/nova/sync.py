"""After a change: tell Nova's schedulers, Placement and nova-api's cache.

The change is committed before any of this runs, and none of it can undo
it: a broadcast or mirror that fails is logged with what repairs it.  In
own-database mode nothing here runs.
"""

from oslo_log import log as logging

from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import engines
from aggregates_ext.db import nova as nova_db
from aggregates_ext.nova import azcache
from aggregates_ext.nova import placement
from aggregates_ext.nova import rpc as nova_rpc

LOG = logging.getLogger(__name__)


def _tell_schedulers(method, context, aggregate):
    if not nova_rpc.enabled():
        return
    try:
        broadcast = nova_rpc.scheduler_broadcast()
        if method == 'delete':
            broadcast.delete_aggregate(context, aggregate)
        else:
            broadcast.update_aggregates(context, [aggregate])
    except Exception as exc:
        LOG.warning('Could not tell Nova\'s schedulers about aggregate %s '
                    '(%s: %s); they read the aggregates again when they '
                    'restart.', aggregate['id'] if isinstance(
                        aggregate, dict) else aggregate.id,
                    type(exc).__name__, exc)


def _has_zone(aggregate):
    metadata = (aggregate['metadata'] if isinstance(aggregate, dict)
                else aggregate.metadata_dict)
    return bool(metadata.get(agg_db.AZ_KEY))


def changed(context, aggregate, zone_changed=False):
    """Renamed or new metadata (or created)."""
    if not engines.nova_mode():
        return
    _tell_schedulers('update', context, aggregate)
    if zone_changed:
        azcache.reset()


def deleted(context, before):
    if not engines.nova_mode():
        return
    _tell_schedulers('delete', context, before)


def host_added(context, aggregate, host, service):
    if not engines.nova_mode():
        return
    _tell_schedulers('update', context, aggregate)
    node = nova_db.compute_node_name(service)
    if node:
        placement.mirror_add(node, aggregate.uuid)
    if _has_zone(aggregate):
        azcache.reset()


def host_removed(context, aggregate, before, service):
    """Pass a removal on, Placement included.

    After the change, unlike Nova (which asks Placement first and answers
    409 or 500 when Placement fails): the change stands either way, a
    Placement failure is logged, and ``sync_aggregates`` repairs it.
    """
    if not engines.nova_mode():
        return
    _tell_schedulers('update', context, aggregate)
    node = nova_db.compute_node_name(service)
    if node:
        placement.mirror_remove(node, aggregate.uuid)
    if _has_zone(before):
        azcache.reset()

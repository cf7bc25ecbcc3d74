"""Nova's availability-zone rules that look at instances (Nova mode).

Servers carry the zone they were booted into, so Nova refuses changes
that would move a host with instances to another zone, and a zone change
of an aggregate whose hosts have instances.  Outside Nova mode there are no
instances and these rules never apply.  Messages are Nova's, word for word
(the move messages end with two periods, as Nova's do).
"""

from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import nova as nova_db
from aggregates_ext import exception

_MOVE = ("The host cannot be %(verb)s the aggregate as the availability "
         "zone of the host would change from '%(old)s' to '%(new)s' but the "
         "host already has %(count)d instance(s). Changing the AZ of an "
         "existing instance is not supported by this action. Move the "
         "instances away from this host then try again. If you need to move "
         "the instances between AZs then you can use shelve_offload and "
         "unshelve to achieve this.")


def _host_zone(session, host, exclude_aggregate_id=None):
    zones = set(agg_db.zones_of_hosts(session, [host], exclude_aggregate_id))
    # One zone at most: the zone rule refuses two.
    return sorted(zones)[0] if zones else None


def check_add(session, aggregate, host, service):
    """add_host must not move the instances of ``host`` to another zone."""
    new_az = aggregate.metadata_dict.get(agg_db.AZ_KEY)
    if not new_az:
        return
    count = nova_db.instance_count([host], cell=service.cell)
    if not count:
        return
    old_az = _host_zone(session, host)
    if old_az != new_az:
        raise exception.InvalidAggregateActionAdd(
            aggregate_id=aggregate.id,
            reason=_MOVE % {'verb': 'added to', 'old': old_az,
                            'new': new_az, 'count': count})


def check_remove(session, aggregate, host, service):
    """remove_host must not move the instances of ``host`` either."""
    current_az = aggregate.metadata_dict.get(agg_db.AZ_KEY)
    if not current_az:
        return
    count = nova_db.instance_count([host], cell=service.cell)
    if not count:
        return
    new_az = _host_zone(session, host, exclude_aggregate_id=aggregate.id)
    if current_az != new_az:
        raise exception.InvalidAggregateActionDelete(
            aggregate_id=aggregate.id,
            reason=_MOVE % {'verb': 'removed from', 'old': current_az,
                            'new': new_az, 'count': count})


def check_zone_change(aggregate, new_az, exc_class):
    """No zone change while the aggregate's hosts have instances."""
    if aggregate.metadata_dict.get(agg_db.AZ_KEY) == new_az:
        return
    if aggregate.hosts and nova_db.instance_count(aggregate.hosts):
        raise exc_class(aggregate_id=aggregate.id,
                        reason='One or more hosts contain instances in this '
                               'zone')

"""The domain layer of host aggregates: Nova's business rules, no HTTP.

Every mutation runs in one database transaction together with the rules
that guard it, under the row locks that make the rules hold when requests
race (see ``db/aggregates.py``), so a request that breaks a rule changes
nothing.  (Nova commits a PUT's rename before it checks the availability
zone; we do not.)  Notifications go out after the commit.

In Nova mode (``[nova_database] connection``) the aggregates are Nova's
own rows; hosts are Nova's compute services, Nova's rules about the
instances on them apply (``nova/rules.py``), and every committed change is
passed on to Nova's schedulers, Placement and nova-api's zone cache
(``nova/sync.py``).  Otherwise there are no instances, and those rules
never fire.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import nova as nova_db
from aggregates_ext import exception
from aggregates_ext import notifications
from aggregates_ext.nova import rules as nova_rules
from aggregates_ext.nova import sync

LOG = logging.getLogger(__name__)

AZ_KEY = agg_db.AZ_KEY


def _empty_az(aggregate_id, name, exc_class):
    return exc_class(
        aggregate_id=aggregate_id,
        reason='Aggregate %s does not support empty named availability '
               'zone' % name)


def _check_az_conflicts(session, aggregate, hosts, new_az, exc_class):
    """No host may already be in another aggregate with a different AZ."""
    conflicting = [
        az for az in agg_db.zones_of_hosts(
            session, hosts, exclude_aggregate_id=aggregate.id)
        if az != new_az]
    if conflicting:
        raise exc_class(
            aggregate_id=aggregate.id,
            reason='One or more hosts already in availability zone(s) %s'
                   % conflicting)


class AggregateAPI:
    """Create, change and remove host aggregates."""

    def __init__(self, notifier=None):
        self._notifier = notifier

    @property
    def notifier(self):
        return self._notifier or notifications.get_notifier()

    def get_all(self, context):
        """Every aggregate, with hosts and metadata, in id order."""
        return agg_db.get_all()

    def get(self, context, aggregate_id):
        """One aggregate; AggregateNotFound when there is none."""
        return agg_db.get(aggregate_id)

    def create(self, context, name, availability_zone=None):
        """Create an aggregate, optionally in an availability zone.

        The zone is stored as the metadata key ``availability_zone``.
        """
        metadata = {AZ_KEY: availability_zone} if availability_zone else {}
        uuid = uuidutils.generate_uuid()
        agg = agg_db.create(name, metadata, uuid=uuid)
        self.notifier.aggregate_create_start(context, uuid, name, metadata)
        self.notifier.aggregate_action(context, agg, 'create', 'end')
        sync.changed(context, agg, zone_changed=bool(availability_zone))
        return agg

    def update(self, context, aggregate_id, name=None, az_given=False,
               availability_zone=None):
        """Rename and/or move to another availability zone, atomically."""
        def check(session, agg):
            if az_given:
                if not availability_zone:
                    raise _empty_az(agg.id, agg.name,
                                    exception.InvalidAggregateActionUpdate)
                _check_az_conflicts(session, agg, agg.hosts,
                                    availability_zone,
                                    exception.InvalidAggregateActionUpdate)
                if engines.nova_mode():
                    nova_rules.check_zone_change(
                        agg, availability_zone,
                        exception.InvalidAggregateActionUpdate)

        metadata = {AZ_KEY: availability_zone} if az_given else None
        before, agg = agg_db.update(aggregate_id, name=name,
                                    set_metadata=metadata, check=check)
        # Both .start payloads carry the new name, as Nova's do.
        before = dict(before, name=agg.name)
        if name is not None:
            self.notifier.aggregate_action(context, before, 'update_prop',
                                           'start')
        if az_given:
            self.notifier.aggregate_action(context, before,
                                           'update_metadata', 'start')
        if name is not None:
            self.notifier.aggregate_action(context, agg, 'update_prop',
                                           'end')
        if az_given:
            self.notifier.aggregate_action(context, agg, 'update_metadata',
                                           'end')
        sync.changed(context, agg, zone_changed=az_given)
        return agg

    def set_metadata(self, context, aggregate_id, metadata):
        """Merge ``metadata``: strings upsert, None deletes, rest untouched.

        The ``availability_zone`` key is only checked for emptiness and
        for hosts in another zone, as on Nova.
        """
        def check(session, agg):
            if AZ_KEY in metadata:
                if not metadata[AZ_KEY]:
                    raise _empty_az(
                        agg.id, agg.name,
                        exception.InvalidAggregateActionUpdateMeta)
                _check_az_conflicts(
                    session, agg, agg.hosts, metadata[AZ_KEY],
                    exception.InvalidAggregateActionUpdateMeta)
                if engines.nova_mode():
                    nova_rules.check_zone_change(
                        agg, metadata[AZ_KEY],
                        exception.InvalidAggregateActionUpdateMeta)

        before, agg = agg_db.update(aggregate_id, set_metadata=metadata,
                                    check=check)
        self._announce(context, 'update_metadata', before, agg)
        sync.changed(context, agg, zone_changed=AZ_KEY in metadata)
        return agg

    def delete(self, context, aggregate_id):
        """Delete an aggregate that has no hosts."""
        def check(session, agg):
            if agg.hosts:
                raise exception.InvalidAggregateActionDelete(
                    aggregate_id=agg.id, reason='Host aggregate is not empty')

        before = agg_db.delete(aggregate_id, check=check)
        self._announce(context, 'delete', before, before)
        sync.deleted(context, before)
        return before

    def _get_compute_host(self, context, host):
        """The compute host named exactly ``host``.

        Our agent registry, or in Nova mode Nova's own compute services,
        found as Nova finds them.
        """
        if engines.nova_mode():
            return nova_db.compute_service(host)
        svc = hosts_db.get(host, hosts_db.COMPUTE_BINARY)
        # The lookup may be case-insensitive (MySQL); the name must not.
        if svc is None or svc.host != host:
            raise exception.ComputeHostNotFound(host=host)
        return svc

    def add_host(self, context, aggregate_id, host):
        """Add a registered compute host to an aggregate.

        The host is checked before the aggregate, as on Nova, so an unknown
        host is reported even when the aggregate does not exist either.
        """
        service = self._get_compute_host(context, host)

        def check(session, agg):
            az = agg.metadata_dict.get(AZ_KEY)
            if AZ_KEY in agg.metadata_dict:
                if not az:
                    raise _empty_az(agg.id, agg.name,
                                    exception.InvalidAggregateActionAdd)
                _check_az_conflicts(session, agg, [host], az,
                                    exception.InvalidAggregateActionAdd)
            if engines.nova_mode():
                nova_rules.check_add(session, agg, host, service)

        before, agg = agg_db.add_host(aggregate_id, host, check=check)
        self._announce(context, 'add_host', before, agg)
        sync.host_added(context, agg, host, service)
        return agg

    def remove_host(self, context, aggregate_id, host):
        """Remove a compute host from an aggregate."""
        service = self._get_compute_host(context, host)

        def check(session, agg):
            # Before membership is known, as on Nova: a non-member with
            # instances in another zone is refused with the move message.
            if engines.nova_mode():
                nova_rules.check_remove(session, agg, host, service)

        before, agg = agg_db.remove_host(aggregate_id, host, check=check)
        self._announce(context, 'remove_host', before, agg)
        sync.host_removed(context, agg, before, service)
        return agg

    def _announce(self, context, action, before, after):
        """``.start`` with the aggregate as it was, ``.end`` as it is.

        Sent once the change is committed, never from inside the
        transaction (a slow broker would hold its locks), and not at all
        for a refused request.
        """
        self.notifier.aggregate_action(context, before, action, 'start')
        self.notifier.aggregate_action(context, after, action, 'end')

"""The domain layer of host aggregates: Nova's business rules, no HTTP.

Every mutation runs in one database transaction together with the rules
that guard it, under the row locks that make the rules hold when requests
race (see ``db/aggregates.py``), so a request that breaks a rule changes
nothing.  (Nova commits a PUT's rename before it checks the availability
zone; we do not.)  Notifications go out after the commit.

This service has no instances, so Nova's rules that look at instances on a
host (moving a host with instances between availability zones, changing the
zone of hosts with instances) can never fire here.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext import exception
from aggregates_ext import notifications

LOG = logging.getLogger(__name__)

AZ_KEY = agg_db.AZ_KEY
COMPUTE_BINARY = hosts_db.COMPUTE_BINARY


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

        before, agg = agg_db.update(aggregate_id, set_metadata=metadata,
                                    check=check)
        self._announce(context, 'update_metadata', before, agg)
        return agg

    def delete(self, context, aggregate_id):
        """Delete an aggregate that has no hosts."""
        def check(session, agg):
            if agg.hosts:
                raise exception.InvalidAggregateActionDelete(
                    aggregate_id=agg.id, reason='Host aggregate is not empty')

        before = agg_db.delete(aggregate_id, check=check)
        self._announce(context, 'delete', before, before)
        return before

    def _get_compute_host(self, context, host):
        """The registered compute host named exactly ``host``."""
        svc = hosts_db.get(host, COMPUTE_BINARY)
        # The lookup may be case-insensitive (MySQL); the name must not.
        if svc is None or svc.host != host:
            raise exception.ComputeHostNotFound(host=host)
        return svc

    def add_host(self, context, aggregate_id, host):
        """Add a registered compute host to an aggregate.

        The host is checked before the aggregate, as on Nova, so an unknown
        host is reported even when the aggregate does not exist either.
        """
        self._get_compute_host(context, host)

        def check(session, agg):
            az = agg.metadata_dict.get(AZ_KEY)
            if AZ_KEY in agg.metadata_dict:
                if not az:
                    raise _empty_az(agg.id, agg.name,
                                    exception.InvalidAggregateActionAdd)
                _check_az_conflicts(session, agg, [host], az,
                                    exception.InvalidAggregateActionAdd)

        before, agg = agg_db.add_host(aggregate_id, host, check=check)
        self._announce(context, 'add_host', before, agg)
        return agg

    def remove_host(self, context, aggregate_id, host):
        """Remove a compute host from an aggregate."""
        self._get_compute_host(context, host)
        before, agg = agg_db.remove_host(aggregate_id, host)
        self._announce(context, 'remove_host', before, agg)
        return agg

    def _announce(self, context, action, before, after):
        """``.start`` with the aggregate as it was, ``.end`` as it is.

        Sent once the change is committed, never from inside the
        transaction (a slow broker would hold its locks), and not at all
        for a refused request.
        """
        self.notifier.aggregate_action(context, before, action, 'start')
        self.notifier.aggregate_action(context, after, action, 'end')

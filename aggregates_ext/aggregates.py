"""The domain layer of host aggregates: Nova's business rules, no HTTP.

Every mutation runs in one database transaction together with the rules
that guard it, so a request that breaks a rule changes nothing.  (Nova
commits a PUT's rename before it checks the availability zone; we do not.)

This service has no instances, so Nova's rules that look at instances on a
host (moving a host with instances between availability zones, changing the
zone of hosts with instances) can never fire here.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from aggregates_ext.db import api as db_api
from aggregates_ext import exception
from aggregates_ext import notifications

LOG = logging.getLogger(__name__)

AZ_KEY = 'availability_zone'
COMPUTE_BINARY = 'aggregates-ext-compute'


def _empty_az(aggregate_id, name, exc_class):
    return exc_class(
        aggregate_id=aggregate_id,
        reason='Aggregate %s does not support empty named availability '
               'zone' % name)


def _check_az_conflicts(session, aggregate, hosts, new_az, exc_class):
    """No host may already be in another aggregate with a different AZ."""
    conflicting = [
        az for az in db_api.hosts_availability_zones(
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
        return db_api.aggregate_get_all(context)

    def get(self, context, aggregate_id):
        """One aggregate; AggregateNotFound when there is none."""
        return db_api.aggregate_get(context, aggregate_id)

    def create(self, context, name, availability_zone=None):
        """Create an aggregate, optionally in an availability zone.

        The zone is stored as the metadata key ``availability_zone``.
        """
        metadata = {AZ_KEY: availability_zone} if availability_zone else {}
        uuid = uuidutils.generate_uuid()
        self.notifier.aggregate_create_start(context, uuid, name, metadata)
        agg = db_api.aggregate_create(context, name, metadata, uuid=uuid)
        self.notifier.aggregate_action(context, agg, 'create', 'end')
        return agg

    def update(self, context, aggregate_id, name=None, az_given=False,
               availability_zone=None):
        """Rename and/or move to another availability zone, atomically."""
        def check(session, agg):
            # The rules first: a refused request sends no .start at all.
            if az_given:
                if not availability_zone:
                    raise _empty_az(agg.id, agg.name,
                                    exception.InvalidAggregateActionUpdate)
                _check_az_conflicts(session, agg, agg.hosts,
                                    availability_zone,
                                    exception.InvalidAggregateActionUpdate)
            if name is not None:
                self.notifier.aggregate_action(context, agg, 'update_prop',
                                               'start')
            if az_given:
                self.notifier.aggregate_action(context, agg,
                                               'update_metadata', 'start')

        metadata = {AZ_KEY: availability_zone} if az_given else None
        agg = db_api.aggregate_update(context, aggregate_id, name=name,
                                      set_metadata=metadata, check=check)
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
            self.notifier.aggregate_action(context, agg, 'update_metadata',
                                           'start')

        agg = db_api.aggregate_update(context, aggregate_id,
                                      set_metadata=metadata, check=check)
        self.notifier.aggregate_action(context, agg, 'update_metadata',
                                       'end')
        return agg

    def delete(self, context, aggregate_id):
        """Delete an aggregate that has no hosts."""
        def check(session, agg):
            self.notifier.aggregate_action(context, agg, 'delete', 'start')
            if agg.hosts:
                raise exception.InvalidAggregateActionDelete(
                    aggregate_id=agg.id, reason='Host aggregate is not empty')

        agg = db_api.aggregate_delete(context, aggregate_id, check=check)
        self.notifier.aggregate_action(context, agg, 'delete', 'end')
        return agg

    def _get_compute_host(self, context, host):
        """The registered compute host named exactly ``host``."""
        svc = db_api.service_get_by_host_and_binary(context, host,
                                                    COMPUTE_BINARY)
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
            self.notifier.aggregate_action(context, agg, 'add_host',
                                           'start')
            az = agg.metadata_dict.get(AZ_KEY)
            if AZ_KEY in agg.metadata_dict:
                if not az:
                    raise _empty_az(agg.id, agg.name,
                                    exception.InvalidAggregateActionAdd)
                _check_az_conflicts(session, agg, [host], az,
                                    exception.InvalidAggregateActionAdd)

        agg = db_api.aggregate_add_host(context, aggregate_id, host,
                                        check=check)
        self.notifier.aggregate_action(context, agg, 'add_host', 'end')
        return agg

    def remove_host(self, context, aggregate_id, host):
        """Remove a compute host from an aggregate."""
        self._get_compute_host(context, host)

        def check(session, agg):
            self.notifier.aggregate_action(context, agg, 'remove_host',
                                           'start')

        agg = db_api.aggregate_remove_host(context, aggregate_id, host,
                                           check=check)
        self.notifier.aggregate_action(context, agg, 'remove_host', 'end')
        return agg

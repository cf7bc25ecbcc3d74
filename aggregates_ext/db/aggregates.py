"""Aggregate queries, and the locks that make their rules race-safe.

The rules hold under concurrency on every engine because each write takes
row locks (``SELECT ... FOR UPDATE``) before it reads what its rule needs,
always in this order, so that two writers never wait for each other:

1. the ``aggregate-names`` row of our ``locks`` table (create and rename:
   names are unique under case folding, which no index can express);
2. the aggregate's own row (every change to an aggregate: its name,
   metadata and hosts change one writer at a time);
3. the rows that stand for the hosts whose zone the change concerns, in
   host order (add_host; a zone change of an aggregate with hosts): our
   host registry, or Nova's host mappings in Nova mode.

MySQL sessions read committed data (``engines``), as PostgreSQL does by
default, so a rule read after a lock sees what the previous holder
committed.  On SQLite the writers take turns anyway.  A deadlock the
engine detects is retried (oslo.db).

In Nova mode the aggregate tables are Nova's (same columns, same unique
constraints); the names lock stays in our database, held around the write
to Nova's.
"""

import contextlib

from oslo_db import exception as db_exc
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from aggregates_ext.db import engines
from aggregates_ext.db import hosts as host_registry
from aggregates_ext.db import models
from aggregates_ext.db import nova as nova_db
from aggregates_ext import exception

AZ_KEY = 'availability_zone'
NAMES_LOCK = 'aggregate-names'


def _load(agg):
    """Load the collections while the session is open (views use them)."""
    agg.hosts
    agg.metadata_dict


def _query(session):
    return session.query(models.Aggregate)


def _get(session, aggregate_id):
    agg = _query(session).filter(
        models.Aggregate.id == aggregate_id).one_or_none()
    if agg is None:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return agg


def _lock(session, aggregate_id):
    """The aggregate, its row locked until the transaction ends."""
    agg = _query(session).filter(
        models.Aggregate.id == aggregate_id).with_for_update().one_or_none()
    if agg is None:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return agg


@contextlib.contextmanager
def _names_locked():
    """Hold the names lock (our database) while the block runs."""
    with engines.writer() as session:
        session.execute(sa.select(models.Lock.name).where(
            models.Lock.name == NAMES_LOCK).with_for_update()).one()
        yield


def _lock_hosts(session, hosts):
    """Lock the rows that stand for ``hosts``; the names found, in order."""
    if not hosts:
        return []
    if engines.nova_mode():
        return nova_db.lock_host_mappings(session, hosts)
    rows = session.execute(sa.select(models.Service.host).where(
        models.Service.host.in_(sorted(set(hosts))),
        models.Service.binary == host_registry.COMPUTE_BINARY).order_by(
        models.Service.host).with_for_update())
    return [row[0] for row in rows]


@contextlib.contextmanager
def _write(aggregate_id=None, rename=False):
    """A write transaction on the aggregate tables; lost races are 404.

    With ``rename``, the names lock is taken first.  In own-database mode
    the names lock and the aggregate tables share one database, but the
    lock is still taken in its own transaction, committed after the
    aggregate's: the same code holds in both modes.
    """
    with contextlib.ExitStack() as stack:
        if rename:
            stack.enter_context(_names_locked())
        try:
            with engines.aggregates_writer() as session:
                yield session
        except db_exc.DBReferenceError:
            # Only reachable if a writer skipped the aggregate lock.
            raise exception.AggregateNotFound(aggregate_id=aggregate_id)


class Aggregate:
    """An aggregate as read: the model's attributes, without the ORM.

    Reads (show, list, a pre-cache request's snapshot) build these from
    three plain selects; building ORM objects cost more than the queries.
    """

    def __init__(self, row, hosts, metadata):
        self.id, self.uuid, self.name = row.id, row.uuid, row.name
        self.created_at, self.updated_at = row.created_at, row.updated_at
        self.hosts = hosts
        self.metadata_dict = metadata

    snapshot = models.Aggregate.snapshot


def _read(aggregate_id=None):
    """Aggregates (all, or the one) with hosts and metadata, in id order."""
    aggs = models.Aggregate.__table__
    hosts = models.AggregateHost.__table__
    meta = models.AggregateMetadata.__table__
    queries = [
        sa.select(aggs.c.id, aggs.c.uuid, aggs.c.name, aggs.c.created_at,
                  aggs.c.updated_at).order_by(aggs.c.id),
        sa.select(hosts.c.aggregate_id, hosts.c.host).order_by(hosts.c.id),
        sa.select(meta.c.aggregate_id, meta.c.key,
                  meta.c.value).order_by(meta.c.id)]
    if aggregate_id is not None:
        queries = [queries[0].where(aggs.c.id == aggregate_id),
                   queries[1].where(hosts.c.aggregate_id == aggregate_id),
                   queries[2].where(meta.c.aggregate_id == aggregate_id)]
    with engines.aggregates_reader() as session:
        rows = session.execute(queries[0]).all()
        if not rows:
            return []
        found = {row.id: Aggregate(row, [], {}) for row in rows}
        for agg_id, host in session.execute(queries[1]):
            if agg_id in found:
                found[agg_id].hosts.append(host)
        for agg_id, key, value in session.execute(queries[2]):
            if agg_id in found:
                found[agg_id].metadata_dict[key] = value
    return list(found.values())


def get(aggregate_id):
    """One aggregate with hosts and metadata; AggregateNotFound if none."""
    found = _read(aggregate_id)
    if not found:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return found[0]


def get_all():
    """All aggregates with hosts and metadata in three queries in all."""
    return _read()


def _name_taken(session, name, exclude_id=None):
    """Whether another aggregate has this name, ignoring case.

    Compared with Python's case folding so that the rule is the same on
    every engine (SQLite's lower() only folds ASCII; MySQL's default
    collations also ignore accents).  Aggregates are few, names are short:
    reading them all is cheap.  Callers hold the names lock.
    """
    folded = name.casefold()
    table = models.Aggregate.__table__
    rows = session.execute(sa.select(table.c.id, table.c.name)).all()
    return any(other_name.casefold() == folded
               for other_id, other_name in rows if other_id != exclude_id)


@engines.retry_on_deadlock
def create(name, metadata=None, uuid=None):
    try:
        with _write(rename=True) as session:
            if _name_taken(session, name):
                raise exception.AggregateNameExists(aggregate_name=name)
            agg = models.Aggregate(uuid=uuid or uuidutils.generate_uuid(),
                                   name=name)
            for key, value in (metadata or {}).items():
                agg._metadata.append(
                    models.AggregateMetadata(key=key, value=value))
            session.add(agg)
            session.flush()
            _load(agg)
    except db_exc.DBDuplicateEntry:
        raise exception.AggregateNameExists(aggregate_name=name)
    return agg


@engines.retry_on_deadlock
def update(aggregate_id, name=None, set_metadata=None, check=None):
    """Rename and/or merge metadata in one transaction.

    ``check(session, aggregate)`` runs inside the transaction, with every
    lock taken, after the rename, so a rule it raises rolls the rename back
    too.

    :returns: (the aggregate as a snapshot before the change, the aggregate)
    """
    try:
        with _write(aggregate_id, rename=name is not None) as session:
            agg = _lock(session, aggregate_id)
            before = agg.snapshot()
            if name is not None:
                if _name_taken(session, name, exclude_id=agg.id):
                    raise exception.AggregateNameExists(aggregate_name=name)
                agg.name = name
                agg.updated_at = timeutils.utcnow()
                session.flush()
            if set_metadata and AZ_KEY in set_metadata:
                _lock_hosts(session, agg.hosts)
            if check is not None:
                check(session, agg)
            if set_metadata:
                _merge_metadata(session, agg, set_metadata)
            session.flush()
    except db_exc.DBDuplicateEntry as exc:
        columns = exc.columns or []
        if name is not None and 'key' not in columns:
            raise exception.AggregateNameExists(aggregate_name=name)
        keys = [k for k in (set_metadata or {})
                if set_metadata[k] is not None]
        raise exception.AggregateMetadataKeyExists(
            aggregate_id=aggregate_id, key=keys[0] if keys else '')
    return before, agg


def _merge_metadata(session, agg, changes):
    """Upsert string values, delete None values, leave the rest.

    Keys are unique without regard to case, as on MySQL Nova, on every
    engine: a new key that differs only in case from a key that stays is
    refused.  The caller holds the aggregate's lock.
    """
    existing = {m.key: m for m in agg._metadata}
    for key, value in changes.items():
        row = existing.get(key)
        if value is None and row is not None:
            agg._metadata.remove(row)
            session.delete(row)
            del existing[key]
    session.flush()
    kept = {k.casefold(): k for k in existing}
    for key, value in changes.items():
        if value is None:
            continue
        row = existing.get(key)
        if row is not None:
            row.value = value
            continue
        other = kept.get(key.casefold())
        if other is not None:
            raise exception.AggregateMetadataKeyExists(
                aggregate_id=agg.id, key=other)
        new = models.AggregateMetadata(key=key, value=value)
        agg._metadata.append(new)
        existing[key] = new
        kept[key.casefold()] = key
    session.flush()


@engines.retry_on_deadlock
def delete(aggregate_id, check=None):
    """Delete an aggregate; returns its snapshot from before."""
    with _write(aggregate_id) as session:
        agg = _lock(session, aggregate_id)
        before = agg.snapshot()
        if check is not None:
            check(session, agg)
        session.delete(agg)
        session.flush()
    return before


@engines.retry_on_deadlock
def add_host(aggregate_id, host, check=None):
    """Add ``host``; returns (snapshot before, aggregate)."""
    try:
        with _write(aggregate_id) as session:
            agg = _lock(session, aggregate_id)
            before = agg.snapshot()
            if host in agg.hosts:
                raise exception.AggregateHostExists(
                    aggregate_id=aggregate_id, host=host)
            locked = _lock_hosts(session, [host])
            # Nova accepts a host it finds in a cell without a host
            # mapping, which then has no row to lock.
            if host not in locked and not engines.nova_mode():
                raise exception.ComputeHostNotFound(host=host)
            if check is not None:
                check(session, agg)
            agg._hosts.append(models.AggregateHost(host=host))
            session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.AggregateHostExists(
            aggregate_id=aggregate_id, host=host)
    return before, agg


@engines.retry_on_deadlock
def remove_host(aggregate_id, host, check=None):
    """Remove ``host``; returns (snapshot before, aggregate)."""
    with _write(aggregate_id) as session:
        agg = _lock(session, aggregate_id)
        before = agg.snapshot()
        if check is not None:
            check(session, agg)
        for row in agg._hosts:
            if row.host == host:
                agg._hosts.remove(row)
                session.delete(row)
                break
        else:
            raise exception.AggregateHostNotFound(
                aggregate_id=aggregate_id, host=host)
        session.flush()
    return before, agg


def zones_of_hosts(session, hosts, exclude_aggregate_id):
    """AZ names of the other aggregates holding any of ``hosts``.

    One entry per aggregate, in aggregate id order, so two aggregates with
    the same zone give the zone twice (as Nova's message shows it).
    """
    if not hosts:
        return []
    member_of = session.query(models.AggregateHost.aggregate_id).filter(
        models.AggregateHost.host.in_(list(hosts)))
    query = session.query(models.AggregateMetadata.value).filter(
        models.AggregateMetadata.aggregate_id.in_(member_of),
        models.AggregateMetadata.aggregate_id != exclude_aggregate_id,
        models.AggregateMetadata.key == AZ_KEY)
    return [row[0] for row in
            query.order_by(models.AggregateMetadata.aggregate_id)]


def zones_of_host(host):
    """The zones of the aggregates ``host`` is in (for the AZ-move rule)."""
    with engines.aggregates_reader() as session:
        return zones_of_hosts(session, [host], exclude_aggregate_id=None)

"""Aggregate queries, and the locks that make their rules race-safe.

The rules hold under concurrency on every engine because each write takes
row locks (``SELECT ... FOR UPDATE``) before it reads what its rule needs,
always in this order, so that two writers never wait for each other:

1. in Nova mode only, the ``aggregate-names`` row of our ``locks`` table
   (create and rename: names are unique under case folding, which no
   index of Nova's expresses); in our own database the name's key in
   ``aggregate_names`` is unique instead (``models.name_key``), so that
   creates and renames of different names do not wait for each other;
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


_AGGS = models.Aggregate.__table__
_HOSTS = models.AggregateHost.__table__
_META = models.AggregateMetadata.__table__
_LOCKS = models.Lock.__table__
_NAMES = models.AggregateName.__table__

# The statements are built once: building a select costs more than SQLite
# takes to run it.
_ROWS = sa.select(_AGGS.c.id, _AGGS.c.uuid, _AGGS.c.name, _AGGS.c.created_at,
                  _AGGS.c.updated_at)
_ALL_ROWS = _ROWS.order_by(_AGGS.c.id)
_ONE_ROW = _ROWS.where(_AGGS.c.id == sa.bindparam('agg_id'))
_LOCK_ROW = _ONE_ROW.with_for_update()


def _members(one):
    """Hosts and metadata in one statement: (kind, aggregate, id, key, value).

    Hosts have kind 0 and no value.  Rows come in id order within a kind,
    the order the API lists them in.
    """
    hosts = sa.select(sa.literal(0).label('kind'), _HOSTS.c.aggregate_id,
                      _HOSTS.c.id, _HOSTS.c.host.label('key'),
                      sa.cast(sa.null(), _META.c.value.type).label('value'))
    meta = sa.select(sa.literal(1), _META.c.aggregate_id, _META.c.id,
                     _META.c.key, _META.c.value)
    if one:
        hosts = hosts.where(_HOSTS.c.aggregate_id == sa.bindparam('agg_id'))
        meta = meta.where(_META.c.aggregate_id == sa.bindparam('agg_id'))
    union = sa.union_all(hosts, meta).subquery()
    return sa.select(union).order_by(union.c.kind, union.c.id)


_ALL_MEMBERS = _members(one=False)
_ONE_MEMBERS = _members(one=True)
_NAMES_LOCK = sa.select(_LOCKS.c.name).where(
    _LOCKS.c.name == NAMES_LOCK).with_for_update()
_INSERT = _AGGS.insert()
_RENAME = _AGGS.update().where(_AGGS.c.id == sa.bindparam('agg_id')).values(
    name=sa.bindparam('new_name'), updated_at=sa.bindparam('now'))
_DELETE = _AGGS.delete().where(_AGGS.c.id == sa.bindparam('agg_id'))
_ADD_HOST = _HOSTS.insert()
_REMOVE_HOST = _HOSTS.delete().where(_HOSTS.c.id == sa.bindparam('row_id'))
_DELETE_HOSTS = _HOSTS.delete().where(
    _HOSTS.c.aggregate_id == sa.bindparam('agg_id'))
_ADD_NAME = _NAMES.insert()
_RENAME_KEY = _NAMES.update().where(
    _NAMES.c.aggregate_id == sa.bindparam('agg_id')).values(
    name_key=sa.bindparam('new_key'))
_DELETE_NAME = _NAMES.delete().where(
    _NAMES.c.aggregate_id == sa.bindparam('agg_id'))
_ADD_METADATA = _META.insert()
_SET_METADATA = _META.update().where(
    _META.c.aggregate_id == sa.bindparam('agg_id'),
    _META.c.key == sa.bindparam('meta_key')).values(
    value=sa.bindparam('meta_value'))
_DELETE_METADATA = _META.delete().where(
    _META.c.aggregate_id == sa.bindparam('agg_id'))


class Aggregate:
    """An aggregate as read or written, without the ORM.

    Reads and writes run Core statements on a bare connection; building
    ORM objects cost more than the queries.  ``hosts`` and
    ``metadata_dict`` are in the order the API lists them (row id).
    """

    def __init__(self, id, uuid, name, created_at, updated_at):
        self.id, self.uuid, self.name = id, uuid, name
        self.created_at, self.updated_at = created_at, updated_at
        self.metadata_dict = {}
        # {host: its aggregate_hosts row id}, in row order.
        self._host_rows = {}

    @property
    def hosts(self):
        return list(self._host_rows)

    def snapshot(self):
        """The aggregate as a plain dict, a copy (RPC, notifications)."""
        return {'id': self.id, 'uuid': self.uuid, 'name': self.name,
                'hosts': self.hosts,
                'metadata': dict(self.metadata_dict)}


def _build(conn, rows, members, params=None):
    """Aggregates from their rows and their members, in id order."""
    found = {row[0]: Aggregate(*row) for row in rows}
    if not found:
        return []
    for kind, agg_id, row_id, key, value in conn.execute(members, params):
        agg = found.get(agg_id)
        if agg is None:
            continue
        if kind == 0:
            agg._host_rows[key] = row_id
        else:
            agg.metadata_dict[key] = value
    return list(found.values())


def _read(aggregate_id=None):
    """Aggregates (all, or the one) with hosts and metadata, in id order."""
    with engines.aggregates_reader(connection=True) as conn:
        if aggregate_id is None:
            return _build(conn, conn.execute(_ALL_ROWS), _ALL_MEMBERS)
        params = {'agg_id': aggregate_id}
        return _build(conn, conn.execute(_ONE_ROW, params), _ONE_MEMBERS,
                      params)


def _lock(conn, aggregate_id):
    """The aggregate, its row locked until the transaction ends."""
    params = {'agg_id': aggregate_id}
    found = _build(conn, conn.execute(_LOCK_ROW, params), _ONE_MEMBERS,
                   params)
    if not found:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return found[0]


def _lock_hosts(conn, hosts):
    """Lock the rows that stand for ``hosts``; the names found, in order."""
    if not hosts:
        return []
    if engines.nova_mode():
        return nova_db.lock_host_mappings(conn, hosts)
    rows = conn.execute(sa.select(models.Service.host).where(
        models.Service.host.in_(sorted(set(hosts))),
        models.Service.binary == host_registry.COMPUTE_BINARY).order_by(
        models.Service.host).with_for_update())
    return [row[0] for row in rows]


@contextlib.contextmanager
def _write(aggregate_id=None, rename=False):
    """A write transaction on the aggregate tables; lost races are 404.

    With ``rename`` in Nova mode, the names lock is taken first, in a
    transaction of its own on our database, held until Nova's commits.
    In our own database a name's uniqueness is its key's unique index.
    """
    with contextlib.ExitStack() as stack:
        if rename and engines.nova_mode():
            names = stack.enter_context(engines.writer(connection=True))
            names.execute(_NAMES_LOCK).one()
        try:
            with engines.aggregates_writer(connection=True) as conn:
                yield conn
        except db_exc.DBReferenceError:
            # Only reachable if a writer skipped the aggregate lock.
            raise exception.AggregateNotFound(aggregate_id=aggregate_id)


def get(aggregate_id):
    """One aggregate with hosts and metadata; AggregateNotFound if none."""
    found = _read(aggregate_id)
    if not found:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return found[0]


def get_all():
    """All aggregates with hosts and metadata, in two queries in all."""
    return _read()


def _candidates_statement(dialect_name):
    """Names that may equal ``:folded`` under case folding, for this engine.

    A superset, checked in Python: ASCII names whose SQL lower() is
    ``:folded`` (lower() folds ASCII alike everywhere), and every name with
    a non-ASCII character (its bytes outnumber its characters in UTF-8, as
    Nova's and our databases are), since those may fold to anything.
    """
    chars = (sa.func.length(_AGGS.c.name) if dialect_name == 'sqlite'
             else sa.func.char_length(_AGGS.c.name))
    octets = sa.func.length(sa.cast(_AGGS.c.name, sa.LargeBinary))
    return sa.select(_AGGS.c.name).where(
        _AGGS.c.id != sa.bindparam('agg_id'),
        sa.or_(sa.func.lower(_AGGS.c.name) == sa.bindparam('folded'),
               octets != chars))


_CANDIDATES = {}


def _name_taken(conn, name, exclude_id=None):
    """Whether another aggregate has this name, ignoring case.

    Compared with Python's case folding so that the rule is the same on
    every engine (SQLite's lower() only folds ASCII; MySQL's default
    collations also ignore accents).  The database narrows the names down
    (``_candidates_statement``), so the cost does not grow with the number
    of aggregates.  Nova mode only: callers hold the names lock.
    """
    dialect = conn.dialect.name
    statement = _CANDIDATES.get(dialect)
    if statement is None:
        statement = _CANDIDATES[dialect] = _candidates_statement(dialect)
    folded = name.casefold()
    # Aggregate ids start at 1: 0 excludes nothing.
    names = conn.execute(statement, {'agg_id': exclude_id or 0,
                                     'folded': folded})
    return folded in map(str.casefold, names.scalars().all())


def _claim_name(conn, agg, new):
    """Make ``agg.name`` the aggregate's, after its row was written.

    In our own database its key goes into ``aggregate_names`` (a name
    equal under case folding is a duplicate key there); in Nova mode the
    other names are read under the names lock.

    :raises AggregateNameExists: in Nova mode (the caller turns the
        duplicate key into the same)
    """
    if engines.nova_mode():
        if _name_taken(conn, agg.name, exclude_id=agg.id):
            raise exception.AggregateNameExists(aggregate_name=agg.name)
        return
    key = models.name_key(agg.name)
    if new:
        conn.execute(_ADD_NAME, {'aggregate_id': agg.id, 'name_key': key})
    else:
        conn.execute(_RENAME_KEY, {'agg_id': agg.id, 'new_key': key})


@engines.retry_on_deadlock
def create(name, metadata=None, uuid=None):
    metadata = dict(metadata or {})
    try:
        with _write(rename=True) as conn:
            agg = Aggregate(None, uuid or uuidutils.generate_uuid(), name,
                            timeutils.utcnow(), None)
            agg.id = conn.execute(_INSERT, {
                'uuid': agg.uuid, 'name': name,
                'created_at': agg.created_at}).inserted_primary_key[0]
            _claim_name(conn, agg, new=True)
            if metadata:
                conn.execute(_ADD_METADATA, [
                    {'aggregate_id': agg.id, 'key': key, 'value': value}
                    for key, value in metadata.items()])
            agg.metadata_dict = metadata
    except db_exc.DBDuplicateEntry:
        raise exception.AggregateNameExists(aggregate_name=name)
    return agg


@engines.retry_on_deadlock
def update(aggregate_id, name=None, set_metadata=None, check=None):
    """Rename and/or merge metadata in one transaction.

    ``check(conn, aggregate)`` runs inside the transaction, with every
    lock taken, after the rename, so a rule it raises rolls the rename back
    too.

    :returns: (the aggregate as a snapshot before the change, the aggregate)
    """
    try:
        with _write(aggregate_id, rename=name is not None) as conn:
            agg = _lock(conn, aggregate_id)
            before = agg.snapshot()
            if name is not None:
                agg.name, agg.updated_at = name, timeutils.utcnow()
                conn.execute(_RENAME, {'agg_id': agg.id, 'new_name': name,
                                       'now': agg.updated_at})
                _claim_name(conn, agg, new=False)
            if set_metadata and AZ_KEY in set_metadata:
                _lock_hosts(conn, agg.hosts)
            if check is not None:
                check(conn, agg)
            if set_metadata:
                _merge_metadata(conn, agg, set_metadata)
    except db_exc.DBDuplicateEntry as exc:
        columns = exc.columns or []
        if name is not None and 'key' not in columns:
            raise exception.AggregateNameExists(aggregate_name=name)
        keys = [k for k in (set_metadata or {})
                if set_metadata[k] is not None]
        raise exception.AggregateMetadataKeyExists(
            aggregate_id=aggregate_id, key=keys[0] if keys else '')
    return before, agg


def _merge_metadata(conn, agg, changes):
    """Upsert string values, delete None values, leave the rest.

    Keys are unique without regard to case, as on MySQL Nova, on every
    engine: a new key that differs only in case from a key that stays is
    refused.  The caller holds the aggregate's lock.  A value set to what
    it already is is not written.
    """
    existing = agg.metadata_dict
    removed = [key for key, value in changes.items()
               if value is None and key in existing]
    if removed:
        conn.execute(_META.delete().where(
            _META.c.aggregate_id == agg.id, _META.c.key.in_(removed)))
        for key in removed:
            del existing[key]
    kept = {k.casefold(): k for k in existing}
    changed, added = [], []
    for key, value in changes.items():
        if value is None:
            continue
        if key in existing:
            if existing[key] != value:
                changed.append({'agg_id': agg.id, 'meta_key': key,
                                'meta_value': value})
            existing[key] = value
            continue
        other = kept.get(key.casefold())
        if other is not None:
            raise exception.AggregateMetadataKeyExists(
                aggregate_id=agg.id, key=other)
        added.append({'aggregate_id': agg.id, 'key': key, 'value': value})
        existing[key] = value
        kept[key.casefold()] = key
    if changed:
        conn.execute(_SET_METADATA, changed)
    if added:
        conn.execute(_ADD_METADATA, added)


@engines.retry_on_deadlock
def delete(aggregate_id, check=None):
    """Delete an aggregate; returns its snapshot from before."""
    with _write(aggregate_id) as conn:
        agg = _lock(conn, aggregate_id)
        before = agg.snapshot()
        if check is not None:
            check(conn, agg)
        params = {'agg_id': agg.id}
        if agg.metadata_dict:
            conn.execute(_DELETE_METADATA, params)
        if agg._host_rows:
            conn.execute(_DELETE_HOSTS, params)
        if not engines.nova_mode():
            conn.execute(_DELETE_NAME, params)
        conn.execute(_DELETE, params)
    return before


@engines.retry_on_deadlock
def add_host(aggregate_id, host, check=None):
    """Add ``host``; returns (snapshot before, aggregate)."""
    try:
        with _write(aggregate_id) as conn:
            agg = _lock(conn, aggregate_id)
            before = agg.snapshot()
            if host in agg._host_rows:
                raise exception.AggregateHostExists(
                    aggregate_id=aggregate_id, host=host)
            locked = _lock_hosts(conn, [host])
            # Nova accepts a host it finds in a cell without a host
            # mapping, which then has no row to lock.
            if host not in locked and not engines.nova_mode():
                raise exception.ComputeHostNotFound(host=host)
            if check is not None:
                check(conn, agg)
            agg._host_rows[host] = conn.execute(_ADD_HOST, {
                'aggregate_id': agg.id,
                'host': host}).inserted_primary_key[0]
    except db_exc.DBDuplicateEntry:
        raise exception.AggregateHostExists(
            aggregate_id=aggregate_id, host=host)
    return before, agg


@engines.retry_on_deadlock
def remove_host(aggregate_id, host, check=None):
    """Remove ``host``; returns (snapshot before, aggregate)."""
    with _write(aggregate_id) as conn:
        agg = _lock(conn, aggregate_id)
        before = agg.snapshot()
        if check is not None:
            check(conn, agg)
        row_id = agg._host_rows.pop(host, None)
        if row_id is None:
            raise exception.AggregateHostNotFound(
                aggregate_id=aggregate_id, host=host)
        # By row: a case-insensitive collation would match other spellings.
        conn.execute(_REMOVE_HOST, {'row_id': row_id})
    return before, agg


def zones_of_hosts(conn, hosts, exclude_aggregate_id):
    """AZ names of the other aggregates holding any of ``hosts``.

    One entry per aggregate, in aggregate id order, so two aggregates with
    the same zone give the zone twice (as Nova's message shows it).
    """
    if not hosts:
        return []
    member_of = sa.select(_HOSTS.c.aggregate_id).where(
        _HOSTS.c.host.in_(list(hosts)))
    query = sa.select(_META.c.value).where(
        _META.c.aggregate_id.in_(member_of),
        _META.c.aggregate_id != exclude_aggregate_id,
        _META.c.key == AZ_KEY).order_by(_META.c.aggregate_id)
    return [row[0] for row in conn.execute(query)]


def zones_of_host(host):
    """The zones of the aggregates ``host`` is in (for the AZ-move rule)."""
    with engines.aggregates_reader(connection=True) as conn:
        return zones_of_hosts(conn, [host], exclude_aggregate_id=None)

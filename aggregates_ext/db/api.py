"""Database access: the enginefacade and every query of the service.

Each public function opens its own transaction through the enginefacade,
so a request that fails part-way leaves the database as it was.
"""

import contextlib
import fcntl
import json
import os
import threading

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from aggregates_ext.db import models
from aggregates_ext import exception

context_manager = enginefacade.transaction_context()
_configured = False
_sqlite = False
_sqlite_lock_path = None
_SQLITE_WRITE_LOCK = threading.RLock()


def configure(conf):
    """Point the enginefacade at ``[database] connection``.

    An unset connection means the embedded default, a SQLite file under
    ``[DEFAULT] state_path``.
    """
    global _configured
    connection = conf.database.connection
    if not connection:
        os.makedirs(conf.state_path, exist_ok=True)
        connection = 'sqlite:///' + os.path.join(
            conf.state_path, 'aggregates-ext.sqlite')
    if _configured:
        reset()
    global _sqlite, _sqlite_lock_path
    _sqlite = connection.startswith('sqlite')
    database = sa.engine.make_url(connection).database if _sqlite else None
    _sqlite_lock_path = (database + '.lock'
                         if database and database != ':memory:' else None)
    if _sqlite:
        context_manager.append_on_engine_create(_sqlite_pragmas)
    elif connection.startswith('mysql'):
        context_manager.append_on_engine_create(_mysql_read_committed)
    context_manager.configure(
        connection=connection,
        sqlite_fk=True,
        max_retries=conf.database.max_retries,
        connection_debug=conf.database.connection_debug)
    _configured = True
    return connection


def _mysql_read_committed(engine):
    """READ COMMITTED, as on PostgreSQL: reads see the latest commit.

    InnoDB's default REPEATABLE READ would answer a rule's read, made
    after the row lock it waited for, from the snapshot the transaction
    took before the wait (see the aggregates section below).
    """
    @sa.event.listens_for(engine, 'connect')
    def _connect(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute('SET SESSION TRANSACTION ISOLATION LEVEL '
                       'READ COMMITTED')
        cursor.close()

    # oslo.db opened a connection to test the engine before this hook ran;
    # drop it, so that every connection the pool hands out has the setting.
    engine.dispose()


def _sqlite_pragmas(engine):
    """WAL and a busy timeout: readers never wait, a writer waits its turn.

    Writers also take ``_sqlite_write_lock`` (see
    ``_writer``): two deferred SQLite transactions that both read and then
    write would otherwise deadlock, and SQLite answers that at once with
    "database is locked" instead of waiting.
    """
    @sa.event.listens_for(engine, 'connect')
    def _connect(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA busy_timeout = 30000')
        cursor.execute('PRAGMA journal_mode = WAL')
        cursor.close()


def reset():
    """Forget the engine (tests and in-process restarts)."""
    global context_manager, _configured
    try:
        context_manager.dispose_pool()
    except Exception:
        pass
    context_manager = enginefacade.transaction_context()
    _configured = False


def get_engine():
    return context_manager.writer.get_engine()


class _Ctx:
    """A bare transaction context for callers without a request context."""


def _ctx(context):
    return context if context is not None else _Ctx()


@contextlib.contextmanager
def _writer(context):
    """A writer transaction; on SQLite, one at a time on the machine."""
    if not _sqlite:
        with context_manager.writer.using(_ctx(context)) as session:
            yield session
        return
    with _sqlite_write_lock():
        with context_manager.writer.using(_ctx(context)) as session:
            yield session


_sqlite_lock_depth = 0


@contextlib.contextmanager
def _sqlite_write_lock():
    """Exclude every other SQLite writer: threads here, other processes.

    The thread lock orders this process's writers; a POSIX lock on
    ``<database>.lock`` orders the processes (API, conductor) that share
    the file.  Taken once per thread however deep writers nest, since a
    process's POSIX lock is released by its first unlock.
    """
    global _sqlite_lock_depth
    with _SQLITE_WRITE_LOCK:
        fd = None
        if _sqlite_lock_depth == 0 and _sqlite_lock_path:
            fd = os.open(_sqlite_lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.lockf(fd, fcntl.LOCK_EX)
        _sqlite_lock_depth += 1
        try:
            yield
        finally:
            _sqlite_lock_depth -= 1
            if fd is not None:
                fcntl.lockf(fd, fcntl.LOCK_UN)
                os.close(fd)


# Aggregates ----------------------------------------------------------------
#
# The rules hold under concurrency on every engine because each write takes
# row locks (SELECT ... FOR UPDATE) before it reads what its rule needs, in
# one order, so that two writers never hold each other's locks:
#
#   1. the aggregate's own row (every change to an aggregate: its name,
#      metadata and hosts change one writer at a time);
#   2. the ``aggregate-names`` row of ``locks`` (create and rename: names
#      are unique under case folding, which no index can express);
#   3. the host registry rows of the hosts whose zone the change concerns,
#      in host order (add_host; a zone change of an aggregate with hosts):
#      one host in at most one availability zone.
#
# MySQL sessions read committed data (``_mysql_read_committed``), as
# PostgreSQL does by default, so a rule read after a lock sees what the
# previous holder committed.  On SQLite the writers take turns anyway.
# A deadlock the engine detects is retried (oslo.db).

AZ_KEY = 'availability_zone'
# Registry rows of this binary stand for compute hosts.
HOST_BINARY = 'aggregates-ext-compute'
NAMES_LOCK = 'aggregate-names'

_retry_on_deadlock = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_interval=0.05, inc_retry_interval=True,
    max_retry_interval=1, retry_on_deadlock=True)


def _load(agg):
    """Load the collections while the session is open (views use them)."""
    agg.hosts
    agg.metadata_dict


def _aggregate_query(session):
    return session.query(models.Aggregate)


def _get_aggregate(session, aggregate_id):
    agg = _aggregate_query(session).filter(
        models.Aggregate.id == aggregate_id).one_or_none()
    if agg is None:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return agg


def _lock_aggregate(session, aggregate_id):
    """The aggregate, its row locked until the transaction ends."""
    agg = _aggregate_query(session).filter(
        models.Aggregate.id == aggregate_id).with_for_update().one_or_none()
    if agg is None:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return agg


def _lock_names(session):
    session.execute(sa.select(models.Lock.name).where(
        models.Lock.name == NAMES_LOCK).with_for_update()).one()


def _lock_hosts(session, hosts):
    """Lock the registry rows of ``hosts``; the names found, in order."""
    if not hosts:
        return []
    rows = session.execute(sa.select(models.Service.host).where(
        models.Service.host.in_(sorted(set(hosts))),
        models.Service.binary == HOST_BINARY).order_by(
        models.Service.host).with_for_update())
    return [row[0] for row in rows]


def aggregate_get(context, aggregate_id):
    with context_manager.reader.using(_ctx(context)) as session:
        return _get_aggregate(session, aggregate_id)


def aggregate_get_all(context):
    """All aggregates with hosts and metadata in three queries in all."""
    with context_manager.reader.using(_ctx(context)) as session:
        return _aggregate_query(session).order_by(models.Aggregate.id).all()


def _name_taken(session, name, exclude_id=None):
    """Whether another aggregate has this name, ignoring case.

    Compared with Python's case folding so that the rule is the same on
    every engine (SQLite's lower() only folds ASCII; MySQL's default
    collations also ignore accents).  Aggregates are few, names are short:
    reading them all is cheap.  Callers hold the names lock.
    """
    folded = name.casefold()
    query = session.query(models.Aggregate.id, models.Aggregate.name)
    return any(other_name.casefold() == folded
               for other_id, other_name in query
               if other_id != exclude_id)


@contextlib.contextmanager
def _aggregate_write(context, aggregate_id=None):
    """A writer transaction whose lost races are 404, never a 500."""
    try:
        with _writer(context) as session:
            yield session
    except db_exc.DBReferenceError:
        # Only reachable if a writer skipped the aggregate lock.
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)


@_retry_on_deadlock
def aggregate_create(context, name, metadata=None, uuid=None):
    try:
        with _aggregate_write(context) as session:
            _lock_names(session)
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


@_retry_on_deadlock
def aggregate_update(context, aggregate_id, name=None, set_metadata=None,
                     check=None):
    """Rename and/or merge metadata in one transaction.

    ``check(session, aggregate)`` runs inside the transaction, with every
    lock taken, after the rename, so a rule it raises rolls the rename back
    too.

    :returns: (the aggregate as a snapshot before the change, the aggregate)
    """
    try:
        with _aggregate_write(context, aggregate_id) as session:
            agg = _lock_aggregate(session, aggregate_id)
            before = agg.snapshot()
            if name is not None:
                _lock_names(session)
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


@_retry_on_deadlock
def aggregate_delete(context, aggregate_id, check=None):
    """Delete an aggregate; returns its snapshot from before."""
    with _aggregate_write(context, aggregate_id) as session:
        agg = _lock_aggregate(session, aggregate_id)
        before = agg.snapshot()
        if check is not None:
            check(session, agg)
        session.delete(agg)
        session.flush()
    return before


@_retry_on_deadlock
def aggregate_add_host(context, aggregate_id, host, check=None):
    """Add ``host``; returns (snapshot before, aggregate)."""
    try:
        with _aggregate_write(context, aggregate_id) as session:
            agg = _lock_aggregate(session, aggregate_id)
            before = agg.snapshot()
            if host in agg.hosts:
                raise exception.AggregateHostExists(
                    aggregate_id=aggregate_id, host=host)
            if host not in _lock_hosts(session, [host]):
                raise exception.ComputeHostNotFound(host=host)
            if check is not None:
                check(session, agg)
            agg._hosts.append(models.AggregateHost(host=host))
            session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.AggregateHostExists(
            aggregate_id=aggregate_id, host=host)
    return before, agg


@_retry_on_deadlock
def aggregate_remove_host(context, aggregate_id, host, check=None):
    """Remove ``host``; returns (snapshot before, aggregate)."""
    with _aggregate_write(context, aggregate_id) as session:
        agg = _lock_aggregate(session, aggregate_id)
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


def hosts_availability_zones(session, hosts, exclude_aggregate_id):
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


# Services (the compute host registry) --------------------------------------


def service_get_by_host_and_binary(context, host, binary):
    with context_manager.reader.using(_ctx(context)) as session:
        return session.query(models.Service).filter_by(
            host=host, binary=binary).one_or_none()


def service_get_all(context, binary=None, host=None):
    with context_manager.reader.using(_ctx(context)) as session:
        query = session.query(models.Service)
        if binary is not None:
            query = query.filter_by(binary=binary)
        if host is not None:
            query = query.filter_by(host=host)
        return query.order_by(models.Service.id).all()


def service_get_by_hosts(context, hosts, binary):
    with context_manager.reader.using(_ctx(context)) as session:
        return session.query(models.Service).filter(
            models.Service.host.in_(list(hosts)),
            models.Service.binary == binary).all()


def service_report(context, host, binary, topic, version):
    """Record a heartbeat; create the registry row on the first one."""
    for _attempt in range(2):
        try:
            with _writer(context) as session:
                svc = session.query(models.Service).filter_by(
                    host=host, binary=binary).one_or_none()
                now = timeutils.utcnow()
                if svc is None:
                    svc = models.Service(
                        uuid=uuidutils.generate_uuid(), host=host,
                        binary=binary, topic=topic, report_count=0,
                        disabled=False, forced_down=False)
                    session.add(svc)
                svc.report_count = (svc.report_count or 0) + 1
                svc.last_seen_up = now
                svc.version = version
                svc.topic = topic
                session.flush()
                return svc
        except db_exc.DBDuplicateEntry:
            # Two first heartbeats raced; the second attempt updates.
            continue
    raise exception.AggregatesExtException('could not record heartbeat')


def service_create(context, host, binary, topic=None, **values):
    with _writer(context) as session:
        svc = models.Service(uuid=uuidutils.generate_uuid(), host=host,
                             binary=binary, topic=topic, **values)
        session.add(svc)
        session.flush()
        return svc


def service_update(context, host, binary, **values):
    with _writer(context) as session:
        svc = session.query(models.Service).filter_by(
            host=host, binary=binary).one_or_none()
        if svc is None:
            raise exception.ComputeHostNotFound(host=host)
        for key, value in values.items():
            setattr(svc, key, value)
        session.flush()
        return svc


# Pre-cache requests --------------------------------------------------------


def precache_request_create(context, aggregate, image_ids):
    with _writer(context) as session:
        req = models.PrecacheRequest(
            uuid=uuidutils.generate_uuid(), aggregate_id=aggregate.id,
            aggregate_uuid=aggregate.uuid, image_ids=json.dumps(image_ids),
            hosts=json.dumps(aggregate.hosts), status='pending')
        session.add(req)
        session.flush()
        return req


def precache_request_get(context, request_uuid):
    with context_manager.reader.using(_ctx(context)) as session:
        req = session.query(models.PrecacheRequest).filter_by(
            uuid=request_uuid).one_or_none()
        if req is None:
            raise exception.NotFound()
        return req


def precache_request_list(context, aggregate_id=None):
    with context_manager.reader.using(_ctx(context)) as session:
        query = session.query(models.PrecacheRequest)
        if aggregate_id is not None:
            query = query.filter_by(aggregate_id=aggregate_id)
        return query.order_by(models.PrecacheRequest.id).all()


def precache_request_set_status(context, request_uuid, status,
                                finished=False, conductor=None):
    with _writer(context) as session:
        req = session.query(models.PrecacheRequest).filter_by(
            uuid=request_uuid).one()
        req.status = status
        if conductor is not None:
            req.conductor = conductor
        if finished:
            req.finished_at = timeutils.utcnow()
        session.flush()
        return req


def precache_requests_interrupt(context, conductor):
    """Mark the requests a restarted conductor was running as interrupted.

    oslo.messaging acknowledges a cast before it runs it, so a request
    whose conductor died is not delivered again; without this it would
    show as running for ever.  Returns how many were marked.
    """
    with _writer(context) as session:
        reqs = session.query(models.PrecacheRequest).filter_by(
            conductor=conductor, status='running').all()
        for req in reqs:
            req.status = 'interrupted'
            req.finished_at = timeutils.utcnow()
        session.flush()
        return len(reqs)


def precache_host_result_save(context, request_uuid, host, status, images,
                              detail=None):
    with _writer(context) as session:
        req = session.query(models.PrecacheRequest).filter_by(
            uuid=request_uuid).one()
        row = session.query(models.PrecacheHostResult).filter_by(
            request_id=req.id, host=host).one_or_none()
        if row is None:
            row = models.PrecacheHostResult(request_id=req.id, host=host)
            session.add(row)
        row.status = status
        row.images = json.dumps(images, sort_keys=True)
        row.detail = detail[:255] if detail else None
        session.flush()
        return row

"""Pre-cache requests, their leases, and what each host made of them.

A request is owned by one conductor at a time through a lease
(``conductor``, ``lease_expires``): the owner renews it while it works,
and any conductor may claim a request whose lease has expired, or a
pending one nobody started, and carry on with the hosts that have no
result yet.
"""

import collections
import datetime

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from aggregates_ext.db import engines
from aggregates_ext.db import models
from aggregates_ext import exception
from aggregates_ext import precache_status as states


# A host's row, or an image's row on a host, is written by whoever comes
# first: the fan-out recording a result, an agent's progress report (on
# another RPC thread), a second conductor that took the request over.
# Results are upserts, which cannot collide; a progress report that finds
# no row and inserts may meet a result inserted meanwhile: its transaction
# is retried, and then finds the row (and leaves a final state alone).
_retry_on_duplicate = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_interval=0.05, inc_retry_interval=True,
    max_retry_interval=1, retry_on_deadlock=True,
    exception_checker=lambda exc: isinstance(exc, db_exc.DBDuplicateEntry))


_INSERT_REQUEST = models.PrecacheRequest.__table__.insert()

# A request as just recorded (what the POST and the cast need of it).
Created = collections.namedtuple(
    'Created', 'id uuid aggregate_id aggregate image_ids request_id status')


def create_request(aggregate, image_ids, request_id=None):
    """Record a request: ``aggregate`` is its snapshot dict.

    :returns: a ``Created`` record (one insert, no ORM object)
    """
    values = {'uuid': uuidutils.generate_uuid(),
              'aggregate_id': aggregate['id'],
              'aggregate_uuid': aggregate['uuid'], 'aggregate': aggregate,
              'image_ids': list(image_ids), 'request_id': request_id,
              'status': states.PENDING}
    with engines.writer(connection=True) as conn:
        row_id = conn.execute(_INSERT_REQUEST,
                              values).inserted_primary_key[0]
    return Created(row_id, values['uuid'], aggregate['id'], aggregate,
                   values['image_ids'], request_id, states.PENDING)


def get_request(request_uuid, aggregate_id=None, results=True):
    """The request with its host results and images; NotFound if none.

    :param results: False: without them (``results`` and ``images`` are
        empty; ``host_states`` reads what the fan-out needs of them)
    """
    # One snapshot: the results and the images are read by two SELECTs.
    with engines.reader(snapshot=results) as session:
        query = session.query(models.PrecacheRequest).filter_by(
            uuid=request_uuid)
        if not results:
            query = query.options(
                orm.noload(models.PrecacheRequest.results),
                orm.noload(models.PrecacheRequest.images))
        if aggregate_id is not None:
            query = query.filter_by(aggregate_id=aggregate_id)
        req = query.one_or_none()
        if req is None:
            raise exception.PrecacheRequestNotFound(request_id=request_uuid)
        return req


def host_states(request_pk):
    """What each host recorded so far, without loading the request.

    :returns: {host: (status, via, [image states])}, for the fan-out's
        start (which hosts are left) and its end (the final status)
    """
    results = models.PrecacheHostResult.__table__
    images = models.PrecacheHostImage.__table__
    with engines.reader(connection=True, snapshot=True) as conn:
        found = {host: (status, via, []) for host, status, via in
                 conn.execute(sa.select(
                     results.c.host, results.c.status, results.c.via).where(
                     results.c.request_id == request_pk))}
        for host, status in conn.execute(sa.select(
                images.c.host, images.c.status).where(
                images.c.request_id == request_pk)):
            if host in found:
                found[host][2].append(status)
    return found


def list_requests(aggregate_id=None, status=None, request_id=None,
                  limit=None, marker=None, newest_first=False, results=True,
                  images=True):
    """Requests, optionally of one aggregate, status or POST request id.

    :param marker: the uuid of the last request of the previous page
    :param results: False: without the hosts' results (``results`` empty)
    :param images: False: without the images' rows (``images`` empty;
        the API's list shows counts of hosts, no image states)
    :raises MarkerNotFound: no such request among those listed
    """
    # One snapshot: the requests and their children are read by separate
    # SELECTs.
    with engines.reader(snapshot=results or images) as session:
        query = session.query(models.PrecacheRequest)
        if not results:
            query = query.options(orm.noload(models.PrecacheRequest.results))
        if not images:
            query = query.options(orm.noload(models.PrecacheRequest.images))
        if aggregate_id is not None:
            query = query.filter_by(aggregate_id=aggregate_id)
        if status:
            query = query.filter(models.PrecacheRequest.status.in_(status))
        if request_id:
            query = query.filter(
                models.PrecacheRequest.request_id.in_(request_id))
        order = models.PrecacheRequest.id
        if marker is not None:
            after = query.filter_by(uuid=marker).one_or_none()
            if after is None:
                raise exception.MarkerNotFound(marker=marker)
            query = query.filter(order < after.id if newest_first
                                 else order > after.id)
        query = query.order_by(order.desc() if newest_first else order)
        if limit is not None:
            query = query.limit(limit)
        return query.all()


def claim(request_uuid, owner, lease_seconds, now=None):
    """Take the lease of a request nobody else holds a live lease on.

    :returns: True when ``owner`` holds it now (also when it already did)
    """
    now = now or timeutils.utcnow()
    table = models.PrecacheRequest.__table__
    with engines.writer(connection=True) as conn:
        result = conn.execute(table.update().where(
            table.c.uuid == request_uuid,
            table.c.status.in_(states.UNFINISHED),
            sa.or_(table.c.conductor.is_(None),
                   table.c.conductor == owner,
                   table.c.lease_expires.is_(None),
                   table.c.lease_expires < now)).values(
            conductor=owner, status=states.RUNNING,
            lease_expires=now + datetime.timedelta(seconds=lease_seconds),
            started_at=sa.func.coalesce(table.c.started_at, now)))
        return result.rowcount == 1


def renew(owner, lease_seconds, now=None):
    """Extend the leases ``owner`` holds; returns how many."""
    now = now or timeutils.utcnow()
    return _leases_until(owner,
                         now + datetime.timedelta(seconds=lease_seconds))


def release(owner, now=None):
    """End the leases ``owner`` holds now, for another conductor to take.

    For a conductor that stops cleanly: its running requests are adoptable
    at the next check of any conductor instead of after the lease.
    """
    now = now or timeutils.utcnow()
    return _leases_until(owner, now - datetime.timedelta(seconds=1))


def _leases_until(owner, expires):
    """Set when the running requests ``owner`` holds lose their lease."""
    table = models.PrecacheRequest.__table__
    with engines.writer(connection=True) as conn:
        return conn.execute(table.update().where(
            table.c.conductor == owner,
            table.c.status == states.RUNNING).values(
            lease_expires=expires)).rowcount


def adoptable(pending_grace, now=None):
    """Uuids of unfinished requests that no live conductor works on.

    Running ones whose lease expired (their conductor died), and pending
    ones older than ``pending_grace`` seconds (their cast was lost), oldest
    first.
    """
    now = now or timeutils.utcnow()
    cutoff = now - datetime.timedelta(seconds=pending_grace)
    table = models.PrecacheRequest.__table__
    orphaned = sa.or_(
        sa.and_(table.c.status == states.RUNNING,
                table.c.lease_expires < now),
        sa.and_(table.c.status == states.PENDING,
                table.c.created_at < cutoff))
    with engines.reader(connection=True) as conn:
        rows = conn.execute(sa.select(table.c.uuid).where(
            orphaned).order_by(table.c.id))
        return [row[0] for row in rows]


def finish(request_uuid, status, owner=None):
    """Set a final status and release the lease (only its owner's)."""
    table = models.PrecacheRequest.__table__
    with engines.writer(connection=True) as conn:
        query = table.update().where(table.c.uuid == request_uuid)
        if owner is not None:
            query = query.where(table.c.conductor == owner)
        return conn.execute(query.values(
            status=status, lease_expires=None,
            finished_at=timeutils.utcnow())).rowcount == 1


def _request_id(conn, request_uuid):
    row = conn.execute(sa.select(models.PrecacheRequest.id).where(
        models.PrecacheRequest.uuid == request_uuid)).first()
    if row is None:
        raise exception.PrecacheRequestNotFound(request_id=request_uuid)
    return row[0]


def _upsert(conn, table, keys, rows, updates):
    """INSERT ``rows``, or UPDATE the row with the same ``keys`` columns.

    One statement on every engine: ON CONFLICT on SQLite and PostgreSQL,
    ON DUPLICATE KEY on MySQL (PyMySQL sends the rows as one statement).
    ``updates`` maps a column to its new value given the incoming row
    (``new``), e.g. ``lambda new: new.status``.
    The statement is built once per engine and table and executed with
    the rows as parameters, so SQLAlchemy compiles it only once.
    """
    dialect = conn.dialect.name
    cache_key = (dialect, table.name)
    stmt = _UPSERTS.get(cache_key)
    if stmt is None:
        if dialect == 'mysql':
            from sqlalchemy.dialects import mysql
            stmt = mysql.insert(table)
            stmt = stmt.on_duplicate_key_update(
                {name: fn(stmt.inserted) for name, fn in updates.items()})
        else:
            if dialect == 'postgresql':
                from sqlalchemy.dialects import postgresql as module
            else:
                from sqlalchemy.dialects import sqlite as module
            stmt = module.insert(table)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={name: fn(stmt.excluded)
                      for name, fn in updates.items()})
            if dialect == 'postgresql':
                # With RETURNING, SQLAlchemy sends the rows as one
                # multi-row statement; without, psycopg2's executemany
                # costs a round trip per row (4.4 -> 0.9 ms for 50 rows).
                stmt = stmt.returning(table.c.id)
        _UPSERTS[cache_key] = stmt
    return conn.execute(stmt, rows)


# A constant in the SQL text, not a parameter: PyMySQL's executemany
# cannot take parameters after VALUES (in ON DUPLICATE KEY UPDATE).
_CACHED = sa.literal_column("'%s'" % states.CACHED)
# (dialect, table) -> the upsert statement of that table (one per call
# site: each table is upserted with one set of updated columns).
_UPSERTS = {}


def save_host_result(request_uuid, host, status, images, detail=None,
                     via=None, request_pk=None):
    """One host's result and its images' states (see save_host_results).

    :param images: {image_id: (state, reason_code, reason)}
    :param request_pk: the request's row id, when the caller knows it
    """
    with engines.writer(connection=True) as conn:
        _save_results(conn, request_pk or _request_id(conn, request_uuid),
                      [(host, status, images, detail, via)])


@engines.retry_on_deadlock
def save_host_results(request_pk, results):
    """Hosts' results and their images' states, in one transaction.

    Two statements, whatever the number of hosts and images, and of
    results recorded before (the request's other results are not read).

    :param results: [(host, status, images, detail, via)], one per host;
        ``images`` is {image_id: (state, reason_code, reason)}
    """
    with engines.writer(connection=True) as conn:
        _save_results(conn, request_pk, results)


def _save_results(conn, req_id, results):
    now = timeutils.utcnow()
    results = sorted(results, key=lambda result: result[0])
    host_rows = [{'request_id': req_id, 'host': host, 'status': status,
                  'via': via, 'detail': detail[:255] if detail else None,
                  'created_at': now, 'updated_at': now}
                 for host, status, _images, detail, via in results]
    image_rows = [{'request_id': req_id, 'host': host, 'image_id': image_id,
                   'status': state, 'reason_code': code,
                   'reason': reason[:1024] if reason else None,
                   'created_at': now, 'updated_at': now}
                  for host, _status, images, _detail, _via in results
                  for image_id, (state, code, reason) in sorted(
                      images.items())]
    if not host_rows:
        return
    _upsert(conn, models.PrecacheHostResult.__table__,
            ('request_id', 'host'), host_rows,
            {'status': lambda new: new.status,
             'via': lambda new: new.via,
             'detail': lambda new: new.detail,
             'updated_at': lambda new: new.updated_at})
    if not image_rows:
        return
    images_table = models.PrecacheHostImage.__table__
    _upsert(conn, images_table, ('request_id', 'host', 'image_id'),
            image_rows,
            {'status': lambda new: new.status,
             'reason_code': lambda new: new.reason_code,
             'reason': lambda new: new.reason,
             # A finished download: all of the size its progress reports
             # gave (none, when it ended before the first).
             'bytes_done': lambda new: sa.case(
                 (new.status == _CACHED, images_table.c.bytes_total),
                 else_=images_table.c.bytes_done),
             'updated_at': lambda new: new.updated_at})


@_retry_on_duplicate
def save_progress(request_uuid, host, image_id, bytes_done, bytes_total):
    """A download's progress, as its agent reported it.

    Ignored once the image has its final state (a late report).
    """
    now = timeutils.utcnow()
    table = models.PrecacheHostImage.__table__
    with engines.writer(connection=True) as conn:
        req_id = _request_id(conn, request_uuid)
        keys = {'request_id': req_id, 'host': host, 'image_id': image_id}
        updated = conn.execute(table.update().where(
            *[table.c[k] == v for k, v in keys.items()],
            table.c.status.in_((states.IMAGE_PENDING,
                                states.DOWNLOADING))).values(
            status=states.DOWNLOADING, bytes_done=bytes_done,
            bytes_total=bytes_total, updated_at=now))
        if updated.rowcount:
            return
        exists = conn.execute(sa.select(table.c.id).where(
            *[table.c[k] == v for k, v in keys.items()])).first()
        if exists is None:
            conn.execute(table.insert().values(
                created_at=now, updated_at=now, status=states.DOWNLOADING,
                bytes_done=bytes_done, bytes_total=bytes_total, **keys))

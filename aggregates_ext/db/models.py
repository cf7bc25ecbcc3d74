"""SQLAlchemy models.

The three aggregate tables carry the names, columns and unique constraints of
Nova's API database, so that an existing cloud's aggregates can be served.
``services`` is the compute host registry; ``precache_requests`` and
``precache_host_results`` record image pre-cache requests and what each host
made of them.
"""

import hashlib

from oslo_db.sqlalchemy import types as db_types
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy import orm


def _now():
    return timeutils.utcnow()


class Base(orm.DeclarativeBase):
    pass


DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


class TimestampMixin:
    created_at = sa.Column(DATETIME, default=_now)
    updated_at = sa.Column(DATETIME, onupdate=_now)


class Aggregate(TimestampMixin, Base):
    __tablename__ = 'aggregates'
    __table_args__ = (
        sa.Index('aggregate_uuid_idx', 'uuid'),
        sa.UniqueConstraint('name', name='uniq_aggregate0name'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36))
    # Unique under case folding: the service's rule (db/aggregates.py), with a
    # binary collation on MySQL so that the engine adds no rule of its own.
    name = sa.Column(sa.String(255))
    # Read and written with Core statements (``db/aggregates.py``), which
    # build plain records: no relationships here.


def name_key(name):
    """An aggregate name's key: the SHA-256 of its case folding, in hex.

    Names are unique under Python's case folding, which no engine's
    collation or lower() matches; the key of the folded name is unique
    instead, as a plain index can hold it (a folded name may be three
    times as long as the name).
    """
    return hashlib.sha256(name.casefold().encode('utf-8')).hexdigest()


class AggregateName(Base):
    """The name key of each aggregate in this database (not in Nova mode).

    Its unique index makes create and rename race-safe without the names
    lock: a second writer of the same key waits for the first, and gets a
    duplicate entry once the first commits.
    """

    __tablename__ = 'aggregate_names'
    __table_args__ = (
        sa.UniqueConstraint('name_key', name='uniq_aggregate_names0name_key'),
    )

    aggregate_id = sa.Column(sa.Integer, sa.ForeignKey('aggregates.id'),
                             primary_key=True, autoincrement=False)
    name_key = sa.Column(sa.String(64), nullable=False)


class Lock(Base):
    """A named row that writers lock (SELECT ... FOR UPDATE) to take turns.

    ``aggregate-names``: creates and renames in Nova mode, so that names
    stay unique under case folding in Nova's database.
    """

    __tablename__ = 'locks'

    name = sa.Column(sa.String(64), primary_key=True)


class AggregateHost(TimestampMixin, Base):
    __tablename__ = 'aggregate_hosts'
    __table_args__ = (
        sa.UniqueConstraint(
            'host', 'aggregate_id',
            name='uniq_aggregate_hosts0host0aggregate_id'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    host = sa.Column(sa.String(255))
    aggregate_id = sa.Column(
        sa.Integer, sa.ForeignKey('aggregates.id'), nullable=False)


class AggregateMetadata(TimestampMixin, Base):
    __tablename__ = 'aggregate_metadata'
    __table_args__ = (
        sa.UniqueConstraint(
            'aggregate_id', 'key',
            name='uniq_aggregate_metadata0aggregate_id0key'),
        sa.Index('aggregate_metadata_key_idx', 'key'),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    key = sa.Column(sa.String(255), nullable=False)
    value = sa.Column(sa.String(255), nullable=False)
    aggregate_id = sa.Column(
        sa.Integer, sa.ForeignKey('aggregates.id'), nullable=False)


class Service(TimestampMixin, Base):
    """One row per compute host and binary: the compute host registry."""

    __tablename__ = 'services'
    __table_args__ = (
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_services0host0binary'),
        sa.UniqueConstraint('uuid', name='uniq_services0uuid'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    host = sa.Column(sa.String(255), nullable=False)
    binary = sa.Column(sa.String(255), nullable=False)
    topic = sa.Column(sa.String(255))
    disabled = sa.Column(sa.Boolean, default=False, nullable=False)
    disabled_reason = sa.Column(sa.String(255))
    forced_down = sa.Column(sa.Boolean, default=False, nullable=False)
    report_count = sa.Column(sa.Integer, default=0, nullable=False)
    last_seen_up = sa.Column(DATETIME)
    version = sa.Column(sa.Integer, default=0, nullable=False)


class PrecacheRequest(TimestampMixin, Base):
    """An image pre-cache request: what was asked, and who works on it."""

    __tablename__ = 'precache_requests'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_precache_requests0uuid'),
        sa.Index('precache_requests_aggregate_id_idx', 'aggregate_id'),
        sa.Index('precache_requests_request_id_idx', 'request_id'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    aggregate_id = sa.Column(sa.Integer, nullable=False)
    aggregate_uuid = sa.Column(sa.String(36))
    # The aggregate as it was accepted (id, uuid, name, hosts, metadata):
    # the hosts to ask, and the payload of its notifications.
    aggregate = sa.Column(db_types.JsonEncodedDict, nullable=False)
    # Canonical image ids, in request order.
    image_ids = sa.Column(db_types.JsonEncodedList, nullable=False)
    # The x-openstack-request-id of the POST that made it.
    request_id = sa.Column(sa.String(255))
    status = sa.Column(sa.String(20), nullable=False, default='pending')
    # The lease: the conductor host working on it, and until when.
    conductor = sa.Column(sa.String(255))
    lease_expires = sa.Column(DATETIME)
    started_at = sa.Column(DATETIME)
    finished_at = sa.Column(DATETIME)
    results = orm.relationship(
        'PrecacheHostResult', lazy='selectin',
        order_by='PrecacheHostResult.id', cascade='all, delete-orphan')
    images = orm.relationship(
        'PrecacheHostImage', lazy='selectin',
        order_by='PrecacheHostImage.id', cascade='all, delete-orphan')


class PrecacheHostResult(TimestampMixin, Base):
    """What one host made of one pre-cache request."""

    __tablename__ = 'precache_host_results'
    __table_args__ = (
        sa.UniqueConstraint('request_id', 'host',
                            name='uniq_precache_host_results0request0host'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    request_id = sa.Column(
        sa.Integer, sa.ForeignKey('precache_requests.id'), nullable=False)
    host = sa.Column(sa.String(255), nullable=False)
    # precache_status: HOST_RUNNING, HOST_DONE, HOST_FAILED, HOST_SKIPPED
    # (each image's own state is a PrecacheHostImage)
    status = sa.Column(sa.String(20), nullable=False)
    detail = sa.Column(sa.String(255))
    # Who carried it out: agent or nova-compute.
    via = sa.Column(sa.String(20))


class PrecacheHostImage(TimestampMixin, Base):
    """One image on one host: its state, why it failed, its progress."""

    __tablename__ = 'precache_host_images'
    __table_args__ = (
        sa.UniqueConstraint(
            'request_id', 'host', 'image_id',
            name='uniq_precache_host_images0request0host0image'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    request_id = sa.Column(
        sa.Integer, sa.ForeignKey('precache_requests.id'), nullable=False)
    host = sa.Column(sa.String(255), nullable=False)
    image_id = sa.Column(sa.String(36), nullable=False)
    status = sa.Column(sa.String(20), nullable=False)
    reason_code = sa.Column(sa.String(32))
    reason = sa.Column(sa.String(1024))
    bytes_done = sa.Column(sa.BigInteger)
    bytes_total = sa.Column(sa.BigInteger)

"""The compute host registry: one row per agent host and binary.

Agents never open the database; the conductor records their heartbeats
here, and ``add_host`` accepts only hosts found here (in own-database mode).
"""

from oslo_db import exception as db_exc
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from aggregates_ext.db import engines
from aggregates_ext.db import models
from aggregates_ext import exception

# Registry rows of this binary stand for compute hosts.
COMPUTE_BINARY = 'aggregates-ext-compute'


def get(host, binary=COMPUTE_BINARY):
    """The registry row of ``host``, or None (MySQL may ignore case)."""
    with engines.reader() as session:
        return session.query(models.Service).filter_by(
            host=host, binary=binary).one_or_none()


def get_all(binary=None, host=None):
    """Registry rows in id order, optionally of one binary or host."""
    with engines.reader() as session:
        query = session.query(models.Service)
        if binary is not None:
            query = query.filter_by(binary=binary)
        if host is not None:
            query = query.filter_by(host=host)
        return query.order_by(models.Service.id).all()


_SERVICES = models.Service.__table__
_LIVENESS = sa.select(
    _SERVICES.c.host, _SERVICES.c.forced_down, _SERVICES.c.last_seen_up,
    _SERVICES.c.updated_at, _SERVICES.c.created_at).where(
    _SERVICES.c.host.in_(sa.bindparam('hosts', expanding=True)),
    _SERVICES.c.binary == sa.bindparam('binary'))


def get_many(hosts, binary=COMPUTE_BINARY):
    """What tells whether ``hosts`` are up, as plain rows (any order).

    Each row has ``host``, ``forced_down``, ``last_seen_up``,
    ``updated_at`` and ``created_at``; read without the ORM, since a
    fan-out reads every host of its aggregate.
    """
    with engines.reader(connection=True) as conn:
        return conn.execute(_LIVENESS, {'hosts': list(hosts),
                                        'binary': binary}).all()


def report(host, binary, topic, version):
    """Record a heartbeat; create the registry row on the first one."""
    for _attempt in range(2):
        try:
            with engines.writer() as session:
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


def create(host, binary=COMPUTE_BINARY, topic=None, **values):
    """A registry row made directly (tests and tools)."""
    with engines.writer() as session:
        svc = models.Service(uuid=uuidutils.generate_uuid(), host=host,
                             binary=binary, topic=topic, **values)
        session.add(svc)
        session.flush()
        return svc


def update(host, binary=COMPUTE_BINARY, **values):
    with engines.writer() as session:
        svc = session.query(models.Service).filter_by(
            host=host, binary=binary).one_or_none()
        if svc is None:
            raise exception.ComputeHostNotFound(host=host)
        for key, value in values.items():
            setattr(svc, key, value)
        session.flush()
        return svc

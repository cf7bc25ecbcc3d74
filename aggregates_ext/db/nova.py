"""Nova's databases, in Nova mode: what Nova itself reads about hosts.

The aggregate tables of Nova's API database share our models
(``db/models.py``, the same columns and constraints).  Beyond them this
module reads, never writes, what Nova keeps about compute hosts: the host
mappings and cell mappings of the API database, and each cell's
``services``, ``compute_nodes`` and ``instances``.  Only the columns used
here are declared.
"""

import urllib.parse

from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy import orm

from aggregates_ext.db import engines
from aggregates_ext import exception

# Nova's API database schema this release knows (Nova 2024.1 to 34.0.0:
# the last migration of nova/db/api/migrations).
SUPPORTED_API_REVISIONS = ('cdeec0c85668',)
NOVA_COMPUTE = 'nova-compute'
CELL0_UUID = '00000000-0000-0000-0000-000000000000'


class _APIBase(orm.DeclarativeBase):
    pass


class CellMapping(_APIBase):
    __tablename__ = 'cell_mappings'

    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    name = sa.Column(sa.String(255))
    database_connection = sa.Column(sa.Text)
    disabled = sa.Column(sa.Boolean)


class HostMapping(_APIBase):
    __tablename__ = 'host_mappings'

    id = sa.Column(sa.Integer, primary_key=True)
    cell_id = sa.Column(sa.Integer, sa.ForeignKey('cell_mappings.id'))
    host = sa.Column(sa.String(255), nullable=False)


_cell = sa.MetaData()
SERVICES = sa.Table(
    'services', _cell,
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('uuid', sa.String(36)),
    sa.Column('host', sa.String(255)),
    sa.Column('binary', sa.String(255)),
    sa.Column('disabled', sa.Boolean),
    sa.Column('forced_down', sa.Boolean),
    sa.Column('last_seen_up', sa.DateTime),
    sa.Column('created_at', sa.DateTime),
    sa.Column('updated_at', sa.DateTime),
    sa.Column('deleted', sa.Integer))
COMPUTE_NODES = sa.Table(
    'compute_nodes', _cell,
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('host', sa.String(255)),
    sa.Column('hypervisor_hostname', sa.String(255)),
    sa.Column('deleted', sa.Integer))
INSTANCES = sa.Table(
    'instances', _cell,
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('host', sa.String(255)),
    sa.Column('deleted', sa.Integer))


class ComputeService:
    """A nova-compute service found in a cell: what our rules need."""

    def __init__(self, row, cell):
        self.host = row.host
        self.uuid = row.uuid
        self.disabled = bool(row.disabled)
        self.forced_down = bool(row.forced_down)
        self.last_seen_up = row.last_seen_up
        self.updated_at = row.updated_at
        self.created_at = row.created_at
        self.cell = cell


def api_revision():
    """The alembic revision of Nova's API database (None if unmanaged)."""
    with engines.nova_engine().connect() as connection:
        try:
            return connection.execute(sa.text(
                'SELECT version_num FROM alembic_version')).scalar()
        except sa.exc.DBAPIError:
            return None


def lock_host_mappings(session, hosts):
    """Lock the host mappings of ``hosts``; the names found, in order."""
    rows = session.execute(sa.select(HostMapping.host).where(
        HostMapping.host.in_(sorted(set(hosts)))).order_by(
        HostMapping.host).with_for_update())
    return [row[0] for row in rows]


def _cells():
    with engines.aggregates_reader() as session:
        return [(c.uuid, c.name, c.database_connection)
                for c in session.query(CellMapping).order_by(CellMapping.id)]


def _cell_of(host):
    with engines.aggregates_reader() as session:
        row = session.query(CellMapping.uuid, CellMapping.name,
                            CellMapping.database_connection).join(
            HostMapping, HostMapping.cell_id == CellMapping.id).filter(
            HostMapping.host == host).first()
        return tuple(row) if row is not None else None


def cell_url(template, conf=None):
    """A cell's database URL, Nova's templates filled in as Nova does.

    A ``database_connection`` such as ``{scheme}://{username}:{password}@
    {hostname}/nova_cell1`` takes its parts from ``[nova_database]
    cell_url_defaults`` (default: ``[nova_database] connection``), where
    Nova takes them from the cell's own ``[database] connection``.
    """
    if not template or '{' not in template:
        return template
    if conf is None:
        from aggregates_ext import conf as conf_module
        conf = conf_module.CONF
    source = urllib.parse.urlparse(conf.nova_database.cell_url_defaults or
                                   conf.nova_database.connection)
    return template.format(
        username=source.username, password=source.password,
        hostname=source.hostname, port=source.port, scheme=source.scheme,
        query=source.query, fragment=source.fragment,
        path=source.path.lstrip('/'))


def _services(cell, host):
    uuid, name, url = cell
    with engines.cell_engine(cell_url(url)).connect() as connection:
        return [ComputeService(row, cell) for row in connection.execute(
            sa.select(SERVICES).where(
                SERVICES.c.host == host,
                SERVICES.c.binary == NOVA_COMPUTE,
                SERVICES.c.deleted == 0).order_by(SERVICES.c.id))]


def compute_service(host):
    """Nova's nova-compute service of ``host``, looked up as Nova does.

    Through the host mapping to its cell; without one, in every cell
    (cell0 included).  The name must match exactly (MySQL may not care).

    :raises ComputeHostNotFound: no such service, or another letter case
    :raises ComputeHostNotUnique: found in more than one cell (Nova: 500)
    """
    cell = _cell_of(host)
    if cell is not None:
        found = _services(cell, host)[:1]
    else:
        found = [svc for each in _cells() for svc in _services(each, host)]
        if len(found) > 1:
            raise exception.ComputeHostNotUnique(host=host)
    if not found or found[0].host != host:
        raise exception.ComputeHostNotFound(host=host)
    return found[0]


def compute_services(hosts):
    """{host: ComputeService} for those of ``hosts`` Nova knows."""
    found = {}
    for host in hosts:
        try:
            found[host] = compute_service(host)
        except exception.NotFound:
            continue
    return found


def compute_node_name(service):
    """The first compute node's ``hypervisor_hostname`` of a service."""
    uuid, name, url = service.cell
    with engines.cell_engine(cell_url(url)).connect() as connection:
        return connection.execute(sa.select(
            COMPUTE_NODES.c.hypervisor_hostname).where(
            COMPUTE_NODES.c.host == service.host,
            COMPUTE_NODES.c.deleted == 0).order_by(
            COMPUTE_NODES.c.id)).scalar()


def compute_node_hosts():
    """{hypervisor_hostname: host} of every compute node, every cell."""
    found = {}
    for uuid, name, url in _cells():
        with engines.cell_engine(cell_url(url)).connect() as connection:
            for node, host in connection.execute(sa.select(
                    COMPUTE_NODES.c.hypervisor_hostname,
                    COMPUTE_NODES.c.host).where(
                    COMPUTE_NODES.c.deleted == 0)):
                found[node] = host
    return found


def instance_count(hosts, cell=None):
    """Instances on ``hosts``: in one cell, or in every cell but cell0."""
    cells = [cell] if cell is not None else [
        c for c in _cells() if c[0] != CELL0_UUID]
    total = 0
    for uuid, name, url in cells:
        with engines.cell_engine(cell_url(url)).connect() as connection:
            total += connection.execute(sa.select(
                sa.func.count()).select_from(INSTANCES).where(
                INSTANCES.c.host.in_(list(hosts)),
                INSTANCES.c.deleted == 0)).scalar()
    return total


def is_up(service, down_time, now=None):
    """Nova's database service group: a report within ``down_time``."""
    if service.forced_down:
        return False
    last = service.last_seen_up or service.updated_at or service.created_at
    if last is None:
        return False
    now = now or timeutils.utcnow()
    return (now - last).total_seconds() <= down_time

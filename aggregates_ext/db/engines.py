"""Database engines and transactions: ours, and Nova's in Nova mode.

``[database] connection`` is this service's own database (the host
registry, pre-cache requests, locks; and the aggregates unless Nova's are
used).  With ``[nova_database] connection`` set, the aggregate tables are
those of Nova's API database (``aggregates_writer``/``aggregates_reader``
go there) and Nova's cell databases are read through ``cell_engine``.

Writers on SQLite take turns across threads and processes (oslo.
concurrency's external lock next to the database file): two deferred
SQLite transactions that both read and then write would otherwise
deadlock, which SQLite answers at once with "database is locked".
"""

import contextlib
import os
import threading

from oslo_concurrency import lockutils
from oslo_db import api as oslo_db_api
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import engines as oslo_engines
import sqlalchemy as sa
from sqlalchemy import orm

_state = threading.local()

# A transaction the engine chose as a deadlock victim is run again (MySQL,
# PostgreSQL); the writers of every query module share the policy.
retry_on_deadlock = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_interval=0.05, inc_retry_interval=True,
    max_retry_interval=1, retry_on_deadlock=True)


class _Database:
    """One database: its enginefacade and how its writers take turns."""

    def __init__(self):
        self.context_manager = enginefacade.transaction_context()
        self.sqlite_lock_dir = None
        # An in-memory SQLite database is one connection for every thread.
        self.memory_lock = None
        self.configured = False

    def configure(self, connection, conf):
        self.sqlite_lock_dir = None
        if in_memory(connection):
            self.memory_lock = threading.RLock()
        elif connection.startswith('sqlite'):
            database = sa.engine.make_url(connection).database
            self.context_manager.append_on_engine_create(_sqlite_file)
            self.sqlite_lock_dir = os.path.dirname(os.path.abspath(database))
            self.sqlite_lock_name = os.path.basename(database) + '.lock'
        elif connection.startswith('mysql'):
            self.context_manager.append_on_engine_create(
                _mysql_read_committed)
        # thread_checkin: oslo.db's sleep(0) at every connection check-in
        # lets eventlet's green threads take turns; these services run
        # native threads, which the interpreter switches on its own.
        self.context_manager.configure(
            connection=connection, sqlite_fk=True, thread_checkin=False,
            max_retries=conf.database.max_retries,
            connection_debug=conf.database.connection_debug)
        self.configured = True

    def dispose(self):
        try:
            self.context_manager.dispose_pool()
        except Exception:
            pass

    @contextlib.contextmanager
    def writer(self, connection=False):
        manager = self.context_manager.writer
        with self._writers_take_turns():
            # A context of its own per transaction: the enginefacade keeps
            # its state on the context, and a write to our database may run
            # inside one to Nova's.
            with _mode(manager, connection).using(_Ctx()) as session:
                yield session

    @contextlib.contextmanager
    def reader(self, connection=False, snapshot=False):
        manager = self.context_manager.reader
        with self._one_connection():
            with _mode(manager, connection).using(_Ctx()) as session:
                if snapshot:
                    _one_snapshot(session)
                yield session

    @contextlib.contextmanager
    def _one_connection(self):
        """In memory: every transaction in turn (they share a connection)."""
        if self.memory_lock is None:
            yield
            return
        with self.memory_lock:
            yield

    @contextlib.contextmanager
    def _writers_take_turns(self):
        """On a SQLite file: one writer at a time on the machine.

        Taken once per thread however deep writers nest: the process's
        POSIX lock would be released by the first unlock.
        """
        held = getattr(_state, 'held', None)
        if self.memory_lock is not None:
            with self.memory_lock:
                yield
            return
        if self.sqlite_lock_dir is None or held is self:
            yield
            return
        with lockutils.lock(self.sqlite_lock_name, external=True,
                            lock_path=self.sqlite_lock_dir):
            _state.held = self
            try:
                yield
            finally:
                _state.held = None


def in_memory(connection):
    """Whether ``connection`` is an in-memory SQLite database.

    Such a database exists only in the process that opened it.
    """
    if not connection.startswith('sqlite'):
        return False
    database = sa.engine.make_url(connection).database
    return not database or database == ':memory:'


def _mode(manager, connection):
    """A Session, or with ``connection`` a bare Connection (Core only).

    The aggregate queries are Core statements: a Connection runs them
    without the Session's bookkeeping, which cost as much as the queries.
    """
    return manager.connection if connection else manager


_own = _Database()
_nova = None
_cells = {}
_cells_lock = threading.Lock()


def configure(conf):
    """Point the engines at ``[database]`` (and ``[nova_database]``).

    An unset ``[database] connection`` means the embedded default, a SQLite
    file under ``[DEFAULT] state_path``.
    """
    global _own, _nova
    connection = conf.database.connection
    if not connection:
        os.makedirs(conf.state_path, exist_ok=True)
        connection = 'sqlite:///' + os.path.join(
            conf.state_path, 'aggregates-ext.sqlite')
    reset()
    _own = _Database()
    _own.configure(connection, conf)
    if conf.nova_database.connection:
        _nova = _Database()
        _nova.configure(conf.nova_database.connection, conf)
    return connection


def reset():
    """Forget the engines (tests and in-process restarts)."""
    global _nova
    _own.dispose()
    if _nova is not None:
        _nova.dispose()
    _nova = None
    with _cells_lock:
        for engine in _cells.values():
            engine.dispose()
        _cells.clear()


def get_engine():
    """The engine of this service's own database."""
    return _own.context_manager.writer.get_engine()


def writer(connection=False):
    """A write transaction on this service's own database."""
    return _own.writer(connection)


def reader(connection=False, snapshot=False):
    """A read transaction on this service's own database.

    :param snapshot: every statement of the transaction sees the database
        as it was at the first (see ``_one_snapshot``)
    """
    return _own.reader(connection, snapshot)


def nova_mode():
    """Whether the aggregates are Nova's (``[nova_database]`` is set)."""
    return _nova is not None


def aggregates_writer(connection=False):
    """A write transaction where the aggregate tables live."""
    return (_nova or _own).writer(connection)


def aggregates_reader(connection=False):
    return (_nova or _own).reader(connection)


def nova_engine():
    """The engine of Nova's API database (Nova mode only)."""
    return _nova.context_manager.writer.get_engine()


def cell_engine(connection):
    """A pooled engine for a Nova cell database, made once per URL."""
    with _cells_lock:
        engine = _cells.get(connection)
        if engine is None:
            engine = oslo_engines.create_engine(connection, max_retries=0)
            _cells[connection] = engine
        return engine


def _one_snapshot(session):
    """Make the transaction's statements read one snapshot, not one each.

    Our MySQL and PostgreSQL connections run READ COMMITTED, where each
    statement sees what was committed when it began: a request read with
    its hosts' results and its images (one SELECT per table) can show a
    host's final result beside the image states from before it.  REPEATABLE
    READ, for this transaction only, reads every table as of the first
    statement; a transaction that only reads never fails for it.  SQLite
    already reads one snapshot per transaction (oslo.db emits the BEGIN).
    """
    if isinstance(session, orm.Session):
        dialect = session.get_bind().dialect
    else:
        dialect = session.dialect
    if dialect.name in ('mysql', 'postgresql'):
        session.execute(sa.text(
            'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ'))


class _Ctx:
    """A bare object for the enginefacade to keep a transaction on."""


def _mysql_read_committed(engine):
    """READ COMMITTED, as on PostgreSQL: reads see the latest commit.

    InnoDB's default REPEATABLE READ would answer a rule's read, made
    after the row lock it waited for, from the snapshot the transaction
    took before the wait (see ``db/aggregates.py``).
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


# Connections kept open to a SQLite file: opening one costs a file open and
# the pragmas below, on every transaction with oslo.db's own NullPool.
SQLITE_POOL_SIZE = 8


def _sqlite_file(engine):
    """A SQLite file: WAL, a busy timeout, NORMAL sync, pooled connections.

    WAL: readers never wait and never block the writer.  ``synchronous =
    NORMAL`` is SQLite's recommended setting with WAL: a commit is not
    synced on its own but at checkpoints, so a power cut (not a process
    crash) may lose the last transactions, and never corrupts the file.
    oslo.db replaces SQLAlchemy's pool of a SQLite file with a NullPool;
    the pool is put back (sqlite3's connections to a file may move between
    threads: SQLAlchemy opens them with ``check_same_thread`` off).
    """
    @sa.event.listens_for(engine, 'connect')
    def _connect(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA busy_timeout = 30000')
        cursor.execute('PRAGMA journal_mode = WAL')
        cursor.execute('PRAGMA synchronous = NORMAL')
        cursor.close()

    old = engine.pool
    # No ping at checkout (oslo.db's pool_pre_ping): a file has no server
    # that could have dropped the connection.
    engine.pool = sa.pool.QueuePool(
        old._creator, pool_size=SQLITE_POOL_SIZE, max_overflow=32,
        pre_ping=False, dialect=engine.dialect, _dispatch=old.dispatch)
    old.dispose()

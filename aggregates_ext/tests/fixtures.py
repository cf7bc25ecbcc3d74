"""Test fixtures built from the real pieces: config, database, Paste app."""

import logging
import os
import tempfile
import warnings

import fixtures
from oslo_config import fixture as config_fixture
from oslo_serialization import jsonutils
import webob

from aggregates_ext.api import app as api_app
from aggregates_ext import conf
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import migration
from aggregates_ext import notifications
from aggregates_ext import process_state

CONF = conf.CONF

warnings.filterwarnings('ignore', category=DeprecationWarning)


class ProcessState(fixtures.Fixture):
    """Nothing of an earlier test's process-wide state, before or after.

    Transports, notifier, policy enforcer, engines, fan-out executors:
    ``process_state.reset`` forgets them all, here and at clean-up.
    """

    def _setUp(self):
        process_state.reset()
        self.addCleanup(process_state.reset)


class Database(fixtures.Fixture):
    """A migrated database: SQLite in a temp dir, or ``connection``.

    The engines are process state: at clean-up the process state is reset,
    which disposes of them before the directory or the database goes.
    """

    def __init__(self, connection=None):
        super().__init__()
        self.connection = connection

    def _setUp(self):
        state = self.useFixture(fixtures.TempDir()).path
        CONF.set_override('state_path', state)
        CONF.set_override('connection', self.connection, group='database')
        self.url = engines.configure(CONF)
        migration.upgrade()
        self.addCleanup(process_state.reset)


class Notifications(fixtures.Fixture):
    """Capture every notification the service would send.

    The capturing notifier is process state: the next reset of it (the
    ``Database`` or ``Config`` fixture's clean-up) forgets it.
    """

    def _setUp(self):
        self.sent = []
        notifications.init(sink=self._sink)

    def _sink(self, publisher_id, event_type, payload):
        self.sent.append({'publisher_id': publisher_id,
                          'event_type': event_type, 'payload': payload})

    def event_types(self):
        return [n['event_type'] for n in self.sent]


class Config(fixtures.Fixture):
    """Our options on their defaults, for tests; a fresh process state."""

    def _setUp(self):
        self.useFixture(ProcessState())
        if os.environ.get('OS_LOG_CAPTURE') in ('1', 'True', 'true'):
            # Logs become a detail of a failing test instead of noise.
            self.useFixture(fixtures.FakeLogger(
                level=logging.INFO,
                format='%(asctime)s %(levelname)s %(name)s %(message)s'))
        self.conf = self.useFixture(config_fixture.Config(CONF)).conf
        CONF([], project='aggregates-ext', default_config_files=[])
        self.conf.set_default('auth_strategy', 'noauth2', group='api')
        self.conf.set_default('response_validation', 'error', group='api')
        self.conf.set_default('host', 'testhost')


class API(fixtures.Fixture):
    """The real Paste application, driven in-process with webob."""

    def _setUp(self):
        self.app = api_app.load_app(CONF)

    def request(self, method, path, body=None, token='admin:admin',
                version=None, headers=None, raw=None, content_type=None):
        req = webob.Request.blank(path, method=method)
        if token is not None:
            req.headers['X-Auth-Token'] = token
        if version is not None:
            req.headers['X-OpenStack-Nova-API-Version'] = version
        if raw is not None:
            req.body = raw if isinstance(raw, bytes) else raw.encode()
            req.content_type = content_type or 'application/json'
        elif body is not None:
            req.body = jsonutils.dump_as_bytes(body)
            req.content_type = content_type or 'application/json'
        for name, value in (headers or {}).items():
            req.headers[name] = value
        resp = req.get_response(self.app)
        resp.json_body_or_none = (
            jsonutils.loads(resp.body) if resp.body and
            resp.content_type == 'application/json' else None)
        return resp


def register_host(host, binary='aggregates-ext-compute', **values):
    return hosts_db.create(host, binary, topic='aggregates-ext-compute',
                           **values)


def tmpdir():
    return tempfile.mkdtemp()


def env_flag(name):
    return os.environ.get(name, '').lower() in ('1', 'true', 'yes')


def raw_image_data(size):
    """Random bytes that every format inspector reads as a raw image.

    The first sector is zeros: random data ends that sector with the MBR
    signature (0x55 0xAA) once in 65536 images, and the cache then refuses
    it as an unsafe disk image.
    """
    head = min(size, 512)
    return bytes(head) + os.urandom(size - head)

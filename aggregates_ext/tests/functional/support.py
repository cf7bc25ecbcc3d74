# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""What every module of the functional harness shares.

The harness: :mod:`processes` (the one process wrapper), :mod:`databases`
(throwaway MariaDB and PostgreSQL databases), :mod:`rabbit` (the broker and
a virtual host per deployment), :mod:`openstack` (the venv of Glance and
Keystone and the server they run in), :mod:`keystone`, :mod:`glance`, and
:mod:`deployment` (API, conductors and agents as processes).

Skip or fail: when a service cannot be had, the fixture or helper skips the
test with the reason, unless ``AGGREGATES_EXT_REQUIRE_SERVICES=1`` is set,
in which case it fails (raises :class:`ServiceUnavailable`).

Environment:

``AGGREGATES_EXT_REQUIRE_SERVICES``  ``1``: a missing service is a failure.
``AGGREGATES_EXT_FUNCTIONAL_DIR``    base dir for the OpenStack venv
    (default ``~/.cache/aggregates-ext-functional``).
``AGGREGATES_EXT_OPENSTACK_VENV``    the venv path
    (default ``$BASE/venv-openstack``).
``AGGREGATES_EXT_SERVICE_TIMEOUT``   seconds a server may take to start
    (default 180).
``AGGREGATES_EXT_FUNCTIONAL_KEEP``   ``1``: keep the services' temp dirs
    (their logs).
``AGGREGATES_EXT_MYSQL_URL``, ``AGGREGATES_EXT_POSTGRESQL_URL``,
``AGGREGATES_EXT_RABBIT_URL``        the machine's servers (see
    :mod:`databases` and :mod:`rabbit`).
"""

import os
import shutil
import socket
import sys
import tempfile
import time
import unittest

import fixtures

REQUIRE_ENV = 'AGGREGATES_EXT_REQUIRE_SERVICES'

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..'))

LOG_TAIL_BYTES = 16 * 1024


class ServiceUnavailable(Exception):
    """A required external service could not be had."""


def services_required():
    return os.environ.get(REQUIRE_ENV) == '1'


def require_or_skip(reason):
    """Skip the current test, or fail it when services are required.

    Raises ``unittest.SkipTest`` (what ``testtools.TestCase.skipTest``
    raises) with ``reason``, or :class:`ServiceUnavailable` when
    ``AGGREGATES_EXT_REQUIRE_SERVICES=1``.
    """
    if services_required():
        raise ServiceUnavailable('%s (and %s=1)' % (reason, REQUIRE_ENV))
    raise unittest.SkipTest(reason)


def timeout():
    """Seconds a server may take to start."""
    return float(os.environ.get('AGGREGATES_EXT_SERVICE_TIMEOUT', '180'))


def keep_dirs():
    return os.environ.get('AGGREGATES_EXT_FUNCTIONAL_KEEP') == '1'


def tail(path, limit=4000):
    """The last ``limit`` bytes of the file at ``path``, as text."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode('utf-8', 'replace')
    except OSError as e:
        return '(no log: %s)' % e


def free_port():
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
    finally:
        s.close()


def bin_path(name):
    """A console script of the running interpreter's environment.

    Skips (see :func:`require_or_skip`) when it is neither next to the
    interpreter nor on ``PATH``.
    """
    candidate = os.path.join(os.path.dirname(os.path.abspath(
        sys.executable)), name)
    if os.path.exists(candidate):
        return candidate
    found = shutil.which(name)
    if found:
        return found
    require_or_skip('console script %s not found next to %s nor on PATH'
                    % (name, sys.executable))


def write_conf(path, sections):
    """Write ``{section: {option: value}}`` as an ini file.

    ``None`` values are left out; booleans are written ``true``/``false``.
    """
    with open(path, 'w') as f:
        for section, opts in sections.items():
            f.write('[%s]\n' % section)
            for key, value in opts.items():
                if value is None:
                    continue
                if isinstance(value, bool):
                    value = 'true' if value else 'false'
                f.write('%s = %s\n' % (key, value))
            f.write('\n')


def merge(base, extra):
    """``base`` with the options of ``extra`` added, section by section."""
    out = {s: dict(o) for s, o in base.items()}
    for section, opts in (extra or {}).items():
        out.setdefault(section, {}).update(opts)
    return out


def wait_for(predicate, timeout, interval=0.2, what='condition'):
    """Poll ``predicate`` until it returns a true value; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.0f s waiting for %s'
                                 % (timeout, what))
        time.sleep(interval)


class ServiceFixture(fixtures.Fixture):
    """Turns a skip raised in _setUp into a plain skip.

    ``fixtures`` wraps any exception from ``_setUp`` in MultipleExceptions
    together with a SetupError, which testtools would report as an error
    next to the skip.
    """

    def setUp(self):
        try:
            super().setUp()
        except fixtures.MultipleExceptions as e:
            first = e.args[0][1]
            if isinstance(first, unittest.SkipTest):
                raise first from None
            raise


class WorkDir(fixtures.Fixture):
    """A temp dir, removed at cleanup unless AGGREGATES_EXT_FUNCTIONAL_KEEP.

    :param base_dir: make it there (and keep it) instead of in ``$TMPDIR``.
    """

    def __init__(self, prefix, base_dir=None):
        super().__init__()
        self.prefix = prefix
        self.base_dir = base_dir

    def _setUp(self):
        if self.base_dir:
            os.makedirs(self.base_dir, exist_ok=True)
        self.path = tempfile.mkdtemp(prefix='aggext-%s-' % self.prefix,
                                     dir=self.base_dir)
        if not keep_dirs() and not self.base_dir:
            self.addCleanup(shutil.rmtree, self.path, ignore_errors=True)

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

"""The cached virtualenv that real Nova, Placement and Glance run from.

``ensure(extra=())`` returns the path of a venv holding ``BASE_REQUIREMENTS``
(nova 34.0.0, openstack-placement 16.0.0, glance 33.0.0 and the database
drivers), creating it on first use.  A marker file records what was
installed and with which interpreter; a second call with the same
requirements returns at once.  Concurrent callers serialise on a lock file.

``extra`` (pip requirement strings, e.g. ``['-e', '/path/to/aggregates-ext']``)
gives a venv of its own, named after a hash of the extra requirements, so
that one worktree's editable install never changes the stock venv nor
another worktree's.

Environment: ``AGGREGATES_EXT_FUNCTIONAL_DIR`` (base directory, default
``~/.cache/aggregates-ext-functional``), ``AGGREGATES_EXT_NOVA_VENV`` (the
stock venv's path, default ``$BASE/venv-nova``),
``AGGREGATES_EXT_FUNCTIONAL_PYTHON`` (interpreter, default ``python3``).

Command line: ``python tools/nova/novavenv.py [--force] [EXTRA ...]`` prints
the venv path on its last line.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time

BASE_REQUIREMENTS = (
    'nova==34.0.0',
    'openstack-placement==16.0.0',
    'glance==33.0.0',
    'PyMySQL',
    'psycopg2-binary',
)

# What the deployment imports or runs from the venv: checked after install.
# (Not the WSGI modules: they build their application, reading the
# configuration, when imported.)
_CHECK_MODULES = ('nova.api.openstack.wsgi_app', 'nova.cmd.manage',
                  'placement.deploy', 'glance.api.v2.router',
                  'keystonemiddleware.auth_token', 'pymysql', 'psycopg2')
_CHECK_SCRIPTS = ('nova-manage', 'nova-conductor', 'nova-scheduler',
                  'nova-compute', 'placement-manage', 'glance-manage')
MARKER = '.aggregates-ext-nova-venv'


class VenvError(Exception):
    pass


def base_dir():
    return os.environ.get('AGGREGATES_EXT_FUNCTIONAL_DIR') or os.path.join(
        os.path.expanduser('~'), '.cache', 'aggregates-ext-functional')


def venv_path(extra=()):
    stock = os.environ.get('AGGREGATES_EXT_NOVA_VENV') or os.path.join(
        base_dir(), 'venv-nova')
    if not extra:
        return stock
    digest = hashlib.sha1('\0'.join(extra).encode()).hexdigest()[:10]
    return '%s-%s' % (stock, digest)


def _interpreter():
    py = os.environ.get('AGGREGATES_EXT_FUNCTIONAL_PYTHON') or 'python3'
    found = shutil.which(py)
    if not found:
        raise VenvError('no %s on PATH' % py)
    # The base interpreter, not a tox venv's: the marker must not change
    # with the venv that happens to call us.
    out = subprocess.run(
        [found, '-c', 'import sys, os; print(os.path.realpath('
         'getattr(sys, "_base_executable", sys.executable))); '
         'print("%d.%d.%d" % sys.version_info[:3])'],
        capture_output=True, text=True, check=True)
    exe, version = out.stdout.split()
    return exe, version


def _say(msg, out):
    out.write('nova-venv: %s\n' % msg)
    out.flush()


def _local_sources(requirements):
    """A digest of the dependency lists of local directories installed.

    ``-e /path/to/aggregates-ext`` stays up to date by itself, but a new
    dependency in its requirements needs a new install.
    """
    digest = hashlib.sha1()
    for req in requirements:
        if os.path.isdir(req):
            for name in ('requirements.txt', 'setup.cfg', 'pyproject.toml'):
                try:
                    with open(os.path.join(req, name), 'rb') as f:
                        digest.update(f.read())
                except OSError:
                    pass
    return digest.hexdigest()[:12]


def _want(requirements, exe, version):
    want = 'reqs=%s python=%s %s' % (' '.join(requirements), exe, version)
    if any(os.path.isdir(r) for r in requirements):
        want += ' local=%s' % _local_sources(requirements)
    return want


def _marker_ok(path, want):
    try:
        with open(os.path.join(path, MARKER)) as f:
            first = f.readline().rstrip('\n')
    except OSError:
        return False
    return first == want and os.access(os.path.join(path, 'bin', 'python'),
                                       os.X_OK)


def _pip(path, args, log):
    argv = [os.path.join(path, 'bin', 'python'), '-m', 'pip',
            '--disable-pip-version-check', '--no-input'] + list(args)
    with open(log, 'a') as f:
        f.write('$ %s\n' % ' '.join(argv))
        f.flush()
        return subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=_env())


def _env():
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')
           and not k.startswith('OS_')}
    env['PYTHONWARNINGS'] = 'ignore'
    return env


def _tail(path, lines=30):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def _build(path, requirements, exe, want, out):
    started = time.monotonic()
    log = os.path.join(os.path.dirname(path),
                       os.path.basename(path) + '-pip.log')
    if not os.path.exists(os.path.join(path, 'bin', 'python')):
        shutil.rmtree(path, ignore_errors=True)
        _say('creating %s with %s' % (path, exe), out)
        rc = subprocess.call([exe, '-m', 'venv', path], env=_env(),
                             stdin=subprocess.DEVNULL)
        if rc != 0:
            raise VenvError('"%s -m venv %s" failed (Debian: apt-get install '
                            'python3-venv)' % (exe, path))
    else:
        _say('reusing %s (requirements or interpreter changed)' % path, out)
    _say('pip install %s (cold: about a minute; log %s)'
         % (' '.join(requirements), log), out)
    if _pip(path, ['install', '-q', '--upgrade', 'pip', 'wheel',
                   'setuptools'], log) != 0:
        raise VenvError('upgrading pip failed:\n%s' % _tail(log))
    if _pip(path, ['install'] + list(requirements), log) != 0:
        raise VenvError('pip install failed:\n%s' % _tail(log))
    check = subprocess.run(
        [os.path.join(path, 'bin', 'python'), '-c',
         'import importlib, sys\nfor m in sys.argv[1:]: '
         'importlib.import_module(m)'] + list(_CHECK_MODULES),
        capture_output=True, text=True, env=_env())
    if check.returncode != 0:
        raise VenvError('import check failed: %s' % check.stderr[-2000:])
    for script in _CHECK_SCRIPTS:
        if not os.path.exists(os.path.join(path, 'bin', script)):
            raise VenvError('%s/bin/%s is missing' % (path, script))
    pip_check = _pip(path, ['check'], log)
    if pip_check != 0:
        _say('warning: "pip check" reports problems (see %s)' % log, out)
    freeze = subprocess.run(
        [os.path.join(path, 'bin', 'python'), '-m', 'pip', 'list',
         '--format=freeze'], capture_output=True, text=True, env=_env())
    versions = ' '.join(
        line for line in freeze.stdout.split()
        if line.lower().split('==')[0] in (
            'nova', 'openstack-placement', 'glance', 'oslo.messaging',
            'oslo.db', 'sqlalchemy', 'keystonemiddleware'))
    seconds = time.monotonic() - started
    with open(os.path.join(path, MARKER), 'w') as f:
        f.write('%s\ninstalled: %s\ndate: %s seconds: %.0f pip-check: %s\n'
                % (want, versions, time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                                 time.gmtime()),
                   seconds, 'ok' if pip_check == 0 else 'problems'))
    _say('done in %.0f s: %s' % (seconds, versions), out)


def ensure(extra=(), force=False, out=None):
    """Return the venv path for ``BASE_REQUIREMENTS + extra``.

    Raises :class:`VenvError` when it cannot be made.
    """
    out = out or sys.stderr
    extra = tuple(extra)
    requirements = BASE_REQUIREMENTS + extra
    path = venv_path(extra)
    exe, version = _interpreter()
    want = _want(requirements, exe, version)
    if not force and _marker_ok(path, want):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.lock', 'w') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            _say('another install is running; waiting for %s.lock' % path,
                 out)
            fcntl.flock(lock, fcntl.LOCK_EX)
        # Somebody may have finished while we waited.
        if not force and _marker_ok(path, want):
            return path
        try:
            os.unlink(os.path.join(path, MARKER))
        except OSError:
            pass
        _build(path, requirements, exe, want, out)
    return path


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    force = '--force' in args
    extra = [a for a in args if a != '--force']
    try:
        print(ensure(extra, force=force, out=sys.stdout))
    except (VenvError, OSError, subprocess.SubprocessError) as e:
        print('nova-venv: ERROR: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

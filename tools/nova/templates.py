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

"""Database templates kept across runs: the start-up's expensive part.

On a first run the deployment makes its schemas the real way
(``nova-manage api_db sync`` / ``db sync``, ``glance-manage db_sync``,
``keystone-manage db_sync`` and ``bootstrap``) and keeps the result; later
runs load it.  A template is named after what made it (the venv's marker:
the versions installed), so a new venv makes new templates.  Nova's are
SQL dumps (``mariadb-dump`` / ``pg_dump``, schema and rows, taken before
any cell is mapped) loaded with ``mariadb`` / ``psql``; Glance's and
Keystone's are their SQLite files (and Keystone's key repositories).

``AGGREGATES_EXT_NOVA_TEMPLATES=0`` turns them off (every run syncs).
"""

import hashlib
import os
import shutil
import subprocess
import urllib.parse

from aggregates_ext.tests.functional import keystone
from aggregates_ext.tests.functional import openstack


def enabled():
    return os.environ.get('AGGREGATES_EXT_NOVA_TEMPLATES', '1') != '0'


def stamp(venv, marker):
    """A short name for what ``venv`` holds (from its marker file)."""
    try:
        with open(os.path.join(venv, marker)) as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    # The "installed:" line: versions, not the interpreter's path (which
    # differs between the tox envs that made the same venv).
    installed = [ln for ln in lines if ln.startswith('installed:')]
    text = (installed or lines or [venv])[0]
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def template_dir(venv, name):
    path = os.path.join(venv, 'aggext-templates', name)
    return path


def publish(tmp, final):
    """Move the finished template ``tmp`` to ``final`` (first one wins)."""
    try:
        os.rename(tmp, final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


# -- Nova's databases (SQL dumps) ---------------------------------------------

def _cli(url):
    """(kind, connection arguments, env, database name) for ``url``."""
    u = urllib.parse.urlsplit(url)
    name = u.path.lstrip('/')
    env = dict(os.environ)
    user = urllib.parse.unquote(u.username or '')
    password = urllib.parse.unquote(u.password or '')
    if u.scheme.startswith('postgresql'):
        args = ['-h', u.hostname or '127.0.0.1', '-p', str(u.port or 5432),
                '-U', user or 'postgres']
        if password:
            env['PGPASSWORD'] = password
        return 'postgresql', args, env, name
    args = ['--host', u.hostname or '127.0.0.1', '--port',
            str(u.port or 3306), '--user', user or 'root']
    if password:
        env['MYSQL_PWD'] = password
    return 'mysql', args, env, name


def _call(argv, env, stdin=None, stdout=None):
    proc = subprocess.run(argv, env=env, stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=600)
    if proc.returncode != 0:
        raise OSError('%s exited %d: %s' % (
            argv[0], proc.returncode,
            proc.stderr.decode('utf-8', 'replace')[-2000:]))


def tools_available(db):
    names = (('pg_dump', 'psql') if db == 'postgresql'
             else ('mariadb-dump', 'mariadb'))
    return all(shutil.which(n) for n in names)


def dump(url, path):
    """Schema and rows of the database of ``url`` into ``path``."""
    kind, args, env, name = _cli(url)
    with open(path, 'wb') as f:
        if kind == 'postgresql':
            _call(['pg_dump'] + args + ['--no-owner', '--no-privileges',
                                        '-d', name], env, stdout=f)
        else:
            _call(['mariadb-dump'] + args + [
                '--single-transaction', '--skip-comments',
                '--skip-dump-date', '--routines', '--triggers', name],
                env, stdout=f)


def load(url, path):
    """Run the dump ``path`` in the (empty) database of ``url``."""
    kind, args, env, name = _cli(url)
    if kind == 'postgresql':
        _call(['psql', '-q', '-v', 'ON_ERROR_STOP=1'] + args +
              ['-d', name, '-f', path], env, stdout=subprocess.DEVNULL)
    else:
        with open(path, 'rb') as f:
            _call(['mariadb'] + args + [name], env, stdin=f)


# -- Keystone (its fixture, with the bootstrapped database kept) --------------

class CachedKeystoneFixture(keystone.KeystoneFixture):
    """``keystone.KeystoneFixture``, bootstrapped once per Keystone venv.

    The fixture bootstraps a template once per process (db_sync and
    bootstrap: 10-40 s here); this keeps that template between runs.
    """

    MARKER = '.aggregates-ext-openstack-venv'
    _FILES = ('keystone.sqlite', 'fernet-keys', 'credential-keys')

    def _build_template(self, path):
        if not enabled():
            return super()._build_template(path)
        cache = os.path.join(openstack.functional_dir(), 'templates',
                             'keystone-%s' % stamp(self.venv, self.MARKER))
        if not os.path.isdir(cache):
            tmp = '%s.%d.tmp' % (cache, os.getpid())
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            try:
                super()._build_template(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            publish(tmp, cache)
        for name in self._FILES:
            src = os.path.join(cache, name)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(path, name))
            else:
                shutil.copy2(src, os.path.join(path, name))
        # What the fixture's _start copies the keys from must stay 0700.
        for name in ('fernet-keys', 'credential-keys'):
            os.chmod(os.path.join(path, name), 0o700)

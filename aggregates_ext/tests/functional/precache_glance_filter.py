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

"""Test-only Paste filter for Glance, placed before its ``context`` filter.

It runs inside Glance's own virtualenv (the file is copied next to the
Glance configuration and put on its PYTHONPATH), so it imports nothing from
aggregates_ext.  Four jobs:

* Play keystonemiddleware for a ``noauth2`` deployment: ``X-Auth-Token:
  user:project`` becomes the identity headers Glance's context middleware
  trusts (``admin`` gets admin/member/reader, anyone else member/reader).
  A request that already carries ``X-Identity-Status`` (the test's own
  GlanceFixture client) passes untouched.  A request with neither is
  treated according to ``tokenless``: ``deny`` leaves it anonymous (Glance
  answers 401), ``admin`` makes it the admin of ``tokenless_project``.
* Log every request to ``<dir>/requests.log``:
  ``<time> BEGIN|END <method> <path> <auth> [<bytes> complete|aborted]``.
* Name the local process behind each image download of a non-fixture
  client in ``<dir>/clients.log``: ``<time> <path> <pid> <pgid>`` (found
  through ``/proc`` from the client's port; ``- -`` when it cannot be
  told), so that a test can count downloads per host.
* Throttle image downloads of non-fixture clients to the bytes per second
  written in ``<dir>/throttle`` (absent, empty or 0: full speed), read again
  every 0.2 s so a test can change it during a download.
"""

import os
import threading
import time

PIECE = 64 * 1024
# Seconds between two reads of the throttle file during a download.
RECHECK = 0.2
_IDENTITY = ('HTTP_X_IDENTITY_STATUS', 'HTTP_X_ROLES', 'HTTP_X_USER_ID',
             'HTTP_X_PROJECT_ID', 'HTTP_X_TENANT_ID')


def _tcp_inode(local_port, remote_port):
    """The inode of our TCP socket from ``local_port``, or None."""
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, remote = fields[1], fields[2]
            if (int(local.rsplit(':', 1)[1], 16) == local_port and
                    int(remote.rsplit(':', 1)[1], 16) == remote_port):
                return fields[9]
    return None


def client_process(environ):
    """(pid, pgid) of the local process that sent the request, or None.

    Linux only: the client's socket is found in /proc/net/tcp by its port,
    then its owner among the processes' file descriptors.
    """
    try:
        inode = _tcp_inode(int(environ['REMOTE_PORT']),
                           int(environ['SERVER_PORT']))
    except (KeyError, ValueError):
        return None
    if inode is None:
        return None
    target = 'socket:[%s]' % inode
    own = str(os.getpid())
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or pid == own:
            continue
        fd_dir = '/proc/%s/fd' % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == target:
                    return int(pid), os.getpgid(int(pid))
            except OSError:
                continue
    return None


class PrecacheFilter(object):

    def __init__(self, app, directory, tokenless='deny',
                 tokenless_project='admin'):
        self.app = app
        self.log_path = os.path.join(directory, 'requests.log')
        self.clients_path = os.path.join(directory, 'clients.log')
        self.throttle_path = os.path.join(directory, 'throttle')
        self.tokenless = tokenless
        self.tokenless_project = tokenless_project
        self._lock = threading.Lock()

    def _log(self, *fields, path=None):
        line = '%.3f %s\n' % (time.time(), ' '.join(str(f) for f in fields))
        with self._lock:
            with open(path or self.log_path, 'a') as f:
                f.write(line)

    def _rate(self):
        try:
            with open(self.throttle_path) as f:
                return float(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0.0

    @staticmethod
    def _identify(environ, user, project):
        roles = 'admin,member,reader' if user == 'admin' else 'member,reader'
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        environ['HTTP_X_ROLES'] = roles
        environ['HTTP_X_USER_ID'] = user
        environ['HTTP_X_PROJECT_ID'] = project

    def __call__(self, environ, start_response):
        method = environ.get('REQUEST_METHOD')
        path = environ.get('PATH_INFO', '')
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if environ.get('HTTP_X_IDENTITY_STATUS'):
            auth = 'headers'
        elif token:
            user, _sep, project = token.partition(':')
            self._identify(environ, user, project or user)
            auth = 'token:%s' % user
        else:
            for key in _IDENTITY:
                environ.pop(key, None)
            if self.tokenless == 'admin':
                self._identify(environ, 'admin', self.tokenless_project)
                auth = 'none->admin'
            else:
                auth = 'none'
        self._log('BEGIN', method, path, auth)
        download = (method == 'GET' and path.endswith('/file') and
                    auth != 'headers')
        if download:
            # Before the app answers: the client is connected and waiting.
            client = client_process(environ) or ('-', '-')
            self._log(path, client[0], client[1], path=self.clients_path)
        result = self.app(environ, start_response)
        if download:
            return self._paced(result, method, path, auth)
        return result

    def _paced(self, result, method, path, auth):
        sent = 0
        complete = False
        rate = self._rate()
        checked = time.monotonic()
        try:
            for chunk in result:
                now = time.monotonic()
                if now - checked >= RECHECK:
                    rate, checked = self._rate(), now
                if rate <= 0:
                    # Unthrottled: pass chunks through as Glance made them.
                    yield chunk
                    sent += len(chunk)
                    continue
                for start in range(0, len(chunk), PIECE):
                    piece = chunk[start:start + PIECE]
                    time.sleep(len(piece) / rate)
                    yield piece
                    sent += len(piece)
            complete = True
        finally:
            close = getattr(result, 'close', None)
            if close is not None:
                close()
            self._log('END', method, path, auth, sent,
                      'complete' if complete else 'aborted')


def filter_factory(global_conf, **local_conf):
    def _filter(app):
        return PrecacheFilter(
            app, local_conf['directory'],
            tokenless=local_conf.get('tokenless', 'deny'),
            tokenless_project=local_conf.get('tokenless_project', 'admin'))
    return _filter

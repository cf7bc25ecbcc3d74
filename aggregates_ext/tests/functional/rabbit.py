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

"""The machine's RabbitMQ, and a virtual host of its own per deployment.

``AGGREGATES_EXT_RABBIT_URL`` (default
``rabbit://guest:guest@127.0.0.1:5672/``) names the broker.
"""

import errno
import os
import shutil
import socket
import subprocess
import urllib.parse
import uuid

from aggregates_ext.tests.functional import support


def rabbit_url():
    """The machine's RabbitMQ as a transport URL, checked reachable.

    Logs in with the URL's credentials (guest/guest by default) when the
    ``amqp`` library is importable, else checks the AMQP greeting.
    """
    url = (os.environ.get('AGGREGATES_EXT_RABBIT_URL') or
           'rabbit://guest:guest@127.0.0.1:5672/')
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname or '127.0.0.1', u.port or 5672
    try:
        import amqp
    except ImportError:
        amqp = None
    try:
        if amqp is not None:
            vhost = urllib.parse.unquote(u.path[1:]) or '/'
            conn = amqp.Connection(
                host='%s:%d' % (host, port),
                userid=urllib.parse.unquote(u.username or 'guest'),
                password=urllib.parse.unquote(u.password or 'guest'),
                virtual_host=vhost, connect_timeout=10)
            conn.connect()
            conn.close()
        else:
            with socket.create_connection((host, port), timeout=10) as s:
                s.sendall(b'AMQP\x00\x00\x09\x01')
                frame = s.recv(7)
                if not frame or frame[0] != 1:
                    raise OSError(errno.EPROTO, 'no AMQP connection.start')
    except Exception as e:
        support.require_or_skip('RabbitMQ at %s:%d is not usable: %s: %s'
                                % (host, port, type(e).__name__, e))
    return url


class RabbitVhost(support.ServiceFixture):
    """A virtual host of its own on the machine's RabbitMQ.

    oslo.messaging's rabbit driver names a topic's queue after the topic
    alone (``control_exchange`` only names the exchange it is bound to), so
    two deployments on one virtual host share their conductor and agent
    queues and take each other's messages.  A throwaway vhost, made with
    ``rabbitmqctl`` (the broker is the machine's), keeps runs apart; it is
    deleted at cleanup.  Without ``rabbitmqctl`` or on a remote broker,
    the URL of :func:`rabbit_url` is used as it is, and only
    ``control_exchange`` sets the deployment apart.

    :param base_url: the broker's transport URL (default
        :func:`rabbit_url`).

    Attributes: ``url`` (transport URL), ``name`` (the vhost, None when
    shared), ``control_exchange`` (a name of its own).
    """

    def __init__(self, base_url=None):
        super().__init__()
        self.base_url = base_url

    def _setUp(self):
        base = self.base_url or rabbit_url()
        parts = urllib.parse.urlsplit(base)
        self.control_exchange = 'aggext-%s' % uuid.uuid4().hex[:10]
        self.name = None
        self.url = base
        self.rabbitmqctl = shutil.which('rabbitmqctl')
        if (self.rabbitmqctl is None or
                parts.hostname not in ('127.0.0.1', 'localhost', '::1')):
            return
        name = 'aggext-test-%s' % uuid.uuid4().hex[:10]
        try:
            self._ctl('add_vhost', name)
        except (OSError, subprocess.SubprocessError):
            return
        self.addCleanup(self._delete, name)
        user = urllib.parse.unquote(parts.username or 'guest')
        try:
            self._ctl('set_permissions', '-p', name, user, '.*', '.*', '.*')
        except (OSError, subprocess.SubprocessError) as e:
            support.require_or_skip('RabbitMQ vhost %s: %s' % (name, e))
        self.name = name
        self.url = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc,
             '/' + urllib.parse.quote(name, safe=''), parts.query, ''))

    def _ctl(self, *args, timeout=60):
        proc = subprocess.run([self.rabbitmqctl, '-q'] + list(args),
                              capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise OSError('rabbitmqctl %s: %s' % (' '.join(args),
                                                  proc.stderr.strip()))
        return proc.stdout

    def _delete(self, name):
        try:
            self._ctl('delete_vhost', name)
        except (OSError, subprocess.SubprocessError):
            pass

    def connections(self):
        """The names of this virtual host's client connections."""
        out = self._ctl('list_connections', '-p', self.name, 'name')
        return [line for line in out.splitlines() if line.strip()]

    def close_all_connections(self, reason='test'):
        """Close every client connection of this virtual host only."""
        return self._ctl('close_all_connections', '--vhost', self.name,
                         reason)

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

"""Serve a WSGI application with the standard library, for tests.

Usage: python serve.py MODULE:ATTR PORT

Binds 127.0.0.1:PORT *before* importing the application, so that PORT 0
picks a free port with no race; the port is printed as ``BOUND <port>``
and, if SERVE_PORT_FILE is set, written to that file.  ``LISTENING <port>``
is printed once the application is loaded and requests are served.
Connections made in between wait in the listen backlog.

One request at a time by default: SQLite-backed OpenStack services raise
"database is locked" under concurrent writes.  SERVE_THREADED=1 opts in to
a thread per request.  SERVE_HOST changes the address (default 127.0.0.1).

The environ carries ``REMOTE_PORT`` (the client's port), which wsgiref
leaves out.

SERVE_PARENT_PID=PID: exit (killing our process group too, when we lead
it) as soon as our parent is no longer PID, so that a test run that dies
does not leave servers behind.  SIGTERM exits at once.
"""

import importlib
import os
import signal
import socketserver
import sys
import threading
import time
from wsgiref import simple_server


class ThreadedServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    request_queue_size = 64


class Server(simple_server.WSGIServer):
    request_queue_size = 64


class QuietHandler(simple_server.WSGIRequestHandler):
    # HTTP/1.1 would need keep-alive handling in wsgiref; 1.0 closes each
    # connection, which every client handles.
    def log_message(self, *args):
        pass

    def get_environ(self):
        # wsgiref leaves the peer's port out; a test filter uses it to tell
        # which local process sent a request.
        env = super().get_environ()
        env['REMOTE_PORT'] = str(self.client_address[1])
        return env


def _die():
    # Our own children (if any leaked) go with us when we lead the group.
    if os.getpgrp() == os.getpid():
        try:
            os.killpg(os.getpid(), signal.SIGKILL)
        except OSError:
            pass
    os._exit(1)


def _watch_parent(ppid):
    while True:
        if os.getppid() != ppid:
            _die()
        time.sleep(0.5)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: %s MODULE:ATTR PORT\n' % argv[0])
        return 2
    module, _, attr = argv[1].partition(':')
    port = int(argv[2])
    host = os.environ.get('SERVE_HOST', '127.0.0.1')
    threaded = os.environ.get('SERVE_THREADED') == '1'
    # Keystone (and other oslo.config users) parse sys.argv when the app
    # is loaded: leave them nothing to choke on.
    del sys.argv[1:]

    server_class = ThreadedServer if threaded else Server
    httpd = simple_server.make_server(host, port, None,
                                      server_class=server_class,
                                      handler_class=QuietHandler)
    port = httpd.server_address[1]
    print('BOUND', port, flush=True)
    port_file = os.environ.get('SERVE_PORT_FILE')
    if port_file:
        with open(port_file + '.tmp', 'w') as f:
            f.write('%d\n' % port)
        os.replace(port_file + '.tmp', port_file)

    # Exit at once on SIGTERM: OpenStack apps leave non-daemon threads that
    # would hold up a normal interpreter exit for seconds.
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    parent = os.environ.get('SERVE_PARENT_PID')
    if parent:
        threading.Thread(target=_watch_parent, args=(int(parent),),
                         daemon=True).start()

    app = getattr(importlib.import_module(module), attr or 'application')
    httpd.set_app(app)
    print('LISTENING', port, flush=True)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

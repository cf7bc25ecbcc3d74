"""The HTTP server in front of the API: the request head limit.

A real cheroot server (the one ``aggregates-ext-api`` and
``aggregates-ext-all`` run) on a free loopback port, serving the real Paste
app, driven with raw sockets so that nothing between the test and the
server trims what is sent.
"""

import socket
import threading

from aggregates_ext.cmd import api as api_cmd
from aggregates_ext.tests.unit.api import base


class TestRequestHeadLimit(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.config.conf.set_override('max_request_header_size', 8192,
                                      group='api')
        self.server = api_cmd.make_server(self.api.app, '127.0.0.1', 0, 4)
        self.server.prepare()
        self.port = self.server.bind_addr[1]
        thread = threading.Thread(target=self.server.serve, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(self.server.stop)

    def send(self, head):
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=10) as sock:
            sock.sendall(head)
            data = b''
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                data += chunk
        status_line = data.split(b'\r\n', 1)[0].decode()
        return int(status_line.split()[1]), data

    def request(self, extra_header=b'', path=b'/v2.1/os-aggregates'):
        return self.send(b'GET ' + path + b' HTTP/1.1\r\nHost: x\r\n'
                         b'X-Auth-Token: admin:admin\r\n' + extra_header +
                         b'Connection: close\r\n\r\n')

    def test_headers_within_the_limit_are_served(self):
        status, _ = self.request(b'X-Padding: ' + b'a' * 6000 + b'\r\n')
        self.assertEqual(200, status)

    def test_headers_over_the_limit_413_before_the_app(self):
        status, data = self.request(b'X-Padding: ' + b'a' * 9000 + b'\r\n')
        self.assertEqual(413, status)
        self.assertIn(b'headers sent with the request exceed', data)
        # The server is still there for the next client.
        self.assertEqual(200, self.request()[0])

    def test_many_headers_adding_up_over_the_limit_413(self):
        headers = b''.join(b'X-H%d: %s\r\n' % (i, b'b' * 100)
                           for i in range(100))
        self.assertEqual(413, self.request(headers)[0])

    def test_request_line_over_the_limit_414(self):
        status, _ = self.request(path=b'/v2.1/os-aggregates?' + b'q' * 9000)
        self.assertEqual(414, status)

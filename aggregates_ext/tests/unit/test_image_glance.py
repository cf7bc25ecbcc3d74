"""The Glance v2 image source against a small real HTTP server.

The server is a wsgiref server on 127.0.0.1 in a thread, so requests go
through keystoneauth, requests and urllib3 exactly as they would to Glance.
"""

import hashlib
import json
import os
import re
import socket
import threading
from wsgiref import simple_server

import fixtures
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
import testtools

from aggregates_ext.compute.image_cache import directory
from aggregates_ext import conf
from aggregates_ext import context
from aggregates_ext import exception
from aggregates_ext.image import glance

IMAGE_ID = '2f1a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'
FORBIDDEN_ID = '3a1a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'
BROKEN_ID = '4b1a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'
TRUNCATED_ID = '5c1a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'
NO_DATA_ID = '6d1a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'
MISSING_ID = '7e1a3b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'
USER_TOKEN = 'user-token'
SERVICE_TOKEN = 'service-token'

_PATH = re.compile(r'\A/v2/images/([^/]+)(/file)?\Z')


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class FakeGlance:
    """Just enough of Glance v2: image metadata and image data."""

    def __init__(self, data):
        self.data = data
        self.requests = []
        self.tokens = {USER_TOKEN, SERVICE_TOKEN}
        self.meta = {
            'id': IMAGE_ID, 'name': 'cirros', 'size': len(data),
            'disk_format': 'raw', 'container_format': 'bare',
            'checksum': hashlib.md5(data).hexdigest(),
            'os_hash_algo': 'sha512',
            'os_hash_value': hashlib.sha512(data).hexdigest(),
            'status': 'active', 'visibility': 'public'}

    def __call__(self, environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN')
        path = environ['PATH_INFO']
        self.requests.append({'path': path, 'token': token,
                              'query': environ.get('QUERY_STRING', '')})
        if token not in self.tokens:
            return self._reply(start_response, '401 Unauthorized')
        match = _PATH.match(path)
        image_id = match.group(1) if match else None
        if image_id == FORBIDDEN_ID:
            return self._reply(start_response, '403 Forbidden')
        if image_id == BROKEN_ID:
            return self._reply(start_response, '500 Internal Server Error')
        if image_id not in (IMAGE_ID, TRUNCATED_ID, NO_DATA_ID):
            return self._reply(start_response, '404 Not Found')
        if not match.group(2):
            body = json.dumps(dict(self.meta, id=image_id)).encode()
            start_response('200 OK', [('Content-Type', 'application/json'),
                                      ('Content-Length', str(len(body)))])
            return [body]
        if image_id == NO_DATA_ID:
            start_response('204 No Content', [])
            return []
        length = len(self.data)
        if image_id == TRUNCATED_ID:
            # Announce more than is sent: the connection drops mid-image.
            length += 1000
        start_response('200 OK', [
            ('Content-Type', 'application/octet-stream'),
            ('Content-Length', str(length))])
        return [self.data[i:i + 1000] for i in range(0, len(self.data), 1000)]

    @staticmethod
    def _reply(start_response, status):
        body = json.dumps({'message': status}).encode()
        start_response(status, [('Content-Type', 'application/json'),
                                ('Content-Length', str(len(body)))])
        return [body]


class GlanceImageAPITestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # A private configuration: loading an auth plugin registers its
        # options (some required) for good, which must not leak into the
        # global CONF that other tests parse.
        self.conf = cfg.ConfigOpts()
        conf.register_all(self.conf)
        self.conf([], project='aggregates-ext', default_config_files=[])
        self.data = os.urandom(10000)
        self.glance = FakeGlance(self.data)
        server = simple_server.make_server('127.0.0.1', 0, self.glance,
                                           handler_class=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever,
                                  kwargs={'poll_interval': 0.05},
                                  daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(thread.join, 5)
        self.addCleanup(server.shutdown)
        self.url = 'http://127.0.0.1:%d' % server.server_address[1]
        self.conf.set_override('endpoint_override', self.url, group='glance')
        self.context = context.RequestContext(auth_token=USER_TOKEN)
        self.api = glance.GlanceImageAPI(self.conf)

    def use_service_credentials(self):
        # admin_token is keystoneauth's plugin for a fixed token and
        # endpoint: service credentials without a Keystone to ask.
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('admin_token'),
            group='glance')
        self.conf.set_override('auth_type', 'admin_token', group='glance')
        self.conf.set_override('endpoint', self.url, group='glance')
        self.conf.set_override('token', SERVICE_TOKEN, group='glance')
        self.conf.clear_override('endpoint_override', group='glance')

    def test_get_returns_metadata_fields(self):
        meta = self.api.get(self.context, IMAGE_ID)
        self.assertEqual({
            'id': IMAGE_ID, 'size': len(self.data), 'disk_format': 'raw',
            'checksum': self.glance.meta['checksum'],
            'os_hash_algo': 'sha512',
            'os_hash_value': self.glance.meta['os_hash_value'],
            'status': 'active'}, meta)
        self.assertEqual([{'path': '/v2/images/' + IMAGE_ID,
                           'token': USER_TOKEN, 'query': ''}],
                         self.glance.requests)

    def test_download_streams_data_in_chunks(self):
        chunks = list(self.api.download(self.context, IMAGE_ID,
                                        chunk_size=4096))
        self.assertEqual(self.data, b''.join(chunks))
        self.assertLessEqual(max(len(c) for c in chunks), 4096)
        self.assertGreaterEqual(len(chunks), 3)
        self.assertEqual('/v2/images/%s/file' % IMAGE_ID,
                         self.glance.requests[-1]['path'])

    def test_missing_image_not_found(self):
        self.assertRaises(exception.ImageNotFound, self.api.get,
                          self.context, MISSING_ID)
        self.assertRaises(exception.ImageNotFound, self.api.download,
                          self.context, MISSING_ID)

    def test_forbidden_image_not_authorized(self):
        self.assertRaises(exception.ImageNotAuthorized, self.api.get,
                          self.context, FORBIDDEN_ID)
        self.assertRaises(exception.ImageNotAuthorized, self.api.download,
                          self.context, FORBIDDEN_ID)

    def test_bad_token_not_authorized(self):
        ctx = context.RequestContext(auth_token='expired')
        self.assertRaises(exception.ImageNotAuthorized, self.api.get, ctx,
                          IMAGE_ID)

    def test_no_token_not_authorized(self):
        ctx = context.RequestContext()
        self.assertRaises(exception.ImageNotAuthorized, self.api.get, ctx,
                          IMAGE_ID)
        self.assertIsNone(self.glance.requests[-1]['token'])

    def test_server_error_service_unavailable(self):
        e = self.assertRaises(exception.ImageServiceUnavailable,
                              self.api.get, self.context, BROKEN_ID)
        self.assertIn('500', str(e))

    def test_image_without_data_service_unavailable(self):
        self.assertRaises(exception.ImageServiceUnavailable,
                          self.api.download, self.context, NO_DATA_ID)

    def test_truncated_transfer_service_unavailable(self):
        chunks = self.api.download(self.context, TRUNCATED_ID)
        self.assertRaises(exception.ImageServiceUnavailable, list, chunks)

    def test_connection_refused_service_unavailable(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        self.conf.set_override('endpoint_override',
                               'http://127.0.0.1:%d' % port, group='glance')
        api = glance.GlanceImageAPI(self.conf)
        self.assertRaises(exception.ImageServiceUnavailable, api.get,
                          self.context, IMAGE_ID)

    def test_no_endpoint_and_no_credentials_service_unavailable(self):
        self.conf.clear_override('endpoint_override', group='glance')
        api = glance.GlanceImageAPI(self.conf)
        e = self.assertRaises(exception.ImageServiceUnavailable, api.get,
                              self.context, IMAGE_ID)
        self.assertIn('endpoint_override', str(e))
        self.assertEqual([], self.glance.requests)

    def test_id_cannot_reach_another_resource(self):
        self.assertRaises(exception.ImageNotFound, self.api.get,
                          self.context, IMAGE_ID + '?member=x')
        self.assertEqual('', self.glance.requests[-1]['query'])
        self.assertRaises(exception.ImageNotFound, self.api.get,
                          self.context, '../images/%s/file' % IMAGE_ID)

    def test_service_credentials_used_when_auth_type_set(self):
        self.use_service_credentials()
        api = glance.GlanceImageAPI(self.conf)
        ctx = context.RequestContext(auth_token='ignored')
        self.assertEqual(IMAGE_ID, api.get(ctx, IMAGE_ID)['id'])
        self.assertEqual(self.data, b''.join(api.download(ctx, IMAGE_ID)))
        self.assertEqual([SERVICE_TOKEN, SERVICE_TOKEN],
                         [r['token'] for r in self.glance.requests])

    def test_incomplete_service_credentials_service_unavailable(self):
        self.conf.set_override('auth_type', 'password', group='glance')
        api = glance.GlanceImageAPI(self.conf)
        self.assertRaises(exception.ImageServiceUnavailable, api.get,
                          self.context, IMAGE_ID)
        self.assertEqual([], self.glance.requests)

    def test_image_cached_from_glance(self):
        cache_dir = self.useFixture(fixtures.TempDir()).path
        driver = directory.DirectoryDriver(self.conf, self.api,
                                           directory=cache_dir)
        self.conf.set_override('reserved_disk_mb', 0, group='image_cache')
        self.assertTrue(driver.cache_image(self.context, IMAGE_ID))
        with open(os.path.join(cache_dir, IMAGE_ID), 'rb') as f:
            self.assertEqual(self.data, f.read())
        self.assertFalse(driver.cache_image(self.context, IMAGE_ID))

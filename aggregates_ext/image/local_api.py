"""A read-only Image service (Glance v2 subset) over the local image store.

The all-in-one service mounts it at ``/image`` so that unmodified clients
can resolve images: ``openstack aggregate cache image`` looks every image
up in the Image service before it asks for pre-caching.  Only what those
look-ups need is served: the version document, list, show and download.
"""

from oslo_serialization import jsonutils
import webob
import webob.dec
import webob.exc

from aggregates_ext import exception

_EPOCH = '2026-01-01T00:00:00Z'


def _image(meta):
    return {
        'id': meta['id'], 'name': meta['id'], 'status': meta['status'],
        'size': meta['size'], 'disk_format': meta['disk_format'],
        'container_format': 'bare', 'checksum': meta['checksum'],
        'os_hash_algo': meta['os_hash_algo'],
        'os_hash_value': meta['os_hash_value'], 'visibility': 'public',
        'protected': False, 'tags': [], 'min_disk': 0, 'min_ram': 0,
        'created_at': _EPOCH, 'updated_at': _EPOCH,
        'self': '/v2/images/%s' % meta['id'],
        'file': '/v2/images/%s/file' % meta['id'],
        'schema': '/v2/schemas/image',
    }


def _json(body, status=200):
    response = webob.Response(status=status, charset=None)
    response.content_type = 'application/json'
    response.body = jsonutils.dump_as_bytes(body)
    return response


class LocalImageApp:
    """WSGI app: ``/``, ``/v2/images``, ``/v2/images/{id}[/file]``."""

    def __init__(self, image_api):
        self.image_api = image_api

    @webob.dec.wsgify
    def __call__(self, req):
        parts = [p for p in req.path_info.split('/') if p]
        if req.method != 'GET':
            return webob.exc.HTTPMethodNotAllowed()
        if not parts:
            base = req.application_url.rstrip('/')
            return _json({'versions': [{
                'id': 'v2.9', 'status': 'CURRENT',
                'links': [{'rel': 'self', 'href': base + '/v2/'}]}]},
                status=300)
        if parts[:2] != ['v2', 'images']:
            return webob.exc.HTTPNotFound()
        if len(parts) == 2:
            return self._list(req)
        try:
            meta = self.image_api.get(None, parts[2])
        except exception.ImageNotFound:
            return webob.exc.HTTPNotFound()
        if len(parts) == 3:
            return _json(_image(meta))
        if len(parts) == 4 and parts[3] == 'file':
            response = webob.Response(content_type='application/octet-stream')
            response.app_iter = self.image_api.download(None, parts[2])
            response.content_length = meta['size']
            return response
        return webob.exc.HTTPNotFound()

    def _list(self, req):
        images = [_image(m) for m in self.image_api.list(None)]
        wanted = req.GET.get('id') or req.GET.get('name')
        if wanted:
            images = [i for i in images if i['id'] == wanted]
        return _json({'images': images, 'schema': '/v2/schemas/images',
                      'first': '/v2/images'})

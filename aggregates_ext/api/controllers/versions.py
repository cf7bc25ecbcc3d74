"""Version discovery documents (unauthenticated), as Nova serves them.

keystoneauth (openstacksdk, openstackclient) reads ``version`` and
``min_version`` from the document at the catalog endpoint to negotiate
microversions, and fails without it.
"""

from oslo_serialization import jsonutils
import webob
import webob.dec

from aggregates_ext.api import dispatch
from aggregates_ext.api import fault
from aggregates_ext.api import microversion
from aggregates_ext.api.schemas import parameter_types
from aggregates_ext.api.schemas import versions as version_schema
from aggregates_ext.api import validation
from aggregates_ext import conf

CONF = conf.CONF

_V21 = {
    'id': 'v2.1',
    'status': 'CURRENT',
    'version': microversion.MAX_VERSION_STRING,
    'min_version': microversion.MIN_VERSION_STRING,
    'updated': '2013-07-23T11:33:21Z',
}
_V20 = {
    'id': 'v2.0',
    'status': 'DEPRECATED',
    'version': '',
    'min_version': '',
    'updated': '2025-07-04T12:00:00Z',
}


def _media_types(version):
    return [{'base': 'application/json',
             'type': 'application/vnd.openstack.compute+json;version=%s'
                     % version}]


# The media type names the major version for v2.0 and the minor for v2.1.
_MEDIA_TYPES = {'v2.0': _media_types('2'), 'v2.1': _media_types('2.1')}


def _base_url(req):
    prefix = CONF.api.compute_link_prefix
    if prefix:
        return prefix.rstrip('/') + '/'
    return req.application_url.rstrip('/') + '/'


def _entry(version, base, path):
    entry = dict(version)
    entry['links'] = [{'rel': 'self', 'href': base + path}]
    return entry


def versions_document(req):
    base = _base_url(req)
    return {'versions': [_entry(_V20, base, 'v2/'),
                         _entry(_V21, base, 'v2.1/')]}


def version_document(base):
    entry = _entry(_V21, base, 'v2.1/')
    entry['links'].append({'rel': 'describedby', 'type': 'text/html',
                           'href': 'http://docs.openstack.org/'})
    entry['media-types'] = _MEDIA_TYPES['v2.1']
    return {'version': entry}


def _json(body, status=200):
    response = webob.Response(status=status, charset=None)
    response.content_type = 'application/json'
    response.body = jsonutils.dump_as_bytes(body)
    return response


@webob.dec.wsgify
def root_app(req):
    """``/``: the list of versions; any other path: 300 multiple choices."""
    # The raw WSGI path, so that a path that is not UTF-8 cannot fail here.
    raw_path = req.environ.get('PATH_INFO', '')
    if raw_path in ('', '/'):
        return _json(versions_document(req))
    base = _base_url(req)
    path = raw_path.encode('latin-1').decode('utf-8', 'replace').lstrip('/')
    choices = []
    for version, prefix in ((_V20, 'v2/'), (_V21, 'v2.1/')):
        choices.append({
            'id': version['id'], 'status': version['status'],
            'links': [{'rel': 'self', 'href': base + prefix + path}],
            'media-types': _MEDIA_TYPES[version['id']]})
    return _json({'choices': choices}, status=300)


@webob.dec.wsgify
def v21_app(req):
    """``/v2.1`` and ``/v2.1/``: the v2.1 document with version headers."""
    version, refusal = dispatch.negotiate_version(req)
    if refusal is not None:
        return refusal
    base = _base_url(req)
    if base.endswith('/v2.1/'):
        base = base[:-len('v2.1/')]
    response = _json(version_document(base))
    microversion.set_response_headers(response, version)
    return response


def root_app_factory(global_conf, **local_conf):
    return root_app


def v21_app_factory(global_conf, **local_conf):
    return v21_app


class VersionsController:
    """``GET /v2.1/versions/v2.1``: the same document, authenticated."""

    @validation.query_schema(parameter_types.any_query)
    @validation.response_body_schema(version_schema.show_response)
    def show(self, req, id):
        if id != 'v2.1':
            raise fault.NotFound()
        base = _base_url(req)
        if base.endswith('/v2.1/'):
            base = base[:-len('v2.1/')]
        return dispatch.Result(version_document(base))

"""The Glance v2 image service, through keystoneauth1.

Two ways to authenticate, chosen by ``[glance] auth_type``:

* set: a service user (``[glance]`` auth plugin options).  Pre-cache
  downloads can outlast the requesting user's token, and the conductor and
  agents may work on a request long after the API accepted it, so this is
  the robust choice for production.
* unset: the token of the request context, sent to
  ``[glance] endpoint_override``.  The caller's own rights apply, as in
  Nova, which uses the caller's token for image downloads.
"""

import threading
import urllib.parse

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from oslo_log import log as logging
import requests

from aggregates_ext import conf as agg_conf
from aggregates_ext.conf import glance as glance_conf
from aggregates_ext import exception

LOG = logging.getLogger(__name__)
CONF = agg_conf.CONF

DEFAULT_CHUNK_SIZE = 1024 * 1024

_METADATA_FIELDS = ('id', 'size', 'disk_format', 'checksum',
                    'os_hash_algo', 'os_hash_value', 'status')


class GlanceImageAPI:
    """Read image metadata and data from Glance v2."""

    def __init__(self, conf=CONF):
        self._conf = conf
        self._lock = threading.Lock()
        self._adapter_cache = None

    def _adapter(self):
        # One session (one connection pool) per process: building it loads
        # the auth plugin and TLS settings, and a service token is reused
        # until it expires.
        with self._lock:
            if self._adapter_cache is None:
                group = glance_conf.GROUP_NAME
                auth = None
                if self._conf[group].auth_type:
                    auth = ks_loading.load_auth_from_conf_options(
                        self._conf, group)
                session = ks_loading.load_session_from_conf_options(
                    self._conf, group, auth=auth)
                self._adapter_cache = (
                    ks_loading.load_adapter_from_conf_options(
                        self._conf, group, session=session, auth=auth))
            return self._adapter_cache

    def _request(self, context, image_id, path, stream=False):
        """GET ``path`` and return the response, or raise a domain error."""
        kwargs = {'raise_exc': False, 'stream': stream}
        try:
            # Inside the try: a misconfigured auth plugin fails here.
            adapter = self._adapter()
            if adapter.auth is None:
                if not self._conf.glance.endpoint_override:
                    raise exception.ImageServiceUnavailable(
                        reason='[glance] has neither auth_type (service '
                               'credentials) nor endpoint_override (for '
                               'the caller\'s token)')
                token = getattr(context, 'auth_token', None)
                # Without a token Glance answers 401, which says what is
                # wrong better than we could.
                kwargs['headers'] = {'X-Auth-Token': token} if token else {}
            resp = adapter.get(path, **kwargs)
        except (ks_exceptions.Unauthorized, ks_exceptions.Forbidden):
            # The service user itself was refused by Keystone.
            raise exception.ImageNotAuthorized(image_id=image_id)
        except (ks_exceptions.ClientException,
                requests.exceptions.RequestException) as e:
            raise exception.ImageServiceUnavailable(reason=str(e))
        _check_status(resp, image_id)
        return resp

    def get(self, context, image_id):
        """The metadata of an image.

        :returns: a dict with ``id``, ``size``, ``disk_format``,
            ``checksum``, ``os_hash_algo``, ``os_hash_value`` and ``status``
            (``None`` where Glance has no value).
        :raises ImageNotFound: Glance has no such image (or hides it).
        :raises ImageNotAuthorized: Glance refused the token.
        :raises ImageServiceUnavailable: Glance could not be reached or
            failed.
        """
        resp = self._request(context, image_id, _image_url(image_id))
        try:
            body = resp.json()
        except ValueError:
            raise exception.ImageServiceUnavailable(
                reason='invalid JSON in the metadata of image %s' % image_id)
        if not isinstance(body, dict):
            raise exception.ImageServiceUnavailable(
                reason='invalid metadata of image %s' % image_id)
        return {field: body.get(field) for field in _METADATA_FIELDS}

    def download(self, context, image_id, chunk_size=None):
        """Stream an image's data.

        The request is sent before this returns, so HTTP errors raise here
        rather than at the first chunk.  Memory use is one chunk.  Close the
        returned iterator (or read it to the end) to release the connection.

        :returns: an iterator of ``bytes`` chunks of at most ``chunk_size``.
        :raises ImageNotFound: Glance has no such image.
        :raises ImageNotAuthorized: Glance refused the token.
        :raises ImageServiceUnavailable: Glance could not be reached, failed,
            has no data for the image, or the transfer broke off (raised
            while iterating).
        """
        resp = self._request(context, image_id,
                             _image_url(image_id) + '/file', stream=True)
        if resp.status_code == 204:
            # Glance's answer for an image without data (not yet uploaded).
            resp.close()
            raise exception.ImageServiceUnavailable(
                reason='image %s has no data' % image_id)
        return _iter_body(resp, image_id, chunk_size or DEFAULT_CHUNK_SIZE)


def _image_url(image_id):
    # Ids come from API requests and RPC messages; quoting keeps one from
    # naming another resource of the image service ("../", "?").
    return '/v2/images/%s' % urllib.parse.quote(str(image_id), safe='')


def _check_status(resp, image_id):
    status = resp.status_code
    if status < 300:
        return
    resp.close()
    if status == 404:
        raise exception.ImageNotFound(image_id=image_id)
    if status in (401, 403):
        raise exception.ImageNotAuthorized(image_id=image_id)
    raise exception.ImageServiceUnavailable(
        reason='HTTP %d from the image service for image %s'
               % (status, image_id))


def _iter_body(resp, image_id, chunk_size):
    try:
        for chunk in resp.iter_content(chunk_size=chunk_size):
            if chunk:
                yield chunk
    except requests.exceptions.RequestException as e:
        # A transfer that breaks off (reset, timeout, body shorter than
        # Content-Length) is the image service's failure, not the image's.
        raise exception.ImageServiceUnavailable(
            reason='download of image %s interrupted: %s' % (image_id, e))
    finally:
        resp.close()

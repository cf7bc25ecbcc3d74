"""Nova's fault bodies: ``{"<faultName>": {"code": N, "message": "..."}}``.

Every error this service produces goes through ``fault_response``, so the
body is always JSON in Nova's shape; ``FaultWrapper`` is the last line of
defence that turns anything unexpected into a 500 ``computeFault``.
"""

from oslo_log import log as logging
from oslo_middleware import sizelimit
from oslo_serialization import jsonutils
import webob
import webob.dec
import webob.exc

from aggregates_ext.api import middleware
from aggregates_ext import conf

LOG = logging.getLogger(__name__)
CONF = conf.CONF
# sizelimit registers the option when it is built; this module may read it
# first.
CONF.register_opts(sizelimit.OPTS, group='oslo_middleware')

_FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    429: 'overLimit',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}


def fault_name(status):
    return _FAULT_NAMES.get(status, 'computeFault')


def fault_response(status, message, headers=None):
    """A webob response carrying a Nova fault body."""
    body = {fault_name(status): {'code': status, 'message': message}}
    response = webob.Response(status=status)
    response.body = jsonutils.dump_as_bytes(body)
    response.headers['Content-Type'] = 'application/json; charset=UTF-8'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class HTTPError(Exception):
    """Raised by handlers and the framework: becomes a fault response."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__(message)

    def response(self):
        return fault_response(self.status, self.message)


class BadRequest(HTTPError):
    def __init__(self, message):
        super().__init__(400, message)


class NotFound(HTTPError):
    def __init__(self, message='The resource could not be found.'):
        super().__init__(404, message)


def unexpected_error_message(exc):
    return ('Unexpected API Error. Please contact the administrator\n%s'
            % type(exc))


def too_large(response):
    """oslo.middleware's 413, with the size limit in its message.

    Its refusal of a body whose Content-Length is over
    ``[oslo_middleware] max_request_body_size`` says ``(%s)`` where the
    limit should be.  The answer stays webob's plain 413, as on Nova.
    """
    if response.status_int != 413 or b'%s' not in response.body:
        return response
    return webob.exc.HTTPRequestEntityTooLarge(
        explanation='Request is too large. Larger than '
        'max_request_body_size (%d).'
        % CONF.oslo_middleware.max_request_body_size)


class FaultWrapper(middleware.Middleware):
    """WSGI middleware: no exception leaves as an HTML page or traceback."""

    @webob.dec.wsgify
    def __call__(self, request):
        try:
            return too_large(request.get_response(self.application))
        except HTTPError as exc:
            return exc.response()
        except webob.exc.HTTPException as exc:
            return fault_response(exc.code, exc.explanation)
        except Exception as exc:
            LOG.exception('Unexpected error handling %s %s',
                          request.method, request.path)
            return fault_response(500, unexpected_error_message(exc))

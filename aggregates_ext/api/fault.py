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


def _too_large(status, headers, body):
    """oslo.middleware's 413, with the size limit in its message.

    Its refusal of a body whose Content-Length is over
    ``[oslo_middleware] max_request_body_size`` says ``(%s)`` where the
    limit should be.  The answer stays webob's plain 413, as on Nova.

    :returns: the WSGI app that answers instead
    """
    try:
        data = b''.join(body)
    finally:
        close = getattr(body, 'close', None)
        if close is not None:
            close()
    if b'%s' in data:
        return webob.exc.HTTPRequestEntityTooLarge(
            explanation='Request is too large. Larger than '
            'max_request_body_size (%d).'
            % CONF.oslo_middleware.max_request_body_size)

    def as_it_was(environ, start_response):
        start_response(status, headers)
        return [data]
    return as_it_was


def _ignore_write(data):
    """The ``write`` of a start_response whose response is replaced."""


class FaultWrapper(middleware.Middleware):
    """WSGI middleware: no exception leaves as an HTML page or traceback.

    Plain WSGI, no webob objects of its own: the layers below are webob
    applications, which start their response before they return it, so
    the wrapper sees a 413 before anything is sent and can mend it.
    """

    def __call__(self, environ, start_response):
        refused = []
        returned = False

        def watching_start_response(status, headers, exc_info=None):
            if status.startswith('413') and not returned:
                refused.append((status, headers))
                return _ignore_write
            return start_response(status, headers, exc_info)

        try:
            body = self.application(environ, watching_start_response)
        except HTTPError as exc:
            answer = exc.response()
        except webob.exc.HTTPException as exc:
            answer = fault_response(exc.code, exc.explanation)
        except Exception as exc:
            LOG.exception('Unexpected error handling %s %s',
                          environ.get('REQUEST_METHOD'),
                          environ.get('SCRIPT_NAME', '') +
                          environ.get('PATH_INFO', ''))
            answer = fault_response(500, unexpected_error_message(exc))
        else:
            if not refused:
                returned = True
                return body
            answer = _too_large(refused[0][0], refused[0][1], body)
        return answer(environ, start_response)

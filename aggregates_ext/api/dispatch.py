"""Request dispatch for the microversioned API.

``Resource`` turns a routed WSGI request into a controller call in the order
Nova uses, so that the same error wins as on Nova: microversion (400/406),
content type (415), body (400), action lookup (400/404), the project id
in the URL (400), then the handler (version gate, schema, policy, id,
domain), then the response headers.
"""

import functools

from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_serialization import jsonutils
import webob
import webob.dec
import webob.exc

from aggregates_ext.api import fault
from aggregates_ext.api import microversion
from aggregates_ext.api import validation
from aggregates_ext import conf
from aggregates_ext import context as ctx_module
from aggregates_ext import exception

LOG = logging.getLogger(__name__)
CONF = conf.CONF

_JSON_TYPES = ('application/json', 'application/vnd.openstack.compute+json')
# A missing, empty or text/plain Content-Type still means JSON, as on Nova.
_TREATED_AS_NONE = ('', 'text/plain')
_EMPTY = object()
# The deepest request body accepted.  Ours are three levels deep; a body
# nested hundreds of levels would exhaust the recursion limit of the
# parser, the schema validator or the fault formatter (a 500).
MAX_BODY_DEPTH = 32
_TOO_DEEP = ('Malformed request body: nested deeper than %d levels'
             % MAX_BODY_DEPTH)


class Request(webob.Request):
    api_version = microversion.MIN_VERSION

    @property
    def context(self):
        return ctx_module.from_environ(self.environ)


def negotiate_version(req):
    """The request's microversion, or the fault that refuses it.

    :returns: (version, None), or (None, response): 400 without version
        headers for a malformed version, 406 naming the requested one.
    """
    try:
        return microversion.from_headers(
            req.headers, catalog_type=CONF.api.service_type), None
    except microversion.InvalidVersionFormat as exc:
        return None, fault.fault_response(400, str(exc))
    except microversion.VersionNotSupported as exc:
        response = fault.fault_response(406, str(exc))
        microversion.set_response_headers(response, exc.version)
        return None, response


class Result:
    """What a handler returns: a body (or None), a status, headers."""

    def __init__(self, body=None, status=200, headers=None):
        self.body = body
        self.status = status
        self.headers = headers or {}


def api_version(min_version=None, max_version=None):
    """Gate a handler on a microversion range: outside it the route is 404."""
    def wrap(func):
        @functools.wraps(func)
        def wrapper(self, req, *args, **kwargs):
            if not req.api_version.matches(min_version, max_version):
                raise fault.NotFound()
            return func(self, req, *args, **kwargs)
        if hasattr(func, '_schemas'):
            wrapper._schemas = func._schemas
        # For the test that every version in range has one schema.
        wrapper._api_range = (min_version, max_version)
        return wrapper
    return wrap


def expected_errors(mapping):
    """Map domain exceptions to HTTP statuses for one handler.

    ``mapping`` is {exception class: status}; the fault message is the
    exception's.  Anything else the handler raises is a 500.
    """
    def wrap(func):
        @functools.wraps(func)
        def wrapper(self, req, *args, **kwargs):
            try:
                return func(self, req, *args, **kwargs)
            except exception.PolicyNotAuthorized:
                raise
            except exception.AggregatesExtException as exc:
                for cls, status in mapping.items():
                    if isinstance(exc, cls):
                        raise fault.HTTPError(status, exc.format_message())
                raise
        if hasattr(func, '_schemas'):
            wrapper._schemas = func._schemas
        return wrapper
    return wrap


def parse_int(value, name):
    """Nova's integer check (oslo's ``validate_integer``): int() rules.

    A string of more digits than int() converts
    (``sys.get_int_max_str_digits()``) is not an integer either.

    :raises fault.BadRequest: with Nova's message
    """
    try:
        return int(str(value))
    except (ValueError, TypeError):
        raise fault.BadRequest(
            'Invalid input received: %s must be an integer' % name)


def parse_id(value, name='id'):
    """Nova's integer check of a URL id: Python's int() rules.

    :returns: the integer, or None when it cannot name a row (out of the
        range of the database's integer column), which callers treat as
        not found.
    """
    number = parse_int(value, name)
    if not -2 ** 31 <= number < 2 ** 31:
        return None
    return number


def _json_response(result):
    response = webob.Response(status=result.status, charset=None)
    response.content_type = 'application/json'
    if result.body is None:
        response.body = b''
    else:
        response.body = jsonutils.dump_as_bytes(result.body)
    for name, value in result.headers.items():
        response.headers[name] = value
    return response


class Resource:
    """A WSGI app for one controller: routes' ``action`` picks the method."""

    def __init__(self, controller, actions=None):
        self.controller = controller
        # {body key: method name} for POST .../action
        self.actions = actions or {}

    @webob.dec.wsgify(RequestClass=Request)
    def __call__(self, req):
        args = dict(req.environ['wsgiorg.routing_args'][1])
        args.pop('controller', None)
        action = args.pop('action')
        version, refusal = negotiate_version(req)
        if refusal is not None:
            return refusal
        req.api_version = version
        try:
            response = self._dispatch(req, action, args)
        except fault.HTTPError as exc:
            response = exc.response()
        except webob.exc.HTTPException as exc:
            # oslo.middleware's size limit on a chunked body raises its
            # plain 413 while we read the body.
            response = exc
        except UnicodeDecodeError:
            response = fault.fault_response(
                400, 'Malformed request URL: not valid UTF-8')
        except exception.PolicyNotAuthorized as exc:
            response = fault.fault_response(403, exc.format_message())
        except db_exc.DBConnectionError as exc:
            # Our database or Nova's is down: the request may be repeated.
            LOG.error('Database unavailable in %s: %s', action, exc)
            response = fault.fault_response(
                503, 'The database is unavailable; try again later.')
        except Exception as exc:
            LOG.exception('Unexpected error in %s', action)
            response = fault.fault_response(
                500, fault.unexpected_error_message(exc))
        microversion.set_response_headers(response, version)
        return response

    def _check_project(self, req, args):
        project_id = args.pop('project_id', None)
        if project_id is None:
            return
        context_project = req.context.project_id
        if project_id != context_project:
            raise fault.BadRequest(
                "Malformed request URL: URL's project_id '%s' doesn't match "
                "Context's project_id '%s'" % (project_id, context_project))

    def _body(self, req):
        content_type = req.content_type
        if (content_type not in _JSON_TYPES and
                content_type not in _TREATED_AS_NONE):
            raise fault.HTTPError(415, 'Unsupported Content-Type')
        if req.method not in ('POST', 'PUT'):
            return _EMPTY
        raw = req.body
        if not raw:
            return _EMPTY
        try:
            body = jsonutils.loads(raw)
        except RecursionError:
            raise fault.BadRequest(_TOO_DEEP)
        except ValueError:
            raise fault.BadRequest('Malformed request body')
        # Before anything walks the body recursively: the schema
        # validation and its error messages.
        if validation.nesting_depth(body) > MAX_BODY_DEPTH:
            raise fault.BadRequest(_TOO_DEEP)
        return body

    def _dispatch(self, req, action, args):
        body = self._body(req)
        if action == 'action':
            action = self._action_method(body)
        self._check_project(req, args)
        method = getattr(self.controller, action)
        if req.method in ('POST', 'PUT'):
            # An empty body reaches the schema as None, as on Nova.
            args['body'] = None if body is _EMPTY else body
        result = method(req, **args)
        validation.check_response(method, req.api_version, result.body,
                                  CONF.api.response_validation)
        return _json_response(result)

    def _action_method(self, body):
        if body is _EMPTY:
            raise fault.BadRequest('Malformed request body')
        if not isinstance(body, dict):
            raise fault.NotFound()
        if len(body) != 1:
            raise fault.BadRequest('Malformed request body')
        key = next(iter(body))
        if key not in self.actions:
            raise fault.BadRequest('There is no such action: %s' % key)
        return self.actions[key]

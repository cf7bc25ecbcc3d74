"""Request and response validation with JSON schema, Nova's way.

Schemas are attached to handlers by decorators, per microversion range, so
that ``schemas_of(handler)`` can tell a test whether a route has one.  The
first error jsonschema finds is reported, in Nova's wording.  Responses
are checked by the same schemas compiled to Python code (fastjsonschema,
about 30 times faster than interpreting them): their messages are only
logged, or answered as a 500 in the tests.
"""

import functools
import re
import unicodedata

import fastjsonschema
import jsonschema
from oslo_log import log as logging
from oslo_utils import uuidutils

from aggregates_ext.api import fault

LOG = logging.getLogger(__name__)


class InvalidName(Exception):
    def __init__(self, reason):
        super().__init__(
            "An invalid 'name' value was provided. The name must be: %s"
            % reason)


def _printable(char):
    category = unicodedata.category(char)
    if category.startswith('C'):
        return False
    return not category.startswith('Z') or category == 'Zs'


_NAME_REASON = 'printable characters. Can not start or end with whitespace.'
_AZ_REASON = ('printable characters except :.'
              'Can not start or end with whitespace.')
_RELAXED_REASON = 'printable characters with at least one non space character'

format_checker = jsonschema.FormatChecker(formats=())


@format_checker.checks('name', raises=InvalidName)
def _check_name(instance):
    if not isinstance(instance, str):
        return True
    if (not all(_printable(c) for c in instance) or
            (instance and (instance[0].isspace() or instance[-1].isspace()))):
        raise InvalidName(_NAME_REASON)
    return True


@format_checker.checks('az_name', raises=InvalidName)
def _check_az_name(instance):
    if not isinstance(instance, str):
        return True
    if ':' in instance:
        raise InvalidName(_AZ_REASON)
    try:
        _check_name(instance)
    except InvalidName:
        raise InvalidName(_AZ_REASON)
    return True


@format_checker.checks('name_with_leading_trailing_spaces',
                       raises=InvalidName)
def _check_relaxed_name(instance):
    if not isinstance(instance, str):
        return True
    if (not all(_printable(c) for c in instance) or
            not instance.strip()):
        raise InvalidName(_RELAXED_REASON)
    return True


@format_checker.checks('uuid')
def _check_uuid(instance):
    if not isinstance(instance, str):
        return True
    return uuidutils.is_uuid_like(instance)


_Validator = jsonschema.validators.validator_for(
    {'$schema': 'https://json-schema.org/draft/2020-12/schema'})


def error_message(error):
    """Nova's wording for a jsonschema error."""
    if isinstance(error.cause, InvalidName):
        return str(error.cause)
    if len(error.path) > 0:
        return ('Invalid input for field/attribute %s. Value: %s. %s'
                % (error.path[-1], error.instance, error.message))
    return error.message


def validate(schema, instance):
    """Raise ``fault.BadRequest`` with Nova's text when invalid."""
    validator = _Validator(schema, format_checker=format_checker)
    for error in validator.iter_errors(instance):
        raise fault.BadRequest(error_message(error))


def _walk(value):
    """Every value inside a JSON value, with its depth, without recursion.

    The root is at depth 0; the members of an object or array are one
    deeper than it.
    """
    stack = [(value, 0)]
    while stack:
        value, depth = stack.pop()
        yield value, depth
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth + 1) for k in value)
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def nesting_depth(value):
    """How many objects and arrays deep a JSON value is (a scalar is 0)."""
    return max((depth + 1 for item, depth in _walk(value)
                if isinstance(item, (dict, list))), default=0)


_UNSTORABLE = re.compile('[\x00\ud800-\udfff]')


def storable(value):
    """No NUL and no lone surrogate in any string: no database takes them.

    JSON can spell both (``\\u0000``, ``\\ud800``); they would reach the
    database in a metadata value and fail there with a 500.
    """
    return not any(isinstance(item, str) and _UNSTORABLE.search(item)
                   for item, _depth in _walk(value))


def _attach(func, kind, schema, min_version, max_version):
    schemas = getattr(func, '_schemas', None)
    if schemas is None:
        schemas = {}
        func._schemas = schemas
    schemas.setdefault(kind, []).append((schema, min_version, max_version))


def _schema_for(func, kind, version):
    for schema, min_version, max_version in func._schemas.get(kind, []):
        if version.matches(min_version, max_version):
            return schema
    return None


def schemas_of(func):
    """The schemas attached to a handler: {kind: [(schema, min, max)]}."""
    return getattr(func, '_schemas', {})


def _decorator(kind, schema, min_version, max_version):
    def wrap(func):
        if hasattr(func, '_schemas'):
            _attach(func, kind, schema, min_version, max_version)
            return func

        @functools.wraps(func)
        def wrapper(self, req, *args, **kwargs):
            version = req.api_version
            body_schema = _schema_for(wrapper, 'body', version)
            if body_schema is not None:
                validate(body_schema, kwargs.get('body'))
                # After the schema, so that its messages win where Nova
                # has one (a NUL in a name is an invalid name).
                if not storable(kwargs.get('body')):
                    raise fault.BadRequest('Malformed request body')
            query_schema = _schema_for(wrapper, 'query', version)
            if query_schema is not None:
                validate(query_schema, req.GET.dict_of_lists())
            return func(self, req, *args, **kwargs)

        wrapper._schemas = {}
        _attach(wrapper, kind, schema, min_version, max_version)
        return wrapper
    return wrap


def schema(request_body_schema, min_version=None, max_version=None):
    """Validate the request body against this schema in a version range."""
    return _decorator('body', request_body_schema, min_version, max_version)


def query_schema(request_query_schema, min_version=None, max_version=None):
    """Validate the query string (as a dict of lists) in a version range."""
    return _decorator('query', request_query_schema, min_version, max_version)


def response_body_schema(response_schema, min_version=None,
                         max_version=None):
    """Declare the schema of a handler's response body.

    Checked at run time as ``[api] response_validation`` says, and always
    in the tests.
    """
    return _decorator('response', response_schema, min_version, max_version)


def response_schema_for(func, version):
    return _schema_for(func, 'response', version)


def _passes(check):
    """A format check as fastjsonschema takes it: True or False."""
    def passes(instance):
        try:
            return check(instance) is not False
        except InvalidName:
            return False
    return passes


_RESPONSE_FORMATS = {
    'name': _passes(_check_name), 'az_name': _passes(_check_az_name),
    'name_with_leading_trailing_spaces': _passes(_check_relaxed_name),
    'uuid': _passes(_check_uuid)}


def _compiled(func, response_schema):
    """The handler's response schema compiled, once per schema."""
    compiled = func.__dict__.setdefault('_compiled_responses', {})
    check = compiled.get(id(response_schema))
    if check is None:
        check = compiled[id(response_schema)] = fastjsonschema.compile(
            response_schema, formats=_RESPONSE_FORMATS)
    return check


def check_response(func, version, body, mode):
    """Check a handler's response body; ``mode`` is error, warn or ignore."""
    if mode == 'ignore' or not hasattr(func, '_schemas'):
        return
    response_schema = _schema_for(func, 'response', version)
    if response_schema is None:
        return
    try:
        _compiled(func, response_schema)(body)
    except fastjsonschema.JsonSchemaValueException as error:
        if mode == 'error':
            raise fault.HTTPError(500, 'Response body invalid: %s'
                                  % error.message)
        LOG.warning('Response of %s does not match its schema: %s',
                    func.__qualname__, error.message)

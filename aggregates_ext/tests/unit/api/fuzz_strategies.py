"""Hypothesis strategies of the fuzz tests: the parts of a request.

URL segments, ids, microversion headers, query strings, content types,
tokens, and bodies valid under the schemas attached to our handlers
(``validation.schemas_of``), drawn with hypothesis-jsonschema.  They are
built once, at import or on first use: building a strategy per example
costs more than the request it makes.
"""

import urllib.parse

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from aggregates_ext.api import microversion
from aggregates_ext.api import router
from aggregates_ext.api import validation
from aggregates_ext.tests.unit.api import fuzz


def latin1(max_size=20, min_size=0):
    """Text as a WSGI server hands it over: one character per byte."""
    return st.text(st.characters(min_codepoint=0, max_codepoint=255),
                   min_size=min_size, max_size=max_size)


def in_path(text):
    """A decoded URL segment as it reaches the app (UTF-8 bytes as latin-1).

    A lone surrogate cannot be UTF-8: it goes as the bytes a careless
    client would send, which are not valid UTF-8.
    """
    return text.encode('utf-8', 'surrogatepass').decode('latin-1')


HUGE_DIGITS = st.integers(4290, 4400).map(lambda n: '9' * n)

# Seeded aggregates are 1 to 4 (see FuzzTestCase.seed); 5 never exists.
IDS = st.one_of(
    st.sampled_from(['1', '2', '3', '4']),
    st.sampled_from(['5', '0', '-1', '+1', ' 1', '1 ', '1_0', '0001', '1.5',
                     '0x1', '1e3', 'abc', '1.json', '', '%31', '%2F', '%FF',
                     '%00', '\x00', '1\n', '\u0661', '\uff11', '\ud800',
                     '2147483647', '2147483648', '-2147483648',
                     '-2147483649', '9' * 30, '-' + '9' * 30,
                     '3b1c2d9e-6f1a-4c55-9d0e-2b7f8c1a0e11', '..', '.',
                     'os-aggregates', 'action', 'images']),
    st.integers().map(str),
    st.integers(-2 ** 70, 2 ** 70).map(str),
    HUGE_DIGITS,
    st.text(max_size=10),
    latin1(max_size=10),
).map(in_path)

_VALID_VERSIONS = st.one_of(
    st.sampled_from(['2.1', '2.40', '2.41', '2.80', '2.81', '2.101',
                     '2.102', '2.104', 'latest']),
    st.integers(1, 104).map('2.{}'.format))
_BAD_VERSIONS = st.one_of(
    st.sampled_from(['2.0', '2.105', '2.999', '3.0', '1.1', '0.1', '2', '2.',
                     '.1', '2.01', '02.1', '2.a', 'Latest', 'LATEST', ' 2.1',
                     '2.1 ', '2.1.1', '', 'compute', '-2.1', '2.-1', '2,1',
                     '2.1,', ',', '2.' + '9' * 30, '9' * 30 + '.1']),
    st.tuples(HUGE_DIGITS, st.booleans()).map(
        lambda t: ('2.' + t[0]) if t[1] else (t[0] + '.1')),
    latin1(max_size=12))
VERSIONS = st.one_of(_VALID_VERSIONS, _VALID_VERSIONS, _BAD_VERSIONS)
_SERVICES = st.sampled_from(['compute', 'COMPUTE', 'Compute', 'volume',
                             'identity', ''])
_FORMS = st.sampled_from(['none', 'legacy', 'standard', 'both', 'entries',
                          'junk'])
_ENTRIES = st.lists(st.tuples(_SERVICES, VERSIONS), max_size=4)
_SEPARATORS = st.sampled_from([', ', ',', ' , '])
_HEADERS = st.sampled_from([fuzz.STD, fuzz.LEGACY])
_JUNK = latin1()


@st.composite
def version_headers(draw):
    """Microversion headers: none, either, both, several entries, junk."""
    headers = {}
    form = draw(_FORMS)
    if form in ('legacy', 'both'):
        headers[fuzz.LEGACY] = draw(VERSIONS)
    if form in ('standard', 'both'):
        headers[fuzz.STD] = '%s %s' % (draw(_SERVICES), draw(VERSIONS))
    if form == 'entries':
        headers[fuzz.STD] = draw(_SEPARATORS).join(
            '%s %s' % entry for entry in draw(_ENTRIES))
    if form == 'junk':
        headers[draw(_HEADERS)] = draw(_JUNK)
    return headers


VERSION_HEADERS = version_headers()


CONTENT_TYPES = st.one_of(
    st.sampled_from([None, '', 'application/json',
                     'application/json; charset=UTF-8',
                     'application/json;charset=latin-1',
                     'application/vnd.openstack.compute+json',
                     'text/plain', 'text/plain; charset=utf-8',
                     'APPLICATION/JSON', 'application/xml', 'text/html',
                     'multipart/form-data; boundary=xyz',
                     'multipart/form-data',
                     'application/x-www-form-urlencoded',
                     'application/octet-stream', '*/*', ';', ';;=;',
                     'application/json; boundary=', '\x00']),
    latin1(max_size=30))

_QUERY_NAMES = st.sampled_from(
    ['foo', 'name', 'id', 'host', 'binary', 'limit', 'marker',
     'hypervisor_hostname_pattern', 'with_servers', 'all_tenants', ''])
QUERY_VALUES = st.one_of(
    st.sampled_from(['', '1', '0', '-1', 'true', 'yes', 'no', 'c1',
                     'compute-1', 'nova-compute', 'aggregates-ext-compute',
                     '1000', '1001', '9' * 30, 'c%', 'c_', '%', '%FF',
                     '%00', '%ZZ', '\u0661']),
    HUGE_DIGITS,
    st.text(max_size=10))


def _quote(text):
    # "%" stays as it is, so that broken and non-UTF-8 escapes reach the
    # app too.
    return urllib.parse.quote(text.encode('utf-8', 'surrogatepass'),
                              safe='%')


QUERIES = st.one_of(
    st.just(''),
    st.lists(st.tuples(_QUERY_NAMES, QUERY_VALUES), max_size=4).map(
        lambda pairs: '&'.join('%s=%s' % (_quote(k), _quote(v))
                               for k, v in pairs)),
    latin1(max_size=20),
    st.sampled_from(['&', '&&', '=', '==', 'a', 'a=', '=a', ';', 'a=1;b=2',
                     '%', '%%', '%FF=1', 'a=%FF', 'a[]=1', 'a=1&a=2']))

# Other headers the pipeline reads: Accept (webob's error pages), CORS.
OTHER_HEADERS = st.one_of(
    st.just({}),
    st.fixed_dictionaries({}, optional={
        'Accept': st.one_of(st.sampled_from([
            'application/json', 'text/html', 'text/plain', '*/*',
            'application/xml', 'application/json;q=0', ',;q=x', '']),
            latin1()),
        'Accept-Language': st.sampled_from(['de', 'zz', '*', ';q=',
                                            'x' * 300]),
        'Origin': st.sampled_from(['http://example.com', 'null', '']),
        'Access-Control-Request-Method': st.sampled_from(['GET', 'PUT',
                                                          'x']),
    }))

TOKENS = st.sampled_from([fuzz.ADMIN] * 6 + [
    fuzz.MEMBER, fuzz.PROJECT_ADMIN, None, '', ':', 'admin:', ':admin'])


# Bodies and queries from our schemas ----------------------------------------

_PRINTABLE = st.characters(blacklist_categories=('C', 'Zl', 'Zp'))


def _names(forbidden=''):
    return st.text(_PRINTABLE, min_size=1, max_size=20).map(
        lambda s: ''.join(c for c in s if c not in forbidden).strip()
    ).filter(bool)


_SPACES = st.sampled_from(['', ' ', '  '])
COIN = st.booleans()
_UUIDS = st.tuples(st.uuids(), st.sampled_from([
    str, lambda u: str(u).upper(), lambda u: u.hex,
    lambda u: '{%s}' % u, lambda u: 'urn:uuid:%s' % u])).map(
        lambda t: t[1](t[0]))
# Valid values of our own formats; the mutations below bring the rest.
FORMATS = {
    'name': st.one_of(_names(), st.sampled_from(['agg1', 'AGG2', 'Agg3'])),
    'az_name': st.one_of(_names(':'), st.sampled_from(['az1', 'AZ2',
                                                       'az3'])),
    'name_with_leading_trailing_spaces': st.tuples(
        _SPACES, st.one_of(_names(), st.sampled_from(['agg2', 'AGG1'])),
        _SPACES).map(''.join),
    # hypothesis-jsonschema checks these with jsonschema's own checker,
    # which knows only the hyphenated form; _SEEDED has the others.
    'uuid': st.tuples(st.uuids(), st.booleans()).map(
        lambda t: str(t[0]).upper() if t[1] else str(t[0])),
}
# Values that make a valid request meet the seeded state: existing hosts,
# names and zones, metadata keys in other letter cases.
_SEEDED = {
    'host': st.sampled_from(['c1', 'c2', 'c3', 'C1', 'c4']),
    'id': _UUIDS,
    'name': st.sampled_from(['agg1', 'agg2', 'AGG3', ' agg4 ', 'new']),
    'availability_zone': st.sampled_from(['az1', 'az2', 'AZ1', 'az3', None]),
    'metadata': st.dictionaries(
        st.sampled_from(['k1', 'K1', 'availability_zone', 'k2']),
        st.sampled_from(['v', '', None, 'az1', 'az2'])),
}


def _handlers():
    """(path, method, name, handler) of every routed handler."""
    for path, method, resource, action in router.routes():
        names = (sorted(set(resource.actions.values()))
                 if action == 'action' else [action])
        for name in names:
            yield path, method, name, getattr(resource.controller, name)


def _versions(min_version, max_version, name):
    low = max(min_version or microversion.MIN_VERSION,
              microversion.IMAGE_PRECACHE if name == 'images'
              else microversion.MIN_VERSION)
    high = max_version or microversion.MAX_VERSION
    return st.integers(low[1], high[1]).map('2.{}'.format)


def _targets(kind):
    """[(path, method, name, schema, versions strategy)] for body|query."""
    targets = []
    for path, method, name, handler in _handlers():
        for schema, low, high in validation.schemas_of(handler).get(kind, []):
            targets.append((path, method, name, schema,
                            _versions(low, high, name)))
    return targets


_EXTRA_MEMBERS = st.dictionaries(
    st.text(max_size=8), st.lists(st.text(max_size=8), max_size=2),
    max_size=2)


def schema_strategy(schema):
    """Bodies valid under one of our request schemas.

    hypothesis-jsonschema's ``from_schema`` draws every value; objects
    are assembled here from the strategies of their properties, built
    once, because ``from_schema`` builds new strategies for the members
    of an object on every draw, which costs ten times the request.
    """
    kind = schema.get('type')
    if kind == 'object' and 'patternProperties' in schema:
        (pattern, values), = schema['patternProperties'].items()
        return st.dictionaries(st.from_regex(pattern, fullmatch=True),
                               schema_strategy(values), max_size=4)
    if kind == 'object' and 'properties' in schema:
        members = {key: schema_strategy(value)
                   for key, value in schema['properties'].items()}
        required = set(schema.get('required', []))
        choices = [set(b['required']) for b in schema.get('anyOf', [])]
        objects = st.one_of([
            st.fixed_dictionaries(
                {k: members[k] for k in sorted(required | choice)},
                optional={k: members[k] for k in sorted(members)
                          if k not in required | choice})
            for choice in choices or [set()]])
        if schema.get('additionalProperties', True) is False:
            return objects
        # Only query schemas allow other members: lists of strings, as
        # a query string has them.
        return st.tuples(_EXTRA_MEMBERS, objects).map(
            lambda pair: dict(pair[0], **pair[1]))
    if kind == 'array' and 'items' in schema:
        return st.lists(schema_strategy(schema['items']),
                        min_size=schema.get('minItems', 0),
                        max_size=schema.get('maxItems', 4))
    return from_schema(schema, custom_formats=FORMATS)


def with_seeded(draw, value):
    """A generated body with some of its values taken from the seed."""
    if isinstance(value, dict):
        return {key: (draw(_SEEDED[key]) if key in _SEEDED and draw(COIN)
                      else with_seeded(draw, item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [with_seeded(draw, item) for item in value]
    return value


def _bodies():
    targets = []
    for path, method, name, schema, versions in _targets('body'):
        targets.append(st.tuples(st.just((path, method, name)), versions,
                                 schema_strategy(schema)))
    return st.one_of(targets)


def _queries():
    targets = []
    for path, method, name, schema, versions in _targets('query'):
        targets.append(st.tuples(st.just((path, method, name)), versions,
                                 schema_strategy(schema)))
    return st.one_of(targets)


# (path, method, handler name), a version, a body (or query) valid there.
# Built when first drawn: the route table is walked then.
BODIES = st.deferred(_bodies)
SCHEMA_QUERIES = st.deferred(_queries)

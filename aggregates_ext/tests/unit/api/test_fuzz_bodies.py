"""Fuzzing request bodies and query strings, from our own schemas and worse.

Bodies are drawn from the schemas attached to the handlers
(``fuzz_strategies.BODIES``), then mutated: wrong types, huge and hostile
strings, deep nesting, duplicate keys, broken encodings.  Raw bodies go
to every route and method.  Query strings come from the query schemas.
See ``fuzz.py`` for what every case must satisfy.
"""

import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from aggregates_ext.tests.unit.api import fuzz
from aggregates_ext.tests.unit.api import fuzz_strategies as parts

_IDS = st.one_of(st.sampled_from(['1', '1', '2', '3', '4', '5']), parts.IDS)
_TOKENS = st.sampled_from([fuzz.ADMIN] * 5 + [fuzz.MEMBER])
_CONTENT_TYPES = st.sampled_from(['application/json', None, 'text/plain',
                                  'application/vnd.openstack.compute+json'])


def _case(draw, target, version, body):
    path, method, name = target
    return fuzz.Case(method, path.replace('{id}', draw(_IDS)),
                     headers={fuzz.LEGACY: version}, body=body,
                     content_type=draw(_CONTENT_TYPES), token=draw(_TOKENS))


@st.composite
def _schema_case(draw):
    target, version, body = draw(parts.BODIES)
    return _case(draw, target, version,
                 fuzz.json_bytes(parts.with_seeded(draw, body)))


def _query_string(query):
    pairs = []
    for key, values in query.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((key, value if isinstance(value, str)
                          else fuzz.json_bytes(value).decode()))
    return urllib.parse.urlencode(pairs)


@st.composite
def _query_case(draw):
    """A query from the schema, one of its values made hostile at times."""
    target, version, query = draw(parts.SCHEMA_QUERIES)
    if query and draw(parts.COIN):
        key = draw(st.sampled_from(sorted(query)))
        query = dict(query, **{key: [draw(parts.QUERY_VALUES)]})
    case = _case(draw, target, version, None)
    case.query = _query_string(query)
    return case


# Hostile values and mutations ------------------------------------------------

# A placeholder replaced in the JSON text: nesting this deep cannot be
# built as Python values and dumped.
_DEEP = 'fuzz-deep-placeholder-'
_DEPTHS = st.sampled_from([31, 32, 33, 64, 100, 950, 1000, 2000, 5000])
HOSTILE = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 2 ** 31, 2 ** 64, 1.5, 1e308,
                     [], {}, [None], {'': None}, '', ' ', '\x00', 'a\x00b',
                     '\ud800', '\udfff', 'a\ud800b', '\ufeff', '\u202e',
                     '\t', '\n', 'x' * 256, '\u00e9' * 256, 'a:b', 'bad/key',
                     '../../etc', '%s', '%(x)s', '{0}', '<script>']),
    st.integers(256, 70000).map(lambda n: 'x' * n),
    _DEPTHS.map(lambda n: (_DEEP, n)),
    st.text(max_size=20),
    st.integers(),
    st.floats(),
)


def _paths(value, path=()):
    """Every path into a JSON value, the root included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


def _replaced(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
    else:
        copy = list(value)
    copy[head] = _replaced(value[head], rest, new)
    return copy


def _deep_text(depth, opener):
    closer = {'[': ']', '{"a": ': '}'}[opener]
    return opener * depth + '1' + closer * depth


def _dump(value, opener='['):
    """JSON text (bytes); deep placeholders become deep nesting."""
    text = fuzz.json_bytes(_strip_deep(value)).decode()
    for depth in _deep_depths(value):
        text = text.replace('"%s%d"' % (_DEEP, depth),
                            _deep_text(depth, opener))
    return text.encode('utf-8', 'surrogatepass')


def _strip_deep(value):
    if isinstance(value, tuple):
        return '%s%d' % value
    if isinstance(value, dict):
        return {k: _strip_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_deep(v) for v in value]
    return value


def _deep_depths(value):
    if isinstance(value, tuple):
        yield value[1]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _deep_depths(item)
    elif isinstance(value, list):
        for item in value:
            yield from _deep_depths(item)


_OPENERS = st.sampled_from(['[', '{"a": '])
_WRAPS = st.integers(0, 2)
_MUTATIONS = st.sampled_from(['replace', 'replace', 'replace', 'add_key',
                              'drop_key', 'duplicate_key', 'wrap', 'text'])
_TEXT_MUTATIONS = st.sampled_from([
    lambda b: b[:len(b) // 2], lambda b: b + b'x', lambda b: b + b'\x00',
    lambda b: b'\xef\xbb\xbf' + b, lambda b: b.replace(b'"', b"'", 2),
    lambda b: b.replace(b'a', b'\xff', 1), lambda b: b.replace(b'e', b'\xc3'),
    lambda b: b.replace(b'"', b'"\xed\xa0\x80', 1),
    lambda b: b.decode('latin-1').encode('utf-16'),
    lambda b: b.replace(b':', b': NaN, "x":', 1),
    lambda b: b.replace(b'{', b'{"\\u0000": 1, ', 1),
    lambda b: b.replace(b'"', b'"\\ud800', 1),
    lambda b: b.replace(b'"', b'"\\', 1),
    lambda b: b'  \n\t' + b + b'\n',
])


def _duplicate_key(text):
    # The first object's first key again, with another value.
    start = text.find(b'{"')
    if start < 0:
        return text
    end = text.find(b'"', start + 2)
    key = text[start + 1:end + 1]
    return text[:start + 1] + key + b': {"x": 1}, ' + text[start + 1:]


@st.composite
def _mutated_case(draw):
    target, version, body = draw(parts.BODIES)
    body = parts.with_seeded(draw, body)
    mutation = draw(_MUTATIONS)
    paths = list(_paths(body))
    if mutation == 'replace':
        body = _replaced(body, draw(st.sampled_from(paths)), draw(HOSTILE))
    elif mutation in ('add_key', 'drop_key'):
        dicts = [p for p in paths if isinstance(_at(body, p), dict)]
        path = draw(st.sampled_from(dicts))
        new = dict(_at(body, path))
        if mutation == 'add_key':
            new[draw(st.text(max_size=8))] = draw(HOSTILE)
        elif new:
            new.pop(draw(st.sampled_from(sorted(new))))
        body = _replaced(body, path, new)
    elif mutation == 'wrap':
        body = [[body], {'x': body}, [body, body]][draw(_WRAPS)]
    text = _dump(body, draw(_OPENERS))
    if mutation == 'duplicate_key':
        text = _duplicate_key(text)
    elif mutation == 'text':
        text = draw(_TEXT_MUTATIONS)(text)
    return _case(draw, target, version, text)


def _at(value, path):
    for key in path:
        value = value[key]
    return value


# Bodies anywhere: any route and method, raw bytes.
RAW_BODIES = st.one_of(
    st.sampled_from([b'', b' ', b'null', b'[]', b'{}', b'[1, 2]', b'"x"',
                     b'1', b'true', b'{"a": 1}', b'{"a": 1, "a": 2}',
                     b'{"add_host": 1, "add_host": 2}', b'\x00', b'\xff',
                     b'\xc3\x28', b'\xed\xa0\x80', b'"\\ud800"',
                     b'{"\\ud800": 1}', b'{"a": "\\u0000"}', b'NaN',
                     b'Infinity', b'-Infinity', b'1e999999', b'[' * 2000,
                     b'{' * 2000, b'{"a":' * 2000, b'[' * 950 + b']' * 950,
                     b'{"aggregate": ' * 950 + b'1' + b'}' * 950,
                     b'9' * 5000, b'[' + b'9' * 5000 + b']',
                     b'{"aggregate": {"name": "%s"}}' % (b'a' * 120000),
                     b'x' * (fuzz.MAX_BODY + 1), b'<xml/>',
                     b'--b\r\nContent-Disposition: form-data; name="a"\r\n'
                     b'\r\n1\r\n--b--']),
    _DEPTHS.flatmap(lambda n: _OPENERS.map(
        lambda o: _deep_text(n, o).encode())),
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: t.encode('utf-8', 'surrogatepass')),
)
_ROUTES = st.sampled_from(fuzz.ROUTES)
_ANY_METHOD = st.sampled_from(fuzz.METHODS)
_ANY_VERSION = st.sampled_from(['2.1', '2.81', 'latest'])


@st.composite
def _raw_case(draw):
    path, method, _action = draw(_ROUTES)
    if draw(st.integers(0, 3)) == 0:
        method = draw(_ANY_METHOD)
    return fuzz.Case(method, path.replace('{id}', draw(_IDS)),
                     headers={fuzz.LEGACY: draw(_ANY_VERSION)},
                     body=draw(RAW_BODIES),
                     content_type=draw(_CONTENT_TYPES), token=draw(_TOKENS))


class TestFuzzBodies(fuzz.FuzzTestCase):

    @fuzz.fuzz(10)
    @given(_schema_case())
    def test_bodies_from_schemas(self, case):
        self.send(case)

    @fuzz.fuzz(12)
    @given(_mutated_case())
    def test_mutated_bodies(self, case):
        self.send(case)

    @fuzz.fuzz(10)
    @given(_raw_case())
    def test_raw_bodies_any_route(self, case):
        self.send(case)

    @fuzz.fuzz(3)
    @given(_query_case())
    def test_queries_from_schemas(self, case):
        self.send(case)

"""Microversions of the compute API that this service serves.

One list, one line per version that changed something here, and named gates
for the controllers.  The range is Nova 34.0.0's: clients negotiate against
the maximum we advertise, so we advertise what Nova does and accept every
version in between, including those that changed nothing in this API.
"""

import re

import microversion_parse

SERVICE_TYPE = 'compute'
STANDARD_HEADER = 'OpenStack-API-Version'
LEGACY_HEADER = 'X-OpenStack-Nova-API-Version'

# Version history, as far as this API is concerned:
#
# 2.1   - The base: list, create, show, update, delete, add_host,
#         remove_host, set_metadata.
# 2.11  - (os-services) ``forced_down`` in every service.
# 2.28  - (os-hypervisors) ``cpu_info`` is an object, not a JSON string.
# 2.33  - (os-hypervisors) paging: ``limit``, ``marker``, links.
# 2.41  - ``uuid`` in every aggregate representation.
# 2.53  - (os-services, os-hypervisors) ids become UUIDs; hypervisors
#         refuse unknown query parameters.
# 2.75  - (os-services) unknown query parameters refused; (os-hypervisors)
#         ``with_servers`` always gives ``servers``.
# 2.81  - POST /os-aggregates/{id}/images: image pre-caching.
# 2.88  - (os-hypervisors) statistics fields leave the hypervisor views.
# 2.102 - index and show reject any query parameter.
# 2.103, 2.104 - nothing here; accepted because Nova advertises them.
MIN_VERSION_STRING = '2.1'
MAX_VERSION_STRING = '2.104'

SERVICE_FORCED_DOWN = (2, 11)
HYPERVISOR_CPU_INFO_OBJECT = (2, 28)
HYPERVISOR_PAGING = (2, 33)
AGGREGATE_UUID = (2, 41)
HOST_UUIDS = (2, 53)
HOSTS_STRICT_QUERY = (2, 75)
IMAGE_PRECACHE = (2, 81)
HYPERVISOR_NO_STATS = (2, 88)
STRICT_QUERY = (2, 102)

_VERSION_RE = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')


class InvalidVersionFormat(Exception):
    def __init__(self, version):
        self.version = version
        super().__init__(
            'API Version String %s is of invalid format. Must be of format '
            'MajorNum.MinorNum.' % version)


class VersionNotSupported(Exception):
    def __init__(self, version):
        self.version = version
        super().__init__(
            'Version %s is not supported by the API. Minimum is %s and '
            'maximum is %s.' % (version, MIN_VERSION_STRING,
                                MAX_VERSION_STRING))


class APIVersion(tuple):
    """A (major, minor) pair that compares like a tuple."""

    def __new__(cls, major, minor):
        return super().__new__(cls, (int(major), int(minor)))

    @classmethod
    def parse(cls, text):
        match = _VERSION_RE.match(text)
        if match is None:
            raise InvalidVersionFormat(text)
        try:
            return cls(match.group(1), match.group(2))
        except ValueError:
            # More digits than int() converts (sys.get_int_max_str_digits):
            # well-formed, and far beyond any version we serve.
            raise VersionNotSupported(text)

    def __str__(self):
        return '%d.%d' % self

    def matches(self, min_version=None, max_version=None):
        """True when min_version <= self <= max_version (bounds optional)."""
        if min_version is not None and self < tuple(min_version):
            return False
        if max_version is not None and self > tuple(max_version):
            return False
        return True


MIN_VERSION = APIVersion.parse(MIN_VERSION_STRING)
MAX_VERSION = APIVersion.parse(MAX_VERSION_STRING)


def before(gate):
    """The last version before ``gate``: the upper bound of what it ended.

    ``before(AGGREGATE_UUID)`` is 2.40, so that a schema "up to 2.40" and
    one "from 2.41" read as the two sides of one gate.
    """
    major, minor = gate
    return APIVersion(major, minor - 1)


def from_headers(headers, catalog_type=None):
    """The version a request asks for.

    The standard header's last ``compute`` entry wins, then its last
    ``catalog_type`` entry, then the legacy header; none means 2.1.
    ``latest`` (exactly) means the maximum.

    :param catalog_type: the type the API has in the catalog (``[api]
        service_type``): keystoneauth names the version of a request with
        the type it found the endpoint under.
    :raises InvalidVersionFormat: a malformed version string (400)
    :raises VersionNotSupported: a version outside our range (406)
    """
    if hasattr(headers, 'get') and not isinstance(headers, dict):
        # A request's headers (case-insensitive look-ups): only the two it
        # reads, as microversion_parse folds every header of the request
        # on each of up to three look-ups.
        found = ((name, headers.get(name))
                 for name in (STANDARD_HEADER, LEGACY_HEADER))
        headers = {name: value for name, value in found if value is not None}
    text = microversion_parse.get_version(headers, service_type=SERVICE_TYPE)
    if not text and catalog_type and catalog_type.lower() != SERVICE_TYPE:
        text = microversion_parse.get_version(headers,
                                              service_type=catalog_type)
    if not text:
        text = microversion_parse.get_version(
            headers, service_type=SERVICE_TYPE,
            legacy_headers=[LEGACY_HEADER])
    if not text:
        return MIN_VERSION
    if text == 'latest':
        return MAX_VERSION
    version = APIVersion.parse(text)
    if not version.matches(MIN_VERSION, MAX_VERSION):
        raise VersionNotSupported(version)
    return version


def set_response_headers(response, version):
    """The headers every microversioned response carries, errors too."""
    response.headers[STANDARD_HEADER] = '%s %s' % (SERVICE_TYPE, version)
    response.headers[LEGACY_HEADER] = str(version)
    response.headers.add('Vary', STANDARD_HEADER)
    response.headers.add('Vary', LEGACY_HEADER)

"""The status API of pre-cache requests, as the plugin's commands use it.

A keystoneauth adapter on the client manager's session: the session's
authentication, TLS and timeouts are the user's ``openstack`` options, and
the adapter sends the microversion in both of the compute API's headers.
"""

import urllib.parse

from keystoneauth1 import adapter
from osc_lib import exceptions

from aggregates_ext.api import microversion as mv

MICROVERSION = '%d.%d' % mv.IMAGE_PRECACHE


class APIError(exceptions.CommandError):
    """The API refused a request; the message is its fault's."""

    def __init__(self, response):
        self.status_code = response.status_code
        message = response.reason or 'Error'
        try:
            body = response.json()
        except ValueError:
            body = None
        # Nova's fault bodies: {"itemNotFound": {"message": ..., "code": 404}}
        if isinstance(body, dict) and len(body) == 1:
            fault = next(iter(body.values()))
            if isinstance(fault, dict) and fault.get('message'):
                message = fault['message']
        request_id = response.headers.get('x-openstack-request-id')
        text = '%s (HTTP %s)' % (message, response.status_code)
        if request_id:
            text += ' (Request-ID: %s)' % request_id
        super().__init__(text)


class PrecacheClient:
    """Aggregates and their pre-cache requests, on the compute endpoint."""

    def __init__(self, session, endpoint):
        if not endpoint:
            raise exceptions.CommandError(
                'No compute endpoint: give one with '
                '--os-compute-endpoint-override, or log in to a cloud '
                'whose catalog has one.')
        self.endpoint = endpoint.rstrip('/')
        self.adapter = adapter.Adapter(
            session, service_type='compute',
            endpoint_override=self.endpoint,
            default_microversion=MICROVERSION, raise_exc=False)

    def _get(self, path, params=None):
        response = self.adapter.get(path, params=params)
        if response.status_code >= 400:
            raise APIError(response)
        return response.json()

    def list_aggregates(self):
        return self._get('/os-aggregates')['aggregates']

    def find_aggregate(self, name_or_id):
        """The aggregate with this id, UUID or name (OSC's find rule)."""
        return match_aggregate(self.list_aggregates(), name_or_id)

    def list_requests(self, aggregate_id, status=(), request_id=(),
                      limit=None, marker=None):
        """The aggregate's requests, newest first.

        Without ``limit``, every page (the API's pages hold at most 1000);
        with it, that one page.
        """
        params = {'status': list(status), 'request_id': list(request_id)}
        if limit is not None:
            params['limit'] = str(limit)
        requests = []
        path = '/os-aggregates/%s/precache-requests' % aggregate_id
        while True:
            if marker:
                params['marker'] = marker
            body = self._get(path, params=params)
            requests.extend(body['precache_requests'])
            marker = _next_marker(body.get('precache_requests_links'))
            if limit is not None or not marker:
                return requests

    def get_request(self, aggregate_id, request_id):
        return self._get('/os-aggregates/%s/precache-requests/%s' % (
            aggregate_id, request_id))['precache_request']

    def find_request(self, aggregate_id, ref):
        """A request by its UUID, or by the POST's request id (``req-``)."""
        if ref.startswith('req-'):
            found = self.list_requests(aggregate_id, request_id=[ref])
            if not found:
                raise exceptions.CommandError(
                    'No pre-cache request of aggregate %s was made by '
                    'request %s.' % (aggregate_id, ref))
            ref = found[0]['id']
        return self.get_request(aggregate_id, ref)

    def newest_request(self, aggregate_id):
        found = self.list_requests(aggregate_id, limit=1)
        if not found:
            raise exceptions.CommandError(
                'Aggregate %s has no pre-cache request.' % aggregate_id)
        return self.get_request(aggregate_id, found[0]['id'])


def match_aggregate(aggregates, name_or_id):
    """The one aggregate ``name_or_id`` names: id, then UUID, then name.

    Names are unique without regard to case in this service, so a name
    that matches no aggregate exactly may match one case-insensitively.
    """
    ref = str(name_or_id)
    for key in ('id', 'uuid', 'name'):
        found = [a for a in aggregates if str(a.get(key)) == ref]
        if found:
            return found[0]
    folded = ref.casefold()
    found = [a for a in aggregates if a['name'].casefold() == folded]
    if len(found) == 1:
        return found[0]
    raise exceptions.CommandError(
        "No aggregate with a name or ID of '%s' exists." % ref)


def _next_marker(links):
    for link in links or ():
        if link.get('rel') == 'next':
            query = urllib.parse.urlsplit(link['href']).query
            markers = urllib.parse.parse_qs(query).get('marker')
            if markers:
                return markers[0]
    return None

"""/os-hypervisors: the registered compute hosts, as Nova lists hypervisors.

Read-only, one hypervisor per registered compute host.  Tempest finds the
hosts it may add to aggregates in ``GET /os-hypervisors/detail``.
"""

import re

from oslo_utils import strutils

from aggregates_ext.api.controllers import common
from aggregates_ext.api import dispatch
from aggregates_ext.api import microversion as mv
from aggregates_ext.api.schemas import hypervisors as schema
from aggregates_ext.api import validation
from aggregates_ext.api.views import hypervisors as view
from aggregates_ext import exception
from aggregates_ext import hosts as hosts_api
from aggregates_ext.policies import hypervisors as policies

# Nova's default ``[api] max_limit``: the largest page, and the page size
# when the client gives no limit.
MAX_LIMIT = 1000

_ERRORS = {exception.Invalid: 400, exception.NotFound: 404}
# The last versions before the gates of this API.
_BEFORE_CPU_INFO_OBJECT = mv.before(mv.HYPERVISOR_CPU_INFO_OBJECT)
_BEFORE_PAGING = mv.before(mv.HYPERVISOR_PAGING)
_BEFORE_UUIDS = mv.before(mv.HOST_UUIDS)
_BEFORE_NO_STATS = mv.before(mv.HYPERVISOR_NO_STATS)


def _like(pattern, hostname):
    """Whether Nova's SQL ``LIKE '%pattern%'`` matches the name.

    ``_`` stands for any one character, and letter case is ignored (as on
    MySQL, where Nova's match ignores it).
    """
    regex = '.'.join(re.escape(part) for part in pattern.split('_'))
    return re.search(regex, hostname, re.IGNORECASE) is not None


def _page(req, hosts):
    """The page that ``limit`` and ``marker`` ask for, and its size."""
    limit = common.last_value(req, 'limit')
    if limit is not None:
        # The schema lets only digits through, but any number of them.
        limit = min(dispatch.parse_int(limit, 'limit'), MAX_LIMIT)
    else:
        limit = MAX_LIMIT
    marker = common.last_value(req, 'marker')
    if marker:
        ids = [str(view.presented_id(req, svc)) for svc, _up in hosts]
        if marker not in ids:
            raise exception.Invalid('marker [%s] not found' % marker)
        hosts = hosts[ids.index(marker) + 1:]
    return hosts[:limit], limit


class HypervisorsController:

    @dispatch.expected_errors(_ERRORS)
    @validation.query_schema(schema.index_query, max_version=_BEFORE_PAGING)
    @validation.query_schema(schema.index_query_v233, mv.HYPERVISOR_PAGING,
                             _BEFORE_UUIDS)
    @validation.query_schema(schema.index_query_v253, mv.HOST_UUIDS)
    @validation.response_body_schema(schema.index_response,
                                     max_version=_BEFORE_PAGING)
    @validation.response_body_schema(schema.index_response_v233,
                                     mv.HYPERVISOR_PAGING, _BEFORE_UUIDS)
    @validation.response_body_schema(schema.index_response_v253,
                                     mv.HOST_UUIDS)
    def index(self, req):
        """GET /os-hypervisors: id, name, state and status of each host."""
        req.context.can(policies.LIST)
        return dispatch.Result(self._list(req, detail=False))

    @dispatch.expected_errors(_ERRORS)
    @validation.query_schema(schema.index_query, max_version=_BEFORE_PAGING)
    @validation.query_schema(schema.index_query_v233, mv.HYPERVISOR_PAGING,
                             _BEFORE_UUIDS)
    @validation.query_schema(schema.index_query_v253, mv.HOST_UUIDS)
    @validation.response_body_schema(schema.detail_response,
                                     max_version=_BEFORE_CPU_INFO_OBJECT)
    @validation.response_body_schema(schema.detail_response_v228,
                                     mv.HYPERVISOR_CPU_INFO_OBJECT,
                                     _BEFORE_PAGING)
    @validation.response_body_schema(schema.detail_response_v233,
                                     mv.HYPERVISOR_PAGING, _BEFORE_UUIDS)
    @validation.response_body_schema(schema.detail_response_v253,
                                     mv.HOST_UUIDS, _BEFORE_NO_STATS)
    @validation.response_body_schema(schema.detail_response_v288,
                                     mv.HYPERVISOR_NO_STATS)
    def detail(self, req):
        """GET /os-hypervisors/detail: each host with its service."""
        req.context.can(policies.LIST_DETAIL)
        return dispatch.Result(self._list(req, detail=True))

    def _list(self, req, detail):
        """Nova's listing rules for both calls.

        From 2.33 the list is paged (``limit``, ``marker``, a ``next`` link
        when a page is full).  From 2.53 ``hypervisor_hostname_pattern``
        lists the matching hosts instead (404 when none; 400 together
        with paging), and ``with_servers`` asks for the servers of each
        host.
        """
        version = req.api_version
        hosts = hosts_api.compute_hosts(req.context)
        pattern = with_servers = None
        if version.matches(mv.HOST_UUIDS):
            pattern = common.last_value(req, 'hypervisor_hostname_pattern')
            with_servers = strutils.bool_from_string(
                common.last_value(req, 'with_servers') or False,
                strict=True)
        page_size = None
        if pattern is not None:
            if 'limit' in req.GET or common.last_value(req, 'marker'):
                raise exception.Invalid(
                    'Paging over hypervisors with the '
                    'hypervisor_hostname_pattern query parameter is not '
                    'supported.')
            hosts = [(svc, up) for svc, up in hosts
                     if _like(pattern, svc.host)]
            if not hosts:
                raise exception.NotFound(
                    "No hypervisor matching '%s' could be found." % pattern)
        elif version.matches(mv.HYPERVISOR_PAGING):
            hosts, page_size = _page(req, hosts)
        return view.index(req, hosts, detail=detail,
                          with_servers=with_servers, page_size=page_size)

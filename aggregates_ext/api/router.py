"""URL routing of the /v2.1 API, and the Paste app and filter factories.

Every route is registered twice, with and without the optional
``{project_id}`` segment, as Nova does.  A path or method that no route
serves gets webob's plain 404, not a fault body: that is what Nova answers.
"""

import os
import re

import routes as routes_lib
import webob.exc

from aggregates_ext.api.controllers import aggregates
from aggregates_ext.api.controllers import hypervisors
from aggregates_ext.api.controllers import precache_requests
from aggregates_ext.api.controllers import services
from aggregates_ext.api.controllers import versions
from aggregates_ext.api import dispatch

# The optional first segment of every path: a project id as Nova's router
# accepts it.  Other segments there are not a project id, so no route
# matches them and the filter leaves them to the application behind it.
PROJECT_ID_PATTERN = '[0-9a-f-]+'
_PROJECT_ID_RE = re.compile(PROJECT_ID_PATTERN)
_RESOURCE = 'os-aggregates'


def routes():
    """(path, method, resource, action) of every route, in one table.

    Each call makes new controllers, so an application loaded afresh
    (a test, a reloaded worker) shares no clients with an older one.
    """
    aggs = dispatch.Resource(aggregates.AggregatesController(),
                             actions=aggregates.ACTIONS)
    requests = dispatch.Resource(
        precache_requests.PrecacheRequestsController())
    vers = dispatch.Resource(versions.VersionsController())
    svcs = dispatch.Resource(services.ServicesController())
    hyps = dispatch.Resource(hypervisors.HypervisorsController())
    return [
        ('/os-aggregates', 'GET', aggs, 'index'),
        ('/os-aggregates', 'POST', aggs, 'create'),
        ('/os-aggregates/{id}', 'GET', aggs, 'show'),
        ('/os-aggregates/{id}', 'PUT', aggs, 'update'),
        ('/os-aggregates/{id}', 'DELETE', aggs, 'delete'),
        ('/os-aggregates/{id}/action', 'POST', aggs, 'action'),
        ('/os-aggregates/{id}/images', 'POST', requests, 'images'),
        ('/os-aggregates/{aggregate_id}/precache-requests', 'GET',
         requests, 'index'),
        ('/os-aggregates/{aggregate_id}/precache-requests/{id}', 'GET',
         requests, 'show'),
        ('/versions/{id}', 'GET', vers, 'show'),
        ('/os-services', 'GET', svcs, 'index'),
        ('/os-hypervisors', 'GET', hyps, 'index'),
        ('/os-hypervisors/detail', 'GET', hyps, 'detail'),
    ]


class APIRouter:
    """Matches a request to a (resource, action) and calls it."""

    def __init__(self, route_table=None):
        self.mapper = routes_lib.Mapper()
        for path, method, resource, action in route_table or routes():
            for prefix, requirements in (
                    ('', {}),
                    ('/{project_id}', {'project_id': PROJECT_ID_PATTERN})):
                self.mapper.connect(
                    prefix + path, controller=resource, action=action,
                    conditions={'method': [method]},
                    requirements=dict(requirements, id='[^/]+'))

    def __call__(self, environ, start_response):
        match = self.mapper.routematch(environ=environ)
        if not match:
            return webob.exc.HTTPNotFound()(environ, start_response)
        args, route = match
        environ['wsgiorg.routing_args'] = ((), args)
        return args['controller'](environ, start_response)


def is_ours(path):
    """Whether a path (below the version prefix) is served by this API.

    ``os-aggregates`` must be the first segment, or the second after a
    project id; ``/flavors/os-aggregates`` is not ours.  ``path`` is the
    WSGI ``PATH_INFO`` (bytes as latin-1 characters, whether UTF-8 or not).
    """
    segments = path.split('/')
    if segments[0] != '':
        return False
    if segments[1:2] == [_RESOURCE]:
        return True
    return (segments[2:3] == [_RESOURCE] and
            _PROJECT_ID_RE.fullmatch(segments[1]) is not None)


def app_factory(global_conf, **local_conf):
    return APIRouter()


class AggregatesFilter:
    """Serve /os-aggregates* in front of another API's pipeline.

    A deployer puts this filter into an existing compute API pipeline
    after its auth middleware: aggregate requests are answered here, every
    other request goes on to the application behind.
    """

    def __init__(self, application):
        self.application = application
        self.router = APIRouter()

    def __call__(self, environ, start_response):
        # The raw PATH_INFO: decoding it as UTF-8 would fail on a path that
        # is not, which is the other API's to answer.
        if is_ours(environ.get('PATH_INFO', '')):
            return self.router(environ, start_response)
        return self.application(environ, start_response)


def filter_factory(global_conf, **local_conf):
    """The filter; ``config_file`` in its Paste section loads our config.

    Inside nova-api (Nova mode) the filter is this service's API: its
    ``config_file`` (or ``$AGGREGATES_EXT_CONFIG_FILE``) sets up the
    databases, the broker to our conductor and Nova's, and Placement, as
    ``aggregates-ext-api`` would, without touching the host's logging.
    """
    config_file = (local_conf.get('config_file') or
                   os.environ.get('AGGREGATES_EXT_CONFIG_FILE'))
    if config_file:
        from aggregates_ext import startup
        startup.prepare_embedded(config_file)
    return AggregatesFilter

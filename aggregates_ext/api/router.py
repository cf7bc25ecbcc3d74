"""URL routing of the /v2.1 API, and the Paste app and filter factories.

Every route is registered twice, with and without the optional
``{project_id}`` segment, as Nova does.  A path or method that no route
serves gets webob's plain 404, not a fault body: that is what Nova answers.
"""

import routes as routes_lib
import webob.dec
import webob.exc

from aggregates_ext.api.controllers import aggregate_images
from aggregates_ext.api.controllers import aggregates
from aggregates_ext.api.controllers import hypervisors
from aggregates_ext.api.controllers import services
from aggregates_ext.api.controllers import versions
from aggregates_ext.api import wsgi


def routes():
    """(path, method, resource, action) of every route, in one table.

    Each call makes new controllers, so an application loaded afresh
    (a test, a reloaded worker) shares no clients with an older one.
    """
    aggs = wsgi.Resource(aggregates.AggregatesController(),
                         actions=aggregates.ACTIONS)
    images = wsgi.Resource(aggregate_images.AggregateImagesController())
    vers = wsgi.Resource(versions.VersionsController())
    svcs = wsgi.Resource(services.ServicesController())
    hyps = wsgi.Resource(hypervisors.HypervisorsController())
    return [
        ('/os-aggregates', 'GET', aggs, 'index'),
        ('/os-aggregates', 'POST', aggs, 'create'),
        ('/os-aggregates/{id}', 'GET', aggs, 'show'),
        ('/os-aggregates/{id}', 'PUT', aggs, 'update'),
        ('/os-aggregates/{id}', 'DELETE', aggs, 'delete'),
        ('/os-aggregates/{id}/action', 'POST', aggs, 'action'),
        ('/os-aggregates/{id}/images', 'POST', images, 'images'),
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
                    ('/{project_id}', {'project_id': '[0-9a-f-]+'})):
                self.mapper.connect(
                    prefix + path, controller=resource, action=action,
                    conditions={'method': [method]},
                    requirements=dict(requirements, id='[^/]+'))

    @webob.dec.wsgify
    def __call__(self, req):
        match = self.mapper.routematch(environ=req.environ)
        if not match:
            return webob.exc.HTTPNotFound()
        args, route = match
        req.environ['wsgiorg.routing_args'] = ((), args)
        return args['controller']


def is_ours(path):
    """Whether a path (below the version prefix) is served by this API."""
    segments = [s for s in path.split('/') if s]
    if segments and segments[0] != 'os-aggregates' and len(segments) > 1:
        segments = segments[1:]
    return bool(segments) and segments[0] == 'os-aggregates'


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

    @webob.dec.wsgify
    def __call__(self, req):
        if is_ours(req.path_info):
            return self.router
        return self.application


def filter_factory(global_conf, **local_conf):
    return AggregatesFilter

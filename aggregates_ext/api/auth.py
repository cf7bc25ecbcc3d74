"""Authentication middleware and the pipeline factory.

``keystone``: keystonemiddleware's auth_token validates the token and sets
identity headers; ``KeystoneContext`` turns them into our request context.
``noauth2`` (development and tests only) trusts ``X-Auth-Token: user:project``
the way Nova's noauth2 does: the user ``admin`` is an administrator, anyone
else is a member of the project.
"""

from aggregates_ext.api import fault
from aggregates_ext.api import middleware
from aggregates_ext import conf
from aggregates_ext import context

CONF = conf.CONF


def _unauthorized(environ, start_response):
    return fault.fault_response(
        401, 'The request you have made requires authentication.')(
        environ, start_response)


class KeystoneContext(middleware.Middleware):
    """Build the request context from keystonemiddleware's headers."""

    def __call__(self, environ, start_response):
        if environ.get('HTTP_X_IDENTITY_STATUS', 'Confirmed') != 'Confirmed':
            return _unauthorized(environ, start_response)
        environ[context.ENV_KEY] = context.RequestContext.from_environ(
            environ)
        return self.application(environ, start_response)


class NoAuthMiddleware(middleware.Middleware):
    """Trust ``X-Auth-Token: user:project`` (never in production)."""

    def __call__(self, environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if not token:
            return _unauthorized(environ, start_response)
        user_id, _sep, project_id = token.partition(':')
        project_id = project_id or user_id
        is_admin = user_id == 'admin'
        roles = ['admin', 'member', 'reader'] if is_admin else [
            'member', 'reader']
        environ[context.ENV_KEY] = context.RequestContext(
            user_id=user_id, project_id=project_id, is_admin=is_admin,
            roles=roles, auth_token=token,
            request_id=environ.get('openstack.request_id'))
        return self.application(environ, start_response)


def pipeline_factory(loader, global_conf, **local_conf):
    """Pick the pipeline named by ``[api] auth_strategy``."""
    pipeline = local_conf[CONF.api.auth_strategy].split()
    filters = [loader.get_filter(name) for name in pipeline[:-1]]
    app = loader.get_app(pipeline[-1])
    for filter_ in reversed(filters):
        app = filter_(app)
    return app

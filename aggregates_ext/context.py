"""Request context: who is asking, and what policy lets them do."""

from oslo_context import context

from aggregates_ext import policy


class RequestContext(context.RequestContext):

    def can(self, action, target=None, fatal=True):
        """Check a policy rule for this context.

        :raises aggregates_ext.exception.PolicyNotAuthorized: when denied and
            ``fatal``; otherwise return False.
        """
        return policy.authorize(self, action, target or {}, fatal=fatal)


def get_admin_context():
    return RequestContext(is_admin=True, roles=['admin'],
                          overwrite=False)


ENV_KEY = 'aggregates_ext.context'


def from_environ(environ):
    """The context of a WSGI request.

    The noauth2 middleware and the keystone context middleware put one into
    the environ; in filter mode behind another service's auth middleware we
    build it from the headers keystonemiddleware set.
    """
    ctx = environ.get(ENV_KEY)
    if ctx is None:
        ctx = RequestContext.from_environ(environ)
        environ[ENV_KEY] = ctx
    return ctx

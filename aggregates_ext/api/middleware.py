"""WSGI middleware as Paste builds it: ours, and the libraries' with our
configuration.

oslo.middleware and keystonemiddleware read oslo.config's global
``cfg.CONF`` unless they are handed a ``ConfigOpts``; this service keeps its
options on its own (``conf.CONF``), so the Paste file builds them through
the factories here, which hand it over.
"""

from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import sizelimit

from aggregates_ext import conf

CONF = conf.CONF


class Middleware:
    """Wraps ``application``; a Paste ``filter_factory`` via ``factory``."""

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls


def _configured(middleware_class):
    """A Paste filter factory building ``middleware_class`` on our CONF."""
    def filter_factory(global_conf, **local_conf):
        def _filter(application):
            return middleware_class(application, CONF)
        return _filter
    return filter_factory


cors_filter = _configured(cors.CORS)
sizelimit_filter = _configured(sizelimit.RequestBodySizeLimiter)
CONF.register_opts(http_proxy_to_wsgi.OPTS, group='oslo_middleware')


def http_proxy_to_wsgi_filter(global_conf, **local_conf):
    """oslo.middleware's proxy headers, only when they are to be parsed.

    With ``[oslo_middleware] enable_proxy_headers_parsing`` off (the
    default; the option is read at start) the middleware changes nothing
    and costs a webob request and response per call, so the pipeline goes
    without it.
    """
    def _filter(application):
        if not CONF.oslo_middleware.enable_proxy_headers_parsing:
            return application
        return http_proxy_to_wsgi.HTTPProxyToWSGI(application, CONF)
    return _filter


def authtoken_filter(global_conf, **local_conf):
    """keystonemiddleware's auth_token, reading ``[keystone_authtoken]``."""
    from keystonemiddleware import auth_token
    return auth_token.filter_factory(global_conf, oslo_config_config=CONF,
                                     **local_conf)


def healthcheck_app(global_conf, **local_conf):
    """oslo.middleware's health check, with our ``[healthcheck]`` options."""
    return healthcheck.Healthcheck(None, CONF)

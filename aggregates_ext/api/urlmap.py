"""The top-level URL map: ``/``, exactly ``/v2.1``, and ``/v2.1/...``.

Paste's own urlmap cannot tell ``/v2.1`` from ``/v2.1/os-aggregates``; the
version document must be served without authentication while everything
below it needs a token, so this map knows exact and prefix entries.
A key ending in ``/+`` is a prefix; any other key is exact (with or without
a trailing slash); ``/`` catches the rest.
"""


class URLMap:

    def __init__(self, exact, prefixes, default):
        self.exact = exact
        # Longest prefix first.
        self.prefixes = sorted(prefixes, key=lambda item: -len(item[0]))
        self.default = default

    def __call__(self, environ, start_response):
        # The raw WSGI strings: a path that is not UTF-8 (%FF) is routed
        # like any other and refused by the app behind, inside its fault
        # handling, instead of failing here.
        path = environ.get('PATH_INFO') or '/'
        stripped = path.rstrip('/')
        for key, app in self.exact:
            if stripped == key:
                return self._call(app, key, path, environ, start_response)
        for prefix, app in self.prefixes:
            if path.startswith(prefix + '/'):
                return self._call(app, prefix, path, environ, start_response)
        return self.default(environ, start_response)

    @staticmethod
    def _call(app, prefix, path, environ, start_response):
        environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
        environ['PATH_INFO'] = path[len(prefix):]
        return app(environ, start_response)


def urlmap_factory(loader, global_conf, **local_conf):
    exact, prefixes, default = [], [], None
    for key, name in local_conf.items():
        app = loader.get_app(name, global_conf=global_conf)
        if key == '/':
            default = app
        elif key.endswith('/+'):
            prefixes.append((key[:-2], app))
        else:
            exact.append((key.rstrip('/'), app))
    return URLMap(exact, prefixes, default)

"""The top-level URL map: ``/``, exactly ``/v2.1``, and ``/v2.1/...``.

Paste's own urlmap cannot tell ``/v2.1`` from ``/v2.1/os-aggregates``; the
version document must be served without authentication while everything
below it needs a token, so this map knows exact and prefix entries.
A key ending in ``/+`` is a prefix; any other key is exact (with or without
a trailing slash); ``/`` catches the rest.
"""

import webob.dec


class URLMap:

    def __init__(self, exact, prefixes, default):
        self.exact = exact
        # Longest prefix first.
        self.prefixes = sorted(prefixes, key=lambda item: -len(item[0]))
        self.default = default

    @webob.dec.wsgify
    def __call__(self, req):
        path = req.path_info or '/'
        stripped = path.rstrip('/')
        for key, app in self.exact:
            if stripped == key:
                req.script_name += key
                req.path_info = path[len(key):]
                return app
        for prefix, app in self.prefixes:
            if path.startswith(prefix + '/'):
                req.script_name += prefix
                req.path_info = path[len(prefix):]
                return app
        return self.default


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

"""The shape of this API's own WSGI middleware, as Paste builds it."""


class Middleware:
    """Wraps ``application``; a Paste ``filter_factory`` via ``factory``."""

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls

"""Helpers that several controllers share: ids and query parameters.

Controllers import this module, never each other.
"""

import functools

from aggregates_ext.api import dispatch
from aggregates_ext import exception


def parse_aggregate_id(aggregate_id):
    """The integer id, or AggregateNotFound for one no row can have."""
    number = dispatch.parse_id(aggregate_id)
    if number is None:
        raise exception.AggregateNotFound(aggregate_id=aggregate_id)
    return number


def typed_id_in_errors(func):
    """Name the aggregate in a 404 as the client typed it (``+7``)."""
    @functools.wraps(func)
    def wrapper(self, req, id, **kwargs):
        try:
            return func(self, req, id, **kwargs)
        except exception.AggregateNotFound:
            raise exception.AggregateNotFound(aggregate_id=id)
    return wrapper


def last_value(req, name):
    """A query parameter as Nova reads it (``req.GET[name]``).

    :returns: the last value when it is repeated, None when absent
    """
    values = req.GET.getall(name)
    return values[-1] if values else None

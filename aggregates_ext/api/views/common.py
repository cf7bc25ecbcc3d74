"""What every view writes the same way: timestamps and links, as Nova."""

import collections
from urllib import parse

from aggregates_ext import conf

CONF = conf.CONF
_DATETIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%f'


def datetime_text(value):
    """A timestamp as Nova writes it in responses, or None."""
    return value.strftime(_DATETIME_FORMAT) if value is not None else None


def link_prefix(url):
    """The URL with ``[api] compute_link_prefix`` applied, as Nova does.

    The prefix's scheme and host replace the URL's, and its path goes in
    front of the URL's path.
    """
    prefix = CONF.api.compute_link_prefix
    if not prefix:
        return url
    url_parts = list(parse.urlsplit(url))
    prefix_parts = parse.urlsplit(prefix)
    url_parts[0:2] = prefix_parts[0:2]
    url_parts[2] = prefix_parts[2] + url_parts[2]
    return parse.urlunsplit(url_parts).rstrip('/')


def resource_url(req, path):
    """The URL of ``path`` (below the version) for this request.

    With the project id in the URL when the request had it.
    """
    parts = [link_prefix(req.application_url)]
    project_id = req.context.project_id
    if project_id and project_id in req.url:
        parts.append(project_id)
    parts.append(path)
    return '/'.join(part.strip('/') for part in parts)


def next_link(req, marker, collection):
    """Nova's ``next`` link: the same query, with ``marker``."""
    params = collections.OrderedDict(sorted(req.params.items()))
    params['marker'] = marker
    return '%s?%s' % (resource_url(req, collection), parse.urlencode(params))

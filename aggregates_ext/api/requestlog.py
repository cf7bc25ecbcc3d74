"""One log line per API request, as an operator reads an access log.

    127.0.0.1 "GET /v2.1/os-aggregates" status: 200 len: 512
    microversion: 2.81 time: 0.004213   (one line)

logged at INFO by ``aggregates_ext.api.requestlog`` once the response has
been sent, with the request id (and, once authenticated, the user and
project) in oslo.log's context part of the line, whichever WSGI server
runs the API.
"""

import time

from oslo_log import log as logging

from aggregates_ext.api import middleware
from aggregates_ext import context

LOG = logging.getLogger(__name__)


class RequestLog(middleware.Middleware):

    def __call__(self, environ, start_response):
        started = time.monotonic()
        seen = {}

        def recording_start_response(status, headers, exc_info=None):
            seen['status'] = status.split(' ', 1)[0]
            seen['headers'] = headers
            return start_response(status, headers, exc_info)

        body = self.application(environ, recording_start_response)
        size = 0
        try:
            for chunk in body:
                size += len(chunk)
                yield chunk
        finally:
            close = getattr(body, 'close', None)
            if close is not None:
                close()
            self._log(environ, seen, size, time.monotonic() - started)

    @staticmethod
    def _log(environ, seen, size, elapsed):
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        query = environ.get('QUERY_STRING')
        if query:
            path += '?' + query
        version = '-'
        for name, value in seen.get('headers') or ():
            if name.lower() == 'openstack-api-version':
                version = value.split()[-1]
        ctx = environ.get(context.ENV_KEY) or context.RequestContext(
            request_id=environ.get('openstack.request_id'), overwrite=False)
        LOG.info('%(remote)s "%(method)s %(path)s" status: %(status)s '
                 'len: %(len)d microversion: %(version)s time: '
                 '%(time).6f',
                 {'remote': environ.get('REMOTE_ADDR', '-'),
                  'method': environ.get('REQUEST_METHOD'), 'path': path,
                  'status': seen.get('status', '-'), 'len': size,
                  'version': version, 'time': elapsed},
                 context=ctx)

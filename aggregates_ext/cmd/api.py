"""aggregates-ext-api: serve the API with a threaded pure-Python server.

cheroot (CherryPy's WSGI server) is a production-grade HTTP/1.1 server
with a thread pool; for more processes run the WSGI ``application`` of
``aggregates_ext.wsgi.api`` under uWSGI or gunicorn.
"""

import signal
import sys
import threading

from cheroot import wsgi as cheroot_wsgi
from oslo_log import log as logging

from aggregates_ext.api import app
from aggregates_ext import conf
from aggregates_ext import notifications
from aggregates_ext import rpc
from aggregates_ext import startup

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def make_server(application, host, port, threads,
                server_name='aggregates-ext-api'):
    """cheroot's threaded server with the API's request head limit."""
    server = cheroot_wsgi.Server((host, port), application,
                                 numthreads=threads, server_name=server_name)
    server.max_request_header_size = CONF.api.max_request_header_size
    return server


@startup.main_wrapper('aggregates-ext-api')
def main(argv=None):
    startup.prepare_service(sys.argv[1:] if argv is None else argv)
    startup.check_api()
    startup.check_broker()
    rpc.init(CONF)
    notifications.init(transport=rpc.get_notification_transport())
    application = app.load_app()
    server = make_server(application, CONF.api.bind_host,
                         CONF.api.bind_port, CONF.api.workers_threads)

    def _stop(signum, frame):
        # Not in the handler itself: it runs on the thread that is inside
        # serve(), which stop() waits for.
        threading.Thread(target=server.stop).start()

    signal.signal(signal.SIGTERM, _stop)
    LOG.info('aggregates-ext-api listening on %s:%s', CONF.api.bind_host,
             CONF.api.bind_port)
    try:
        server.safe_start()
    finally:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

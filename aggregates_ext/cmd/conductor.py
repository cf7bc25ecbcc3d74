"""aggregates-ext-conductor: host registry and image pre-cache fan-out."""

import sys

from aggregates_ext.api import app
from aggregates_ext import conf
from aggregates_ext import notifications
from aggregates_ext import rpc
from aggregates_ext import service

CONF = conf.CONF


def main(argv=None):
    app.prepare_service(sys.argv[1:] if argv is None else argv)
    rpc.init(CONF)
    notifications.init(transport=rpc.get_notification_transport())
    service.launch(service.ConductorService())
    return 0


if __name__ == '__main__':
    sys.exit(main())

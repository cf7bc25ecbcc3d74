"""aggregates-ext-conductor: host registry and image pre-cache fan-out."""

import sys

from aggregates_ext import conf
from aggregates_ext import notifications
from aggregates_ext import rpc
from aggregates_ext import service
from aggregates_ext import startup

CONF = conf.CONF


@startup.main_wrapper('aggregates-ext-conductor')
def main(argv=None):
    startup.prepare_service(sys.argv[1:] if argv is None else argv)
    startup.check_database()
    startup.check_broker()
    rpc.init(CONF)
    notifications.init(transport=rpc.get_notification_transport())
    service.launch(service.ConductorService())
    return 0


if __name__ == '__main__':
    sys.exit(main())

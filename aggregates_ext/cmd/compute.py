"""aggregates-ext-compute: the agent of one compute host.

Serves RPC as ``[DEFAULT] host``, heartbeats through the conductor (it never
opens the database) and caches images with ``[image_cache] driver``.
"""

import sys

from aggregates_ext.compute import image_cache
from aggregates_ext import conf
from aggregates_ext import image
from aggregates_ext import rpc
from aggregates_ext import service
from aggregates_ext import startup

CONF = conf.CONF


@startup.main_wrapper('aggregates-ext-compute')
def main(argv=None):
    # Agents never open the database.
    startup.prepare_service(sys.argv[1:] if argv is None else argv,
                            database=False)
    startup.check_broker()
    rpc.init(CONF)
    driver = image_cache.get_driver(CONF, image.get_image_api(CONF))
    service.launch(service.ComputeService(CONF.host, driver))
    return 0


if __name__ == '__main__':
    sys.exit(main())

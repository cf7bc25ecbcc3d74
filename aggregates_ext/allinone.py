"""Everything in one process: API, conductor and N compute agents.

The embedded default that the README's first command runs: SQLite under
``[DEFAULT] state_path``, the in-process ``fake://`` transport, a local
directory as the image source, and agents ``compute-0`` … ``compute-N-1``
each with its own image cache.  The same services run split across
processes and hosts with RabbitMQ and MySQL/PostgreSQL.
"""

import os
import time

from oslo_log import log as logging

from aggregates_ext.compute.image_cache import libvirt
from aggregates_ext.conductor import fanout
from aggregates_ext import conf
from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import migration
from aggregates_ext import hosts as hosts_api
from aggregates_ext import image
from aggregates_ext import notifications
from aggregates_ext import rpc
from aggregates_ext import service

LOG = logging.getLogger(__name__)
CONF = conf.CONF

# Calls an in-process agent serves at once.  oslo.messaging's default
# pool (64) grows by a thread per call until full, and each idle thread
# wakes every second: with 50 agents, thousands of threads after a few
# pre-caches, which slowed every request of the process by a third and
# added 60 MiB.  One request asks a host once, so a second call only comes
# from a second request running at the same time; it waits for the first
# call on that host to end.
AGENT_RPC_POOL = 1


def agent_instances_path(state_path, host):
    return os.path.join(state_path, 'hosts', host, 'instances')


class AllInOne:
    """Start and stop the conductor and the agents of one process."""

    def __init__(self, agents=3, transport_url='fake://', driver_factory=None,
                 report_interval=None):
        self.agent_names = ['compute-%d' % i for i in range(agents)]
        self.transport_url = transport_url
        self.driver_factory = driver_factory or self._libvirt_driver
        self.report_interval = report_interval
        self.services = []
        self.image_api = None

    def _libvirt_driver(self, host):
        return libvirt.LibvirtDriver(
            CONF, self.image_api,
            instances_path=agent_instances_path(CONF.state_path, host))

    def start(self, notification_sink=None):
        """Migrate the database, then start the conductor and the agents."""
        connection = engines.configure(CONF)
        # alembic only when there is something to do, and in a child
        # process (it costs memory).
        if migration.version() != migration.head():
            migration.upgrade_in_child(connection)
        rpc.init(CONF, transport_url=self.transport_url)
        notifications.init(transport=rpc.get_notification_transport(),
                           sink=notification_sink)
        self.image_api = image.get_image_api(CONF)
        conductor = service.ConductorService(host=CONF.host)
        conductor.start()
        self.services.append(conductor)
        for host in self.agent_names:
            agent = service.ComputeService(
                host, self.driver_factory(host),
                report_interval=self.report_interval,
                rpc_pool_size=AGENT_RPC_POOL)
            agent.start()
            self.services.append(agent)
        return self

    def wait_for_hosts(self, timeout=30):
        """Block until every agent has registered and is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = hosts_db.get_many(self.agent_names)
            if (len(found) == len(self.agent_names) and
                    all(hosts_api.is_up(s) for s in found)):
                return found
            time.sleep(0.05)
        raise RuntimeError('compute agents did not register in %ss'
                           % timeout)

    def stop(self):
        """Stop the agents side by side, then the conductor."""
        agents = [s for s in self.services
                  if isinstance(s, service.ComputeService)]
        service.stop_side_by_side(agents)
        for svc in reversed(self.services):
            if svc not in agents:
                svc.stop()
        self.services = []
        fanout.reset()
        rpc.cleanup()

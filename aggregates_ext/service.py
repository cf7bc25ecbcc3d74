"""Long-running services on oslo.service's threading backend (no eventlet;
the package's ``__init__`` selects it).

``ComputeService`` is the agent of one compute host: an RPC server named
after the host plus a heartbeat timer that reports through the conductor.
``ConductorService`` serves the conductor's RPC topic.  Both can run in
their own process (``service.launch``) or side by side in the all-in-one
process (``start()``/``stop()`` directly).
"""

import futurist
from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_service import service

from aggregates_ext.compute import manager as compute_manager
from aggregates_ext.compute import rpcapi as compute_rpcapi
from aggregates_ext.conductor import leases
from aggregates_ext.conductor import manager as conductor_manager
from aggregates_ext.conductor import rpcapi as conductor_rpcapi
from aggregates_ext import conf
from aggregates_ext import context as ctx_module
from aggregates_ext import rpc

LOG = logging.getLogger(__name__)
CONF = conf.CONF


class RPCService(service.Service):
    """An RPC server on ``topic`` named ``host``."""

    topic = None

    def __init__(self, host, endpoints, rpc_pool_size=None):
        """Serve ``endpoints`` as ``host``.

        :param rpc_pool_size: the most messages handled at once (default
            ``[DEFAULT] executor_thread_pool_size``)
        """
        super().__init__()
        self.host = host
        self.endpoints = endpoints
        self.rpc_pool_size = rpc_pool_size
        self.rpcserver = None

    def start(self):
        super().start()
        target = messaging.Target(topic=self.topic, server=self.host)
        self.rpcserver = rpc.get_server(target, self.endpoints)
        try:
            self.rpcserver.start(override_pool_size=self.rpc_pool_size)
        except Exception as exc:
            # Otherwise only the process manager's "exited with status 1"
            # would reach the log file.
            LOG.error('%s cannot serve RPC on topic %s as %s: %s: %s',
                      type(self).__name__, self.topic, self.host,
                      type(exc).__name__, exc)
            raise
        LOG.info('%s serving RPC on topic %s as %s', type(self).__name__,
                 self.topic, self.host)

    def stop(self, graceful=False):
        if self.rpcserver is not None:
            try:
                self.rpcserver.stop()
                self.rpcserver.wait()
            except Exception:
                LOG.exception('Error stopping the RPC server')
            self.rpcserver = None
        super().stop(graceful)


class ConductorService(RPCService):
    topic = conductor_rpcapi.RPC_TOPIC

    def __init__(self, host=None, manager=None):
        self.manager = manager or conductor_manager.ConductorManager()
        super().__init__(host or CONF.host, [self.manager])

    def start(self):
        super().start()
        # Renews this conductor's leases and takes over the pre-cache
        # requests nobody works on (a dead conductor's, lost casts).
        self.tg.add_timer(CONF.conductor.precache_check_interval,
                          leases.LeaseKeeper(self.manager.fanout),
                          initial_delay=0)

    def stop(self, graceful=False):
        # No new requests, no more renewals (the timer stops with the
        # thread group); then hand what is still running to the others.
        super().stop(graceful)
        leases.release_leases()


class ComputeService(RPCService):
    """The agent of one compute host."""

    topic = compute_rpcapi.RPC_TOPIC

    def __init__(self, host, driver, conductor_api=None,
                 report_interval=None, rpc_pool_size=None):
        """The agent of ``host``, caching with ``driver``.

        :param rpc_pool_size: the most calls served at once; processes
            that run many agents size it down, since each of the pool's
            threads, once started, stays and wakes every second
        """
        self.driver = driver
        self.manager = compute_manager.ComputeManager(host, driver)
        self.conductor_api = conductor_api
        self.report_interval = report_interval or CONF.report_interval
        super().__init__(host, [self.manager], rpc_pool_size=rpc_pool_size)

    def start(self):
        # A download killed with the previous process left a .part file.
        self.driver.cleanup_partials()
        if self.conductor_api is None:
            self.conductor_api = conductor_rpcapi.ConductorAPI()
        # Progress reports go through the conductor, as heartbeats do.
        self.manager.conductor_api = self.conductor_api
        super().start()
        self.tg.add_timer(self.report_interval, self.report_state,
                          initial_delay=0)

    def report_state(self):
        """One heartbeat; a failure is logged, never fatal."""
        try:
            self.conductor_api.service_report(
                ctx_module.get_admin_context(), self.host,
                compute_rpcapi.BINARY, compute_rpcapi.RPC_TOPIC,
                compute_rpcapi.SERVICE_VERSION)
        except Exception as exc:
            LOG.warning('Heartbeat of %s failed: %s', self.host, exc)


def stop_side_by_side(services):
    """Stop ``services`` at once, each in a thread; return when all have.

    A server that served a call waits up to a second for its idle RPC
    worker to notice the stop: one after the other, 50 agents took 45 s.
    """
    if not services:
        return
    with futurist.ThreadPoolExecutor(len(services)) as executor:
        for done in [executor.submit(svc.stop) for svc in services]:
            done.result()


def launch(svc):
    """Run one service in this process until SIGTERM/SIGINT."""
    launcher = service.launch(CONF, svc, restart_method='mutate')
    launcher.wait()

"""The conductor's RPC endpoint: the host registry and pre-caching.

Heartbeats of the compute agents are written to the host registry; a
pre-cache request cast by the API is carried out by ``fanout.Fanout``
(claimed under a lease, resumable by any conductor), and the agents'
download progress is recorded as they report it.
"""

from oslo_log import log as logging
import oslo_messaging as messaging

from aggregates_ext.compute import rpcapi as compute_rpcapi
from aggregates_ext.conductor import fanout
from aggregates_ext.conductor import rpcapi
from aggregates_ext import conf
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import precache as precache_db
from aggregates_ext import notifications
from aggregates_ext.nova import rpc as nova_rpc

LOG = logging.getLogger(__name__)
CONF = conf.CONF


class ConductorManager:
    """RPC endpoint of the conductor."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)
    RPC_API_VERSION = rpcapi.RPC_API_VERSION

    def __init__(self, compute_api=None, notifier=None):
        self._compute_api = compute_api
        self._nova_compute = None
        self._notifier = notifier
        self.fanout = fanout.Fanout(self)

    @property
    def nova_compute(self):
        if self._nova_compute is None:
            self._nova_compute = nova_rpc.ComputePrecache()
        return self._nova_compute

    @property
    def compute_api(self):
        if self._compute_api is None:
            self._compute_api = compute_rpcapi.ComputeAPI()
        return self._compute_api

    @property
    def notifier(self):
        return self._notifier or notifications.get_notifier()

    # Host registry ---------------------------------------------------------

    def service_report(self, context, host, binary, topic, version):
        """Record a heartbeat of a compute agent."""
        svc = hosts_db.report(host, binary, topic, version)
        return {'host': svc.host, 'report_count': svc.report_count,
                'disabled': svc.disabled, 'forced_down': svc.forced_down}

    # Pre-caching -----------------------------------------------------------

    def cache_images(self, context, request_uuid, aggregate, image_ids):
        """Start a recorded pre-cache request; the cast returns at once.

        The request runs on the coordinator executor, so that long
        requests never hold the RPC server's threads, which also serve the
        agents' heartbeats.  ``aggregate`` and ``image_ids`` are in the
        request's record too (1.0 callers send them).
        """
        self.fanout.start(context, request_uuid)

    def precache_progress(self, context, request_uuid, host, image_id,
                          bytes_done, bytes_total):
        """Record how far a host's download of an image got."""
        try:
            precache_db.save_progress(request_uuid, host, image_id,
                                      bytes_done, bytes_total)
        except Exception as exc:
            LOG.debug('Progress of %s on %s not recorded: %s', image_id,
                      host, exc)

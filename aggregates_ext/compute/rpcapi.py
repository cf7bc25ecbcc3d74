"""Client side of the compute agent RPC API.

API version history:

    1.0 - Initial version: cache_images (call).
"""

import oslo_messaging as messaging

from aggregates_ext import conf
from aggregates_ext import rpc

CONF = conf.CONF
RPC_TOPIC = 'aggregates-ext-compute'
RPC_API_VERSION = '1.0'
BINARY = 'aggregates-ext-compute'


class ComputeAPI:
    """What the conductor asks of the agent on one compute host."""

    def __init__(self, version_cap=None):
        target = messaging.Target(topic=RPC_TOPIC, version=RPC_API_VERSION)
        self.client = rpc.get_client(target, version_cap=version_cap)

    def cache_images(self, context, host, image_ids):
        """Call: cache ``image_ids`` on ``host``; {image_id: status}.

        Waits up to ``[DEFAULT] long_rpc_timeout``; the agent's
        oslo.messaging heartbeats (every ``rpc_response_timeout``) keep a
        long download alive and expose a dead agent early.
        """
        cctxt = self.client.prepare(
            server=host, version='1.0', timeout=CONF.long_rpc_timeout,
            call_monitor_timeout=CONF.rpc_response_timeout)
        return cctxt.call(context,
                          'cache_images', image_ids=image_ids)

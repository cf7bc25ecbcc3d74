"""Client side of the compute agent RPC API.

API version history:

    1.0 - Initial version: cache_images (call).
    1.1 - cache_images takes the pre-cache request's id; with it the agent
          reports progress and answers each image with the reason of a
          failure ({id: {status, reason_code, reason}}).
"""

import oslo_messaging as messaging

from aggregates_ext import conf
from aggregates_ext import rpc

CONF = conf.CONF
RPC_TOPIC = 'aggregates-ext-compute'
RPC_API_VERSION = '1.1'
BINARY = 'aggregates-ext-compute'
# What an agent's heartbeat reports as its version (the host registry's
# ``version``; the host views show it as the hypervisor version).
SERVICE_VERSION = 1


class ComputeAPI:
    """What the conductor asks of the agent on one compute host."""

    def __init__(self, version_cap=None):
        target = messaging.Target(topic=RPC_TOPIC, version=RPC_API_VERSION)
        self.client = rpc.get_client(target, version_cap=version_cap)

    def cache_images(self, context, host, image_ids, request_id=None):
        """Call: cache ``image_ids`` on ``host``.

        Waits up to ``[DEFAULT] long_rpc_timeout``; the agent's
        oslo.messaging heartbeats (every ``rpc_response_timeout``) keep a
        long download alive and expose a dead agent early.

        :param request_id: the pre-cache request's uuid (1.1): the agent
            then reports progress and gives reasons
        :returns: {image_id: status} (1.0), or {image_id: {status,
            reason_code, reason}} (1.1 with ``request_id``)
        """
        kwargs = {'image_ids': image_ids}
        version = '1.0'
        if request_id is not None and self.client.can_send_version('1.1'):
            version = '1.1'
            kwargs['request_id'] = request_id
        cctxt = self.client.prepare(
            server=host, version=version, timeout=CONF.long_rpc_timeout,
            call_monitor_timeout=CONF.rpc_response_timeout)
        return cctxt.call(context, 'cache_images', **kwargs)

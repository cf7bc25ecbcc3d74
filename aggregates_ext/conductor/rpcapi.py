"""Client side of the conductor RPC API.

API version history:

    1.0 - Initial version: cache_images (cast) and service_report (call).
    1.1 - precache_progress (cast): an agent's download progress.
"""

import oslo_messaging as messaging

from aggregates_ext import conf
from aggregates_ext import rpc

CONF = conf.CONF
RPC_TOPIC = 'aggregates-ext-conductor'
RPC_API_VERSION = '1.1'
CAST_RETRY = 2


class ConductorAPI:
    """What the API and the compute agents ask of the conductor."""

    def __init__(self, version_cap=None):
        target = messaging.Target(topic=RPC_TOPIC, version=RPC_API_VERSION)
        self.client = rpc.get_client(target, version_cap=version_cap)

    def cache_images(self, context, request_uuid, aggregate, image_ids):
        """Cast: pre-cache ``image_ids`` on the hosts of ``aggregate``.

        :param aggregate: snapshot dict (id, uuid, name, hosts, metadata)
            taken when the request was accepted
        """
        # A bounded retry: with the broker down the API answers 503 instead
        # of holding its thread for ever (oslo.messaging's default).
        cctxt = self.client.prepare(version='1.0', retry=CAST_RETRY)
        cctxt.cast(context, 'cache_images',
                   request_uuid=request_uuid, aggregate=aggregate,
                   image_ids=image_ids)

    def service_report(self, context, host, binary, topic, version):
        """Call: record a compute agent's heartbeat.

        :returns: the registry row's state (disabled, forced_down,
            report_count) as a dict.
        """
        cctxt = self.client.prepare(version='1.0',
                                    timeout=CONF.rpc_response_timeout)
        return cctxt.call(context,
                          'service_report', host=host, binary=binary,
                          topic=topic, version=version)

    def precache_progress(self, context, request_uuid, host, image_id,
                          bytes_done, bytes_total):
        """Cast: how far ``host``'s download of ``image_id`` got.

        Not sent to a conductor pinned below 1.1; a lost report only
        leaves the shown progress behind.
        """
        if not self.client.can_send_version('1.1'):
            return
        cctxt = self.client.prepare(version='1.1', retry=0)
        cctxt.cast(context, 'precache_progress', request_uuid=request_uuid,
                   host=host, image_id=image_id, bytes_done=bytes_done,
                   bytes_total=bytes_total)

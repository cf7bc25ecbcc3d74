"""oslo.messaging transports, clients and servers.

The threading executor everywhere (no eventlet).  ``[DEFAULT]
transport_url`` names the broker; the all-in-one process uses ``fake://``,
the in-process transport, which only reaches servers in the same process.
"""

import oslo_messaging as messaging
from oslo_messaging.rpc import dispatcher

from aggregates_ext import conf as conf_module
from aggregates_ext import context as ctx_module


class RequestContextSerializer(messaging.NoOpSerializer):
    """Send our RequestContext as a dict; receive it back as one."""

    def serialize_context(self, context):
        if context is None:
            return {}
        return context.to_dict() if hasattr(context, 'to_dict') else context

    def deserialize_context(self, context):
        return ctx_module.RequestContext.from_dict(context or {})


TRANSPORT = None
NOTIFICATION_TRANSPORT = None


def init(conf=None, transport_url=None):
    """Create the process's transports (idempotent)."""
    global TRANSPORT, NOTIFICATION_TRANSPORT
    conf = conf or conf_module.CONF
    if TRANSPORT is None:
        TRANSPORT = messaging.get_rpc_transport(conf, url=transport_url)
    if NOTIFICATION_TRANSPORT is None:
        NOTIFICATION_TRANSPORT = messaging.get_notification_transport(
            conf, url=transport_url)
    return TRANSPORT


def cleanup():
    global TRANSPORT, NOTIFICATION_TRANSPORT
    for transport in (TRANSPORT, NOTIFICATION_TRANSPORT):
        if transport is not None:
            transport.cleanup()
    TRANSPORT = NOTIFICATION_TRANSPORT = None


def get_transport():
    if TRANSPORT is None:
        init()
    return TRANSPORT


def get_notification_transport():
    if NOTIFICATION_TRANSPORT is None:
        init()
    return NOTIFICATION_TRANSPORT


def get_client(target, version_cap=None):
    return messaging.get_rpc_client(get_transport(), target,
                                    version_cap=version_cap,
                                    serializer=RequestContextSerializer())


def get_server(target, endpoints):
    access_policy = dispatcher.DefaultRPCAccessPolicy
    return messaging.get_rpc_server(get_transport(), target, endpoints,
                                    access_policy=access_policy,
                                    serializer=RequestContextSerializer())

"""oslo.messaging's options, registered up front.

oslo.messaging registers them when the first transport is made; tests and
the all-in-one service set ``transport_url`` before that.  The sample
config lists them under the ``oslo.messaging`` namespace, not here.
"""

from oslo_messaging import opts as messaging_opts

# The exchange of this service's RPC (oslo.messaging's own default).
CONTROL_EXCHANGE = 'openstack'


def _global_only_groups():
    """oslo.messaging's groups that it registers on the global CONF only.

    It reads them from the transport's configuration (ours), so they must
    be registered here too; they are absent from its ``list_opts``.
    """
    groups = []
    try:
        from oslo_messaging._metrics import client as metrics
        groups.append(('oslo_messaging_metrics',
                       metrics.oslo_messaging_metrics))
    except ImportError:
        pass
    try:
        from oslo_messaging._tracing import client as tracing
        groups.append(('oslo_messaging_tracing',
                       tracing.oslo_messaging_tracing))
    except ImportError:
        pass
    return groups


def register_opts(conf):
    for group, opts in messaging_opts.list_opts() + _global_only_groups():
        conf.register_opts(opts, group=group)
    # oslo.messaging's set_transport_defaults() changes the default of its
    # option object itself, shared by every ConfigOpts: inside nova-api,
    # Nova makes it "nova".  Our exchange stays ours.
    conf.set_default('control_exchange', CONTROL_EXCHANGE)
    # oslo.messaging retries a notification for ever by default; a
    # notification must never hold a request while the broker is away.
    conf.set_default('retry', 3, group='oslo_messaging_notifications')


def list_opts():
    return {}

"""oslo.messaging's options, registered up front.

oslo.messaging registers them when the first transport is made; tests and
the all-in-one service set ``transport_url`` before that.  The sample
config lists them under the ``oslo.messaging`` namespace, not here.
"""

from oslo_messaging import opts as messaging_opts


def register_opts(conf):
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    # oslo.messaging retries a notification for ever by default; a
    # notification must never hold a request while the broker is away.
    conf.set_default('retry', 3, group='oslo_messaging_notifications')


def list_opts():
    return {}

"""Options of the ``[notifications]`` group."""

from oslo_config import cfg

notifications_group = cfg.OptGroup('notifications', title='Notifications',
                                   help="""
Versioned notifications about aggregates and image pre-caching.  They are
sent through the ``[oslo_messaging_notifications]`` driver, whose default
(``noop``) sends nothing: set it to ``messagingv2`` to receive them.
""")

notifications_opts = [
    cfg.StrOpt(
        'notification_format',
        default='versioned',
        choices=[
            ('versioned', 'Send the versioned notifications (Nova\'s '
                          'payloads and event types).'),
            ('none', 'Send no notifications.'),
        ],
        help="""
Which notifications to send.  Nova defaults to its legacy unversioned
format, in which image pre-caching is invisible; this service only has the
versioned format and sends it by default.
"""),
    cfg.ListOpt(
        'versioned_notifications_topics',
        default=['versioned_notifications'],
        help='Topics on which the versioned notifications are sent.'),
]


def register_opts(conf):
    conf.register_group(notifications_group)
    conf.register_opts(notifications_opts, group=notifications_group)


def list_opts():
    return {notifications_group: notifications_opts}

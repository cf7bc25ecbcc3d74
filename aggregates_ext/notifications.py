"""Versioned notifications in Nova's envelope and payload shapes.

Consumers written for Nova's ``aggregate.*`` notifications read ours
unchanged: same event types, same payload object names, versions and
fields, same publisher ids.  ``doc/notification_samples/`` holds one sample
per event type and a test keeps the emitted payloads equal to them.
"""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging

from aggregates_ext import conf

LOG = logging.getLogger(__name__)
CONF = conf.CONF

_lock = threading.Lock()
_NOTIFIER = None


def _object(name, version, data):
    return {
        'nova_object.name': name,
        'nova_object.namespace': 'nova',
        'nova_object.version': version,
        'nova_object.data': data,
    }


def aggregate_payload(aggregate_id, uuid, name, hosts, metadata):
    return _object('AggregatePayload', '1.1', {
        'id': aggregate_id, 'uuid': uuid, 'name': name, 'hosts': hosts,
        'metadata': metadata})


def aggregate_cache_payload(aggregate, host, images_cached, images_failed,
                            index, total):
    return _object('AggregateCachePayload', '1.0', {
        'id': aggregate['id'], 'uuid': aggregate['uuid'],
        'name': aggregate['name'], 'host': host,
        'images_cached': images_cached, 'images_failed': images_failed,
        'index': index, 'total': total})


def _snapshot(aggregate):
    return aggregate if isinstance(aggregate, dict) else aggregate.snapshot()


class Notifier:
    """Sends the service's notifications through an oslo.messaging Notifier.

    ``sink`` replaces the messaging notifier with a callable taking
    ``(publisher_id, event_type, payload)``: the all-in-one service and the
    tests use it to see what would be sent.
    """

    def __init__(self, transport=None, sink=None, host=None):
        self.host = host or CONF.host
        self.sink = sink
        self._notifier = None
        if transport is not None:
            self._notifier = messaging.Notifier(
                transport, topics=CONF.notifications
                .versioned_notifications_topics)

    @property
    def enabled(self):
        return CONF.notifications.notification_format != 'none'

    def emit(self, context, source, event_type, payload):
        if not self.enabled:
            return
        publisher_id = '%s:%s' % (source, self.host)
        if self.sink is not None:
            self.sink(publisher_id, event_type, payload)
        if self._notifier is None:
            return
        try:
            self._notifier.prepare(publisher_id=publisher_id).info(
                context.to_dict() if context is not None else {},
                event_type, payload)
        except Exception:
            # A notification must never fail the operation it reports.
            LOG.exception('Could not send notification %s', event_type)

    def aggregate_create_start(self, context, uuid, name, metadata):
        self.emit(context, 'nova-api', 'aggregate.create.start',
                  aggregate_payload(None, uuid, name, None, metadata))

    def aggregate_action(self, context, aggregate, action, phase):
        snap = _snapshot(aggregate)
        self.emit(context, 'nova-api',
                  'aggregate.%s.%s' % (action, phase),
                  aggregate_payload(snap['id'], snap['uuid'], snap['name'],
                                    list(snap['hosts']),
                                    dict(snap['metadata'])))

    def cache_images(self, context, aggregate, phase):
        """``aggregate.cache_images.start`` / ``.end``.

        Sent by the conductor but published as ``nova-api``, as Nova does.
        """
        self.aggregate_action(context, aggregate, 'cache_images', phase)

    def cache_images_progress(self, context, aggregate, host, cached,
                              failed, index, total):
        self.emit(context, 'nova-conductor',
                  'aggregate.cache_images.progress',
                  aggregate_cache_payload(_snapshot(aggregate), host,
                                          cached, failed, index, total))


def init(transport=None, sink=None):
    """Set the process-wide notifier (services call this at start)."""
    global _NOTIFIER
    with _lock:
        _NOTIFIER = Notifier(transport=transport, sink=sink)
    return _NOTIFIER


def reset():
    """Forget the notifier; the next use makes one without a transport."""
    global _NOTIFIER
    with _lock:
        _NOTIFIER = None


def get_notifier():
    global _NOTIFIER
    with _lock:
        if _NOTIFIER is None:
            _NOTIFIER = Notifier()
        return _NOTIFIER

"""Nova's RPC, as a client: the schedulers' broadcasts and nova-compute.

Messages go to Nova's broker (``[nova] transport_url``) and exchange, in
the shapes Nova's own clients send: versioned-object primitives that
Nova's serializer turns back into objects, our request context as a dict
that Nova's ``RequestContext.from_dict`` reads.  The version pins of the
cloud (``[nova] scheduler_version_cap``/``compute_version_cap``, Nova's
``[upgrade_levels]``) are honoured as Nova honours them.
"""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_utils import timeutils

from aggregates_ext import conf
from aggregates_ext import exception
from aggregates_ext import rpc as our_rpc

LOG = logging.getLogger(__name__)
CONF = conf.CONF

SCHEDULER_TOPIC = 'scheduler'
COMPUTE_TOPIC = 'compute'
# Release names a cloud may pin to, as Nova's RPC clients know them
# (only those at which the calls below exist).
SCHEDULER_ALIASES = {'kilo': '4.2', 'liberty': '4.2', 'mitaka': '4.3',
                     'newton': '4.3', 'ocata': '4.3', 'pike': '4.4'}
COMPUTE_ALIASES = {
    'ussuri': '5.11', 'victoria': '5.12', 'wallaby': '6.0', 'xena': '6.0',
    'yoga': '6.0', 'zed': '6.1', 'antelope': '6.2', 'bobcat': '6.2',
    'caracal': '6.3', 'dalmatian': '6.3', 'epoxy': '6.4', 'flamingo': '6.4',
    'gazpacho': '6.5', 'hibiscus': '6.5'}

_lock = threading.Lock()
_transport = None
# The schedulers' broadcast client: made on first use, forgotten with the
# transport it sends on.
_broadcast = None


def enabled():
    return bool(CONF.nova.transport_url)


def _get_transport():
    global _transport
    with _lock:
        if _transport is None:
            _transport = messaging.get_rpc_transport(
                CONF, url=CONF.nova.transport_url)
        return _transport


def scheduler_broadcast():
    """This process's ``SchedulerBroadcast``."""
    global _broadcast
    with _lock:
        if _broadcast is None:
            _broadcast = SchedulerBroadcast()
        return _broadcast


def cleanup():
    global _transport, _broadcast
    with _lock:
        if _transport is not None:
            _transport.cleanup()
        _transport = None
        _broadcast = None


def _cap(value, aliases):
    if not value or value == 'auto':
        return None
    return aliases.get(value, value)


def _client(topic, version, cap):
    target = messaging.Target(exchange=CONF.nova.control_exchange,
                              topic=topic, version=version)
    return messaging.get_rpc_client(
        _get_transport(), target, version_cap=cap,
        serializer=our_rpc.RequestContextSerializer())


def _isotime(value):
    return value.strftime('%Y-%m-%dT%H:%M:%SZ') if value else None


def aggregate_primitive(aggregate):
    """An aggregate as Nova's ``Aggregate`` object (1.3) serialises it."""
    if isinstance(aggregate, dict):
        snap, created, updated = aggregate, None, None
    else:
        snap = aggregate.snapshot()
        created, updated = aggregate.created_at, aggregate.updated_at
    data = {'id': snap['id'], 'uuid': snap['uuid'], 'name': snap['name'],
            'hosts': list(snap['hosts']),
            'metadata': dict(snap['metadata']),
            'created_at': _isotime(created), 'updated_at': _isotime(updated),
            'deleted_at': None, 'deleted': False}
    return {'nova_object.name': 'Aggregate',
            'nova_object.namespace': 'nova',
            'nova_object.version': '1.3',
            'nova_object.data': data,
            'nova_object.changes': sorted(data)}


class _NovaClient:
    """An RPC client of one Nova service, made on first use.

    Subclasses name the topic, the base version, the ``[nova]`` option
    holding the version pin and the pin's release aliases.
    """

    TOPIC = BASE_VERSION = CAP_OPTION = None
    ALIASES = {}

    def __init__(self):
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = _client(
                self.TOPIC, self.BASE_VERSION,
                _cap(getattr(CONF.nova, self.CAP_OPTION), self.ALIASES))
        return self._client


class SchedulerBroadcast(_NovaClient):
    """Tell every nova-scheduler about a changed or deleted aggregate."""

    TOPIC, BASE_VERSION = SCHEDULER_TOPIC, '4.0'
    CAP_OPTION, ALIASES = 'scheduler_version_cap', SCHEDULER_ALIASES
    VERSION = '4.1'

    def _cast(self, context, method, **kwargs):
        if not self.client.can_send_version(self.VERSION):
            LOG.warning('The scheduler RPC version pin %s is below %s: '
                        'Nova\'s schedulers are not told of %s',
                        CONF.nova.scheduler_version_cap, self.VERSION,
                        method)
            return
        cctxt = self.client.prepare(fanout=True, version=self.VERSION,
                                    retry=2)
        cctxt.cast(context, method, **kwargs)

    def update_aggregates(self, context, aggregates):
        self._cast(context, 'update_aggregates',
                   aggregates=[aggregate_primitive(a) for a in aggregates])

    def delete_aggregate(self, context, aggregate):
        self._cast(context, 'delete_aggregate',
                   aggregate=aggregate_primitive(aggregate))


class ComputePrecache(_NovaClient):
    """``cache_images`` on a host's nova-compute, as Nova's conductor asks."""

    TOPIC, BASE_VERSION = COMPUTE_TOPIC, '6.0'
    CAP_OPTION, ALIASES = 'compute_version_cap', COMPUTE_ALIASES

    def version(self):
        """'6.0', or the 5.x it also serves, or None when pinned below."""
        for version in ('6.0', '5.4'):
            if self.client.can_send_version(version):
                return version
        return None

    def cache_images(self, context, host, image_ids):
        """{image_id: cached|existing|error|unsupported} from nova-compute.

        :raises NovaRPCPinned: the cloud's pin rules the call out
        """
        version = self.version()
        if version is None:
            raise exception.NovaRPCPinned(
                version=CONF.nova.compute_version_cap)
        cctxt = self.client.prepare(
            server=host, version=version, timeout=CONF.long_rpc_timeout,
            call_monitor_timeout=CONF.rpc_response_timeout)
        started = timeutils.utcnow()
        result = cctxt.call(context, 'cache_images', image_ids=image_ids)
        LOG.debug('nova-compute on %s cached %s in %.2f s', host, image_ids,
                  timeutils.delta_seconds(started, timeutils.utcnow()))
        return result

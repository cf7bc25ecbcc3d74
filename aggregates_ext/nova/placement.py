"""Placement's aggregate membership, mirrored as nova-api mirrors it.

A boot that names an availability zone becomes a Placement query
``member_of=in:<aggregate uuid>``: without the mirror a zone made here
would not steer scheduling at all.  ``add_host``/``remove_host`` put the
host's compute node resource provider into (or out of) the Placement
aggregate of the same uuid, with the provider generation and a retry on a
concurrent update; ``sync`` repairs drift the way ``nova-manage placement
sync_aggregates`` does.
"""

import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_log import log as logging

from aggregates_ext import conf
from aggregates_ext import exception

LOG = logging.getLogger(__name__)
CONF = conf.CONF
GROUP = 'placement'
# Provider aggregates with generations.
MICROVERSION = '1.19'
ATTEMPTS = 4


class ProviderNotFound(Exception):
    pass


class MirrorFailed(Exception):
    """A Placement answer that leaves the mirror as it was."""


class Placement:
    """The Placement API through ``[placement]``'s keystoneauth options."""

    def __init__(self):
        self._lock = threading.Lock()
        self._adapter = None

    @staticmethod
    def enabled():
        return bool(CONF.placement.auth_type)

    def adapter(self):
        with self._lock:
            if self._adapter is None:
                auth = ks_loading.load_auth_from_conf_options(CONF, GROUP)
                session = ks_loading.load_session_from_conf_options(
                    CONF, GROUP, auth=auth)
                self._adapter = ks_loading.load_adapter_from_conf_options(
                    CONF, GROUP, session=session, auth=auth)
            return self._adapter

    def forget_session(self):
        """The next call loads the ``[placement]`` options again."""
        with self._lock:
            self._adapter = None

    def _call(self, method, path, **kwargs):
        return self.adapter().request(
            path, method, raise_exc=False, microversion=MICROVERSION,
            global_request_id=kwargs.pop('request_id', None), **kwargs)

    def provider(self, name):
        """The uuid of the resource provider named ``name``."""
        resp = self._call('GET', '/resource_providers',
                          params={'name': name})
        if resp.status_code != 200:
            raise MirrorFailed('GET /resource_providers?name=%s: %d'
                               % (name, resp.status_code))
        found = resp.json().get('resource_providers') or []
        if not found:
            raise ProviderNotFound(name)
        return found[0]['uuid']

    def _aggregates(self, rp_uuid):
        resp = self._call('GET', '/resource_providers/%s/aggregates'
                          % rp_uuid)
        if resp.status_code == 404:
            raise ProviderNotFound(rp_uuid)
        if resp.status_code != 200:
            raise MirrorFailed('GET aggregates of %s: %d'
                               % (rp_uuid, resp.status_code))
        body = resp.json()
        return set(body['aggregates']), body['resource_provider_generation']

    def change(self, rp_uuid, change):
        """Apply ``change(aggregates)`` with the generation; retry races.

        :returns: True when the provider's aggregates changed
        :raises PlacementUpdateConflict: still racing after ATTEMPTS
        """
        for _attempt in range(ATTEMPTS):
            current, generation = self._aggregates(rp_uuid)
            wanted = change(set(current))
            if wanted == current:
                return False
            resp = self._call(
                'PUT', '/resource_providers/%s/aggregates' % rp_uuid,
                json={'aggregates': sorted(wanted),
                      'resource_provider_generation': generation})
            if resp.status_code == 200:
                return True
            if resp.status_code != 409:
                raise MirrorFailed('PUT aggregates of %s: %d %s' % (
                    rp_uuid, resp.status_code, resp.text[:200]))
        raise exception.PlacementUpdateConflict(provider=rp_uuid,
                                                aggregate='')

    def add(self, node_name, aggregate_uuid):
        rp = self.provider(node_name)
        return self.change(rp, lambda aggs: aggs | {aggregate_uuid})

    def remove(self, node_name, aggregate_uuid):
        rp = self.provider(node_name)
        try:
            return self.change(rp, lambda aggs: aggs - {aggregate_uuid})
        except exception.PlacementUpdateConflict:
            raise exception.PlacementUpdateConflict(
                provider=rp, aggregate=aggregate_uuid)

    def members(self, aggregate_uuid):
        """{uuid: name} of the providers in the aggregate."""
        resp = self._call('GET', '/resource_providers',
                          params={'member_of': 'in:' + aggregate_uuid})
        if resp.status_code != 200:
            raise MirrorFailed('GET /resource_providers?member_of=%s: %d'
                               % (aggregate_uuid, resp.status_code))
        return {rp['uuid']: rp['name']
                for rp in resp.json()['resource_providers']}


_placement = Placement()


def sync(say):
    """Make Placement's membership match the aggregates, as far as it can.

    Every member host's compute node provider is put into its aggregate
    (what ``nova-manage placement sync_aggregates`` does).  Beyond Nova,
    compute node providers of hosts that are not members are taken out; a
    provider that is no compute node (shared storage an operator put into
    the aggregate) is left alone.

    :param say: callable taking one line of report
    :returns: the number of hosts that could not be mirrored
    """
    from aggregates_ext.db import aggregates as agg_db
    from aggregates_ext.db import nova as nova_db
    problems = 0
    node_hosts = nova_db.compute_node_hosts()
    for agg in agg_db.get_all():
        members = set()
        for host in agg.hosts:
            try:
                node = nova_db.compute_node_name(
                    nova_db.compute_service(host))
                rp = _placement.provider(node)
            except (exception.NotFound, ProviderNotFound) as exc:
                say('aggregate %s: host %s: no resource provider (%s)'
                    % (agg.uuid, host, type(exc).__name__))
                problems += 1
                continue
            members.add(rp)
            if _placement.change(rp, lambda aggs: aggs | {agg.uuid}):
                say('aggregate %s: added %s (%s)' % (agg.uuid, node, host))
        for rp, name in _placement.members(agg.uuid).items():
            host = node_hosts.get(name)
            if rp in members or host is None or host in agg.hosts:
                continue
            _placement.change(rp, lambda aggs: aggs - {agg.uuid})
            say('aggregate %s: removed %s (%s is not a member)'
                % (agg.uuid, name, host))
    return problems


def get():
    return _placement


def reset():
    """Forget the Placement session (tests, changed options)."""
    _placement.forget_session()


def mirror_add(node_name, aggregate_uuid):
    """Put the node into the aggregate; a failure is logged, as in Nova."""
    if not _placement.enabled():
        return
    try:
        _placement.add(node_name, aggregate_uuid)
    except (ProviderNotFound, MirrorFailed,
            exception.PlacementUpdateConflict,
            ks_exc.ClientException) as exc:
        LOG.warning('Failed to associate %s with a placement aggregate: '
                    '%s. This may be corrected after running '
                    'aggregates-ext-manage placement sync_aggregates.',
                    node_name, exc)


def mirror_remove(node_name, aggregate_uuid):
    """Take the node out of the aggregate; a failure is logged."""
    if not _placement.enabled():
        return
    try:
        _placement.remove(node_name, aggregate_uuid)
    except ProviderNotFound as exc:
        LOG.warning('Failed to remove association of %s with a placement '
                    'aggregate: %s.', node_name, exc)
    except (MirrorFailed, exception.PlacementUpdateConflict,
            ks_exc.ClientException) as exc:
        LOG.warning('Failed to remove %s from placement aggregate %s: %s. '
                    'Run aggregates-ext-manage placement sync_aggregates.',
                    node_name, aggregate_uuid, exc)

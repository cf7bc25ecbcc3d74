"""What a deployer must be able to rely on once our filter is in nova-api.

Each check reads Nova's own answers (nova-api's other routes, Placement,
the server Nova boots) and our pre-cache records, never only ours:

* ``existing``: aggregates made through stock nova-api before the filter
  was added are served unchanged through the filter;
* ``others``: every other request is answered by Nova exactly as without
  the filter (status, body, headers but Date and request ids);
* ``zones``: an aggregate with a zone made through the filter is in Nova's
  ``os-availability-zone/detail``, and its host's resource provider is in
  Placement's aggregate of that uuid; remove_host takes it out again;
* ``boot``: a server booted into that zone lands on the host we added;
* ``scheduler``: Nova's schedulers follow our changes in memory (they
  read the aggregates only at start): a flavor that asks, through
  ``AggregateInstanceExtraSpecsFilter``, for metadata no aggregate has
  finds no host; once that metadata is set through the filter, the server
  lands on the aggregate's host;
* ``precache``: a pre-cache request reaches nova-compute over Nova's RPC:
  ``cached`` then ``existing`` on a repeat where the virt driver caches,
  ``unsupported`` where it does not.
"""

import json
import time

from tools.nova import deployment as nova

# Requests whose answers must not change when the filter is added.
OTHER_REQUESTS = [
    ('GET', '/flavors/detail', '2.1'),
    ('GET', '/os-services', '2.81'),
    ('GET', '/os-hypervisors', '2.81'),
    ('GET', '/os-availability-zone', '2.1'),
    ('GET', '/servers/detail', '2.1'),
    ('GET', '/os-no-such-thing', '2.1'),
    ('GET', '/flavors/os-aggregates', '2.1'),
    ('GET', '/os-aggregatesx', '2.1'),
]
_VOLATILE = {'date', 'x-openstack-request-id', 'x-compute-request-id',
             'content-length', 'connection', 'server'}


class CheckFailed(AssertionError):
    pass


def _stable(value):
    """A JSON value without the fields that change by themselves."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items()
                if k not in ('updated_at', 'state')}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _answer(resp):
    headers = {k.lower(): v for k, v in resp.headers.items()
               if k.lower() not in _VOLATILE}
    try:
        # Services' heartbeat times and up/down states move on their own.
        body = _stable(resp.json())
    except ValueError:
        body = resp.text
    return resp.status_code, headers, body


def before_filter(dep):
    """Made and read through stock nova-api, to compare with later."""
    created = dep.api('POST', '/os-aggregates', microversion='2.81', json={
        'aggregate': {'name': 'made-by-nova', 'availability_zone': 'az-n'}})
    _expect(created, 200)
    agg = created.json()['aggregate']
    _expect(dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                    microversion='2.81',
                    json={'set_metadata': {'metadata': {'k': 'v'}}}), 200)
    shown = dep.api('GET', '/os-aggregates/%s' % agg['id'],
                    microversion='2.81')
    listed = dep.api('GET', '/os-aggregates', microversion='2.81')
    others = {(m, p, v): _answer(dep.api(m, p, microversion=v))
              for m, p, v in OTHER_REQUESTS}
    return {'aggregate': shown.json()['aggregate'],
            'list': listed.json(), 'others': others}


def _expect(resp, *ok):
    if resp.status_code not in ok:
        raise CheckFailed('%s %s -> %d: %s' % (
            resp.request.method, resp.request.url, resp.status_code,
            resp.text[:500]))
    return resp


def check_existing(dep, before):
    agg = before['aggregate']
    shown = _expect(dep.api('GET', '/os-aggregates/%s' % agg['id'],
                            microversion='2.81'), 200).json()['aggregate']
    if shown != agg:
        raise CheckFailed('through the filter %s, before %s' % (shown, agg))
    listed = _expect(dep.api('GET', '/os-aggregates', microversion='2.81'),
                     200).json()
    if listed != before['list']:
        raise CheckFailed('list differs: %s vs %s' % (listed,
                                                      before['list']))
    return 'aggregate %s and the list of %d unchanged' % (
        agg['id'], len(listed['aggregates']))


def check_others(dep, before):
    for (method, path, version), answer in before['others'].items():
        now = _answer(dep.api(method, path, microversion=version))
        if now != answer:
            raise CheckFailed('%s %s: with the filter %s, without %s' % (
                method, path, json.dumps(now)[:400],
                json.dumps(answer)[:400]))
    return '%d requests answered as before' % len(before['others'])


def _provider(dep, host):
    hyps = _expect(dep.api(
        'GET', '/os-hypervisors?hypervisor_hostname_pattern=%s' % host,
        microversion='2.81'), 200).json()['hypervisors']
    return hyps[0]['id']


def _placement_aggregates(dep, host):
    return _expect(dep.placement(
        'GET', '/resource_providers/%s/aggregates' % _provider(dep, host)),
        200).json()['aggregates']


def check_zones(dep, host):
    agg = _expect(dep.api('POST', '/os-aggregates', microversion='2.81',
                          json={'aggregate': {'name': 'made-by-us',
                                              'availability_zone': 'az-x'}}),
                  200).json()['aggregate']
    _expect(dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                    microversion='2.81',
                    json={'add_host': {'host': host}}), 200)
    zones = _expect(dep.api('GET', '/os-availability-zone/detail'),
                    200).json()['availabilityZoneInfo']
    hosts = {z['zoneName']: sorted(z['hosts'] or {}) for z in zones}
    if hosts.get('az-x') != [host]:
        raise CheckFailed('os-availability-zone/detail: %s' % hosts)
    in_placement = _placement_aggregates(dep, host)
    if agg['uuid'] not in in_placement:
        raise CheckFailed('Placement: %s has %s, not %s' % (
            host, in_placement, agg['uuid']))
    return agg, 'az-x holds %s in Nova and in Placement' % host


def _wait_gone(dep, server_id):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if dep.api('GET', '/servers/%s' % server_id).status_code == 404:
            return
        time.sleep(0.5)
    raise CheckFailed('server %s still there 120 s after DELETE'
                      % server_id)


def check_boot(dep, agg, host):
    """Boot into az-x; with the server there, Nova's instance rule holds."""
    server = _expect(dep.api('POST', '/servers', json={'server': {
        'name': 'in-az-x', 'imageRef': dep.image_id,
        'flavorRef': dep.flavor_id, 'networks': 'none',
        'availability_zone': 'az-x'}}, microversion='2.37'),
        202).json()['server']
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        shown = _expect(dep.api('GET', '/servers/%s' % server['id']),
                        200).json()['server']
        if shown['status'] != 'BUILD':
            break
        time.sleep(0.5)
    landed = shown.get('OS-EXT-SRV-ATTR:host')
    zone = shown.get('OS-EXT-AZ:availability_zone')
    try:
        if shown['status'] != 'ACTIVE' or landed != host or zone != 'az-x':
            raise CheckFailed('server %s: %s on %s in %s' % (
                server['id'], shown['status'], landed, zone))
        refused = dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                          microversion='2.81',
                          json={'remove_host': {'host': host}})
        message = refused.json().get('conflictingRequest', {}).get(
            'message', '')
        if refused.status_code != 409 or "from 'az-x' to 'None'" not in \
                message or not message.endswith('achieve this..'):
            raise CheckFailed('remove_host with a server on the host: %d %s'
                              % (refused.status_code, refused.text[:300]))
    finally:
        _expect(dep.api('DELETE', '/servers/%s' % server['id']), 204)
        _wait_gone(dep, server['id'])
    return ('server ACTIVE on %s in az-x; remove_host refused with Nova\'s '
            '409 while it ran' % host)


# The scheduler filters the deployment runs (Nova's defaults and the one
# that reads aggregate metadata from the scheduler's in-memory copy).
SCHEDULER_FILTERS = ('ComputeFilter,ComputeCapabilitiesFilter,'
                     'ImagePropertiesFilter,ServerGroupAntiAffinityFilter,'
                     'ServerGroupAffinityFilter,'
                     'AggregateInstanceExtraSpecsFilter')


def _boot(dep, name, flavor):
    server = _expect(dep.api('POST', '/servers', json={'server': {
        'name': name, 'imageRef': dep.image_id, 'flavorRef': flavor,
        'networks': 'none'}}, microversion='2.37'), 202).json()['server']
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        shown = _expect(dep.api('GET', '/servers/%s' % server['id']),
                        200).json()['server']
        if shown['status'] != 'BUILD':
            break
        time.sleep(0.5)
    _expect(dep.api('DELETE', '/servers/%s' % server['id']), 204)
    _wait_gone(dep, server['id'])
    return shown['status'], shown.get('OS-EXT-SRV-ATTR:host')


def check_scheduler(dep, host):
    flavor = _expect(dep.api('POST', '/flavors', json={'flavor': {
        'name': 'wants-fast', 'ram': 64, 'vcpus': 1, 'disk': 0,
        'id': 'wants-fast'}}), 200).json()['flavor']
    _expect(dep.api('POST', '/flavors/%s/os-extra_specs' % flavor['id'],
                    json={'extra_specs': {
                        'aggregate_instance_extra_specs:fast': 'yes'}}),
            200)
    status, landed = _boot(dep, 'before-metadata', flavor['id'])
    if status != 'ERROR':
        raise CheckFailed('before the metadata: %s on %s' % (status, landed))
    agg = _expect(dep.api('POST', '/os-aggregates', microversion='2.81',
                          json={'aggregate': {'name': 'fast'}}),
                  200).json()['aggregate']
    _expect(dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                    microversion='2.81',
                    json={'add_host': {'host': host}}), 200)
    _expect(dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                    microversion='2.81',
                    json={'set_metadata': {'metadata': {'fast': 'yes'}}}),
            200)
    status, landed = _boot(dep, 'after-metadata', flavor['id'])
    if status != 'ACTIVE' or landed != host:
        raise CheckFailed('after the metadata: %s on %s' % (status, landed))
    _expect(dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                    microversion='2.81',
                    json={'remove_host': {'host': host}}), 200)
    _expect(dep.api('DELETE', '/os-aggregates/%s' % agg['id']), 200)
    return ('no host before the metadata, %s once it was set through the '
            'filter' % host)


def check_remove(dep, agg, host):
    _expect(dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                    microversion='2.81',
                    json={'remove_host': {'host': host}}), 200)
    if agg['uuid'] in _placement_aggregates(dep, host):
        raise CheckFailed('Placement still has %s in %s'
                          % (host, agg['uuid']))
    return '%s left the Placement aggregate' % host


def _precache(dep, agg_id, results_of):
    before = len(results_of(agg_id))
    _expect(dep.api('POST', '/os-aggregates/%s/images' % agg_id,
                    microversion='2.81',
                    json={'cache': [{'id': dep.image_id}]}), 202)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        requests = results_of(agg_id)
        if len(requests) > before and requests[-1]['status'] not in (
                'pending', 'running'):
            return requests[-1]
        time.sleep(0.5)
    raise CheckFailed('pre-cache request of aggregate %s did not finish'
                      % agg_id)


def check_precache(dep, results_of):
    """``results_of(aggregate_id)``: our records, oldest first."""
    agg = _expect(dep.api('POST', '/os-aggregates', microversion='2.81',
                          json={'aggregate': {'name': 'precache-all'}}),
                  200).json()['aggregate']
    for host in dep.compute_hosts:
        _expect(dep.api('POST', '/os-aggregates/%s/action' % agg['id'],
                        microversion='2.81',
                        json={'add_host': {'host': host}}), 200)
    first = _precache(dep, agg['id'], results_of)
    second = _precache(dep, agg['id'], results_of)
    expected = {}
    for host, driver in zip(dep.compute_hosts, dep.compute_drivers):
        caches = driver == nova.CACHING_DRIVER
        expected[host] = (('cached', 'existing') if caches
                          else ('unsupported', 'unsupported'))
    seen = {host: (first['hosts'][host]['images'][dep.image_id],
                   second['hosts'][host]['images'][dep.image_id])
            for host in dep.compute_hosts}
    if seen != expected:
        raise CheckFailed('pre-cache through nova-compute: %s, expected %s'
                          % (seen, expected))
    return ', '.join('%s %s then %s' % (h, *seen[h]) for h in sorted(seen))


def run_all(dep, before, results_of):
    """Every check in turn; returns [(name, ok, detail)]."""
    host = dep.compute_hosts[0]
    outcomes = []

    def record(name, func, *args):
        try:
            value = func(*args)
        except Exception as exc:  # noqa: H201 - reported as a failure
            outcomes.append((name, False, '%s: %s' % (type(exc).__name__,
                                                      exc)))
            return None
        detail = value[1] if isinstance(value, tuple) else value
        outcomes.append((name, True, detail))
        return value

    record('existing', check_existing, dep, before)
    record('others', check_others, dep, before)
    made = record('zones', check_zones, dep, host)
    if made is not None:
        record('boot', check_boot, dep, made[0], host)
        record('remove', check_remove, dep, made[0], host)
    record('scheduler', check_scheduler, dep, dep.compute_hosts[-1])
    record('precache', check_precache, dep, results_of)
    return outcomes

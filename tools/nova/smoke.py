#!/usr/bin/env python3
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Check the Nova deployment's hooks, and what Nova does with aggregates.

Brings up :class:`tools.nova.deployment.NovaDeployment` with a probe
filter (``pythonpath/aggext_nova_probe.py``) in nova-api's pipelines and
two computes (``FakeDriverWithCaching``, ``FakeDriver``), then checks:
the filter sits after ``keystonecontext`` in both pipelines; an
availability zone, add_host and its mirror in Placement; a server booted
into the zone lands on the host; pre-caching reaches the conductor (one
host cached, one unsupported); a process started with
:meth:`start_process` reads Nova's API database and broker from its
environment; :meth:`restart_api` takes the filter out again.  Also a worked
example of the API for the product's tests.  Last line: ``smoke: N passed,
N failed``.

Usage: smoke.py [--db mysql|postgresql] [--auth token|keystone] [--keep]
"""

import argparse
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from tools.nova import deployment as nova  # noqa: E402

# What the extra process runs (from the Nova venv): it joins Nova through
# the environment start_process gives it, the way our conductor would.
_EXTRA = r"""
import configparser, os, sys, time, urllib.parse
import amqp
import sqlalchemy
conf = configparser.ConfigParser()
conf.read(sys.argv[1])
engine = sqlalchemy.create_engine(conf['api_database']['connection'])
with engine.connect() as conn:
    names = [r[0] for r in conn.execute(sqlalchemy.text(
        'SELECT name FROM aggregates ORDER BY id'))]
u = urllib.parse.urlsplit(os.environ['AGGEXT_NOVA_TRANSPORT_URL'])
broker = amqp.Connection(host='%s:%d' % (u.hostname, u.port or 5672),
                         userid=u.username, password=u.password,
                         virtual_host=u.path[1:])
broker.connect()
_q, _n, consumers = broker.channel().queue_declare('conductor', passive=True)
print('EXTRA aggregates=%s conductor-consumers=%d' % (','.join(names),
                                                      consumers), flush=True)
while True:
    time.sleep(60)
"""


class Checks(object):

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=''):
        if ok:
            self.passed += 1
            print('ok    %s' % what, flush=True)
        else:
            self.failed += 1
            print('FAIL  %s %s' % (what, detail), flush=True)
        return ok


def _probe(dep, c):
    r = dep.api('GET', '/os-aggregates')
    c.check('probe filter after keystonecontext (/v2.1)',
            r.status_code == 200 and r.headers.get('X-Aggext-Probe', '')
            .startswith('smoke path=/os-aggregates project=')
            and r.headers['X-Aggext-Probe'].endswith('admin=True'),
            r.headers.get('X-Aggext-Probe'))
    r = dep.api('GET', '/os-aggregates', user='member')
    c.check('probe filter, member: 403 from Nova, context not admin',
            r.status_code == 403 and r.headers.get(
                'X-Aggext-Probe', '').endswith('admin=False'),
            '%s %s' % (r.status_code, r.headers.get('X-Aggext-Probe')))
    legacy = dep.api_root + '/v2/os-aggregates'
    r = nova.requests.get(legacy, headers={'X-Auth-Token': dep.token()},
                          timeout=60)
    c.check('probe filter in the legacy /v2 pipeline too',
            'X-Aggext-Probe' in r.headers, r.status_code)


def _aggregates(dep, c):
    r = dep.api('POST', '/os-aggregates', json={'aggregate': {
        'name': 'smoke-az', 'availability_zone': 'smoke-zone'}})
    agg = r.json()['aggregate']
    host = dep.compute_hosts[0]
    r = dep.api('POST', '/os-aggregates/%d/action' % agg['id'],
                json={'add_host': {'host': host}})
    c.check('add_host %s' % host, r.status_code == 200, r.text[:300])
    uuid = dep.api('GET', '/os-aggregates/%d' % agg['id'],
                   microversion='2.41').json()['aggregate']['uuid']
    hyp = dep.api('GET', '/os-hypervisors', params={
        'hypervisor_hostname_pattern': host},
        microversion='2.53').json()['hypervisors'][0]
    rp = dep.placement('GET', '/resource_providers/%s/aggregates'
                       % hyp['id']).json()
    c.check('add_host mirrored into Placement', uuid in rp['aggregates'],
            rp)
    zones = dep.api('GET', '/os-availability-zone/detail').json()
    hosts = {z['zoneName']: sorted(z['hosts'] or {})
             for z in zones['availabilityZoneInfo']}
    c.check('os-availability-zone/detail', hosts.get('smoke-zone') ==
            [host], hosts)
    return agg, host


def _boot(dep, c, host):
    t0 = time.monotonic()
    r = dep.api('POST', '/servers', user='member', json={'server': {
        'name': 'smoke-vm', 'imageRef': dep.image_id,
        'flavorRef': dep.flavor_id, 'availability_zone': 'smoke-zone'}})
    if not c.check('boot as member (no networks, 2.1)', r.status_code == 202,
                   r.text[:300]):
        return
    sid = r.json()['server']['id']
    server = {}
    while time.monotonic() - t0 < 120:
        server = dep.api('GET', '/servers/%s' % sid).json()['server']
        if server['status'] != 'BUILD':
            break
        time.sleep(0.3)
    c.check('server ACTIVE on %s in %.1f s' % (host, time.monotonic() - t0),
            server.get('status') == 'ACTIVE' and
            server.get('OS-EXT-SRV-ATTR:host') == host,
            (server.get('status'), server.get('OS-EXT-SRV-ATTR:host'),
             server.get('fault')))
    dep.api('DELETE', '/servers/%s' % sid, user='member')
    while time.monotonic() - t0 < 180:
        if dep.api('GET', '/servers/%s' % sid).status_code == 404:
            break
        time.sleep(0.3)
    c.check('server deleted', dep.api(
        'GET', '/servers/%s' % sid).status_code == 404)


def _precache(dep, c):
    r = dep.api('POST', '/os-aggregates', json={'aggregate': {
        'name': 'smoke-all'}})
    agg = r.json()['aggregate']
    for host in dep.compute_hosts:
        dep.api('POST', '/os-aggregates/%d/action' % agg['id'],
                json={'add_host': {'host': host}})
    r = dep.api('POST', '/os-aggregates/%d/images' % agg['id'],
                microversion='2.81',
                json={'cache': [{'id': dep.image_id}]})
    c.check('pre-cache request 202', r.status_code == 202, r.text[:300])
    line = ''
    for _ in range(240):
        with open(dep.logs['nova-conductor']) as f:
            found = [ln for ln in f if 'Image pre-cache operation' in ln]
        if found:
            line = found[-1]
            break
        time.sleep(0.25)
    c.check('conductor: 1 cached, 1 unsupported',
            '1 cached' in line and '1 unsupported' in line, line.strip())


def _extra_process(dep, c):
    conf = dep.write_config('smoke-extra.conf', {
        'DEFAULT': {'transport_url': dep.transport_url},
        'api_database': {'connection': dep.api_db_url}})
    proc = dep.start_process('smoke-extra', [dep.python, '-c', _EXTRA,
                                             conf])
    line = ''
    for _ in range(240):
        with open(proc.log) as f:
            found = [ln for ln in f if ln.startswith('EXTRA ')]
        if found:
            line = found[0]
            break
        proc.check_alive()
        time.sleep(0.25)
    c.check('start_process: API database (write_config) and broker '
            '(service_env) of Nova',
            'smoke-az' in line and 'conductor-consumers=1' in line,
            line.strip())


def _restart(dep, c):
    dep.restart_api(paste_filters=[])
    r = dep.api('GET', '/os-aggregates')
    c.check('restart_api without the filter', r.status_code == 200 and
            'X-Aggext-Probe' not in r.headers and
            {a['name'] for a in r.json()['aggregates']} >=
            {'smoke-az', 'smoke-all'}, r.headers)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', choices=('mysql', 'postgresql'),
                        default='mysql')
    parser.add_argument('--auth', choices=('token', 'keystone'),
                        default='token')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args(argv)
    os.environ.setdefault('AGGREGATES_EXT_REQUIRE_SERVICES', '1')
    c = Checks()
    probe = nova.PasteFilter('aggext_probe', 'aggext_nova_probe:'
                             'filter_factory', {'tag': 'smoke'})
    try:
        with nova.NovaDeployment(
                db=args.db, auth=args.auth, paste_filters=[probe],
                computes=[nova.CACHING_DRIVER, nova.PLAIN_DRIVER],
                keep=args.keep, out=sys.stdout) as dep:
            print('\n'.join(nova.format_memory(dep.memory())), flush=True)
            for step in (_probe, _aggregates, _precache, _extra_process):
                result = step(dep, c)
                if step is _aggregates:
                    _boot(dep, c, result[1])
            _restart(dep, c)
            if args.keep:
                print('kept %s' % dep.workdir)
    except Exception:  # noqa: H201 - reported as a failure
        traceback.print_exc()
        c.failed += 1
    print('smoke: %d passed, %d failed' % (c.passed, c.failed), flush=True)
    return 1 if c.failed or not c.passed else 0


if __name__ == '__main__':
    sys.exit(main())

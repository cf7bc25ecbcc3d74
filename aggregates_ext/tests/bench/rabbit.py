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

"""Benchmark of image pre-caching over RabbitMQ and a real Glance.

    tox -e bench -- rabbit [--agents 1,10,50] [--help]

Not a test suite: nothing here is collected by stestr (no ``test_``
modules).  Needs what the functional tests need: the machine's RabbitMQ and
PostgreSQL, and the OpenStack venv for Glance (see
``aggregates_ext/tests/functional/openstack.py``), plus ``curl`` and
``sha512sum``.

Two measurements:

* Fan-out: the wall time of one pre-cache request on an aggregate of 1, 10
  and 50 compute hosts, from the API-side call (``PrecacheAPI``: image
  check in Glance, database record, cast) until the conductor has recorded
  the request as finished; once with every host downloading a fresh image
  ("cold") and once more with the image already cached ("warm": the RPC
  fan-out alone).  The conductor runs as its own process
  (``aggregates-ext-conductor``); the agents run as threads, up to
  ``--per-process`` real ``ComputeService`` instances per process
  (``aggregates_ext.tests.bench.agents``), each with its own RPC server
  and broker connection.
* Download throughput of an agent from the real Glance, as a ratio to
  ``curl -s URL | sha512sum`` on the same image in the same run: the
  agent's own code path (``LibvirtDriver.cache_image``: metadata, streamed
  download, sha512 check, write, fsync, rename) called in-process, and the
  same through RPC on a one-host aggregate.
"""

import argparse
from concurrent import futures
import contextlib
import io
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings('ignore')

# A missing service is an error with its reason, not a silent skip.
os.environ.setdefault('AGGREGATES_EXT_REQUIRE_SERVICES', '1')

from oslo_log import log as logging  # noqa: E402

from aggregates_ext.compute.image_cache import libvirt  # noqa: E402
from aggregates_ext.compute import rpcapi as compute_rpcapi  # noqa: E402
from aggregates_ext import conf  # noqa: E402
from aggregates_ext import context as ctx_module  # noqa: E402
from aggregates_ext.db import aggregates as agg_db  # noqa: E402
from aggregates_ext.db import engines  # noqa: E402
from aggregates_ext.db import hosts as hosts_db  # noqa: E402
from aggregates_ext.db import precache as precache_db  # noqa: E402
from aggregates_ext.image import glance as glance_image  # noqa: E402
from aggregates_ext import precache  # noqa: E402
from aggregates_ext import precache_status as states  # noqa: E402
from aggregates_ext import rpc  # noqa: E402
from aggregates_ext.tests.bench import harness  # noqa: E402
from aggregates_ext.tests.functional import databases  # noqa
from aggregates_ext.tests.functional import deployment  # noqa
from aggregates_ext.tests.functional import glance  # noqa
from aggregates_ext.tests.functional import processes  # noqa
from aggregates_ext.tests.functional import rabbit  # noqa
from aggregates_ext.tests.functional import support  # noqa

CONF = conf.CONF
MiB = deployment.MiB
# Rounds of warm calls behind each round-trip figure (the floor's calls,
# the bare client's rounds on the agents and on the bare servers).
ROUND_TRIP_CALLS = 3
TOKEN = 'admin:admin'


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def admin_context():
    # The noauth2 token; the Glance test filter maps it to the admin.
    return ctx_module.RequestContext(
        user_id='admin', project_id='admin', is_admin=True,
        roles=['admin', 'member', 'reader'], auth_token=TOKEN)


class Bench(object):

    def __init__(self, args, stack):
        self.args = args
        self.stack = stack
        self.dir = tempfile.mkdtemp(prefix='aggext-bench-')
        if not args.keep:
            stack.callback(shutil.rmtree, self.dir, True)
        self.agent_procs = []

    # -- setup ----------------------------------------------------------------

    def start(self):
        t = time.monotonic()
        self.glance = self.stack.enter_context(glance.PrecacheGlance(
            tokenless='admin', threaded=True))
        self.database = self.stack.enter_context(
            databases.ThrowawayDatabase('postgresql'))
        self.rabbit = self.stack.enter_context(rabbit.RabbitVhost())
        sections = {
            'DEFAULT': {
                'transport_url': self.rabbit.url,
                'control_exchange': self.rabbit.control_exchange,
                'report_interval': 5,
                'service_down_time': 120,
                'rpc_response_timeout': 30,
                'long_rpc_timeout': 900,
                'state_path': self.dir,
                'host': 'bench',
            },
            'database': {'connection': self.database.url},
            'image': {'source': 'glance'},
            'glance': {'endpoint_override': self.glance.url},
            'image_cache': {'driver': 'libvirt', 'reserved_disk_mb': 0},
        }
        if self.args.precache_concurrency:
            sections['image_cache']['precache_concurrency'] = (
                self.args.precache_concurrency)
        self.sections = sections
        self.conf_path = os.path.join(self.dir, 'bench.conf')
        support.write_conf(self.conf_path, sections)
        subprocess.run([support.bin_path('aggregates-ext-manage'),
                        '--config-file', self.conf_path, 'db', 'sync'],
                       check=True, capture_output=True)
        # This process: the API side (PrecacheAPI) and the in-process agent.
        logging.register_options(CONF)
        CONF(['--config-file', self.conf_path], project='aggregates-ext')
        engines.configure(CONF)
        self.stack.callback(engines.reset)
        rpc.init(CONF)
        self.stack.callback(rpc.cleanup)

        conductor_conf = os.path.join(self.dir, 'conductor.conf')
        support.write_conf(conductor_conf, support.merge(sections, {
            'DEFAULT': {'host': 'conductor', 'log_file': os.path.join(
                self.dir, 'conductor.oslo.log')}}))
        self.conductor = processes.Process(
            'conductor', [support.bin_path('aggregates-ext-conductor'),
                          '--config-file', conductor_conf],
            os.path.join(self.dir, 'conductor.log'), cwd=self.dir)
        self.conductor.oslo_log = os.path.join(self.dir,
                                               'conductor.oslo.log')
        self.conductor.start()
        # Stopped before the broker's virtual host and the database go.
        self.stack.callback(self.conductor.stop)
        self.stack.callback(self.stop_agents)
        support.wait_for(
            lambda: 'serving RPC' in self.conductor.oslo_log_text(), 90,
            what='the conductor')
        say('setup (Glance, database, vhost, conductor): %.1f s'
            % (time.monotonic() - t))

    def start_agents(self, hosts, bare=False):
        """Agent processes for ``hosts``; ``bare``: bare RPC servers."""
        per = self.args.per_process
        groups = [hosts[i:i + per] for i in range(0, len(hosts), per)]
        procs = []
        for n, group in enumerate(groups):
            name = '%s-%s-%d' % ('bare' if bare else 'agents', hosts[0], n)
            log_file = os.path.join(self.dir, name + '.oslo.log')
            path = os.path.join(self.dir, name + '.conf')
            support.write_conf(path, support.merge(self.sections, {
                'DEFAULT': {'log_file': log_file}}))
            proc = processes.Process(
                name, [sys.executable, '-m',
                       'aggregates_ext.tests.bench.agents', '--config-file',
                       path, '--hosts', ','.join(group),
                       '--instances-root', os.path.join(self.dir, 'hosts')] +
                (['--bare'] if bare else []),
                os.path.join(self.dir, name + '.log'), cwd=self.dir)
            proc.oslo_log = log_file
            proc.start()
            procs.append(proc)
        self.agent_procs = procs
        t = time.monotonic()

        def ready():
            for proc in procs:
                proc.check_alive()
            return all('READY' in proc.log_text() for proc in procs)

        def registered():
            for proc in procs:
                proc.check_alive()
            found = hosts_db.get_many(hosts)
            return len(found) == len(hosts)
        # Bare servers have no heartbeat: they are ready once listening.
        support.wait_for(ready if bare else registered, 300, interval=0.2,
                         what='%d %s' % (len(hosts), 'bare servers to listen'
                                         if bare else 'agents to register'))
        return len(groups), time.monotonic() - t

    def stop_agents(self):
        for proc in self.agent_procs:
            proc.terminate()
        for proc in self.agent_procs:
            proc.wait_stopped(120)
        self.agent_procs = []

    # -- measurements ---------------------------------------------------------

    def cpu(self):
        """CPU seconds so far of each party of a fan-out on this machine.

        The agents' and the conductor's process groups, the broker (every
        ``beam.smp``) and this process (the API side, and the bare client
        of ``round_trips``).
        """
        def group(proc):
            return processes.group_members(proc.pid) if proc.alive() else []
        return {
            'agents': harness.cpu_seconds(
                [pid for proc in self.agent_procs for pid in group(proc)]),
            'conductor': harness.cpu_seconds(group(self.conductor)),
            'broker': harness.cpu_seconds(harness.pids_named('beam.smp')),
            'this process': harness.cpu_seconds(['self']),
        }

    @contextlib.contextmanager
    def cpu_of(self, runs):
        """CPU ms per run of each party, and wall ms per run, of a block."""
        found = {}
        before, t = self.cpu(), time.monotonic()
        yield found
        wall, after = time.monotonic() - t, self.cpu()
        found.update({party: (after[party] - before[party]) * 1e3 / runs
                      for party in before})
        found['wall'] = wall * 1e3 / runs

    def precache(self, aggregate_id, image_id, timeout=900):
        """Wall seconds from PrecacheAPI.create_request to finished."""
        api = precache.PrecacheAPI(
            image_api=glance_image.GlanceImageAPI(CONF))
        t = time.monotonic()
        req = api.create_request(admin_context(), aggregate_id, [image_id])

        def finished():
            r = precache_db.get_request(req.uuid, results=False)
            return r if r.finished_at else None
        done = support.wait_for(finished, timeout, interval=0.02,
                                what='request %s' % req.uuid)
        wall = time.monotonic() - t
        # The conductor's own time, from its records (its log line rounds
        # to 10 ms): claimed to finished.
        conductor = (done.finished_at - done.started_at).total_seconds()
        statuses = {}
        for _status, _via, images in precache_db.host_states(
                done.id).values():
            for status in images:
                statuses[status] = statuses.get(status, 0) + 1
        return wall, conductor, statuses

    def fanout(self, n):
        hosts = ['b%02d-%03d' % (n, i) for i in range(n)]
        procs, reg = self.start_agents(hosts)
        agg = agg_db.create('bench-%d' % n)
        for host in hosts:
            agg_db.add_host(agg.id, host)
        image = self.glance.create_image(
            os.urandom(self.args.fanout_image_mb * MiB))
        cold = self.precache(agg.id, image['id'])
        # Warm: the median of --repeat requests, by the conductor's time.
        with self.cpu_of(self.args.repeat) as warm_cpu:
            warm = sorted((self.precache(agg.id, image['id'])
                           for _ in range(self.args.repeat)),
                          key=lambda run: run[1])[self.args.repeat // 2]
        rtt = self.round_trips(hosts, image['id'])
        row = dict(n=n, procs=procs, register=reg, cold=cold, warm=warm,
                   warm_cpu=warm_cpu, aggregate=agg.id, hosts=hosts,
                   rtt=rtt)
        say('fan-out %d: cold %.2f s %s, warm %.2f s %s; one warm call '
            '%.1f ms (median), slowest host %.1f ms' % (
                n, cold[0], cold[2], warm[0], warm[2], rtt['median'] * 1e3,
                rtt['slowest'] * 1e3))
        return row

    def round_trips(self, hosts, image_id, calls=ROUND_TRIP_CALLS):
        """The RPC floor of a warm fan-out, measured on the same agents.

        One ``cache_images`` call of the cached image to each host in
        turn, ``calls`` rounds, from this process over the same broker:
        the median call, and the slowest host's median.
        """
        api = compute_rpcapi.ComputeAPI()
        context = admin_context()
        per_host = {host: [] for host in hosts}
        for _ in range(calls):
            for host in hosts:
                t = time.monotonic()
                answer = api.cache_images(context, host, [image_id],
                                          request_id='bench-rtt')
                per_host[host].append(time.monotonic() - t)
                if answer[image_id]['status'] != states.EXISTING:
                    raise RuntimeError('%s: %s' % (host, answer))
        every = [t for times in per_host.values() for t in times]
        # The same calls, ``precache_concurrency`` at a time, as a bare
        # client makes them (no database, no recording): what the broker
        # and the agents allow.
        parallel, cpu = self.parallel_calls(api, hosts, image_id, calls)
        return {'median': statistics.median(every),
                'slowest': max(statistics.median(times)
                               for times in per_host.values()),
                'parallel': parallel, 'parallel_cpu': cpu}

    def parallel_calls(self, api, hosts, image_id, calls):
        """A warm call to every host, ``precache_concurrency`` at a time.

        :returns: the median wall seconds of ``calls`` rounds, and the
            CPU of each party per round (``cpu_of``)
        """
        context = admin_context()
        concurrency = (self.args.precache_concurrency or
                       CONF.image_cache.precache_concurrency)
        parallel = []
        with futures.ThreadPoolExecutor(concurrency) as pool, \
                self.cpu_of(calls) as cpu:
            for _ in range(calls):
                t = time.monotonic()
                answers = list(pool.map(lambda host: api.cache_images(
                    context, host, [image_id], request_id='bench-rtt'),
                    hosts))
                parallel.append(time.monotonic() - t)
        if any(a[image_id]['status'] != states.EXISTING for a in answers):
            raise RuntimeError('a warm call did not answer %r' %
                               states.EXISTING)
        return statistics.median(parallel), cpu

    def bare_round_trips(self, hosts, calls=ROUND_TRIP_CALLS):
        """The bare client's rounds again, on bare RPC servers.

        The agents are replaced by bare oslo.messaging servers on the same
        topic and hosts, as many per process: what the broker and
        oslo.messaging alone allow on this machine.
        """
        self.stop_agents()
        self.start_agents(hosts, bare=True)
        api = compute_rpcapi.ComputeAPI()
        # One round unmeasured, as the agents had the fan-out before theirs.
        self.parallel_calls(api, hosts, 'bare', 1)
        parallel, cpu = self.parallel_calls(api, hosts, 'bare', calls)
        return {'parallel': parallel, 'parallel_cpu': cpu}

    def throughput(self, one_host_aggregate, host):
        size = self.args.throughput_image_mb * MiB
        data = os.urandom(size)
        image = self.glance.create_image(data)
        del data
        # Glance's store has just written the image: without this, its
        # dirty pages are written back during the first runs, which then
        # measure that writeback as well.
        os.sync()
        url = '%s/v2/images/%s/file' % (self.glance.url, image['id'])
        curl = "curl -s -H 'X-Auth-Token: %s' %s | sha512sum" % (TOKEN, url)
        driver_root = os.path.join(self.dir, 'inprocess')
        driver = libvirt.LibvirtDriver(
            CONF, glance_image.GlanceImageAPI(CONF),
            instances_path=driver_root)
        in_proc_path = driver.image_path(image['id'])
        rpc_path = os.path.join(self.dir, 'hosts', host, '_base',
                                os.path.basename(in_proc_path))
        times = {'curl': [], 'agent': [], 'rpc': []}
        for i in range(self.args.repeat):
            t = time.monotonic()
            out = subprocess.run(['bash', '-o', 'pipefail', '-c', curl],
                                 check=True, capture_output=True,
                                 text=True).stdout.split()[0]
            times['curl'].append(time.monotonic() - t)
            if out != image['os_hash_value']:
                raise RuntimeError('curl | sha512sum: wrong hash')

            with contextlib.suppress(FileNotFoundError):
                os.unlink(in_proc_path)
            t = time.monotonic()
            if not driver.cache_image(admin_context(), image['id']):
                raise RuntimeError('in-process agent did not download')
            times['agent'].append(time.monotonic() - t)

            with contextlib.suppress(FileNotFoundError):
                os.unlink(rpc_path)
            wall, _cond, statuses = self.precache(one_host_aggregate,
                                                  image['id'])
            if statuses != {'cached': 1}:
                raise RuntimeError('RPC download: %s' % statuses)
            times['rpc'].append(wall)
            say('throughput run %d: curl %.2f s, agent %.2f s, agent over '
                'RPC %.2f s' % (i + 1, times['curl'][-1], times['agent'][-1],
                                times['rpc'][-1]))
        # The agent process holds this one host and did nothing else.
        times['agent_process_peak_rss_mib'] = harness.peak_rss_mib(
            self.agent_procs[0].pid)
        return size, times


def report(args, fanouts, size, times, loadavg):
    base = fanouts[0]
    print()
    print('Fan-out of one pre-cache request over RabbitMQ (conductor '
          'process; agents as threads, <= %d per process; image %d MiB; '
          'precache_concurrency %s)' % (
              args.per_process, args.fanout_image_mb,
              args.precache_concurrency or 'default (8)'))
    print('%6s %6s %9s | %9s %9s %8s | %9s %9s %8s' % (
        'hosts', 'procs', 'register', 'cold s', 'cond. s', 'x 1 host',
        'warm s', 'cond. s', 'x 1 host'))
    for row in fanouts:
        print('%6d %6d %8.1fs | %9.2f %9.2f %8.2f | %9.3f %9.3f %8.2f' % (
            row['n'], row['procs'], row['register'],
            row['cold'][0], row['cold'][1], row['cold'][0] / base['cold'][0],
            row['warm'][0], row['warm'][1],
            row['warm'][0] / base['warm'][0]))
    print('  cold: every host downloads and verifies the image; warm: it is '
          'cached already (RPC round trips only).')
    print('  s = wall time from PrecacheAPI.create_request (Glance check, DB '
          'record, cast) until the request is finished in the DB; cond. s = '
          'the conductor\'s own time, from claiming the request to '
          'finishing it (its records); warm: the median of --repeat.')
    concurrency = args.precache_concurrency or CONF.image_cache.\
        precache_concurrency
    print()
    print('Warm fan-out against its RPC floor: ceil(hosts / %d) x the median '
          'warm call to one host, plus the slowest host\'s median call, '
          'measured on the same agents after the fan-out' % concurrency)
    print('%6s %9s %10s %9s %11s %9s %8s %11s %8s %12s' % (
        'hosts', 'call ms', 'slowest ms', 'floor ms', 'parallel ms',
        'cond. ms', 'x floor', 'x parallel', 'bare ms', 'bare x floor'))
    for row in fanouts:
        rtt = row['rtt']
        floor = (math.ceil(row['n'] / concurrency) * rtt['median'] +
                 rtt['slowest'])
        print('%6d %9.1f %10.1f %9.1f %11.1f %9.1f %8.2f %11.2f %8.1f '
              '%12.2f' % (
                  row['n'], rtt['median'] * 1e3, rtt['slowest'] * 1e3,
                  floor * 1e3, rtt['parallel'] * 1e3, row['warm'][1] * 1e3,
                  row['warm'][1] / floor, row['warm'][1] / rtt['parallel'],
                  row['bare']['parallel'] * 1e3,
                  row['bare']['parallel'] / floor))
    print('  parallel: the same warm calls to every host, %d at a time, from '
          'a bare client (no database, no recording), median of %d; bare: '
          'that client again, on bare oslo.messaging servers that answer '
          'at once (no image cache, no heartbeat), as many per process as '
          'the agents' % (concurrency, ROUND_TRIP_CALLS))
    cores = os.cpu_count()
    print()
    print('CPU of the warm fan-out, ms per request, by process (the agents, '
          'conductor and broker share this machine\'s %d cores); cpu floor = '
          'the total / %d, x cpu floor = wall / cpu floor' % (cores, cores))
    parties = ('agents', 'conductor', 'broker', 'this process')
    print('%6s %-9s %8s %10s %8s %13s %8s %10s %9s %12s' % (
        ('hosts', 'run') + parties +
        ('total', 'cpu floor', 'wall ms', 'x cpu floor')))
    for row in fanouts:
        for label, cpu in (('fan-out', row['warm_cpu']),
                           ('parallel', row['rtt']['parallel_cpu']),
                           ('bare', row['bare']['parallel_cpu'])):
            total = sum(cpu[p] for p in parties)
            print('%6d %-9s %8.1f %10.1f %8.1f %13.1f %8.1f %10.1f %9.1f '
                  '%12.2f' % ((row['n'], label) +
                              tuple(cpu[p] for p in parties) + (
                                  total, total / cores, cpu['wall'],
                                  cpu['wall'] / (total / cores)
                                  if total else float('nan'))))
    print('  fan-out: the --repeat warm requests above, from the API-side '
          'call until this process saw the request finished (it polls every '
          '20 ms); parallel: the bare client\'s rounds (this process: that '
          'client); bare: its rounds on the bare servers (agents: those '
          'servers).  /proc counts in ticks of 10 ms.')
    print()
    curl = statistics.median(times['curl'])
    print('Download of a %d MiB image from Glance, median of %d runs '
          '(ratio = throughput / curl\'s)' % (size // MiB, len(times['curl'])))
    print('%-44s %8s %9s %7s' % ('path', 'median s', 'MiB/s', 'ratio'))
    rows = [('curl -s URL | sha512sum', 'curl'),
            ('agent code in-process (LibvirtDriver)', 'agent'),
            ('agent over RPC (1-host request, wall)', 'rpc')]
    for label, key in rows:
        med = statistics.median(times[key])
        print('%-44s %8.2f %9.1f %7.2f'
              % (label, med, size / MiB / med, curl / med))
    print('  The agent also writes the image to disk and fsyncs it; curl '
          'discards it.')
    print('  Peak RSS of the agent process that downloaded over RPC (it '
          'holds that one host only): %.1f MiB'
          % times['agent_process_peak_rss_mib'])
    print('  load average 1/5/15 min: %s -> %s' % tuple(
        '/'.join('%.2f' % x for x in avg) for avg in loadavg))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m aggregates_ext.tests.bench rabbit')
    parser.add_argument('--agents', default='1,10,50',
                        help='host counts of the fan-out (default 1,10,50)')
    parser.add_argument('--per-process', type=int, default=10,
                        help='agents per agent process (default 10)')
    parser.add_argument('--fanout-image-mb', type=int, default=4)
    parser.add_argument('--throughput-image-mb', type=int, default=256)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--precache-concurrency', type=int, default=None,
                        help='the conductor\'s [image_cache] '
                             'precache_concurrency (default: its default)')
    parser.add_argument('--out', default=None,
                        help='write the figures and the table here (JSON)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work directory (logs)')
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.agents.split(',')]
    if 1 not in counts:
        parser.error('--agents must include 1 (the baseline)')
    counts = [1] + [n for n in counts if n != 1]
    started = time.monotonic()
    load_start = os.getloadavg()
    with contextlib.ExitStack() as stack:
        bench = Bench(args, stack)
        bench.start()
        fanouts = []
        for n in counts:
            row = bench.fanout(n)
            fanouts.append(row)
            if n == 1:
                # The one-host aggregate's agent measures RPC downloads.
                size, times = bench.throughput(row['aggregate'],
                                               row['hosts'][0])
            row['bare'] = bench.bare_round_trips(row['hosts'])
            bench.stop_agents()
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        report(args, fanouts, size, times, (load_start, os.getloadavg()))
    print(text.getvalue(), end='')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump({'ok': True, 'table': text.getvalue(), 'fanouts': [
                {k: row[k] for k in ('n', 'procs', 'cold', 'warm', 'warm_cpu',
                                     'rtt', 'bare')}
                for row in fanouts], 'download': dict(
                    times, size_mib=size // MiB)}, f, indent=1)
    say('total %.0f s; work dir %s' % (time.monotonic() - started,
                                       bench.dir if args.keep else
                                       '(removed)'))
    return 0


if __name__ == '__main__':
    sys.exit(main())

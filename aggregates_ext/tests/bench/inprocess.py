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

"""Our API and pre-cache fan-out in one process, as the Nova peer times Nova.

    python -m aggregates_ext.tests.bench.inprocess --hosts 10 --out r.json

The real Paste app (``api/app.py``, noauth2) reached through wsgi-intercept
+ requests, the real conductor and N compute agents (``allinone.AllInOne``,
``InstantDriver`` image caches) on ``fake://``, SQLite under a temporary
state directory (or ``--database``).  The phases, their counts, options
and JSON keys are those of the Nova peer (``bench_nova_aggregates.py``), so
that the two outputs compare key by key; ours adds SQL statements per
request (``sql_per_op``), the client's own cost per phase
(``client_cost``) and the fan-out scaling (``--scaling``).
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
import warnings

T_START = time.perf_counter()
warnings.filterwarnings('ignore')

from oslo_log import log as logging  # noqa: E402

from aggregates_ext import allinone  # noqa: E402
from aggregates_ext.api import app as api_app  # noqa: E402
from aggregates_ext.conductor import fanout  # noqa: E402
from aggregates_ext import conf  # noqa: E402
from aggregates_ext.tests.bench import client as bench_client  # noqa: E402
from aggregates_ext.tests.bench import harness  # noqa: E402

CONF = conf.CONF
IMAGES = 5


def parse_args(argv):
    p = argparse.ArgumentParser(prog='python -m '
                                'aggregates_ext.tests.bench.inprocess')
    p.add_argument('--hosts', type=int, default=10, help='compute agents')
    p.add_argument('--aggs', type=int, default=200)
    p.add_argument('--list-reps', type=int, default=50)
    p.add_argument('--image-reps', type=int, default=5)
    p.add_argument('--precache-concurrency', type=int, default=None,
                   help='[image_cache] precache_concurrency of the main run '
                        '(default: ours, 8)')
    p.add_argument('--sweep', default='1,8',
                   help='precache_concurrency values to sweep (empty: none)')
    p.add_argument('--sweep-delays-ms', default='0,20',
                   help='simulated per-image cache times of the sweep, ms')
    p.add_argument('--scaling', default='',
                   help='host counts (<= --hosts) of a 1-image fan-out '
                        'scaling run, e.g. 10,50,200')
    p.add_argument('--skip-crud', action='store_true')
    p.add_argument('--response-validation', default=None,
                   choices=['error', 'warn', 'ignore'],
                   help='[api] response_validation (default: the '
                        'production default)')
    p.add_argument('--database', default=None,
                   help='[database] connection (default: a SQLite file in '
                        'the state directory, as the all-in-one service)')
    p.add_argument('--no-fast-rpc', dest='fast_rpc', action='store_false',
                   help="keep fake://'s 50 ms listener poll")
    p.add_argument('--client-reps', type=int, default=200,
                   help='requests per phase against the no-op app')
    p.add_argument('--canned-out', default=None,
                   help='write the recorded exchanges here (for the client '
                        'cost under the Nova venv)')
    p.add_argument('--out', default=None)
    return p.parse_args(argv)


class Bench:
    """One run: the services, the client and the results."""

    def __init__(self, args, stack):
        self.args = args
        self.stack = stack
        self.results = {}
        self.canned = {}
        self.delay = 0.0

    def configure(self):
        state = tempfile.mkdtemp(prefix='aggext-bench-')
        self.stack.callback(shutil.rmtree, state, True)
        logging.register_options(CONF)
        CONF([], project='aggregates-ext', default_config_files=[])
        overrides = {
            None: {'state_path': state, 'transport_url': 'fake://',
                   'host': 'bench', 'debug': False, 'use_stderr': True},
            'api': {'auth_strategy': 'noauth2'},
            'image': {'source': 'local'},
            'image_cache': {'reserved_disk_mb': 0},
        }
        if self.args.response_validation:
            overrides['api']['response_validation'] = (
                self.args.response_validation)
        if self.args.precache_concurrency:
            overrides['image_cache']['precache_concurrency'] = (
                self.args.precache_concurrency)
        if self.args.database:
            overrides['database'] = {'connection': self.args.database}
        for group, values in overrides.items():
            for name, value in values.items():
                CONF.set_override(name, value, group=group)
        # The root logger at INFO, as the peer runs Nova (debug=False).
        logging.setup(CONF, 'aggregates-ext')

    def start(self):
        t0 = time.perf_counter()
        if self.args.fast_rpc:
            self.stack.enter_context(harness.fast_fake_rpc())
        self.probe = self.stack.enter_context(
            harness.FanoutProbe().installed())
        self.drivers = {}
        self.cloud = allinone.AllInOne(agents=self.args.hosts,
                                       driver_factory=self._driver)
        self.cloud.start()
        self.stack.callback(self.cloud.stop)
        self.cloud.wait_for_hosts(timeout=120)
        self.image_ids = []
        src = os.path.join(CONF.state_path, 'image-src')
        with open(src, 'wb') as f:
            f.write(b'\0' * 4096)
        for _ in range(IMAGES):
            meta = self.cloud.image_api.register(src,
                                                 image_id=str(uuid.uuid4()))
            self.image_ids.append(meta['id'])
        self.switch = bench_client.Switch(api_app.load_app(CONF))
        self.stack.enter_context(bench_client.intercepted(self.switch))
        self.client = bench_client.Client()
        self.sql = self.stack.enter_context(harness.SQLCounter())
        self.results['setup'] = {
            'setup_s': round(time.perf_counter() - t0, 3),
            'rss_after_setup_mib': round(harness.peak_rss_mib(), 1)}

    def _driver(self, host):
        driver = harness.InstantDriver(CONF, None)
        driver.delay = self.delay
        self.drivers[host] = driver
        return driver

    # -- phases ---------------------------------------------------------------

    def timed(self, key, fn, items):
        samples, out = [], []
        cpu0 = time.process_time()
        sql0 = self.sql.this_thread()
        for item in items:
            t0 = time.perf_counter()
            out.append(fn(item))
            samples.append(time.perf_counter() - t0)
        st = bench_client.stats(samples)
        n = max(1, len(samples))
        st['cpu_ms_per_op'] = round(
            (time.process_time() - cpu0) * 1000.0 / n, 3)
        # The request runs in this thread (wsgi-intercept); heartbeats and
        # fan-outs of other threads are not counted.
        st['sql_per_op'] = round((self.sql.this_thread() - sql0) / n, 2)
        self.results[key] = st
        self.canned[key] = self.client.last
        return out

    def crud(self, c):
        a = self.args
        aggs = self.timed('a_create', lambda i: c.request(
            'POST', '/os-aggregates',
            {'aggregate': {'name': 'bench-agg-%04d' % i}})['aggregate'],
            range(a.aggs))
        lists = self.timed('b_list_%d_aggs' % a.aggs, lambda _: c.request(
            'GET', '/os-aggregates')['aggregates'], range(a.list_reps))
        _check(len(lists[-1]) == a.aggs, 'list: %d aggregates'
               % len(lists[-1]))
        self.timed('c_show', lambda g: c.request(
            'GET', '/os-aggregates/%s' % g['id']), aggs)
        self.timed('u_update', lambda g: c.request(
            'PUT', '/os-aggregates/%s' % g['id'],
            {'aggregate': {'name': g['name'] + '-r'}}), aggs)
        return aggs

    def action(self, agg_id, body):
        return self.client.request(
            'POST', '/os-aggregates/%s/action' % agg_id, body)

    def run(self):
        a, c = self.args, self.client
        hosts = sorted(self.cloud.agent_names)
        self.results['config'] = {
            'precache_concurrency': CONF.image_cache.precache_concurrency,
            'response_validation': CONF.api.response_validation,
            'database': a.database or 'sqlite file (state_path)',
            'fast_rpc': a.fast_rpc, 'transport': 'fake://'}
        if not a.skip_crud:
            aggs = self.crud(c)
            target = aggs[0]
        else:
            target = c.request('POST', '/os-aggregates', {
                'aggregate': {'name': 'bench-agg'}})['aggregate']
            aggs = [target]
        self.timed('d_add_host', lambda h: self.action(
            target['id'], {'add_host': {'host': h}}), hosts)
        shown = c.request('GET', '/os-aggregates/%s' % target['id'])
        _check(len(shown['aggregate']['hosts']) == len(hosts),
               'add_host: %d hosts' % len(shown['aggregate']['hosts']))
        if not a.skip_crud:
            self.timed('e_set_metadata', lambda g: self.action(
                g['id'], {'set_metadata': {'metadata': {
                    'bench_key': g['name'], 'ssd': 'true'}}}), aggs)
            self.timed('b2_list_after_hosts_meta', lambda _: c.request(
                'GET', '/os-aggregates'), range(a.list_reps))
        imgs = self.image_ids
        self.results['f_images_1'] = self.images(target['id'], imgs[:1],
                                                 a.image_reps)
        self.results['f_images_5'] = self.images(target['id'], imgs,
                                                 a.image_reps)
        self.sweep(target['id'])
        self.scaling(hosts)
        self.timed('r_remove_host', lambda h: self.action(
            target['id'], {'remove_host': {'host': h}}), hosts)
        self.timed('g_delete', lambda g: c.request(
            'DELETE', '/os-aggregates/%s' % g['id']), aggs)
        _check(c.request('GET', '/os-aggregates')['aggregates'] == [],
               'delete: aggregates left')
        self.results['client_cost'] = bench_client.client_cost(
            self.canned, a.client_reps, self.switch)
        self.results['peak_rss_mib'] = round(harness.peak_rss_mib(), 1)

    def images(self, agg_id, image_ids, reps, hosts=None):
        """POST .../images ``reps`` times; HTTP 202 and finished fan-out."""
        hosts = hosts or self.cloud.agent_names
        http, total, cond, sql = [], [], [], []
        cpu0 = time.process_time()
        for _ in range(reps):
            for driver in self.drivers.values():
                driver.cached.clear()
            before = len(self.probe.done)
            sql0 = self.sql.total()
            t0 = time.perf_counter()
            self.client.request('POST', '/os-aggregates/%s/images' % agg_id,
                                {'cache': [{'id': i} for i in image_ids]},
                                expect=(202,))
            t1 = time.perf_counter()
            c0, c1 = self.probe.wait_for(before + 1)
            sql.append(self.sql.total() - sql0)
            http.append(t1 - t0)
            total.append(c1 - t0)
            cond.append(c1 - c0)
        self.canned['f_images_post'] = self.client.last
        for host in hosts:
            missing = set(image_ids) - self.drivers[host].cached
            _check(not missing, '%s did not cache %s' % (host, missing))
        return {'http_202': bench_client.stats(http),
                'until_fanout_done': bench_client.stats(total),
                'conductor_cache_images': bench_client.stats(cond),
                'cpu_ms_per_request': round(
                    (time.process_time() - cpu0) * 1000.0 / reps, 3),
                'sql_per_request': round(sum(sql) / reps, 1)}

    def set_delay(self, seconds):
        self.delay = seconds
        for driver in self.drivers.values():
            driver.delay = seconds

    def set_concurrency(self, value):
        CONF.set_override('precache_concurrency', value, group='image_cache')
        # The fan-out executor is sized when made; make it anew.
        fanout.reset()

    def sweep(self, agg_id):
        a = self.args
        conc = [int(x) for x in a.sweep.split(',') if x.strip()]
        delays = [float(x) for x in a.sweep_delays_ms.split(',')
                  if x.strip()]
        default = CONF.image_cache.precache_concurrency
        rows = self.results['f_sweep'] = []
        for delay in delays if conc else []:
            self.set_delay(delay / 1000.0)
            for value in conc:
                self.set_concurrency(value)
                for nimg in (1, IMAGES):
                    ph = self.images(agg_id, self.image_ids[:nimg],
                                     max(2, a.image_reps // 2))
                    rows.append({
                        'cache_delay_ms': delay,
                        'precache_concurrency': value, 'images': nimg,
                        'until_fanout_done_p50_ms':
                            ph['until_fanout_done']['p50_ms'],
                        'until_fanout_done_mean_ms':
                            ph['until_fanout_done']['mean_ms'],
                        'http_202_p50_ms': ph['http_202']['p50_ms'],
                        'cpu_ms_per_request': ph['cpu_ms_per_request']})
        self.set_delay(0.0)
        self.set_concurrency(default)

    def scaling(self, hosts):
        counts = [int(x) for x in self.args.scaling.split(',') if x.strip()]
        rows = self.results['f_scaling'] = []
        for n in counts:
            _check(n <= len(hosts), '--scaling %d > --hosts' % n)
            agg = self.client.request('POST', '/os-aggregates', {
                'aggregate': {'name': 'bench-scaling-%d' % n}})['aggregate']
            for host in hosts[:n]:
                self.action(agg['id'], {'add_host': {'host': host}})
            ph = self.images(agg['id'], self.image_ids[:1],
                             self.args.image_reps, hosts=hosts[:n])
            p50 = ph['until_fanout_done']['p50_ms']
            rows.append({'hosts': n, 'until_fanout_done_p50_ms': p50,
                         'per_host_ms': round(p50 / n, 3),
                         'sql_per_request': ph['sql_per_request']})
            for host in hosts[:n]:
                self.action(agg['id'], {'remove_host': {'host': host}})
            self.client.request('DELETE', '/os-aggregates/%s' % agg['id'])


def _check(ok, what):
    if not ok:
        raise bench_client.BenchError(what)


def main(argv=None):
    args = parse_args(argv)
    load_start = os.getloadavg()
    ok = False
    with contextlib.ExitStack() as stack:
        bench = Bench(args, stack)
        bench.configure()
        bench.start()
        try:
            bench.run()
            ok = True
        finally:
            results = bench.results
            results['ok'] = ok
            results['args'] = vars(args)
            results['machine'] = {'python': platform.python_version(),
                                  'cpus': os.cpu_count()}
            results['loadavg_start_end'] = [
                [round(x, 2) for x in load_start],
                [round(x, 2) for x in os.getloadavg()]]
            results['wall_total_s'] = round(time.perf_counter() - T_START,
                                            2)
            text = json.dumps(results, indent=1)
            if args.out:
                with open(args.out, 'w') as f:
                    f.write(text + '\n')
            if args.canned_out:
                with open(args.canned_out, 'w') as f:
                    json.dump(bench.canned, f)
            sys.stdout.write(text + '\n')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

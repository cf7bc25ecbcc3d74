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

"""Nova and ours, interleaved, and one table of ratios.

Each run is a process of its own: the Nova peer under its venv, then ours
(``inprocess``) at our production response validation and at ``error``,
then the client's own cost under the Nova venv (``client.py`` on the
exchanges our run recorded); that round repeats, for each host count.  The
load average is taken before and after every run.  A figure in the table
is the median over the rounds of each run's p50, shown as ops/s
(1000 / p50 ms); "net" takes the client's own p50 for that phase, on that
side, off first (the server's time).  Ratios are ours / Nova's for ops/s
and Nova's / ours for fan-out times, so > 1 means ours is faster.
"""

import json
import os
import statistics
import subprocess
import sys
import time

from aggregates_ext.tests.bench import peer

CRUD = [
    ('create', 'a_create'),
    ('list of {aggs}', 'b_list_{aggs}_aggs'),
    ('show', 'c_show'),
    ('update', 'u_update'),
    ('add_host', 'd_add_host'),
    ('set_metadata', 'e_set_metadata'),
    ('list, metadata+hosts', 'b2_list_after_hosts_meta'),
    ('remove_host', 'r_remove_host'),
    ('delete', 'g_delete'),
]
# Every figure below comes from runs with these counts; smoke shrinks them.
PROFILES = {
    # The images POST and the fan-out are the p50 of image_reps requests
    # (the sweep's cells of half as many): with 5, two slow first requests
    # of a process moved it.
    'full': {'hosts': [10, 50], 'rounds': 3, 'aggs': 200, 'list_reps': 50,
             'image_reps': 10, 'sweep': '1,8', 'sweep_delays_ms': '0,20',
             'scaling': [10, 50, 200], 'client_reps': 200,
             'rabbit': ['--agents', '1,10,50', '--throughput-image-mb',
                        '1024', '--repeat', '5']},
    'smoke': {'hosts': [2], 'rounds': 1, 'aggs': 3, 'list_reps': 2,
              'image_reps': 1, 'sweep': '1', 'sweep_delays_ms': '0',
              'scaling': [1, 2], 'client_reps': 5,
              'rabbit': ['--agents', '1,2', '--fanout-image-mb', '1',
                         '--throughput-image-mb', '2', '--repeat', '1']},
}


# The peer's RPC thread pools on native threads (its README: with every
# compute in one process, the default 64 each means thousands of threads).
THREADS_RPC_POOL = 8


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def load():
    return [round(x, 2) for x in os.getloadavg()]


class Runner:
    """Runs the steps, each a process, and keeps what they said."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.runs = []

    def run(self, label, argv, env=None, out=None, hosts=None):
        base = os.path.join(self.workdir,
                            '%02d-%s' % (len(self.runs) + 1, label))
        out = out or base + '.json'
        if '--out' not in argv:
            argv = list(argv) + ['--out', out]
        record = {'label': label, 'hosts': hosts, 'load_start': load(),
                  'log': base + '.log', 'out': out}
        say('[%s] %s (load %s)' % (time.strftime('%H:%M:%S'), label,
                                   record['load_start']))
        t0 = time.monotonic()
        with open(record['log'], 'w') as log:
            proc = subprocess.run(argv, env=env, stdout=log, stderr=log)
        record['wall_s'] = round(time.monotonic() - t0, 1)
        record['load_end'] = load()
        self.runs.append(record)
        if proc.returncode:
            raise RuntimeError('%s failed (exit %d); see %s' % (
                label, proc.returncode, record['log']))
        with open(out) as f:
            record['result'] = json.load(f)
        if record['result'].get('ok') is False:
            raise RuntimeError('%s: a step failed; see %s'
                               % (label, record['log']))
        return record['result']


def in_process(runner, profile, python, peer_path):
    """The interleaved rounds; returns {hosts: {side: [results]}}."""
    p = profile
    common = ['--aggs', str(p['aggs']), '--list-reps', str(p['list_reps']),
              '--image-reps', str(p['image_reps']), '--sweep', p['sweep'],
              '--sweep-delays-ms', p['sweep_delays_ms']]
    ours = [sys.executable, '-m', 'aggregates_ext.tests.bench.inprocess',
            '--client-reps', str(p['client_reps'])] + common
    # Nova's images POST again on native threads, as ours run, so that the
    # POST, which wakes the conductor in the same process, is also compared
    # at one threading model.
    threads = ['--skip-crud', '--sweep', '', '--image-reps',
               str(p['image_reps']), '--rpc-pool-size',
               str(THREADS_RPC_POOL)]
    client_script = os.path.join(os.path.dirname(__file__), 'client.py')
    found = {}
    for n in p['hosts']:
        sides = found[n] = {'nova': [], 'nova_threads': [], 'ours': [],
                            'ours_error': [], 'nova_client': []}
        for r in range(p['rounds']):
            tag = 'n%d-r%d' % (n, r + 1)
            sides['nova'].append(runner.run(
                'nova-' + tag, peer.command(python, peer_path, n, common),
                env=peer.environ(), hosts=n))
            sides['nova_threads'].append(runner.run(
                'nova-threads-' + tag,
                peer.command(python, peer_path, n, threads),
                env=peer.environ(threads=True), hosts=n))
            canned = os.path.join(runner.workdir, 'canned-%s.json' % tag)
            sides['ours'].append(runner.run(
                'ours-' + tag, ours + ['--hosts', str(n),
                                       '--canned-out', canned], hosts=n))
            # No sweep: only its operations and images POST are reported.
            sides['ours_error'].append(runner.run(
                'ours-error-' + tag, ours + [
                    '--hosts', str(n), '--response-validation', 'error',
                    '--sweep', ''], hosts=n))
            cost = os.path.join(runner.workdir, 'nova-client-%s.json' % tag)
            with open(cost, 'w') as f:
                subprocess.run([python, client_script, canned, '--reps',
                                str(p['client_reps'])], env=peer.environ(),
                               stdout=f, check=True)
            with open(cost) as f:
                sides['nova_client'].append(json.load(f)['client_cost'])
    scaling = runner.run(
        'ours-scaling', [sys.executable, '-m',
                         'aggregates_ext.tests.bench.inprocess',
                         '--hosts', str(max(p['scaling'])), '--skip-crud',
                         '--sweep', '', '--image-reps', str(p['image_reps']),
                         '--client-reps', '1', '--scaling',
                         ','.join(str(x) for x in p['scaling'])],
        hosts=max(p['scaling']))
    return found, scaling


# -- the table ---------------------------------------------------------------

def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _ops(p50_ms, client_ms=0.0):
    if p50_ms is None:
        return None
    server = p50_ms - (client_ms or 0.0)
    return 1000.0 / server if server > 0 else None


def _ratio(a, b):
    return a / b if a and b else None


def _fmt(v, width=8, digits=1):
    if v is None:
        return '-'.rjust(width)
    return ('%.*f' % (digits, v)).rjust(width)


def crud_rows(sides, aggs):
    rows = []
    phases = [(label.format(aggs=aggs), key.format(aggs=aggs))
              for label, key in CRUD]
    phases.append(('images POST (202)', 'f_images_1'))
    for label, key in phases:
        def p50(res, key=key):
            if key == 'f_images_1':
                return res[key]['http_202']['p50_ms']
            return res.get(key, {}).get('p50_ms')
        ckey = 'f_images_post' if key == 'f_images_1' else key

        def ops(runs, costs, net):
            vals = []
            for i, res in enumerate(runs):
                client = costs[i].get(ckey, {}).get('p50_ms') if net else 0
                vals.append(_ops(p50(res), client))
            return _median(vals)
        own_costs = [r['client_cost'] for r in sides['ours']]
        ours = ops(sides['ours'], own_costs, False)
        ours_net = ops(sides['ours'], own_costs, True)
        err_costs = own_costs[:len(sides['ours_error'])]
        err_net = ops(sides['ours_error'], err_costs, True)
        sql = _median([r.get(key, {}).get('sql_per_op')
                       for r in sides['ours']])
        novas = [(label, sides['nova'])]
        if key == 'f_images_1' and sides.get('nova_threads'):
            novas.append(('  Nova on threads', sides['nova_threads']))
        for row_label, nova_runs in novas:
            nova = ops(nova_runs, sides['nova_client'], False)
            nova_net = ops(nova_runs, sides['nova_client'], True)
            rows.append([row_label, nova, ours, _ratio(ours, nova),
                         nova_net, ours_net, _ratio(ours_net, nova_net),
                         err_net, _ratio(err_net, nova_net), sql])
    return rows


def fanout_rows(sides):
    def med(runs, getter):
        return _median([getter(r) for r in runs])
    rows = []

    def main_row(label, key):
        nova = med(sides['nova'],
                   lambda r: r[key]['until_fanout_done']['p50_ms'])
        ours = med(sides['ours'],
                   lambda r: r[key]['until_fanout_done']['p50_ms'])
        sql = med(sides['ours'], lambda r: r[key].get('sql_per_request'))
        nc = sides['nova'][0]['config']['precache_concurrency_main_run']
        oc = sides['ours'][0]['config']['precache_concurrency']
        rows.append(['%s (defaults: Nova %s, ours %s)' % (label, nc, oc),
                     nova, ours, _ratio(nova, ours), sql])
    main_row('1 image, instant', 'f_images_1')
    main_row('5 images, instant', 'f_images_5')

    def sweep_key(row):
        return (row['cache_delay_ms'], row['precache_concurrency'],
                row['images'])
    keys = [sweep_key(row) for row in sides['ours'][0].get('f_sweep', [])]
    for key in keys:
        def getter(res, key=key):
            for row in res.get('f_sweep', []):
                if sweep_key(row) == key:
                    return row['until_fanout_done_p50_ms']
        nova, ours = med(sides['nova'], getter), med(sides['ours'], getter)
        rows.append(['%d image(s) at %g ms, concurrency %d both' % (
            key[2], key[0], key[1]), nova, ours, _ratio(nova, ours), None])
    return rows


def table(found, scaling, profile, runs):
    out = []
    w = out.append
    for n, sides in found.items():
        w('')
        w('In-process, N = %d hosts, microversion 2.81, admin, SQLite, '
          'fake:// (Nova: eventlet, --fast-rpc; ours: --fast-rpc); median '
          'of %d round(s)' % (n, len(sides['nova'])))
        w('%-22s %8s %8s %6s | %8s %8s %6s | %9s %6s | %6s' % (
            'operation (ops/s)', 'Nova', 'ours', 'ratio', 'Nova net',
            'ours net', 'ratio', 'err net', 'ratio', 'SQL/rq'))
        for r in crud_rows(sides, profile['aggs']):
            w('%-22s %s %s %s | %s %s %s | %s %s | %s' % (
                r[0], _fmt(r[1]), _fmt(r[2]), _fmt(r[3], 6, 2),
                _fmt(r[4]), _fmt(r[5]), _fmt(r[6], 6, 2), _fmt(r[7], 9),
                _fmt(r[8], 6, 2), _fmt(r[9], 6)))
        client = _median([r['client_cost']['c_show']['p50_ms']
                          for r in sides['ours']])
        nclient = _median([c['c_show']['p50_ms']
                           for c in sides['nova_client']])
        w('  client own cost (show, p50): ours %.3f ms, under the Nova '
          'venv %.3f ms; "err" = ours at [api] response_validation = error '
          '(the others: the production default, %s)' % (
              client, nclient,
              sides['ours'][0]['config']['response_validation']))
        if sides.get('nova_threads'):
            w('  "Nova on threads": its images POST in a run of its own on '
              'native threads (OS_NOVA_DISABLE_EVENTLET_PATCHING=1, RPC '
              'pools of %d), as ours run' % THREADS_RPC_POOL)
        w('%-48s %9s %9s %8s | %6s' % ('fan-out until finished (p50 ms)',
                                       'Nova', 'ours', 'x faster', 'SQL/rq'))
        for r in fanout_rows(sides):
            w('%-48s %s %s %s | %s' % (r[0], _fmt(r[1], 9), _fmt(r[2], 9),
                                       _fmt(r[3], 8, 2), _fmt(r[4], 6)))
        nova_rss = _median([r['peak_rss_mib'] for r in sides['nova']])
        ours_rss = _median([r['peak_rss_mib'] for r in sides['ours']])
        w('%-48s %9.1f %9.1f %8.2f' % ('peak RSS of the process, MiB',
                                       nova_rss, ours_rss,
                                       nova_rss / ours_rss))
    w('')
    w('Fan-out scaling, ours: 1 image, instant hosts, default concurrency '
      '(one process with %d agents)' % max(profile['scaling']))
    w('%8s %12s %12s %8s' % ('hosts', 'p50 ms', 'per host ms', 'SQL/rq'))
    for row in scaling['f_scaling']:
        w('%8d %12.1f %12.3f %8.1f' % (
            row['hosts'], row['until_fanout_done_p50_ms'],
            row['per_host_ms'], row['sql_per_request']))
    w('')
    w('Runs (load average 1/5/15 min before -> after)')
    for r in runs:
        w('  %-22s %-18s -> %-18s %6.1f s' % (
            r['label'], '/'.join('%.2f' % x for x in r['load_start']),
            '/'.join('%.2f' % x for x in r['load_end']), r['wall_s']))
    return '\n'.join(out)

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

"""The API over HTTP as the install guide deploys it, loaded by wrk.

    python -m aggregates_ext.tests.bench http [--duration 10] [--help]

gunicorn with the shipped
``etc/aggregates-ext/aggregates-ext-gunicorn.conf.py`` (its workers and
threads, ``gthread``; only the address, the configuration file and the
access log's place are changed on its command line), on a
throwaway MariaDB database (``--database postgresql`` or ``sqlite`` for
the others), noauth2.  ``wrk`` (``apt-get install wrk``) drives it over
loopback at each concurrency for show, list of 200 aggregates and create:
requests/s, p50, p99 and errors (socket errors and non-2xx answers).
"""

import argparse
import json
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests

from aggregates_ext.tests.functional import databases
from aggregates_ext.tests.functional import processes
from aggregates_ext.tests.functional import support

HEADERS = {'X-Auth-Token': 'admin:admin',
           'X-OpenStack-Nova-API-Version': '2.81',
           'Content-Type': 'application/json'}
GUNICORN_CONF_NAME = 'aggregates-ext-gunicorn.conf.py'
# Unique names across wrk's threads and runs: the thread's number and a
# counter, under a prefix of the run.
CREATE_LUA = """
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
local n = 0
function request()
  n = n + 1
  return wrk.format("POST", nil, nil,
    '{"aggregate": {"name": "%s-' .. tid .. '-' .. n .. '"}}')
end
"""
_UNITS = {'us': 0.001, 'ms': 1.0, 's': 1000.0, 'm': 60000.0}


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _ms(text):
    m = re.match(r'([0-9.]+)(us|ms|s|m)$', text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(text):
    """req/s, p50 and p99 in ms, and the errors of wrk's --latency report."""
    found = {'requests': int(re.search(r'(\d+) requests in', text).group(1)),
             'req_per_s': float(re.search(r'Requests/sec:\s+([0-9.]+)',
                                          text).group(1))}
    for pct in ('50', '99'):
        m = re.search(r'^\s+%s(?:\.000)?%%\s+(\S+)' % pct, text, re.M)
        found['p%s_ms' % pct] = round(_ms(m.group(1)), 3) if m else None
    errors = 0
    m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), '
                  r'timeout (\d+)', text)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    if m:
        errors += int(m.group(1))
    found['errors'] = errors
    return found


class GunicornAPI:
    """A database, its schema, and gunicorn serving the API on it.

    Not a :class:`deployment.Deployment`: the API under gunicorn with the
    shipped configuration, on ``fake://``, alone, as the load test needs.
    """

    def __init__(self, args, workdir):
        self.args = args
        self.dir = workdir
        self.proc = None
        self.drop = None

    def start(self):
        if self.args.database == 'sqlite':
            url = 'sqlite:///' + os.path.join(self.dir, 'api.sqlite')
        else:
            make = {'mysql': databases.mysql_url,
                    'postgresql': databases.postgresql_url}
            url, self.drop = make[self.args.database]()
        conf = os.path.join(self.dir, 'aggregates-ext.conf')
        support.write_conf(conf, {
            'DEFAULT': {'state_path': self.dir, 'transport_url': 'fake://',
                        'log_file': os.path.join(self.dir, 'api.log')},
            'api': {'auth_strategy': 'noauth2'},
            'database': {'connection': url},
        })
        subprocess.run([support.bin_path('aggregates-ext-manage'),
                        '--config-file', conf, 'db', 'sync'], check=True,
                       capture_output=True)
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d/v2.1' % self.port
        self.proc = processes.Process('gunicorn', [
            support.bin_path('gunicorn'), '-c', gunicorn_conf(),
            '--bind', '127.0.0.1:%d' % self.port,
            '--env', 'AGGREGATES_EXT_CONFIG_FILE=%s' % conf,
            '--access-logfile', os.path.join(self.dir, 'access.log')],
            os.path.join(self.dir, 'gunicorn.log'), cwd=self.dir).start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise RuntimeError('gunicorn exited %s; see %s' % (
                    self.proc.proc.returncode, self.proc.log))
            try:
                if requests.get(self.url + '/os-aggregates', headers=HEADERS,
                                timeout=5).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                # Refused until it listens; accepted but unanswered while
                # its workers still load on a busy machine.
                pass
            time.sleep(0.2)
        raise RuntimeError('gunicorn did not answer in 120 s')

    def stop(self):
        if self.proc is not None:
            self.proc.stop(30)
        if self.drop is not None:
            self.drop()
            self.drop = None


def gunicorn_conf():
    """The shipped gunicorn config: the checkout's, else the installed."""
    for path in (os.path.join(os.path.dirname(__file__), '..', '..', '..',
                              'etc', 'aggregates-ext', GUNICORN_CONF_NAME),
                 os.path.join(sys.prefix, 'etc', 'aggregates-ext',
                              GUNICORN_CONF_NAME)):
        if os.path.exists(path):
            return os.path.abspath(path)
    raise RuntimeError('%s not found' % GUNICORN_CONF_NAME)


def layout():
    """The shipped file's workers and threads, as gunicorn reads them."""
    conf = runpy.run_path(gunicorn_conf())
    return {'workers': conf['workers'], 'threads': conf['threads']}


def wrk(url, connections, duration, script=None):
    argv = ['wrk', '-t', str(min(2, connections)), '-c', str(connections),
            '-d', '%ds' % duration, '--latency', '--timeout', '10s']
    for name, value in HEADERS.items():
        argv += ['-H', '%s: %s' % (name, value)]
    if script:
        argv += ['-s', script]
    proc = subprocess.run(argv + [url], capture_output=True, text=True,
                          check=True)
    return parse_wrk(proc.stdout)


def run(args, workdir):
    if shutil.which('wrk') is None:
        raise RuntimeError('wrk is not installed: apt-get install -y wrk')
    dep = GunicornAPI(args, workdir).start()
    try:
        session = requests.Session()
        session.headers.update(HEADERS)
        for i in range(args.aggs):
            resp = session.post(dep.url + '/os-aggregates', json={
                'aggregate': {'name': 'http-bench-%04d' % i}})
            resp.raise_for_status()
            if i == 0:
                first = resp.json()['aggregate']['id']
        urls = {'show': (dep.url + '/os-aggregates/%s' % first, None),
                'list of %d' % args.aggs: (dep.url + '/os-aggregates', None)}
        rows = []
        load_start = [round(x, 2) for x in os.getloadavg()]
        for op, (url, script) in urls.items():
            wrk(url, 1, 1, script)   # warm every worker's caches
            for conc in args.concurrency:
                rows.append(dict(op=op, concurrency=conc,
                                 **wrk(url, conc, args.duration, script)))
        for conc in args.concurrency:
            script = os.path.join(workdir, 'create-%d.lua' % conc)
            with open(script, 'w') as f:
                f.write(CREATE_LUA % ('wrk-c%d' % conc))
            rows.append(dict(op='create', concurrency=conc,
                             **wrk(dep.url + '/os-aggregates', conc,
                                   args.duration, script)))
        return {'rows': rows, 'loadavg_start_end': [
            load_start, [round(x, 2) for x in os.getloadavg()]],
            'database': args.database, 'gunicorn_conf': 'shipped',
            'gunicorn_layout': layout(),
            'duration_s': args.duration}
    finally:
        dep.stop()


def table(result):
    shape = result['gunicorn_layout']
    lines = ['', 'HTTP: gunicorn (shipped config: %d workers x %d threads), '
             '%s, wrk over loopback, %d s per cell' % (
                 shape['workers'], shape['threads'], result['database'],
                 result['duration_s']),
             '%-14s %5s %10s %9s %9s %7s %9s' % (
                 'operation', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'errors',
                 'x conc 1')]
    base = {}
    for row in result['rows']:
        if row['concurrency'] == 1:
            base[row['op']] = row['req_per_s']
        scale = row['req_per_s'] / base[row['op']] if base.get(
            row['op']) else None
        lines.append('%-14s %5d %10.1f %9s %9s %7d %9s' % (
            row['op'], row['concurrency'], row['req_per_s'],
            row['p50_ms'], row['p99_ms'], row['errors'],
            '%.2f' % scale if scale else '-'))
    lines.append('  load average 1/5/15 min: %s -> %s' % tuple(
        '/'.join('%.2f' % x for x in la)
        for la in result['loadavg_start_end']))
    return '\n'.join(lines)


def parser(p=None):
    p = p or argparse.ArgumentParser(prog='python -m '
                                     'aggregates_ext.tests.bench http')
    p.add_argument('--duration', type=int, default=10,
                   help='seconds per wrk run (default 10)')
    p.add_argument('--concurrency', type=lambda s: [int(x) for x in
                                                    s.split(',')],
                   default=[1, 8, 32])
    p.add_argument('--database', default='mysql',
                   choices=['mysql', 'postgresql', 'sqlite'])
    p.add_argument('--aggs', type=int, default=200)
    p.add_argument('--out', default=None)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    workdir = tempfile.mkdtemp(prefix='aggext-http-bench-')
    try:
        result = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    print(table(result))
    # Errors are a figure of the table, not a failure of the benchmark.
    return 0


if __name__ == '__main__':
    sys.exit(main())

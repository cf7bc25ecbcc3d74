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

"""Entry point of the benchmarks: ``tox -e bench -- [SUBCOMMAND] [ARGS]``.

    tox -e bench [-- [compare] [--smoke]]
    tox -e bench -- inprocess|http|rabbit [--help]

``compare`` (the default) is the whole side-by-side run: the Nova peer's
venv (built once, cached), Nova and ours interleaved in-process for each
host count, our fan-out scaling, then the HTTP benchmark and the
RabbitMQ/Glance one; one table.
``--smoke`` runs every step tiny, once, and checks only that each step
succeeded (CI).  The other subcommands run one part alone.
"""

import argparse
import json
import os
import sys
import time

from aggregates_ext.tests.bench import compare
from aggregates_ext.tests.bench import peer


def run_compare(argv):
    p = argparse.ArgumentParser(prog='python -m aggregates_ext.tests.bench')
    p.add_argument('--smoke', action='store_true',
                   help='every step with tiny counts, one round (CI)')
    p.add_argument('--skip-http', action='store_true',
                   help='leave out the HTTP benchmark')
    p.add_argument('--skip-rabbit', action='store_true',
                   help='leave out the RabbitMQ/Glance benchmark')
    p.add_argument('--http-duration', type=int, default=None,
                   help='seconds per wrk run (default 10; smoke 1)')
    p.add_argument('--results-dir', default=None,
                   help='where every run\'s JSON and log go (default: '
                        'under the cache directory)')
    args = p.parse_args(argv)
    profile = compare.PROFILES['smoke' if args.smoke else 'full']
    stamp = time.strftime('%Y%m%d-%H%M%S') + ('-smoke' if args.smoke
                                              else '')
    workdir = args.results_dir or os.path.join(peer.cache_dir(), 'results',
                                               stamp)
    os.makedirs(workdir, exist_ok=True)
    command = 'tox -e bench' + (' -- --smoke' if args.smoke else '')
    compare.say('%s: results in %s' % (command, workdir))
    peer_path = peer.peer_dir()
    python, built = peer.ensure_venv(peer_path, say=compare.say)
    if built:
        compare.say('Nova peer venv built in %.0f s' % built)
    runner = compare.Runner(workdir)
    found, scaling = compare.in_process(runner, profile, python, peer_path)
    text = compare.table(found, scaling, profile, runner.runs)
    http = None
    if not args.skip_http:
        from aggregates_ext.tests.bench import http_load
        duration = args.http_duration or (1 if args.smoke else 10)
        out = os.path.join(workdir, 'http.json')
        runner.run('http', [sys.executable, '-m',
                            'aggregates_ext.tests.bench.http_load',
                            '--duration', str(duration), '--aggs',
                            str(profile['aggs'])], out=out)
        http = runner.runs[-1]['result']
        text += '\n' + http_load.table(http)
    if not args.skip_rabbit:
        rabbit = runner.run('rabbit', [
            sys.executable, '-m', 'aggregates_ext.tests.bench', 'rabbit'] +
            profile['rabbit'])
        text += '\n' + rabbit['table']
    summary = {'command': command, 'profile': profile, 'runs': [
        {k: v for k, v in r.items() if k != 'result'} for r in runner.runs],
        'results_dir': workdir}
    with open(os.path.join(workdir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(workdir, 'table.txt'), 'w') as f:
        f.write('$ %s\n%s\n' % (command, text))
    print('$ %s' % command)
    print(text)
    print('\nEvery step succeeded; JSON and logs in %s' % workdir)
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    sub = argv[0] if argv and not argv[0].startswith('-') else 'compare'
    rest = argv[1:] if argv and argv[0] == sub else argv
    if sub == 'compare':
        return run_compare(rest)
    if sub == 'inprocess':
        from aggregates_ext.tests.bench import inprocess
        return inprocess.main(rest)
    if sub == 'http':
        from aggregates_ext.tests.bench import http_load
        return http_load.main(rest)
    if sub == 'rabbit':
        from aggregates_ext.tests.bench import rabbit
        return rabbit.main(rest)
    print('unknown subcommand %r: compare (default), inprocess, http, '
          'rabbit' % sub, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())

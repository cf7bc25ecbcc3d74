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

"""Run Tempest's aggregate tests against a real Nova 34.0.0 (``tox -e nova``).

Brings up :class:`tools.nova.deployment.NovaDeployment` with real Keystone
(Tempest authenticates only through Keystone v3): nova-api and Glance run
real keystonemiddleware, Keystone's catalog lists them as ``compute`` and
``image``.  By default it then enables aggregates-ext in that cloud as the
install guide says (``tools/nova/ours.py``: our package in the Nova venv,
our database, our filter in nova-api's pipelines right after
``keystonecontext``, our conductor) and runs the cross-checks of
``tools/nova/crosscheck.py`` before Tempest; ``--stock`` runs Tempest
against stock Nova only.

Writes tempest.conf and accounts.yaml (pre-provisioned: admin, member and
reader), runs ``tempest run --serial`` on all 25 of Tempest's aggregate
tests (the admin API tests, the negative tests and the scenario test,
including ``test_aggregate_add_host_create_server_with_az``, which boots a
server into the new zone), prints the deployment's start-up time and
memory, tears everything down, and prints ``tempest: N passed, N failed,
N skipped`` as its last line.  Exit status non-zero if a test failed or
none passed.

Usage: tempest_run.py [--db mysql|postgresql] [--stock] [--keep]
[--workdir DIR] [--computes N] [TEMPEST RUN ARGS...]; other arguments go
to ``tempest run`` and replace the default selection.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
import types

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from aggregates_ext.db import engines  # noqa: E402
from aggregates_ext.db import precache as precache_db  # noqa: E402
from aggregates_ext.tests.functional import databases  # noqa: E402
from aggregates_ext.tests.functional import support  # noqa: E402
from tools.nova import crosscheck  # noqa: E402
from tools.nova import deployment as nova  # noqa: E402
from tools.nova import ours as nova_ours  # noqa: E402
from tools.tempest import run as tempest_run  # noqa: E402

# tools/tempest/run.py's selection of Tempest's own aggregate tests, with
# the one it has to leave out there (it boots a server), plus the
# scenario test: 10 + 14 + 1 = 25.
TESTS = (r'^(tempest\.serial_tests\.api\.compute\.admin\.test_aggregates\.'
         r'|tempest\.api\.compute\.admin\.test_aggregates_negative\.'
         r'|tempest\.serial_tests\.scenario\.test_aggregates_basic_ops\.)')


def log(msg):
    print('[tempest-nova] %s' % msg, flush=True)


def write_config(workdir, dep):
    etc = os.path.join(workdir, 'etc')
    os.makedirs(etc, exist_ok=True)
    os.makedirs(os.path.join(workdir, 'logs'), exist_ok=True)
    ks = dep.keystone
    accounts = [{'username': c.username, 'password': c.password,
                 'project_name': c.project_name, 'roles': list(c.roles)}
                for c in (ks.users['admin'], ks.users['member'],
                          ks.users['reader'])]
    accounts_file = os.path.join(etc, 'accounts.yaml')
    with open(accounts_file, 'w') as f:
        yaml.safe_dump(accounts, f, default_flow_style=False)
    conf = """\
[DEFAULT]
log_dir = {workdir}/logs
log_file = tempest.log

[oslo_concurrency]
lock_path = {workdir}/tempest_lock

[auth]
use_dynamic_credentials = false
test_accounts_file = {accounts}

[identity]
uri_v3 = {auth_url}
auth_version = v3
region = {region}

[compute]
# Or AggregatesAdminTestV241 is skipped.
max_microversion = latest
image_ref = {image}
image_ref_alt = {image}
flavor_ref = {flavor}
flavor_ref_alt = {flavor}
build_timeout = 300
build_interval = 1

[validation]
# Fake-driver servers have no guest to ssh into.
run_validation = false

[service_available]
# Glance must stay true (the compute base classes need its client).
# No Neutron: servers are booted without "networks" at 2.1 and Nova sees
# no network at all (the Neutron stub's collections are empty).
glance = true
nova = true
neutron = false
cinder = false
swift = false
""".format(workdir=workdir, accounts=accounts_file, auth_url=ks.auth_url,
           region=ks.REGION, image=dep.image_id, flavor=dep.flavor_id)
    path = os.path.join(etc, 'tempest.conf')
    with open(path, 'w') as f:
        f.write(conf)
    return path


def enable_ours_and_check(dep, database, workdir):
    """Our filter and conductor into the running Nova, then cross-checks.

    What stock nova-api answered before is captured first, so that the
    checks can tell what the filter changed.  Returns whether all passed.
    """
    before = crosscheck.before_filter(dep)
    t0 = time.monotonic()
    nova_ours.join(dep, database.url, out=sys.stdout)
    log('our filter and conductor joined in %.1f s'
        % (time.monotonic() - t0))
    engines.configure(types.SimpleNamespace(
        database=types.SimpleNamespace(connection=database.url,
                                       max_retries=10, connection_debug=0),
        nova_database=types.SimpleNamespace(connection=None),
        state_path=workdir))

    def results_of(aggregate_id):
        found = []
        for r in precache_db.list_requests(aggregate_id):
            hosts = {h.host: {'status': h.status, 'images': {}}
                     for h in r.results}
            for row in r.images:
                hosts[row.host]['images'][row.image_id] = row.status
            found.append({'status': r.status, 'hosts': hosts})
        return found

    outcomes = crosscheck.run_all(dep, before, results_of)
    for name, ok, detail in outcomes:
        log('cross-check %-9s %s  %s'
            % (name, 'ok  ' if ok else 'FAIL', detail))
    failed = [name for name, ok, _detail in outcomes if not ok]
    log('cross-checks: %d passed, %d failed'
        % (len(outcomes) - len(failed), len(failed)))
    return not failed


def print_costs(dep, memory):
    log('deployment start-up: %.1f s from empty databases (the cached '
        'venv was ready; Keystone took %.1f s of it, in parallel)'
        % (dep.start_seconds, dep.keystone_seconds))
    for step, seconds in dep.timings.items():
        log('  %6.1f s  %s' % (seconds, step))
    log('memory (RSS/PSS of every process of the deployment; MariaDB/'
        'PostgreSQL and RabbitMQ not included):')
    for line in nova.format_memory(memory):
        log('  ' + line)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', choices=('mysql', 'postgresql'),
                        default='mysql')
    parser.add_argument('--computes', type=int, default=2)
    parser.add_argument('--stock', action='store_true',
                        help='stock Nova only: without our filter in '
                             'nova-api, our conductor and the cross-checks')
    parser.add_argument('--workdir', help='default: a new temp dir')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work dir (configs, logs)')
    args, tempest_args = parser.parse_known_args(argv)
    os.environ.setdefault(support.REQUIRE_ENV, '1')
    workdir = args.workdir or tempfile.mkdtemp(prefix='aggext-tempest-nova-')
    os.makedirs(workdir, exist_ok=True)
    ours = not args.stock
    install = ['-e', REPO_ROOT] if ours else []
    computes = [nova.CACHING_DRIVER, nova.PLAIN_DRIVER] if ours else \
        args.computes
    started = time.monotonic()
    rc, output, checks_ok = 1, '', True
    # Ours: made before Nova and dropped after it, when our conductor and
    # filter no longer hold connections.
    database = databases.ThrowawayDatabase(args.db) if ours else None
    try:
        if database is not None:
            database.setUp()
        nova_conf = {'filter_scheduler': {
            'enabled_filters': crosscheck.SCHEDULER_FILTERS}} if ours else {}
        with nova.NovaDeployment(
                db=args.db, auth='keystone', computes=computes,
                extra_packages=install, nova_conf=nova_conf,
                workdir=os.path.join(workdir, 'nova'), keep=True,
                out=sys.stdout) as dep:
            if ours:
                checks_ok = enable_ours_and_check(dep, database, workdir)
            memory = dep.memory()
            print_costs(dep, memory)
            config_file = write_config(workdir, dep)
            log('tempest.conf: %s' % config_file)
            t0 = time.monotonic()
            rc, output = tempest_run.run_tempest(
                workdir, config_file, tempest_args or ['--regex', TESTS])
            log('tempest ran in %.1f s (rc %d)' % (time.monotonic() - t0,
                                                   rc))
            after = dep.memory()
            log('memory after the tests: RSS %.1f MiB, PSS %.1f MiB' % (
                sum(m[1] for m in after.values()) / 1024.0,
                sum(m[2] for m in after.values()) / 1024.0))
            t_down = time.monotonic()
        log('torn down in %.1f s (processes stopped in %.1f s; then '
            'keystone, databases, vhost)' % (time.monotonic() - t_down,
                                             dep.stop_seconds))
    except Exception:  # noqa: H201 - reported, and the run fails
        log('the deployment failed:\n%s' % traceback.format_exc())
        rc = 1
    finally:
        if database is not None:
            database.cleanUp()
        if args.keep or args.workdir:
            log('kept %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    counts = tempest_run.summarize(output)
    log('total %.1f s' % (time.monotonic() - started))
    passed = counts['passed'] or 0
    failed = counts['failed'] if counts['failed'] is not None else 1
    skipped = counts['skipped'] or 0
    print('tempest: %d passed, %d failed, %d skipped'
          % (passed, failed, skipped), flush=True)
    if rc != 0 or failed or not passed or not checks_ok:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

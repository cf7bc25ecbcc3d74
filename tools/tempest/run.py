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

"""Run Tempest's aggregate tests and our plugin's against real services.

Brings up, on 127.0.0.1 (with the fixtures of the functional tests):

* Keystone (SQLite, fernet) with the users admin (admin on project admin),
  member (member on demo) and reader (reader on demo);
* Glance on the keystone pipeline, registered as ``image``;
* aggregates-ext-api on the keystone pipeline, registered as ``compute``,
  plus aggregates-ext-conductor and N aggregates-ext-compute agents
  (``compute-0`` ...) on the machine's RabbitMQ (a vhost of their own) and
  a throwaway MariaDB database, so /os-services and /os-hypervisors show
  the hosts as ``nova-compute``;

then writes tempest.conf and accounts.yaml (pre-provisioned credentials:
Tempest cannot create users without Keystone admin rights it does not need
otherwise) and runs ``tempest run --serial``.  The last line printed is
``tempest: N passed, N failed, N skipped``; the exit status is non-zero if a
test failed or none passed.

Usage: run.py [--agents N] [--workdir DIR] [--keep] [TEMPEST RUN ARGS...]
Other arguments go to "tempest run" and replace the default test selection
(--regex/--exclude-regex), e.g. ``--regex aggregates_ext``.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import fixtures
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from aggregates_ext.tests.functional import deployment  # noqa: E402
from aggregates_ext.tests.functional import glance  # noqa: E402
from aggregates_ext.tests.functional import keystone  # noqa: E402
from aggregates_ext.tests.functional import support  # noqa: E402

# What runs: Tempest's own aggregate API tests (the admin ones live under
# serial_tests in current Tempest) and every test of our plugin.
TESTS = (r'^(tempest\.serial_tests\.api\.compute\.admin\.test_aggregates\.'
         r'|tempest\.api\.compute\.admin\.test_aggregates_negative\.'
         r'|aggregates_ext\.tempest_plugin\.)')
# Excluded by name, and only this one: it boots a server in the new
# availability zone (POST /servers, scheduling, a hypervisor), which this
# service does not provide; everything else it checks (create with an AZ,
# add_host) is covered by the other tests.
EXCLUDE = r'test_aggregate_add_host_create_server_with_az'


def log(msg):
    print('[tempest-run] %s' % msg, flush=True)


def write_config(workdir, keystone, deployment, accounts):
    etc = os.path.join(workdir, 'etc')
    os.makedirs(etc, exist_ok=True)
    os.makedirs(os.path.join(workdir, 'logs'), exist_ok=True)
    accounts_file = os.path.join(etc, 'accounts.yaml')
    with open(accounts_file, 'w') as f:
        yaml.safe_dump(accounts, f, default_flow_style=False)
    cache_dirs = ','.join('%s:%s' % (host, deployment.cache_dir(host))
                          for host in deployment.hosts)
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
# Or AggregatesAdminTestV241 and our 2.81 tests are skipped.
max_microversion = latest

[service_available]
glance = true
nova = true
cinder = false
neutron = false
swift = false

[aggregates_ext]
compute_cache_dirs = {cache_dirs}
cache_file_layout = libvirt
precache_timeout = 120
""".format(workdir=workdir, accounts=accounts_file,
           auth_url=keystone.auth_url, region=keystone.REGION,
           cache_dirs=cache_dirs)
    path = os.path.join(etc, 'tempest.conf')
    with open(path, 'w') as f:
        f.write(conf)
    return path


def summarize(output):
    counts = {}
    for key in ('Passed', 'Failed', 'Skipped'):
        m = re.search(r'^ - %s: (\d+)' % key, output, re.M)
        counts[key.lower()] = int(m.group(1)) if m else None
    return counts


def run_tempest(workdir, config_file, extra_args):
    shutil.rmtree(os.path.join(workdir, 'tempest_lock'), ignore_errors=True)
    tempest = support.bin_path('tempest')
    argv = [tempest, 'run', '--config-file', config_file, '--serial']
    argv += extra_args or ['--regex', TESTS, '--exclude-regex', EXCLUDE]
    log('$ %s' % ' '.join(argv))
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['PYTHONWARNINGS'] = 'ignore'
    proc = subprocess.Popen(argv, cwd=workdir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    return proc.wait(), ''.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--agents', type=int, default=2,
                        help='compute agents to run (default 2)')
    parser.add_argument('--workdir',
                        help='Tempest workspace and service state '
                             '(default: a new temp dir)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work dir (logs, configs)')
    # Anything else goes to "tempest run", instead of the default
    # selection (--regex/--exclude-regex).
    args, tempest_args = parser.parse_known_args(argv)
    # A service that cannot be had is an error here, never a skip.
    os.environ.setdefault(support.REQUIRE_ENV, '1')
    workdir = args.workdir or tempfile.mkdtemp(prefix='aggext-tempest-')
    os.makedirs(workdir, exist_ok=True)
    if args.keep:
        os.environ['AGGREGATES_EXT_FUNCTIONAL_KEEP'] = '1'
    started = time.monotonic()
    rc, output = 1, ''
    try:
        with fixtures.Fixture() as env:
            ks = env.useFixture(keystone.KeystoneFixture())
            log('keystone %s (%.1fs)' % (ks.auth_url, ks.start_seconds))
            image_service = env.useFixture(glance.GlanceFixture(keystone=ks))
            log('glance %s (%.1fs)' % (image_service.url,
                                       image_service.start_seconds))
            dep = env.useFixture(deployment.Deployment(
                auth_strategy='keystone', keystone=ks, agents=args.agents,
                base_dir=os.path.join(workdir, 'services')))
            log('aggregates-ext %s, agents %s, state in %s (%.1fs)' % (
                dep.endpoint, ', '.join(dep.hosts),
                dep.dir, dep.start_seconds))
            reader = ks.create_user('reader', project='demo',
                                    roles=('reader',))
            accounts = [
                {'username': c.username, 'password': c.password,
                 'project_name': c.project_name, 'roles': list(c.roles)}
                for c in (ks.admin, ks.member, reader)]
            config_file = write_config(workdir, ks, dep,
                                       accounts)
            log('services up in %.1fs; tempest.conf: %s' % (
                time.monotonic() - started, config_file))
            t0 = time.monotonic()
            rc, output = run_tempest(workdir, config_file, tempest_args)
            log('tempest ran in %.1fs (rc %d)' % (time.monotonic() - t0, rc))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.keep:
            log('kept %s' % workdir)
    counts = summarize(output)
    log('total %.1fs' % (time.monotonic() - started))
    passed = counts['passed'] or 0
    failed = counts['failed'] if counts['failed'] is not None else 1
    skipped = counts['skipped'] or 0
    print('tempest: %d passed, %d failed, %d skipped'
          % (passed, failed, skipped), flush=True)
    if rc != 0 or failed or not passed:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

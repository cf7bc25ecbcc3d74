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

"""The install guide's split deployment, performed from the guide's text.

Everything the deployment runs or writes comes from the code blocks of
``doc/source/install/*.rst`` (read by :mod:`install_guide`) or from the
files the guide has the deployer copy (``etc/aggregates-ext``, installed by
``setup.cfg``'s ``data_files``), changed only by the substitution table of
:meth:`TestInstallGuide.substitutions` (host names, passwords, ports,
paths, the names of throwaway resources on the machine's shared servers).
The guide's hosts are directories: ``controller``, ``compute1`` and
``compute2`` (:class:`install_guide.Host`).  A step that no longer works as
written fails the test.

Steps run (page: step):

* prerequisites: the MariaDB statements (as the server's administrator);
  the three ``rabbitmqctl`` commands (a throwaway user and virtual host);
  the Keystone ``openstack user create``, ``role add``, ``service create``
  and ``endpoint create`` commands, against a real Keystone (the test's
  Glance is in its catalog); the ``clouds.yaml`` entry and ``openstack
  --os-cloud ... aggregate list``; ``openstack endpoint list`` (its output
  compared with the guide's) and the ``curl`` command.  The PostgreSQL
  statements and ``[database] connection``, with ``db sync``
  (:meth:`TestInstallGuide.test_postgresql_database`).
* controller: ``cp`` of the package's files to ``/etc/aggregates-ext``;
  the configuration file; ``aggregates-ext-manage db sync`` (its output
  compared); the API from the ``aggregates-ext-api.service`` unit (its
  ``Environment`` and ``ExecStart``: uWSGI with the shipped ini file,
  ``home`` uncommented as the guide says); the conductor from its unit;
  later the API under gunicorn with the shipped file, from the guide's
  command, in place of uWSGI.
* compute (twice, ``compute1`` and ``compute2``): the configuration file;
  the agent from the ``aggregates-ext-compute.service`` unit.
* verify: ``aggregates-ext-status upgrade check`` (exit 0); the
  ``openstack`` commands with ``OS_COMPUTE_SERVICE_TYPE``; ``precache
  list`` and ``precache show`` until the request is complete; ``ls`` of
  the cached file on each host of the aggregate.

Steps not run, and why:

* creating the virtualenv and ``pip install`` (the test runs in tox's
  environment, an editable install of the checkout: its console scripts
  stand for ``/opt/aggregates-ext/bin``, and the files ``setup.cfg``
  installs to ``<venv>/etc/aggregates-ext`` are staged from the checkout);
  ``apt-get install qemu-utils`` (the image is raw);
* ``useradd``, ``install -d -o ...``, ``chown``, ``chgrp``, ``chmod`` and
  ``su`` to the service users (no such users here; the test creates the
  directories and runs each ``su -c`` command as its own user);
* ``systemctl`` (no systemd: the test runs the units' ``ExecStart`` with
  their ``Environment``, without ``User``/``Group`` and restarts);
* ``aggregates-ext-api`` as the API server (the other functional tests
  run it); the ``nova`` and Tempest client settings; ``all-in-one.rst``
  (``test_osc_plugin``) and ``beside-nova.rst`` (``tox -e nova``).

What the deployment needs beyond the guide, from the cloud the guide
assumes: Keystone with its admin (``OS_*`` variables) and Glance in the
catalog (:class:`keystone.KeystoneFixture` and
:class:`glance.GlanceFixture`), and an image named ``cirros``.
"""

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid

import requests
import testtools

from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.functional import databases
from aggregates_ext.tests.functional import glance
from aggregates_ext.tests.functional import install_guide
from aggregates_ext.tests.functional import keystone
from aggregates_ext.tests.functional import processes
from aggregates_ext.tests.functional import rabbit
from aggregates_ext.tests.functional import support

BIN_DIR = os.path.dirname(os.path.abspath(sys.executable))
VENV = sys.prefix
TIMEOUT = 120
CONDUCTOR_SERVING = 'ConductorService serving RPC'
AGENTS = ('compute1', 'compute2')
IMAGE_SIZE = 1024 * 1024


class TestInstallGuide(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.timings = []
        self.started = time.monotonic()
        self.addDetail('timings', testtools.content.Content(
            testtools.content.UTF8_TEXT,
            lambda: [''.join('%6.1f s  %s\n' % t
                             for t in self.timings).encode()]))
        self.dir = self.useFixture(support.WorkDir('guide')).path
        self.suffix = uuid.uuid4().hex[:8]
        self.port = support.free_port()
        self.api_url = 'http://127.0.0.1:%d' % self.port
        self.agg_pass = 'agg-pass-%s' % uuid.uuid4().hex[:12]
        self.processes = {}

    def tick(self, what):
        self.timings.append((time.monotonic() - self.started, what))

    # -- the substitution table ----------------------------------------

    def substitutions(self):
        """The guide's names and this machine's, with why."""
        return install_guide.Substitutions([
            ('/opt/aggregates-ext/bin/', BIN_DIR + '/',
             'the package is installed in the test environment'),
            ('/opt/aggregates-ext/etc/aggregates-ext', self.package_etc,
             "what pip installs to <venv>/etc/aggregates-ext (setup.cfg's "
             "data_files), staged: an editable install does not"),
            ('# home = /opt/aggregates-ext', 'home = ' + VENV,
             'the guide: "uncomment home for the virtualenv"'),
            ('https://controller:5000/v3', self.keystone.auth_url,
             "the test's Keystone, plain HTTP"),
            ('https://controller:9774', self.api_url,
             'the API on a free port, plain HTTP'),
            ('http://controller:9774', self.api_url, 'the same'),
            ('0.0.0.0:9774', '127.0.0.1:%d' % self.port,
             'the same, in the shipped WSGI server files'),
            ('AGG_PASS', self.agg_pass, "the service user's password"),
            ('ADMIN_PASS', self.keystone.ADMIN_PASSWORD,
             "the test Keystone's admin password"),
            ('--password-prompt', '--password ' + self.agg_pass,
             'the prompt needs a terminal'),
            ('aggregates-ext:RABBIT_PASS@controller:5672/aggregates-ext',
             '%s:%s@%s/%s' % (self.rabbit_name, self.rabbit_pass,
                              self.rabbit_netloc, self.rabbit_name),
             "a throwaway user and virtual host on the machine's RabbitMQ"),
            ('aggregates_ext:AGG_DBPASS@controller/aggregates_ext',
             '%s:%s@%s/%s' % (self.db_name, self.db_pass, self.db_netloc,
                              self.db_name),
             "a throwaway user and database on the machine's MariaDB"),
        ])

    # -- processes -----------------------------------------------------

    def start_unit(self, host, name, description):
        """Start a systemd unit of the guide: its Environment, ExecStart."""
        page = 'compute' if host.name in AGENTS else 'controller'
        unit = install_guide.block(page, 'ini', 'Description=' + description)
        service = unit.ini()['Service']
        env = dict(host.env)
        for assignment in service.get('Environment', '').split():
            key, _sep, value = assignment.partition('=')
            env[key] = host.subs(value, unit.where)
        argv = host.argv(install_guide.Command(
            '#', service['ExecStart'], unit.where))
        return self.start_process(host, name, argv, env)

    def start_process(self, host, name, argv, env=None):
        proc = processes.Process(
            name, argv, os.path.join(self.dir, '%s.log' % name),
            env=env or host.env, cwd=host.root)
        self.processes[name] = proc
        self.addCleanup(proc.stop)
        self.addDetail('%s-log' % name, proc.log_detail())
        proc.start()
        return proc

    def wait_log(self, proc, text):
        def found():
            proc.check_alive()
            with open(proc.log, errors='replace') as f:
                return text in f.read()
        support.wait_for(found, TIMEOUT, interval=0.5,
                         what='%r in the log of %s' % (text, proc.name))

    def wait_api(self, proc):
        def ready():
            proc.check_alive()
            try:
                return requests.get(self.api_url + '/healthcheck',
                                    timeout=10).status_code == 200
            except requests.RequestException:
                return False
        support.wait_for(ready, TIMEOUT, interval=0.5,
                         what='the API under %s' % proc.name)

    # -- the cloud the guide assumes -----------------------------------

    def admin_env(self):
        return {'OS_AUTH_URL': self.keystone.auth_url,
                'OS_USERNAME': 'admin',
                'OS_PASSWORD': self.keystone.ADMIN_PASSWORD,
                'OS_PROJECT_NAME': 'admin',
                'OS_USER_DOMAIN_NAME': 'Default',
                'OS_PROJECT_DOMAIN_NAME': 'Default',
                'OS_REGION_NAME': self.keystone.REGION,
                'OS_IDENTITY_API_VERSION': '3'}

    def start_cloud(self):
        self.keystone = self.useFixture(keystone.KeystoneFixture())
        self.glance = self.useFixture(
            glance.GlanceFixture(keystone=self.keystone))
        # The fixture seeds the service user the guide creates.
        self.keystone.delete_user(keystone.KeystoneFixture.SERVICE_USER)
        self.image_data = agg_fixtures.raw_image_data(IMAGE_SIZE)
        self.image = self.glance.create_image(self.image_data, name='cirros')
        self.tick('Keystone and Glance')

    # -- prerequisites.rst ---------------------------------------------

    def make_database(self):
        pymysql, kw = databases.mysql_admin()
        try:
            databases.mysql_execute(kw, 'SELECT 1')
        except pymysql.Error as e:
            support.require_or_skip('MariaDB at %s:%s: %s'
                                    % (kw['host'], kw['port'], e))
        self.db_name = 'aggext_guide_%s' % self.suffix
        self.db_pass = 'db-pass-%s' % uuid.uuid4().hex[:12]
        self.db_netloc = '%s:%d' % (kw['host'], kw['port'])
        subs = install_guide.Substitutions([
            ('aggregates_ext', self.db_name, 'a throwaway name'),
            ('AGG_DBPASS', self.db_pass, 'the password')])
        block = install_guide.block('prerequisites', 'console',
                                    'MariaDB [(none)]> CREATE DATABASE')
        commands = block.commands()
        self.assertEqual('mysql', commands[0].line, block.where)
        self.addCleanup(databases.mysql_execute, kw,
                        "DROP USER IF EXISTS '%s'@'%%'" % self.db_name)
        self.addCleanup(databases.mysql_drop_database, kw, self.db_name)
        databases.mysql_execute(kw, *[subs(c.line, c.where)
                                      for c in commands[1:]])

    def make_vhost(self):
        ctl = shutil.which('rabbitmqctl')
        if ctl is None:
            support.require_or_skip('rabbitmqctl is not installed')
        self.rabbit_netloc = urllib.parse.urlsplit(
            rabbit.rabbit_url()).netloc.rpartition('@')[2]
        self.rabbit_name = 'aggext-guide-%s' % self.suffix
        self.rabbit_pass = 'rabbit-pass-%s' % uuid.uuid4().hex[:12]
        self.vhost_subs = install_guide.Substitutions([
            ('aggregates-ext', self.rabbit_name, 'a throwaway name'),
            ('RABBIT_PASS', self.rabbit_pass, 'the password')])
        for args in (['delete_vhost', self.rabbit_name],
                     ['delete_user', self.rabbit_name]):
            self.addCleanup(subprocess.run, [ctl, '-q'] + args,
                            capture_output=True, timeout=60)
        self.vhost_commands = install_guide.block(
            'prerequisites', 'console', 'rabbitmqctl add_vhost').commands()

    def register_in_keystone(self, controller):
        for first in ('openstack user create', 'openstack service create'):
            block = install_guide.block('prerequisites', 'console', first)
            for cmd in block.commands():
                controller.run(cmd, env=self.admin_env())

    # -- controller.rst ------------------------------------------------

    def stage_package_files(self):
        """<venv>/etc/aggregates-ext as ``pip install`` would fill it."""
        setup = configparser.ConfigParser()
        setup.read(os.path.join(support.REPO_ROOT, 'setup.cfg'))
        lines = setup['files']['data_files'].split('\n')
        target = None
        for line in filter(None, (x.strip() for x in lines)):
            if line.endswith('='):
                target = os.path.join(self.package_etc_root,
                                      line[:-1].strip())
                os.makedirs(target)
            else:
                shutil.copy(os.path.join(support.REPO_ROOT, line), target)

    def install_controller(self, controller):
        install = install_guide.block('controller', 'console', 'useradd')
        (cp,) = [c for c in install.commands() if c.text.startswith('cp ')]
        controller.run(cp)
        # What a deployer uses as shipped; only the guide's paths and
        # ports change.
        etc = controller.path('/etc/aggregates-ext')
        for name in os.listdir(etc):
            with open(os.path.join(etc, name)) as f:
                text = f.read()
            controller.write('/etc/aggregates-ext/' + name, text,
                             'etc/aggregates-ext/' + name)
        # useradd --create-home makes the service's state_path.
        os.makedirs(controller.path('/var/lib/aggregates-ext'))
        conf = install_guide.block('controller', 'ini',
                                   '[keystone_authtoken]')
        database = install_guide.block('prerequisites', 'ini',
                                       'mysql+pymysql://')
        self.assertIn(database.text, conf.text,
                      'prerequisites and controller disagree')
        controller.write('/etc/aggregates-ext/aggregates-ext.conf',
                         conf.text, conf.where)
        controller.run(install_guide.command(
            'controller', 'su -s /bin/sh aggregates-ext -c '
            '"/opt/aggregates-ext/bin/aggregates-ext-manage db sync"'))
        self.tick('controller configured, db sync')
        api = self.start_unit(controller, 'api-uwsgi', 'aggregates-ext API')
        conductor = self.start_unit(controller, 'conductor',
                                    'aggregates-ext conductor')
        self.wait_api(api)
        self.wait_log(conductor, CONDUCTOR_SERVING)
        self.tick('API (uWSGI) and conductor')

    # -- compute.rst ---------------------------------------------------

    def install_compute_host(self, subs, name):
        extra = [] if name == 'compute1' else [
            ('host = compute1', 'host = ' + name, 'the second host')]
        host = install_guide.Host(name, self.dir, subs, extra)
        conf = install_guide.block('compute', 'ini', 'instances_path =')
        host.write('/etc/aggregates-ext/aggregates-ext.conf', conf.text,
                   conf.where)
        # install -d ... /var/lib/aggregates-ext; nova-compute's own.
        os.makedirs(host.path('/var/lib/aggregates-ext'))
        os.makedirs(host.path('/var/lib/nova/instances'))
        self.start_unit(host, name, 'aggregates-ext compute agent')
        return host

    def wait_hosts_up(self, hosts):
        token = self.keystone.token('admin')

        def up():
            for proc in self.processes.values():
                proc.check_alive()
            r = requests.get(self.api_url + '/v2.1/os-services',
                             headers={'X-Auth-Token': token}, timeout=30)
            self.assertEqual(200, r.status_code, r.text)
            states = {s['host']: s['state'] for s in r.json()['services']}
            return all(states.get(h) == 'up' for h in hosts)
        support.wait_for(
            up, TIMEOUT, interval=0.5,
            what='hosts %s in GET /os-services' % ', '.join(hosts))
        self.tick('agents registered')

    # -- verify.rst ----------------------------------------------------

    def verify(self, controller, computes):
        controller.run(install_guide.command('verify', 'su -s /bin/sh '
                                             'aggregates-ext -c "/opt/'
                                             'aggregates-ext/bin/'
                                             'aggregates-ext-status'))
        env = self.admin_env()
        block = install_guide.block('verify', 'console',
                                    'openstack aggregate create')
        out = {}
        for cmd in block.commands():
            word, _sep, rest = cmd.line.partition(' ')
            if word == 'export':
                key, _sep, value = rest.partition('=')
                env[key] = value
            elif word == 'unset':
                env.pop(rest, None)
            else:
                out[cmd.line] = controller.run(cmd, env=env).stdout
        self.tick('verify: openstack commands')
        rows = [r for r in out['openstack compute service list'].split('\n')
                if 'nova-compute' in r]
        for name in AGENTS:
            self.assertTrue([r for r in rows if ' %s ' % name in r
                             and ' up ' in r], rows)
        in_aggregate = [h for h in AGENTS
                        if 'openstack aggregate add host agg1 %s' % h in out]
        self.assertTrue(in_aggregate, out)

        follow = install_guide.block('verify', 'console', 'precache list')
        listing, show = follow.commands()
        (line,) = controller.run(listing).stdout.splitlines()
        request_id = line.split()[0]
        with_id = controller.extended(
            ('<request id>', request_id, 'from precache list'))

        def complete():
            body = json.loads(with_id.run(show).stdout)
            return body if body['status'] not in ('pending',
                                                  'running') else None
        body = support.wait_for(complete, TIMEOUT, interval=0.5,
                                what='pre-cache request %s' % request_id)
        self.assertEqual('complete', body['status'], body)
        self.assertEqual(sorted(in_aggregate),
                         sorted(h['host'] for h in body['hosts']))
        self.tick('verify: pre-cache complete')

        (ls,) = install_guide.block('verify', 'console', 'sha1sum').commands()
        for host in computes:
            located = host.extended(
                ('<image id>', self.image['id'], 'the cirros image'))
            listed = located.run(ls, check=host.name in in_aggregate)
            self.assertEqual(host.name in in_aggregate,
                             listed.returncode == 0, listed)
            if host.name in in_aggregate:
                self.assertIn(' %d ' % IMAGE_SIZE, listed.stdout)

    # -- the clients, and gunicorn --------------------------------------

    def clients(self, controller):
        yaml = install_guide.block('prerequisites', 'yaml', 'clouds:')
        path = os.path.join(controller.root, '.config', 'openstack',
                            'clouds.yaml')
        os.makedirs(os.path.dirname(path))
        with open(path, 'w') as f:
            f.write(controller.subs(yaml.text, yaml.where))
        listed = controller.run(install_guide.command(
            'prerequisites', 'openstack --os-cloud mycloud-aggregates'))
        self.assertIn(' agg1 ', listed.stdout)
        plain = install_guide.block('prerequisites', 'console', 'curl -s')
        endpoint, curl = plain.commands()
        controller.run(endpoint, env=self.admin_env())
        body = json.loads(controller.run(curl, env=self.admin_env()).stdout)
        self.assertEqual(['agg1'], [a['name'] for a in body['aggregates']])
        self.tick('clients')

    def switch_to_gunicorn(self, controller):
        self.processes.pop('api-uwsgi').stop()
        cmd = install_guide.command('controller',
                                    '/opt/aggregates-ext/bin/gunicorn')
        api = self.start_process(controller, 'api-gunicorn',
                                 controller.argv(cmd))
        self.wait_api(api)
        self.tick('API under gunicorn')

    # -- the tests -------------------------------------------------------

    def test_postgresql_database(self):
        psycopg2, kw = databases.postgresql_admin()
        try:
            databases.postgresql_execute(kw, 'SELECT 1')
        except psycopg2.Error as e:
            support.require_or_skip('PostgreSQL at %s:%s: %s'
                                    % (kw['host'], kw['port'], e))
        name = 'aggext_guide_%s' % self.suffix
        password = 'db-pass-%s' % uuid.uuid4().hex[:12]
        block = install_guide.block('prerequisites', 'console',
                                    'postgres=# CREATE DATABASE')
        commands = block.commands()
        self.assertEqual('su postgres -c psql', commands[0].line, block.where)
        names = install_guide.Substitutions([
            ('aggregates_ext', name, 'a throwaway name'),
            ('AGG_DBPASS', password, 'the password')])
        self.addCleanup(databases.postgresql_execute, kw,
                        'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name,
                        'DROP USER IF EXISTS "%s"' % name)
        databases.postgresql_execute(kw, *[names(c.line, c.where)
                                           for c in commands[1:]])
        subs = install_guide.Substitutions([
            ('/opt/aggregates-ext/bin/', BIN_DIR + '/',
             'the package is installed in the test environment'),
            ('aggregates_ext:AGG_DBPASS@controller/aggregates_ext',
             '%s:%s@%s:%d/%s' % (name, password, kw['host'], kw['port'],
                                 name),
             "a throwaway user and database on the machine's PostgreSQL")])
        controller = install_guide.Host('controller', self.dir, subs)
        conf = install_guide.block('prerequisites', 'ini',
                                   'postgresql+psycopg2://')
        controller.write('/etc/aggregates-ext/aggregates-ext.conf',
                         conf.text, conf.where)
        controller.run(install_guide.command(
            'controller', 'su -s /bin/sh aggregates-ext -c '
            '"/opt/aggregates-ext/bin/aggregates-ext-manage db sync"'))

    def test_split_deployment(self):
        self.start_cloud()
        self.package_etc_root = os.path.join(self.dir, 'package')
        self.package_etc = os.path.join(self.package_etc_root, 'etc',
                                        'aggregates-ext')
        self.stage_package_files()
        self.make_database()
        self.make_vhost()
        subs = self.substitutions()
        self.addDetail('substitutions', testtools.content.text_content(
            subs.describe()))
        controller = install_guide.Host('controller', self.dir, subs)
        for cmd in self.vhost_commands:
            controller.run(cmd, subs=self.vhost_subs)
        self.register_in_keystone(controller)
        self.tick('prerequisites')
        self.install_controller(controller)
        computes = [self.install_compute_host(subs, name) for name in AGENTS]
        self.wait_hosts_up(AGENTS)
        self.verify(controller, computes)
        self.switch_to_gunicorn(controller)
        self.clients(controller)

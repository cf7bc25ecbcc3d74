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

"""aggregates-ext as deployers run it: one process per service.

:class:`Deployment` starts, from their console scripts and each with a
configuration file of its own, any mix of ``aggregates-ext-api``
processes (cheroot, a free port each), ``aggregates-ext-conductor``
processes (active-active on one broker and database) and
``aggregates-ext-compute`` agents (``[DEFAULT] host = compute-N``, the
``libvirt`` image cache below their own ``instances_path``).  They share a
database synced with ``aggregates-ext-manage db sync`` (a throwaway
MariaDB or PostgreSQL database, or an SQLite file) and talk over a
RabbitMQ virtual host of their own (:class:`rabbit.RabbitVhost`), so that
other test runs on the same broker never see their messages.

Authentication is ``noauth2`` or ``keystone`` (a started
:class:`keystone.KeystoneFixture`: the API is then registered as that
Keystone's ``compute`` endpoint, runs keystonemiddleware with the
fixture's ``[keystone_authtoken]`` options, and the services reach Glance
as the ``aggregates-ext`` service user through the catalog).  Without
Keystone, the services reach the Glance they are given (a
:class:`glance.GlanceFixture`'s URL, or a
:class:`glance.GlanceAuthProxy`'s) with the caller's token.

Cleanup order (fixtures unwind in reverse): agents, conductors, APIs,
then the database and the virtual host.

This module is also used outside of tests (``tools/tempest/run.py``).
"""

import datetime
import hashlib
import os
import signal
import time
import types
import uuid

from oslo_utils import timeutils
import requests
import sqlalchemy as sa

from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import models
from aggregates_ext.db import precache as precache_db
from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.functional import databases
from aggregates_ext.tests.functional import processes
from aggregates_ext.tests.functional import rabbit
from aggregates_ext.tests.functional import support

MiB = 1024 * 1024
CONDUCTOR_SERVING = 'ConductorService serving RPC'
COMPUTE_BINARY = hosts_db.COMPUTE_BINARY


def libvirt_cache_name(image_id):
    """File name nova-compute's libvirt driver gives a cached image."""
    return hashlib.sha1(image_id.encode('utf-8')).hexdigest()


class Deployment(support.ServiceFixture):
    """aggregates-ext-api, -conductor and -compute agents as processes.

    :param agents: number of compute agents (``compute-0`` ...).
    :param conductors: number of conductors: ``conductor`` when there is
        one, ``conductor-0`` ... otherwise; 0 for none.
    :param apis: number of API processes (``api``, ``api-1`` ...), each
        on a port of its own.
    :param auth_strategy: ``noauth2`` or ``keystone``.
    :param keystone: a started ``KeystoneFixture`` (required for
        ``keystone``; the API becomes its ``compute`` endpoint).
    :param glance: a started ``GlanceFixture`` whose URL the services use
        (``[glance] endpoint_override``).
    :param image_url: the Glance root URL the services use instead (a
        :class:`glance.GlanceAuthProxy`'s); with Keystone and neither of
        the two, Glance is found in the catalog.
    :param database: ``mysql`` (default), ``postgresql`` (a throwaway
        database on the machine's server, see
        :class:`databases.ThrowawayDatabase`) or ``sqlite`` (a file
        shared by the processes).
    :param transport_url: default: a :class:`rabbit.RabbitVhost`.
    :param conf: ``{section: {option: value}}`` for every process.
    :param api_conf, conductor_conf, agent_conf: the same, for the APIs,
        the conductors or the agents only.
    :param base_dir: make the deployment's directory (config, logs, the
        agents' instances paths) there and keep it; default: a temp dir,
        removed at cleanup unless AGGREGATES_EXT_FUNCTIONAL_KEEP=1.
    :param host_prefix: the agents' host names' prefix.

    Attributes: ``url`` (``http://127.0.0.1:PORT`` of the first API),
    ``endpoint`` (``url + '/v2.1'``), ``port``, ``api_urls`` (one per API
    process), ``apis`` and ``api`` (the first), ``conductors`` and
    ``conductor`` (the first, or None), ``agents`` (host ->
    :class:`processes.Process`), ``processes`` (name -> the same),
    ``hosts``, ``rabbit`` (the :class:`rabbit.RabbitVhost`, or None),
    ``db_url``, ``engine`` (SQLAlchemy, for the test's own reads),
    ``dir``, ``start_seconds``; ``RPC_RESPONSE_TIMEOUT``,
    ``LONG_RPC_TIMEOUT``, ``REPORT_INTERVAL``, ``SERVICE_DOWN_TIME``.
    """

    RPC_RESPONSE_TIMEOUT = 5
    LONG_RPC_TIMEOUT = 120
    REPORT_INTERVAL = 1
    SERVICE_DOWN_TIME = 6

    def __init__(self, agents=2, conductors=1, apis=1,
                 auth_strategy='noauth2', keystone=None, glance=None,
                 image_url=None, database='mysql', transport_url=None,
                 conf=None, api_conf=None, conductor_conf=None,
                 agent_conf=None, base_dir=None, host_prefix='compute'):
        super().__init__()
        if auth_strategy == 'keystone' and keystone is None:
            raise ValueError('the keystone strategy needs a KeystoneFixture')
        self.auth_strategy = auth_strategy
        self.keystone = keystone
        self.image_url = image_url or (glance.url if glance else None)
        self.database = database
        self.transport_url = transport_url
        self.n_apis = apis
        self.n_conductors = conductors
        self.hosts = ['%s-%d' % (host_prefix, i) for i in range(agents)]
        self.extra_conf = conf or {}
        self.api_conf = api_conf or {}
        self.conductor_conf = conductor_conf or {}
        self.agent_conf = agent_conf or {}
        self.base_dir = base_dir
        self.processes = {}

    # -- setup ----------------------------------------------------------------

    def _setUp(self):
        started = time.monotonic()
        self.dir = self.useFixture(support.WorkDir(
            'deploy', base_dir=self.base_dir)).path
        self.rabbit = None
        if self.transport_url is None:
            self.rabbit = self.useFixture(rabbit.RabbitVhost())
        if self.database == 'sqlite':
            self.db_url = 'sqlite:///' + os.path.join(
                self.dir, 'aggregates-ext.sqlite')
        else:
            self.db_url = self.useFixture(
                databases.ThrowawayDatabase(self.database)).url
        self.env = processes.clean_env()
        self._db_sync()
        self._configure_db_access()
        self._make_processes(self._common_conf())
        # Stopped in this order: all agents (in parallel), the
        # conductors, then the APIs.
        for proc in self.apis:
            self.addCleanup(proc.stop, 10)
        self.addCleanup(self.stop_conductors)
        self.addCleanup(self.stop_agents)
        timeout = support.timeout()
        for proc in self.apis + self.conductors:
            proc.start()
        # Agents heartbeat through a conductor from their first second:
        # start them once its RPC server consumes.
        for proc in self.conductors:
            self.wait_log(proc, CONDUCTOR_SERVING, timeout=timeout)
        for proc in self.agents.values():
            proc.start()
        for proc, url in zip(self.apis, self.api_urls):
            self.wait_api(proc, url, timeout=timeout)
        if self.hosts:
            self.wait_hosts_up(self.hosts, timeout=timeout)
        if self.keystone is not None:
            self.keystone.add_compute_endpoint(self.endpoint)
        self.start_seconds = time.monotonic() - started

    def _common_conf(self):
        default = {
            'report_interval': self.REPORT_INTERVAL,
            'service_down_time': self.SERVICE_DOWN_TIME,
            'rpc_response_timeout': self.RPC_RESPONSE_TIMEOUT,
            'long_rpc_timeout': self.LONG_RPC_TIMEOUT,
            'debug': False,
        }
        if self.rabbit is not None:
            default['transport_url'] = self.rabbit.url
            default['control_exchange'] = self.rabbit.control_exchange
        else:
            default['transport_url'] = self.transport_url
        conf = {
            'DEFAULT': default,
            'api': {'auth_strategy': self.auth_strategy,
                    'response_validation': 'error'},
            'image': {'source': 'glance'},
            'glance': {},
            'image_cache': {'driver': 'libvirt', 'reserved_disk_mb': 0},
        }
        if self.keystone is not None:
            conf['keystone_authtoken'] = self.keystone.authtoken_options()
            creds = self.keystone.service_user
            conf['glance'].update({
                'auth_type': 'password',
                'auth_url': self.keystone.auth_url,
                'username': creds.username,
                'password': creds.password,
                'project_name': creds.project_name,
                'user_domain_id': 'default',
                'project_domain_id': 'default',
                'region_name': self.keystone.REGION,
            })
        if self.image_url:
            # Without a service user, the API and the agents pass on the
            # token of the request.
            conf['glance']['endpoint_override'] = self.image_url
        return support.merge(conf, self.extra_conf)

    def _make_processes(self, common):
        database = {'database': {'connection': self.db_url}}
        self.apis = []
        self.api_urls = []
        for index in range(self.n_apis):
            name = 'api' if index == 0 else 'api-%d' % index
            port = support.free_port()
            # SIGINT: cheroot's own way out of its serve loop.
            sections = support.merge(support.merge(common, database),
                                     self.api_conf)
            self.apis.append(self._process(
                name, 'aggregates-ext-api', stop_signal=signal.SIGINT,
                sections=support.merge(sections, {'api': {
                    'bind_host': '127.0.0.1', 'bind_port': port}})))
            self.api_urls.append('http://127.0.0.1:%d' % port)
        self.api = self.apis[0] if self.apis else None
        self.url = self.api_urls[0] if self.api_urls else None
        self.port = int(self.url.rsplit(':', 1)[1]) if self.url else None
        self.endpoint = self.url + '/v2.1' if self.url else None
        names = (['conductor'] if self.n_conductors == 1 else
                 ['conductor-%d' % i for i in range(self.n_conductors)])
        self.conductors = [self._process(
            name, 'aggregates-ext-conductor', support.merge(
                support.merge(common, database), self.conductor_conf))
            for name in names]
        self.conductor = self.conductors[0] if self.conductors else None
        self.agents = {}
        for host in self.hosts:
            os.makedirs(self.instances_path(host))
            self.agents[host] = self._process(
                host, 'aggregates-ext-compute', support.merge(
                    support.merge(common, {'DEFAULT': {
                        'instances_path': self.instances_path(host),
                        'state_path': os.path.join(self.dir, host)}}),
                    self.agent_conf))

    def _process(self, name, script, sections, stop_signal=signal.SIGTERM):
        default = sections['DEFAULT']
        default['host'] = name
        default.setdefault('state_path', os.path.join(self.dir, name))
        default['log_file'] = os.path.join(self.dir, '%s.oslo.log' % name)
        os.makedirs(default['state_path'], exist_ok=True)
        path = os.path.join(self.dir, '%s.conf' % name)
        support.write_conf(path, sections)
        proc = processes.Process(
            name, [support.bin_path(script), '--config-file', path],
            self.log_path(name), env=self.env, cwd=self.dir,
            stop_signal=stop_signal)
        # The oslo.log file has the service's log; stdout/stderr the rest.
        proc.oslo_log = default['log_file']
        self.processes[name] = proc
        self.addDetail('%s-log' % name, proc.log_detail())
        return proc

    def _db_sync(self):
        path = os.path.join(self.dir, 'manage.conf')
        support.write_conf(path, {
            'DEFAULT': {'state_path': self.dir},
            'database': {'connection': self.db_url}})
        processes.run([support.bin_path('aggregates-ext-manage'),
                       '--config-file', path, 'db', 'sync'],
                      self.log_path('manage'), self.env, self.dir)

    def _configure_db_access(self):
        # The test process reads the shared database through the product's
        # own queries (db.precache, db.hosts), and with SQLAlchemy of its
        # own (``engine``) behind the API's back.
        engines.configure(types.SimpleNamespace(
            database=types.SimpleNamespace(
                connection=self.db_url, max_retries=10,
                connection_debug=0),
            nova_database=types.SimpleNamespace(connection=None),
            state_path=self.dir))
        self.addCleanup(engines.reset)
        self.engine = sa.create_engine(self.db_url,
                                       poolclass=sa.pool.NullPool)
        self.addCleanup(self.engine.dispose)

    # -- paths ----------------------------------------------------------------

    def log_path(self, name):
        """The stdout and stderr of process ``name``."""
        return os.path.join(self.dir, '%s.log' % name)

    def instances_path(self, host):
        return os.path.join(self.dir, host, 'instances')

    def cache_dir(self, host):
        """The libvirt image cache of ``host``: ``<instances_path>/_base``."""
        return os.path.join(self.instances_path(host), '_base')

    def cache_path(self, host, image_id):
        return os.path.join(self.cache_dir(host),
                            libvirt_cache_name(image_id))

    def base_files(self, host):
        try:
            return sorted(os.listdir(self.cache_dir(host)))
        except FileNotFoundError:
            return []

    def part_files(self, host):
        return [n for n in self.base_files(host)
                if n.endswith('.part') or n.endswith('.converted')]

    # -- stopping and restarting ----------------------------------------------

    def stop_agents(self, hosts=None):
        """Stop the agents of ``hosts`` (default: all) in parallel."""
        procs = [self.agents[h] for h in (hosts or self.hosts)]
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait_stopped()

    def stop_conductors(self):
        for proc in self.conductors:
            proc.terminate()
        for proc in self.conductors:
            proc.wait_stopped()

    def restart_conductor(self, proc, timeout=90, wait=True):
        """Start a conductor again; return once its RPC server consumes.

        :param wait: False to return at once
        :returns: the count of CONDUCTOR_SERVING lines in its log that
            says it serves (for ``wait_log``)
        """
        count = self.log_text(proc).count(CONDUCTOR_SERVING) + 1
        proc.start()
        if wait:
            self.wait_log(proc, CONDUCTOR_SERVING, timeout=timeout,
                          count=count)
        return count

    def restart_agent(self, host, timeout=90):
        """Start ``host``'s agent again; return once it has heartbeated."""
        svc = self.services().get(host)
        before = svc.report_count if svc is not None else 0
        self.agents[host].start()

        def reported():
            self.agents[host].check_alive()
            svc = self.services().get(host)
            return svc is not None and svc.report_count > before
        support.wait_for(reported, timeout,
                         what='%s to report again' % host)

    def check_conductors(self):
        """Fail when no conductor runs (with the log of the first)."""
        if self.conductors and not any(p.alive() for p in self.conductors):
            self.conductor.check_alive()

    def check_apis(self):
        """Fail when an API process is gone (with its log)."""
        for proc in self.apis:
            proc.check_alive()

    # -- the services' logs ---------------------------------------------------

    def log_text(self, proc):
        """The oslo.log file of ``proc`` (a :class:`processes.Process`)."""
        return proc.oslo_log_text()

    def wait_log(self, proc, text, timeout=90, count=1):
        """Wait for ``count`` lines with ``text`` in ``proc``'s oslo.log."""
        def found():
            proc.check_alive()
            return proc.oslo_log_text().count(text) >= count
        support.wait_for(found, timeout,
                         what='%r in the log of %s' % (text, proc.name))

    def log_times(self, proc, text):
        """Times (datetime) of the oslo.log lines of ``proc`` with ``text``."""
        return [datetime.datetime.strptime(line[:23], '%Y-%m-%d %H:%M:%S.%f')
                for line in proc.oslo_log_text().splitlines()
                if text in line]

    def log_sizes(self):
        """{API process name: its log's size}, to read what comes next."""
        sizes = {}
        for proc in self.apis:
            try:
                sizes[proc.name] = os.path.getsize(proc.oslo_log)
            except OSError:
                sizes[proc.name] = 0
        return sizes

    def errors_since(self, sizes):
        """The first line of each API error logged since ``sizes``."""
        lines = []
        for name, offset in sizes.items():
            with open(self.processes[name].oslo_log, 'rb') as f:
                f.seek(offset)
                text = f.read().decode('utf-8', 'replace')
            lines += ['%s: %s' % (name, line) for line in text.splitlines()
                      if 'Unexpected error' in line]
        return lines

    # -- the host registry ----------------------------------------------------

    def services(self):
        """{host: the agent's row in the host registry}."""
        return {s.host: s for s in hosts_db.get_all(binary=COMPUTE_BINARY)}

    def seconds_since_heartbeat(self, host):
        svc = self.services().get(host)
        if svc is None or svc.last_seen_up is None:
            return None
        return (timeutils.utcnow() - svc.last_seen_up).total_seconds()

    def is_up(self, host):
        age = self.seconds_since_heartbeat(host)
        return age is not None and age <= self.SERVICE_DOWN_TIME

    def wait_hosts_up(self, hosts, timeout=120):
        def up():
            self.check_conductors()
            for host in hosts:
                self.agents[host].check_alive()
            return all(self.is_up(h) for h in hosts)
        support.wait_for(up, timeout,
                         what='hosts %s to report' % ', '.join(hosts))

    def wait_host_down(self, host, timeout=60):
        def down():
            age = self.seconds_since_heartbeat(host)
            # A margin over the conductor's own comparison.
            return age is not None and age > self.SERVICE_DOWN_TIME + 1
        support.wait_for(down, timeout, what='%s to count as down' % host)

    def register_hosts(self, hosts):
        """Rows in the host registry, as an agent's first heartbeat makes.

        Written directly: add_host only asks the registry whether the host
        exists, so no agent (and no broker) is needed.
        """
        now = timeutils.utcnow()
        rows = [dict(uuid=str(uuid.uuid4()), host=host,
                     binary=COMPUTE_BINARY, topic=COMPUTE_BINARY,
                     disabled=False, forced_down=False, report_count=1,
                     version=0, created_at=now, last_seen_up=now)
                for host in hosts]
        with self.engine.begin() as conn:
            conn.execute(sa.insert(models.Service.__table__), rows)

    # -- the API --------------------------------------------------------------

    def wait_api(self, proc, url, timeout=90):
        """Return once the API process ``proc`` answers at ``url``."""
        def ready():
            proc.check_alive()
            try:
                return requests.get(url + '/', timeout=5).status_code == 200
            except requests.RequestException:
                return False
        support.wait_for(ready, timeout, interval=0.1,
                         what='%s to answer' % proc.name)

    def call(self, method, path, body=None, version='2.81', expect=None):
        """A noauth2 admin request to the first API."""
        headers = {'X-Auth-Token': 'admin:admin',
                   'OpenStack-API-Version': 'compute %s' % version}
        r = requests.request(method, self.endpoint + path,
                             json=body, headers=headers, timeout=60)
        if expect is not None and r.status_code != expect:
            raise AssertionError('%s %s -> %d (expected %d): %s' % (
                method, path, r.status_code, expect, r.text[:1000]))
        return r

    def create_aggregate(self, hosts, name=None):
        agg = self.call('POST', '/os-aggregates', {'aggregate': {
            'name': name or 'agg-%s' % uuid.uuid4().hex[:8]}},
            expect=200).json()['aggregate']
        for host in hosts:
            self.call('POST', '/os-aggregates/%s/action' % agg['id'],
                      {'add_host': {'host': host}}, expect=200)
        return agg['id']

    def precache(self, aggregate_id, image_ids, expect=202):
        return self.call('POST', '/os-aggregates/%s/images' % aggregate_id,
                         {'cache': [{'id': i} for i in image_ids]},
                         expect=expect)

    # -- pre-cache requests and the hosts' caches -----------------------------

    def requests_of(self, aggregate_id):
        return precache_db.list_requests(aggregate_id=aggregate_id)

    def wait_requests_finished(self, aggregate_id, count=1, timeout=90):
        """The aggregate's ``count`` requests, once all have finished."""
        def finished():
            self.check_conductors()
            reqs = self.requests_of(aggregate_id)
            if len(reqs) >= count and all(r.finished_at for r in reqs):
                return reqs
            return None
        return support.wait_for(
            finished, timeout, interval=0.25,
            what='%d pre-cache request(s) of aggregate %s to finish'
                 % (count, aggregate_id))

    def wait_for_cached(self, image_id, hosts=None, size=None, timeout=60):
        """Paths of ``image_id`` in every host's cache, once all exist.

        :raises AssertionError: not all there after ``timeout`` seconds.
        """
        hosts = list(hosts or self.hosts)
        deadline = time.monotonic() + timeout
        paths = {h: self.cache_path(h, image_id) for h in hosts}
        missing = hosts
        while time.monotonic() < deadline:
            missing = [h for h, p in paths.items()
                       if not os.path.isfile(p) or
                       (size is not None and os.path.getsize(p) != size)]
            if not missing:
                return paths
            time.sleep(0.1)
        raise AssertionError(
            'image %s not cached on %s after %ss; agent logs:\n%s' % (
                image_id, missing, timeout, '\n'.join(
                    '--- %s\n%s' % (h, support.tail(
                        self.agents[h].oslo_log, 3000)) for h in missing)))


def results_by_host(request):
    """{host: (status, {image_id: image status}, detail)} of a request."""
    images = {}
    for row in request.images:
        images.setdefault(row.host, {})[row.image_id] = row.status
    return {r.host: (r.status, images.get(r.host, {}), r.detail)
            for r in request.results}


def random_image(size):
    return agg_fixtures.raw_image_data(size)


def sha512(data):
    return hashlib.sha512(data).hexdigest()

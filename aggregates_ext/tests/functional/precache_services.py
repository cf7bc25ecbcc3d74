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

"""A multi-process aggregates-ext deployment for functional tests.

Every service runs from its console script in its own process, with its own
configuration file: ``aggregates-ext-api`` (noauth2, a free port),
one or more ``aggregates-ext-conductor`` and N ``aggregates-ext-compute``
agents (``compute-0``...), each with its own ``instances_path``.  They share a
throwaway PostgreSQL database (synced with ``aggregates-ext-manage``), a
RabbitMQ virtual host of their own, and a real Glance
(:class:`PrecacheGlance`, with the test filter of
``precache_glance_filter``).

Cleanup order (fixtures unwind in reverse): agents, conductors, API, then
Glance, the virtual host and the database.
"""

import datetime
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import urllib.parse
import uuid

import fixtures
from oslo_utils import timeutils
import requests
from testtools import content

from aggregates_ext.db import engines
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext.db import precache as precache_db
from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.functional import services

BIN_DIR = os.path.dirname(os.path.abspath(sys.executable))
FILTER_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'precache_glance_filter.py')
MiB = 1024 * 1024
LOG_TAIL = 24 * 1024
CONDUCTOR_SERVING = 'ConductorService serving RPC'


def _bin(name):
    path = os.path.join(BIN_DIR, name)
    if not os.path.exists(path):
        services.require_or_skip('%s is not installed next to %s'
                                 % (name, sys.executable))
    return path


def _keep():
    return os.environ.get('AGGREGATES_EXT_FUNCTIONAL_KEEP') == '1'


def write_conf(path, sections):
    with open(path, 'w') as f:
        for section, opts in sections.items():
            f.write('[%s]\n' % section)
            for key, value in opts.items():
                if value is None:
                    continue
                if isinstance(value, bool):
                    value = 'true' if value else 'false'
                f.write('%s = %s\n' % (key, value))
            f.write('\n')


def merge(base, extra):
    out = {s: dict(o) for s, o in base.items()}
    for section, opts in (extra or {}).items():
        out.setdefault(section, {}).update(opts)
    return out


def wait_for(predicate, timeout, interval=0.2, what='condition'):
    """Poll ``predicate`` until it returns a true value; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.0f s waiting for %s'
                                 % (timeout, what))
        time.sleep(interval)


# -- Glance -------------------------------------------------------------------

class PrecacheGlance(services.GlanceFixture):
    """GlanceFixture with ``precache_glance_filter`` in its pipeline.

    :param tokenless: what the filter does with requests that carry no
        token and no identity headers: ``deny`` or ``admin``.

    Extra attributes: ``filter_dir`` (request log and throttle file).
    """

    def __init__(self, tokenless='deny', **kwargs):
        super().__init__(**kwargs)
        self.tokenless = tokenless

    def _serve(self, app, env, deadline):
        # GlanceFixture._start has written its paste file; add our filter
        # to the headerauth pipeline before Glance is started.
        self.filter_dir = os.path.join(self.dir, 'precache')
        os.makedirs(self.filter_dir)
        shutil.copy(FILTER_SRC, os.path.join(self.filter_dir,
                                             'precache_glance_filter.py'))
        paste = os.path.join(self.dir, 'glance-api-paste.ini')
        with open(paste) as f:
            text = f.read()
        head, sep, tail = text.partition('headerauth = ')
        line, nl, rest = tail.partition('\n')
        if not sep or ' context ' not in line:
            raise services._StartError('unexpected Glance paste file')
        line = line.replace(' context ', ' precache context ', 1)
        text = head + sep + line + nl + rest + (
            '\n[filter:precache]\n'
            'paste.filter_factory = precache_glance_filter:filter_factory\n'
            'directory = %s\ntokenless = %s\n'
            % (self.filter_dir, self.tokenless))
        with open(paste, 'w') as f:
            f.write(text)
        env = dict(env, PYTHONPATH=self.filter_dir)
        return super()._serve(app, env, deadline)

    def set_throttle(self, bytes_per_second):
        path = os.path.join(self.filter_dir, 'throttle')
        with open(path + '.tmp', 'w') as f:
            f.write('%d\n' % (bytes_per_second or 0))
        os.replace(path + '.tmp', path)

    def requests_log(self):
        """[(time, event, method, path, auth, bytes, outcome)]."""
        entries = []
        try:
            with open(os.path.join(self.filter_dir, 'requests.log')) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return entries
        for line in lines:
            parts = line.split()
            parts += [None] * (7 - len(parts))
            ts, event, method, path, auth, size, outcome = parts[:7]
            entries.append((float(ts), event, method, path, auth,
                            int(size) if size else None, outcome))
        return entries

    def downloads(self, image_id, event='BEGIN'):
        """Log entries of the agents' (non-fixture) GETs of image data."""
        path = '/v2/images/%s/file' % image_id
        return [e for e in self.requests_log()
                if e[1] == event and e[2] == 'GET' and e[3] == path
                and e[4] != 'headers']

    def download_clients(self, image_id):
        """[(time, pid, pgid)] of the agents' GETs of the image's data.

        ``pgid`` is the process group of the process that sent the GET:
        a :class:`ServiceProcess`'s ``pid``.  None where the filter could
        not tell.
        """
        path = '/v2/images/%s/file' % image_id
        found = []
        try:
            with open(os.path.join(self.filter_dir, 'clients.log')) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return found
        for line in lines:
            ts, logged, pid, pgid = (line.split() + [None] * 4)[:4]
            if logged == path:
                found.append((float(ts),
                              int(pid) if pid.isdigit() else None,
                              int(pgid) if pgid.isdigit() else None))
        return found

    def stored_file(self, image_id):
        """The file store's copy of the image data."""
        return os.path.join(self.images_dir, image_id)


# -- RabbitMQ -----------------------------------------------------------------

class RabbitVhost(fixtures.Fixture):
    """A virtual host of the machine's RabbitMQ for one test.

    Attributes: ``url`` (transport URL), ``name`` (None when rabbitmqctl
    could not make one: then ``control_exchange`` isolates the test on the
    default virtual host), ``control_exchange``.
    """

    def _setUp(self):
        base = services.rabbit_url()
        self.control_exchange = 'aggext-%s' % uuid.uuid4().hex[:10]
        self.name = None
        self.url = base
        self.rabbitmqctl = shutil.which('rabbitmqctl')
        if self.rabbitmqctl is None:
            return
        name = 'aggext-test-%s' % uuid.uuid4().hex[:10]
        try:
            self._ctl('add_vhost', name)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return
        self.addCleanup(self._delete, name)
        self._ctl('set_permissions', '-p', name, self._user(base),
                  '.*', '.*', '.*')
        self.name = name
        u = urllib.parse.urlsplit(base)
        self.url = urllib.parse.urlunsplit(
            (u.scheme, u.netloc, '/' + urllib.parse.quote(name, safe=''),
             u.query, u.fragment))

    @staticmethod
    def _user(url):
        return urllib.parse.unquote(urllib.parse.urlsplit(url).username or
                                    'guest')

    def _ctl(self, *args, timeout=60):
        return subprocess.run([self.rabbitmqctl, '-q'] + list(args),
                              check=True, capture_output=True, text=True,
                              timeout=timeout).stdout

    def _delete(self, name):
        try:
            self._ctl('delete_vhost', name)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass

    def connections(self):
        out = self._ctl('list_connections', '-p', self.name, 'name')
        return [line for line in out.splitlines() if line.strip()]

    def close_all_connections(self, reason='test'):
        """Close every client connection of this virtual host only."""
        return self._ctl('close_all_connections', '--vhost', self.name,
                         reason)


# -- the aggregates-ext processes ---------------------------------------------

def _stat(pid):
    """(ppid, pgid) of a live process, or None."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rpartition(')')[2].split()
    except OSError:
        return None
    if fields[0] == 'Z':
        return None
    return int(fields[1]), int(fields[2])


def group_members(pgid):
    """{pid: ppid} of the live processes of process group ``pgid``."""
    members = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[1] == pgid:
                members[int(name)] = stat[0]
    return members


class ServiceProcess(object):
    """One console-script process, in its own process group.

    The services run under oslo.service's launcher (cotyledon): a parent
    process that forks the worker which does the work, and forks a new
    one if the worker dies.  ``kill``, ``kill_parent`` and
    ``kill_worker`` crash the whole group, the parent only or the worker
    only.
    """

    def __init__(self, name, script, conf_path, workdir,
                 stop_signal=signal.SIGTERM, argv=None):
        self.name = name
        self.stop_signal = stop_signal
        self.argv = argv or [_bin(script), '--config-file', conf_path]
        self.conf_path = conf_path
        self.log = os.path.join(workdir, '%s.log' % name)
        self.proc = None
        self.starts = 0
        # Groups of earlier starts that may still have members (the
        # orphaned workers of a killed parent): killed with this one.
        self.old_groups = []

    def start(self):
        env = dict(os.environ, PYTHONWARNINGS='ignore', PYTHONUNBUFFERED='1')
        with open(self.log, 'ab') as f:
            f.write(('==== start %d: %s\n' % (self.starts, ' '.join(
                self.argv))).encode())
            f.flush()
            self.proc = subprocess.Popen(
                self.argv, stdout=f, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.starts += 1

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if not self.alive():
            raise AssertionError('%s exited with %s; log:\n%s' % (
                self.name, self.proc and self.proc.returncode,
                self.tail(4000)))

    def kill(self):
        """SIGKILL the process (and its group), like a crash."""
        if self.proc is None:
            return
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def workers(self):
        """Pids of the parent's live children in its process group."""
        if not self.alive():
            return []
        return sorted(pid for pid, ppid in group_members(self.pid).items()
                      if ppid == self.pid)

    def kill_parent(self):
        """SIGKILL the parent process only; its workers are left to notice.

        :returns: the pids of the workers it had
        """
        workers = self.workers()
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.old_groups.append(self.proc.pid)
        return workers

    def kill_worker(self):
        """SIGKILL the worker process only (the parent forks another).

        :returns: its pid
        """
        workers = wait_for(self.workers, 30, interval=0.05,
                           what='a worker process of %s' % self.name)
        os.kill(workers[0], signal.SIGKILL)
        return workers[0]

    def group_alive(self, pgid=None):
        """Whether a process of the group (default: the current) lives."""
        pgid = pgid or self.pid
        return bool(pgid and group_members(pgid))

    def stop(self, timeout=20):
        """``stop_signal``, then SIGKILL whatever is left of the group."""
        self.terminate()
        self.wait_stopped(timeout)

    def terminate(self):
        if self.proc is not None and self.proc.poll() is None:
            self._signal(self.stop_signal)

    def wait_stopped(self, timeout=20):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with open(self.log, 'ab') as f:
                    f.write(b'==== did not stop in %d s: SIGKILL\n'
                            % timeout)
        self._signal(signal.SIGKILL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        for pgid in self.old_groups:
            # Only orphans: a group whose leader lives is someone else's
            # (the id was reused).
            members = group_members(pgid)
            for pid in members if pgid not in members else ():
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def _signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def tail(self, limit=LOG_TAIL):
        return services._tail(self.log, limit)

    def detail(self):
        return content.Content(content.UTF8_TEXT,
                               lambda: [self.tail().encode('utf-8')])

    def log_text(self):
        with open(self.log, errors='replace') as f:
            return f.read()


class Deployment(fixtures.Fixture):
    """API, conductors and compute agents as separate processes.

    :param glance: a started :class:`PrecacheGlance`.
    :param agents: number of compute agents.
    :param conf: ``{section: {option: value}}`` for every process.
    :param agent_conf: the same, for the agents only.
    :param conductor_conf: the same, for the conductors only.
    :param backend: ``postgresql`` or ``mysql``.
    :param conductors: number of conductors, active-active on the same
        broker and database: ``conductor`` when there is one,
        ``conductor-0``... otherwise.

    Attributes: ``api_url``, ``hosts``, ``agents`` (name ->
    :class:`ServiceProcess`), ``conductors`` (a list of them),
    ``conductor`` (the first), ``api``, ``rabbit``, ``database``, ``dir``;
    ``RPC_RESPONSE_TIMEOUT``, ``SERVICE_DOWN_TIME``, ``REPORT_INTERVAL``.
    """

    RPC_RESPONSE_TIMEOUT = 5
    LONG_RPC_TIMEOUT = 120
    REPORT_INTERVAL = 1
    SERVICE_DOWN_TIME = 6

    def __init__(self, glance, agents=3, conf=None, agent_conf=None,
                 conductor_conf=None, backend='postgresql', conductors=1):
        super().__init__()
        self.n_conductors = conductors
        self.glance = glance
        self.n_agents = agents
        self.extra_conf = conf or {}
        self.agent_conf = agent_conf or {}
        self.conductor_conf = conductor_conf or {}
        self.backend = backend

    def _setUp(self):
        self.dir = tempfile.mkdtemp(prefix='aggext-precache-')
        if not _keep():
            self.addCleanup(shutil.rmtree, self.dir, True)
        self.database = self.useFixture(
            services.ThrowawayDatabase(self.backend))
        self.rabbit = self.useFixture(RabbitVhost())
        self._db_sync()
        self._configure_db_access()

        port = services._free_port()
        self.api_url = 'http://127.0.0.1:%d' % port
        common = {
            'DEFAULT': {
                'transport_url': self.rabbit.url,
                'control_exchange': self.rabbit.control_exchange,
                'report_interval': self.REPORT_INTERVAL,
                'service_down_time': self.SERVICE_DOWN_TIME,
                'rpc_response_timeout': self.RPC_RESPONSE_TIMEOUT,
                'long_rpc_timeout': self.LONG_RPC_TIMEOUT,
                'debug': False,
            },
            'image': {'source': 'glance'},
            'glance': {'endpoint_override': self.glance.url},
            'image_cache': {'driver': 'libvirt', 'reserved_disk_mb': 0},
        }
        common = merge(common, self.extra_conf)
        # SIGINT: aggregates-ext-api does not stop on SIGTERM (its handler
        # calls cheroot's Server.stop() inside the serve loop it interrupts
        # and waits forever for that loop to end).
        self.api = self._process(
            'api', 'aggregates-ext-api', stop_signal=signal.SIGINT,
            sections=merge(common, {
                'DEFAULT': {'host': 'api'},
                'database': {'connection': self.database.url},
                'api': {'auth_strategy': 'noauth2',
                        'bind_host': '127.0.0.1', 'bind_port': port}}))
        names = (['conductor'] if self.n_conductors == 1 else
                 ['conductor-%d' % i for i in range(self.n_conductors)])
        self.conductors = [self._process(
            name, 'aggregates-ext-conductor', merge(merge(common, {
                'DEFAULT': {'host': name},
                'database': {'connection': self.database.url}}),
                self.conductor_conf)) for name in names]
        self.conductor = self.conductors[0]
        self.hosts = ['compute-%d' % i for i in range(self.n_agents)]
        self.agents = {}
        self.instances_paths = {}
        for host in self.hosts:
            ipath = os.path.join(self.dir, host, 'instances')
            os.makedirs(ipath)
            self.instances_paths[host] = ipath
            self.agents[host] = self._process(
                host, 'aggregates-ext-compute', merge(merge(common, {
                    'DEFAULT': {'host': host, 'instances_path': ipath,
                                'state_path': os.path.join(self.dir, host)}}),
                    self.agent_conf))
        # Stopped in this order: all agents (in parallel), the conductors,
        # then the API.
        self.addCleanup(self.api.stop, 10)
        self.addCleanup(self.stop_conductors)
        self.addCleanup(self.stop_agents)
        self.api.start()
        for proc in self.conductors:
            proc.start()
        # Agents heartbeat through the conductor from their first second:
        # start them once its RPC server consumes.
        for proc in self.conductors:
            self.wait_log(proc, CONDUCTOR_SERVING)
        for proc in self.agents.values():
            proc.start()
        self.wait_api()
        self.wait_hosts_up(self.hosts)

    def stop_conductors(self):
        for proc in self.conductors:
            proc.terminate()
        for proc in self.conductors:
            proc.wait_stopped()

    def check_conductors(self):
        """Fail when no conductor runs (with the log of the first)."""
        if not any(proc.alive() for proc in self.conductors):
            self.conductor.check_alive()

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

    def stop_agents(self, hosts=None):
        procs = [self.agents[h] for h in (hosts or self.hosts)]
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait_stopped()

    def _process(self, name, script, sections, stop_signal=signal.SIGTERM):
        sections = merge(sections, {'DEFAULT': {
            'state_path': sections.get('DEFAULT', {}).get('state_path') or
            os.path.join(self.dir, name),
            'log_file': os.path.join(self.dir, '%s.oslo.log' % name)}})
        os.makedirs(sections['DEFAULT']['state_path'], exist_ok=True)
        path = os.path.join(self.dir, '%s.conf' % name)
        write_conf(path, sections)
        proc = ServiceProcess(name, script, path, self.dir,
                              stop_signal=stop_signal)
        # The oslo.log file has the service's log; stdout/stderr the rest.
        proc.oslo_log = sections['DEFAULT']['log_file']
        self.addDetail('%s-log' % name, content.Content(
            content.UTF8_TEXT,
            lambda: [(services._tail(proc.log, 4000) + '\n---- oslo log\n' +
                      services._tail(proc.oslo_log, LOG_TAIL)).encode()]))
        return proc

    def _db_sync(self):
        path = os.path.join(self.dir, 'manage.conf')
        write_conf(path, {
            'DEFAULT': {'state_path': self.dir},
            'database': {'connection': self.database.url}})
        result = subprocess.run(
            [_bin('aggregates-ext-manage'), '--config-file', path, 'db',
             'sync'], capture_output=True, text=True, timeout=300,
            env=dict(os.environ, PYTHONWARNINGS='ignore'))
        if result.returncode != 0:
            raise AssertionError('db sync failed (%d):\n%s%s' % (
                result.returncode, result.stdout, result.stderr))

    def _configure_db_access(self):
        # The test process reads the shared database through the product's
        # own queries (db.precache, db.hosts).
        engines.configure(types.SimpleNamespace(
            database=types.SimpleNamespace(
                connection=self.database.url, max_retries=10,
                connection_debug=0),
            nova_database=types.SimpleNamespace(connection=None),
            state_path=self.dir))
        self.addCleanup(engines.reset)

    # -- waiting --------------------------------------------------------------

    def wait_log(self, proc, text, timeout=90, count=1):
        def found():
            proc.check_alive()
            try:
                with open(proc.oslo_log, errors='replace') as f:
                    return f.read().count(text) >= count
            except FileNotFoundError:
                return False
        wait_for(found, timeout,
                 what='%r in the log of %s' % (text, proc.name))

    def log_text(self, proc):
        """The oslo.log file of ``proc`` (a :class:`ServiceProcess`)."""
        try:
            with open(proc.oslo_log, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def log_times(self, proc, text):
        """Times (datetime) of the oslo.log lines of ``proc`` with ``text``."""
        times = []
        try:
            with open(proc.oslo_log, errors='replace') as f:
                for line in f:
                    if text in line:
                        times.append(datetime.datetime.strptime(
                            line[:23], '%Y-%m-%d %H:%M:%S.%f'))
        except FileNotFoundError:
            pass
        return times

    def restart_agent(self, host, timeout=90):
        """Start ``host``'s agent again; return once it has heartbeated."""
        svc = self.services().get(host)
        before = svc.report_count if svc is not None else 0
        self.agents[host].start()

        def reported():
            self.agents[host].check_alive()
            svc = self.services().get(host)
            return svc is not None and svc.report_count > before
        wait_for(reported, timeout, what='%s to report again' % host)

    def wait_api(self, timeout=90):
        def ready():
            self.api.check_alive()
            try:
                return requests.get(self.api_url + '/', timeout=5
                                    ).status_code == 200
            except requests.RequestException:
                return False
        wait_for(ready, timeout, what='the API to answer')

    def services(self):
        return {s.host: s for s in hosts_db.get_all(
            binary=hosts_db.COMPUTE_BINARY)}

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
        wait_for(up, timeout, what='hosts %s to report' % ', '.join(hosts))

    def wait_host_down(self, host, timeout=60):
        def down():
            age = self.seconds_since_heartbeat(host)
            # A margin over the conductor's own comparison.
            return age is not None and age > self.SERVICE_DOWN_TIME + 1
        wait_for(down, timeout, what='%s to count as down' % host)

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
        return wait_for(finished, timeout, interval=0.25,
                        what='%d pre-cache request(s) of aggregate %s to '
                             'finish' % (count, aggregate_id))

    # -- the API --------------------------------------------------------------

    def call(self, method, path, body=None, version='2.81', expect=None):
        headers = {'X-Auth-Token': 'admin:admin',
                   'OpenStack-API-Version': 'compute %s' % version}
        r = requests.request(method, self.api_url + '/v2.1' + path,
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

    # -- the hosts' caches ----------------------------------------------------

    def base_dir(self, host):
        return os.path.join(self.instances_paths[host], '_base')

    def cache_path(self, host, image_id):
        name = hashlib.sha1(image_id.encode('utf-8')).hexdigest()
        return os.path.join(self.base_dir(host), name)

    def base_files(self, host):
        try:
            return sorted(os.listdir(self.base_dir(host)))
        except FileNotFoundError:
            return []

    def part_files(self, host):
        return [n for n in self.base_files(host)
                if n.endswith('.part') or n.endswith('.converted')]


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


def file_sha512(path):
    h = hashlib.sha512()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(MiB), b''):
            h.update(chunk)
    return h.hexdigest()

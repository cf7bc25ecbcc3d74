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

"""Pre-cache requests that survive a conductor killed at any moment.

The "Done when" of issue 10: two conductors and three agents as separate
processes (:mod:`deployment`) on RabbitMQ and PostgreSQL.  Round after
round, a new image is pre-cached on the three hosts (Glance throttled, so
the fan-out is under way for a few seconds) and one conductor is SIGKILLed
at a random moment: the launcher's parent, its worker or its whole process
group, in turn; the one that holds the request's lease when there is one.
The killed conductor is started again at once or once the round is over,
or (a killed worker) forked again by its parent.

Each round must end ``complete``, or ``partial`` with a reason recorded
for every host and image that did not make it, within the documented
bound (``[conductor] precache_lease_seconds`` + ``precache_check_interval``
for a request whose conductor died, ``precache_pending_grace`` + the
interval for a lost cast; see the option group's help), plus the download
time; every host has a result, and no host downloaded the image twice
(counted in Glance's log, per host).

The seed is in the ``seed`` detail and the figures of every round in
``rounds``; AGGREGATES_EXT_TAKEOVER_SEED replays a seed and
AGGREGATES_EXT_TAKEOVER_ROUNDS changes the number of rounds (default 21,
seven of each kind).  AGGREGATES_EXT_TAKEOVER_GLANCE_AUTH=token runs the
agents on the caller's token instead of service credentials: a request
taken over then carries no token, and the hosts it still has to ask end
``error`` (``image_not_authorized``), which the rounds report.
AGGREGATES_EXT_TAKEOVER_REPORT=PATH also writes the figures to PATH as
JSON.
"""

import json
import os
import random
import statistics
import time

import testtools
from testtools import content

from aggregates_ext.db import precache as precache_db
from aggregates_ext import precache_status as states
from aggregates_ext.tests.functional import deployment
from aggregates_ext.tests.functional import glance

MiB = deployment.MiB
KINDS = ('parent', 'worker', 'group')

# Short leases, so that 20 rounds fit in a few minutes; the options'
# minimums allow them.
LEASE_SECONDS = 5
CHECK_INTERVAL = 1
PENDING_GRACE = 3
# Two hosts at a time: the third is asked when one of them is done, so a
# kill can come before it was asked, while it downloads, or after.
CONCURRENCY = 2
# Images of 4 to 12 MiB at 2 MiB/s: downloads of 2 to 6 s, some ending
# before the lease lapses, some after (then the new conductor's call
# waits for the download under way on the host).
SIZES_MIB = range(4, 13, 2)
THROTTLE = 2 * MiB
# A few kills land in the first instants: the cast, the claim.
EARLY = 0.15
# For a machine that others share: process scheduling, database commits
# and broker round trips on top of the documented bound.
SLACK = 4.0
POLL = 0.1
# The agents' own credentials towards Glance ([glance] auth_type): a
# conductor that takes a request over has no user token to pass on.
# Glance's stand-in for keystonemiddleware reads this token as the user
# aggext-service of the project service.
SERVICE_TOKEN = 'aggext-service:service'


def _summary(values):
    if not values:
        return 'n/a'
    return 'min %.1f / median %.1f / max %.1f s (%d)' % (
        min(values), statistics.median(values), max(values), len(values))


class PrecacheTakeoverTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        seed = os.environ.get('AGGREGATES_EXT_TAKEOVER_SEED')
        self.seed = int(seed) if seed else random.SystemRandom().randrange(
            2 ** 32)
        self.rng = random.Random(self.seed)
        self.addDetail('seed', content.text_content(str(self.seed)))
        self.rounds = int(os.environ.get('AGGREGATES_EXT_TAKEOVER_ROUNDS',
                                         21))
        self.glance = self.useFixture(glance.PrecacheGlance(threaded=True))
        self.service_auth = os.environ.get(
            'AGGREGATES_EXT_TAKEOVER_GLANCE_AUTH') != 'token'
        glance_conf = {'glance': {'auth_type': 'admin_token',
                                  'endpoint': self.glance.url,
                                  'token': SERVICE_TOKEN}}
        self.dep = self.useFixture(deployment.Deployment(
            glance=self.glance, agents=3, conductors=2, database='postgresql',
            conf=glance_conf if self.service_auth else None,
            conductor_conf={
                'conductor': {
                    'precache_lease_seconds': LEASE_SECONDS,
                    'precache_check_interval': CHECK_INTERVAL,
                    'precache_pending_grace': PENDING_GRACE},
                'image_cache': {'precache_concurrency': CONCURRENCY}},
            agent_conf={'image_cache': {'progress_interval': 1}}))
        self.by_name = {p.name: p for p in self.dep.conductors}
        # Log lines of a conductor's RPC server that mean it serves.
        self.serving = {p.name: 1 for p in self.dep.conductors}
        self.figures = []
        self.addDetail('rounds', content.Content(
            content.UTF8_TEXT, lambda: [self._table().encode()]))

    # -- bounds ---------------------------------------------------------------

    @staticmethod
    def finish_bound(pending, download_seconds):
        """Seconds from the kill to the end of the request.

        The takeover, then at worst every host still to ask, two waves of
        CONCURRENCY hosts.
        """
        return (PrecacheTakeoverTest.takeover_bound(pending) +
                2 * download_seconds)

    @staticmethod
    def takeover_bound(pending):
        """Seconds from the kill to another conductor's claim (documented).

        A running request's lease lapses at most ``lease`` seconds after
        the kill, and some conductor looks at most ``interval`` seconds
        later; a pending one whose cast died with the conductor is taken
        after ``grace`` seconds from its creation, plus the interval.
        """
        if pending:
            return max(PENDING_GRACE, LEASE_SECONDS) + CHECK_INTERVAL
        return LEASE_SECONDS + CHECK_INTERVAL

    # -- one round ------------------------------------------------------------

    def _owner(self, req):
        """The conductor (processes.Process) named in the request's lease."""
        if not req.conductor:
            return None
        return self.by_name.get(req.conductor.split(':', 1)[0])

    def _ready(self):
        """Every conductor serves, every host heartbeats."""
        for proc in self.dep.conductors:
            if not proc.alive():
                self.serving[proc.name] = self.dep.restart_conductor(
                    proc, wait=False)
        for proc in self.dep.conductors:
            self.dep.wait_log(proc, deployment.CONDUCTOR_SERVING,
                              count=self.serving[proc.name])
        self.dep.wait_hosts_up(self.dep.hosts)

    def _kill(self, kind, victim):
        if kind == 'group':
            victim.kill()
            return victim.pid
        if kind == 'parent':
            pid = victim.pid
            victim.kill_parent()
            return pid
        pid = victim.kill_worker()
        # The parent forks a new worker, which serves again.
        self.serving[victim.name] += 1
        return pid

    def run_round(self, number, agg):
        kind = KINDS[number % len(KINDS)]
        restart = 'forked' if kind == 'worker' else self.rng.choice(
            ('now', 'later'))
        size = self.rng.choice(SIZES_MIB) * MiB
        download = size / THROTTLE
        # The fan-out lasts about two downloads (two waves of hosts).
        delay = (self.rng.uniform(0, 0.3) if self.rng.random() < EARLY
                 else self.rng.uniform(0, 1.5 * download))
        self._ready()
        image = self.glance.create_image(deployment.random_image(size))
        image_id = image['id']
        posted = time.monotonic()
        location = self.dep.precache(agg, [image_id]).headers['Location']
        request_uuid = location.rstrip('/').rsplit('/', 1)[1]
        time.sleep(max(0, posted + delay - time.monotonic()))

        req = precache_db.get_request(request_uuid)
        owner = req.conductor
        victim = self._owner(req) or self.rng.choice(self.dep.conductors)
        fig = {'round': number, 'kind': kind, 'restart': restart,
               'victim': victim.name, 'delay': round(delay, 2),
               'size_mib': size // MiB, 'download_s': download,
               'status_at_kill': req.status, 'owner_at_kill': owner,
               'downloads_begun_at_kill': len(self.glance.downloads(
                   image_id)),
               'request': request_uuid, 'image': image_id}
        old_group = victim.pid
        fig['killed_pid'] = self._kill(kind, victim)
        killed = time.monotonic()
        if restart == 'now':
            self.serving[victim.name] = self.dep.restart_conductor(
                victim, wait=False)

        taken = orphan_gone = None
        deadline = killed + self.finish_bound(owner is None, download) + \
            4 * SLACK + 30
        while time.monotonic() < deadline:
            now = time.monotonic()
            req = precache_db.get_request(request_uuid)
            if taken is None and req.conductor and req.conductor != owner:
                taken = now
                fig['adopter'] = req.conductor
            if (kind == 'parent' and orphan_gone is None and
                    not victim.group_alive(old_group)):
                orphan_gone = now
            if req.finished_at is not None:
                break
            time.sleep(POLL)
        finished = time.monotonic() if req.finished_at else None
        if restart == 'later':
            self.serving[victim.name] = self.dep.restart_conductor(
                victim, wait=False)
        fig.update(
            status=req.status, owner_at_end=req.conductor,
            takeover_s=round(taken - killed, 2) if taken else None,
            finished_s=round(finished - killed, 2) if finished else None,
            orphan_s=(round(orphan_gone - killed, 2) if orphan_gone
                      else None))
        # The lease runs from the last renewal of the process that held
        # it: after a parent's death, its worker lives on (and may renew)
        # until it notices and stops.
        died = orphan_gone if kind == 'parent' else killed
        fig['takeover_after_death_s'] = (
            round(taken - died, 2) if taken and died else None)
        self.figures.append(fig)
        return fig, self._check_round(fig, req, image_id)

    def _check_round(self, fig, req, image_id):
        """What went wrong in a round (a list of sentences)."""
        problems = []
        pending = fig['owner_at_kill'] is None
        bound = self.finish_bound(pending, fig['download_s']) + SLACK
        if req.finished_at is None:
            problems.append('request %s still %s' % (req.uuid, req.status))
        elif fig['finished_s'] > bound:
            problems.append('finished %.1f s after the kill, bound %.1f s'
                            % (fig['finished_s'], bound))
        if fig['kind'] == 'parent' and fig['orphan_s'] is None:
            problems.append('the orphaned worker did not exit')
        late = fig['takeover_after_death_s']
        if late is not None and late > self.takeover_bound(pending) + SLACK:
            problems.append('taken over %.1f s after the conductor died, '
                            'bound %.1f s'
                            % (late, self.takeover_bound(pending)))
        if req.status not in (states.COMPLETE, states.PARTIAL):
            problems.append('status %s' % req.status)
        results = deployment.results_by_host(req)
        reasons = {(row.host, row.image_id): row.reason_code
                   for row in req.images}
        fig['hosts'] = {h: '%s/%s' % (r[0], ','.join(
            '%s%s' % (state, ':%s' % reasons[(h, i)]
                      if reasons.get((h, i)) else '')
            for i, state in r[1].items()))
            for h, r in sorted(results.items())}
        if sorted(results) != sorted(self.dep.hosts):
            problems.append('results for %s only' % sorted(results))
        for host, (status, images, _detail) in results.items():
            if status not in (states.HOST_DONE, states.HOST_FAILED,
                              states.HOST_SKIPPED):
                problems.append('%s is %s' % (host, status))
            for image, state in images.items():
                if state not in states.IMAGE_OK and not reasons.get(
                        (host, image)):
                    problems.append('%s: image %s is %s without a reason'
                                    % (host, image, state))
        problems += self._check_downloads(fig, results, image_id)
        return problems

    def _check_downloads(self, fig, results, image_id):
        problems = []
        groups = {self.dep.agents[h].pid: h for h in self.dep.hosts}
        per_host = dict.fromkeys(self.dep.hosts, 0)
        for _ts, _pid, pgid in self.glance.download_clients(image_id):
            host = groups.get(pgid)
            if host is None:
                problems.append('a download by an unknown process group %s'
                                % pgid)
            else:
                per_host[host] += 1
        fig['downloads'] = per_host
        auth = {e[4] for e in self.glance.downloads(image_id)}
        if self.service_auth and auth - {'token:aggext-service'}:
            problems.append('downloads authenticated as %s' % sorted(auth))
        for host, count in per_host.items():
            ok = results.get(host, (None, {}))[1].get(image_id)
            if count > 1:
                problems.append('%s downloaded the image %d times'
                                % (host, count))
            if ok in states.IMAGE_OK:
                # A new image: the host can only have it from Glance.
                if count != 1:
                    problems.append('%s has it as %s after %d downloads'
                                    % (host, ok, count))
                if not os.path.exists(self.dep.cache_path(host, image_id)):
                    problems.append('%s: %s but not in its cache'
                                    % (host, ok))
        # Bytes on three disks for every round add up: drop them.
        for host in self.dep.hosts:
            try:
                os.unlink(self.dep.cache_path(host, image_id))
            except FileNotFoundError:
                pass
        return problems

    # -- report ---------------------------------------------------------------

    def _table(self):
        lines = ['seed %d, lease %d s, check %d s, grace %d s, images at '
                 '%d MiB/s, %d hosts at a time'
                 % (self.seed, LEASE_SECONDS, CHECK_INTERVAL, PENDING_GRACE,
                    THROTTLE // MiB, CONCURRENCY)]
        for fig in self.figures:
            lines.append(
                '#%(round)02d %(kind)-6s %(victim)s restart=%(restart)s '
                '%(size_mib)d MiB delay=%(delay).2f '
                'at-kill=%(status_at_kill)s '
                'begun=%(downloads_begun_at_kill)d takeover=%(takeover_s)s '
                '(%(takeover_after_death_s)s after death) '
                'finished=%(finished_s)s orphan=%(orphan_s)s '
                '-> %(status)s' % fig +
                ' downloads=%s hosts=%s adopter=%s' % (
                    fig.get('downloads'), fig.get('hosts'),
                    fig.get('adopter')))
        for kind in KINDS + (None,):
            rows = [f for f in self.figures if kind in (None, f['kind'])]

            def values(key):
                return _summary([f[key] for f in rows
                                 if f.get(key) is not None])
            lines.append('%s: %d rounds; takeover %s (after death %s); '
                         'finished %s' % (
                             kind or 'all', len(rows), values('takeover_s'),
                             values('takeover_after_death_s'),
                             values('finished_s')))
        return '\n'.join(lines) + '\n'

    def _report(self, started):
        path = os.environ.get('AGGREGATES_EXT_TAKEOVER_REPORT')
        if path:
            with open(path, 'w') as f:
                json.dump({'seed': self.seed, 'rounds': self.figures,
                           'seconds': time.monotonic() - started}, f,
                          indent=1, default=str)

    # -- the test -------------------------------------------------------------

    def test_conductor_killed_at_random_requests_end_downloaded_once(self):
        started = time.monotonic()
        self.glance.set_throttle(THROTTLE)
        agg = self.dep.create_aggregate(self.dep.hosts)
        problems = []
        try:
            for number in range(self.rounds):
                fig, found = self.run_round(number, agg)
                problems += ['round %d (%s, seed %d): %s' % (
                    number, fig['kind'], self.seed, p) for p in found]
        finally:
            self._report(started)
        self.assertEqual([], problems)
        kinds = {f['kind'] for f in self.figures}
        self.assertEqual(set(KINDS), kinds)
        # Most kills must have hit a request that was being worked on,
        # or the test proves little.
        hit = [f for f in self.figures
               if f['status_at_kill'] in states.UNFINISHED]
        self.assertGreater(len(hit), len(self.figures) // 2)

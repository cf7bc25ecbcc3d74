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

"""Image pre-caching across real processes, broker, database and Glance.

Each test starts its own deployment (see :mod:`deployment`): the API,
the conductor and three compute agents from their console scripts, on a
throwaway PostgreSQL database, a RabbitMQ virtual host of their own and a
real Glance, then drives ``POST /os-aggregates/{id}/images`` (2.81) and
checks the database's record of the request and the agents' cache
directories (libvirt layout, ``<instances_path>/_base/<sha1 of id>``).

Skipped unless the services are there; with
``AGGREGATES_EXT_REQUIRE_SERVICES=1`` a missing service fails instead.
"""

import os
import time

import testtools

from aggregates_ext.tests.functional import deployment
from aggregates_ext.tests.functional import glance
from aggregates_ext.tests.functional import support

MiB = deployment.MiB
CACHED = 'cached'
EXISTING = 'existing'
ERROR = 'error'
SKIPPED = 'skipped'


class PrecacheMultiprocessTest(testtools.TestCase):

    def deploy(self, tokenless='deny', **kwargs):
        """Glance, then the aggregates-ext processes.

        ``tokenless``: how Glance's stand-in for keystonemiddleware treats
        requests without a token; by default it refuses them, as a real
        Glance does, so the caller's token must travel with the request.
        """
        self.glance = self.useFixture(glance.PrecacheGlance(
            tokenless=tokenless, threaded=True))
        kwargs.setdefault('agents', 3)
        return self.useFixture(deployment.Deployment(
            glance=self.glance, database='postgresql', **kwargs))

    def make_image(self, size):
        data = deployment.random_image(size)
        image = self.glance.create_image(data)
        self.assertEqual('active', image['status'])
        self.assertEqual('sha512', image['os_hash_algo'])
        self.assertEqual(deployment.sha512(data), image['os_hash_value'])
        return image, data

    def assert_cached(self, dep, host, image, data):
        path = dep.cache_path(host, image['id'])
        self.assertTrue(os.path.exists(path), '%s: no %s' % (host, path))
        with open(path, 'rb') as f:
            cached = f.read()
        self.assertEqual(len(data), len(cached))
        self.assertTrue(cached == data, '%s: cached bytes differ' % host)
        self.assertEqual(image['os_hash_value'], deployment.sha512(cached))
        self.assertEqual([], dep.part_files(host))

    # -- the whole flow -------------------------------------------------------

    def test_precache_three_hosts(self):
        dep = self.deploy()
        image, data = self.make_image(8 * MiB)
        agg = dep.create_aggregate(dep.hosts)
        dep.precache(agg, [image['id']])
        [req] = dep.wait_requests_finished(agg)
        self.assertEqual('complete', req.status)
        results = deployment.results_by_host(req)
        self.assertEqual(sorted(dep.hosts), sorted(results))
        for host in dep.hosts:
            self.assertEqual(('done', {image['id']: CACHED}, None),
                             results[host])
            self.assert_cached(dep, host, image, data)
        # One download per host.
        self.assertEqual(3, len(self.glance.downloads(image['id'], 'END')))

    # -- faults ---------------------------------------------------------------

    def test_corrupt_image_data(self):
        """(a) Data that does not match os_hash_value is never cached."""
        dep = self.deploy()
        image, data = self.make_image(6 * MiB)
        # Glance computed the hashes on upload; change the stored bytes
        # behind its back (same size, so only the hash check can tell).
        with open(self.glance.stored_file(image['id']), 'r+b') as f:
            f.seek(3 * MiB)
            byte = f.read(1)
            f.seek(3 * MiB)
            f.write(bytes([byte[0] ^ 0xff]))
        agg = dep.create_aggregate(dep.hosts)
        dep.precache(agg, [image['id']])
        [req] = dep.wait_requests_finished(agg)
        self.assertEqual('partial', req.status)
        results = deployment.results_by_host(req)
        for host in dep.hosts:
            self.assertEqual(('done', {image['id']: ERROR}, None),
                             results[host])
            self.assertEqual([], dep.base_files(host))
            self.assertIn('does not match its sha512 hash',
                          dep.log_text(dep.agents[host]))
        # Each host did read the whole (bad) data.
        ends = self.glance.downloads(image['id'], 'END')
        self.assertEqual([(len(data), 'complete')] * 3,
                         [(e[5], e[6]) for e in ends])

    def test_agent_killed_mid_download(self):
        """(b) SIGKILL during a download: failed within the RPC timeout."""
        dep = self.deploy()
        image, data = self.make_image(16 * MiB)
        victim = 'compute-1'
        self.glance.set_throttle(2 * MiB)  # about 8 s per download
        agg = dep.create_aggregate(dep.hosts)
        dep.precache(agg, [image['id']])
        part = dep.cache_path(victim, image['id']) + '.part'
        support.wait_for(lambda: os.path.exists(part) and
                         os.path.getsize(part) >= MiB, 60,
                         what='the download on %s to be under way' % victim)
        dep.agents[victim].kill()
        killed = time.monotonic()
        self.glance.set_throttle(0)

        def victim_result():
            [req] = dep.requests_of(agg)
            result = deployment.results_by_host(req).get(victim)
            # 'running' is recorded when the host is asked.
            return result if result and result[0] != 'running' else None
        status, images, detail = support.wait_for(
            victim_result, 60, interval=0.1,
            what='a result for %s' % victim)
        elapsed = time.monotonic() - killed
        self.addDetail('victim-result-seconds',
                       testtools.content.text_content('%.1f' % elapsed))
        self.assertEqual('failed', status)
        self.assertEqual({image['id']: ERROR}, images)
        self.assertIn('MessagingTimeout', detail)
        # The call monitor notices the missing heartbeats after
        # rpc_response_timeout; allow for the machine's load.
        self.assertLess(elapsed, 3 * dep.RPC_RESPONSE_TIMEOUT)
        [req] = dep.wait_requests_finished(agg)
        self.assertEqual('partial', req.status)
        results = deployment.results_by_host(req)
        for host in set(dep.hosts) - {victim}:
            self.assertEqual(('done', {image['id']: CACHED}, None),
                             results[host])
            self.assert_cached(dep, host, image, data)
        # The dead agent left its partial download behind.
        self.assertTrue(os.path.exists(part))
        self.assertFalse(os.path.exists(dep.cache_path(victim, image['id'])))

        # Restarted at once, the agent removes the dead download's partial
        # file (nobody holds nova-compute's lock on it), and the image can
        # be cached on the host again.
        dep.restart_agent(victim)
        self.assertEqual([], dep.part_files(victim))
        self.assertEqual([], dep.base_files(victim))
        dep.precache(agg, [image['id']])
        retry = dep.wait_requests_finished(agg, count=2)[1]
        self.assertEqual('complete', retry.status)
        self.assertEqual(('done', {image['id']: CACHED}, None),
                         deployment.results_by_host(retry)[victim])
        self.assert_cached(dep, victim, image, data)

    def test_agent_down_is_skipped(self):
        """(c) A host whose agent stopped reporting is skipped."""
        dep = self.deploy()
        image, data = self.make_image(5 * MiB)
        agg = dep.create_aggregate(dep.hosts)
        down = 'compute-2'
        dep.stop_agents([down])
        dep.wait_host_down(down)
        dep.precache(agg, [image['id']])
        [req] = dep.wait_requests_finished(agg)
        self.assertEqual('partial', req.status)
        results = deployment.results_by_host(req)
        self.assertEqual(('skipped', {image['id']: SKIPPED}, None),
                         results[down])
        self.assertEqual([], dep.base_files(down))
        for host in set(dep.hosts) - {down}:
            self.assertEqual(('done', {image['id']: CACHED}, None),
                             results[host])
            self.assert_cached(dep, host, image, data)
        self.assertEqual(2, len(self.glance.downloads(image['id'])))

    def test_disk_reserve_reached(self):
        """(d) A download that would eat into reserved_disk_mb is refused."""
        dep = self.deploy(agent_conf={
            'image_cache': {'reserved_disk_mb': 2 ** 30}})  # 1 PiB
        image, data = self.make_image(5 * MiB)
        agg = dep.create_aggregate(dep.hosts)
        dep.precache(agg, [image['id']])
        [req] = dep.wait_requests_finished(agg)
        self.assertEqual('partial', req.status)
        results = deployment.results_by_host(req)
        for host in dep.hosts:
            self.assertEqual(('done', {image['id']: ERROR}, None),
                             results[host])
            self.assertEqual([], dep.base_files(host))
            self.assertIn('Not enough free disk space',
                          dep.log_text(dep.agents[host]))
        # Refused before the download: no data was even requested.
        self.assertEqual([], self.glance.downloads(image['id']))

    def test_broker_connections_closed_during_fan_out(self):
        """(e) Every host ends with a result when the broker drops us."""
        dep = self.deploy()
        if dep.rabbit.name is None:
            self.skipTest('rabbitmqctl cannot make a virtual host here, so '
                          'closing connections would hit other users of '
                          'the shared broker')
        image, data = self.make_image(12 * MiB)
        self.glance.set_throttle(3 * MiB)  # about 4 s per download
        agg = dep.create_aggregate(dep.hosts)
        dep.precache(agg, [image['id']])
        parts = [dep.cache_path(h, image['id']) + '.part' for h in dep.hosts]
        support.wait_for(lambda: all(os.path.exists(p) for p in parts), 60,
                         what='the downloads to be under way')
        before = dep.rabbit.connections()
        dep.rabbit.close_all_connections('aggregates-ext functional test')
        closed = time.monotonic()
        self.addDetail('connections-closed', testtools.content.text_content(
            '%d connections of vhost %s' % (len(before), dep.rabbit.name)))
        self.assertGreater(len(before), 0)
        [req] = dep.wait_requests_finished(
            agg, timeout=dep.LONG_RPC_TIMEOUT / 2)
        elapsed = time.monotonic() - closed
        results = deployment.results_by_host(req)
        self.addDetail('results', testtools.content.text_content(
            '%.1f s after the close: %r' % (elapsed, results)))
        self.assertEqual(sorted(dep.hosts), sorted(results))
        for host, (status, images, detail) in results.items():
            self.assertIn(status, ('done', 'failed'))
            self.assertEqual([image['id']], list(images))
            if images[image['id']] == CACHED:
                self.assert_cached(dep, host, image, data)
            else:
                self.assertEqual(ERROR, images[image['id']])
        # The services reconnected: a new request goes through everywhere.
        self.glance.set_throttle(0)
        dep.wait_hosts_up(dep.hosts)
        dep.precache(agg, [image['id']])
        reqs = dep.wait_requests_finished(agg, count=2)
        self.assertEqual('complete', reqs[1].status)
        for host in dep.hosts:
            self.assert_cached(dep, host, image, data)

    def test_overlapping_requests_download_once(self):
        """(f) Two overlapping requests for one image: one download/host."""
        # The agents' DEBUG line shows when each call reached them.
        dep = self.deploy(agent_conf={'DEFAULT': {'debug': True}})
        image, data = self.make_image(8 * MiB)
        self.glance.set_throttle(2 * MiB)  # about 4 s per download
        agg = dep.create_aggregate(dep.hosts)
        dep.precache(agg, [image['id']])
        parts = [dep.cache_path(h, image['id']) + '.part' for h in dep.hosts]
        support.wait_for(lambda: all(os.path.exists(p) for p in parts), 60,
                         what='the downloads to be under way')
        dep.precache(agg, [image['id']])
        first, second = dep.wait_requests_finished(agg, count=2)
        r1 = deployment.results_by_host(first)
        r2 = deployment.results_by_host(second)
        for host in dep.hosts:
            statuses = sorted([r1[host][1][image['id']],
                               r2[host][1][image['id']]])
            self.assertEqual([CACHED, EXISTING], statuses, host)
            self.assert_cached(dep, host, image, data)
            # Both calls reached the agent before the first download ended:
            # the requests really overlapped on the host.
            asked = dep.log_times(dep.agents[host],
                                  '%s: caching 1 image(s) for request' % host)
            done = dep.log_times(dep.agents[host],
                                 'Cached image %s at' % image['id'])
            self.assertEqual(2, len(asked), host)
            self.assertEqual(1, len(done), host)
            self.assertLess(max(asked), done[0], host)
        # Exactly one GET of the image data per host, each one complete.
        self.assertEqual(3, len(self.glance.downloads(image['id'])))
        self.assertEqual([(len(data), 'complete')] * 3,
                         [(e[5], e[6]) for e in
                          self.glance.downloads(image['id'], 'END')])

    # -- authentication towards Glance ----------------------------------------

    def test_noauth2_token_reaches_glance(self):
        """The caller's noauth2 token goes to Glance with the requests.

        Without [glance] auth_type, image/glance.py sends the request
        context's token.  Here Glance denies requests without one, as
        keystonemiddleware would.
        """
        dep = self.deploy(tokenless='deny', agents=1)
        image, data = self.make_image(MiB)
        agg = dep.create_aggregate(dep.hosts)
        r = dep.precache(agg, [image['id']], expect=None)
        api_lookups = [e[4] for e in self.glance.requests_log()
                       if e[1] == 'BEGIN' and e[4] != 'headers']
        self.addDetail('glance-auth', testtools.content.text_content(
            'API answered %d %s; Glance saw auth %r'
            % (r.status_code, r.text[:300], api_lookups)))
        self.assertEqual((202, ['token:admin']),
                         (r.status_code, api_lookups))
        [req] = dep.wait_requests_finished(agg)
        self.assertEqual('complete', req.status)
        self.assert_cached(dep, dep.hosts[0], image, data)
        self.assertEqual({'token:admin'},
                         {e[4] for e in self.glance.requests_log()
                          if e[4] != 'headers'})

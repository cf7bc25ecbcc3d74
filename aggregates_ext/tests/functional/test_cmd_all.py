"""The README's first command: aggregates-ext-all, driven as a user would.

Starts the real console entry point in a subprocess, follows the printed
example (create, add host, cache image) over HTTP, and finds the image in
the agent's cache directory.
"""

import hashlib
import os
import re
import subprocess
import sys
import time

import fixtures
import requests
import testtools

HEADERS = {'X-Auth-Token': 'admin:admin',
           'X-OpenStack-Nova-API-Version': '2.81'}


class TestAllInOne(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.log = open(os.path.join(self.state, 'all.log'), 'w+')
        self.addCleanup(self.log.close)
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'aggregates_ext.cmd.all', '--state-dir',
             self.state, '--port', '0', '--agents', '2',
             '--demo-image-mb', '2'],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(self._stop)
        self.banner = self._wait_for('Try it with the OpenStack client')

    def _stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _wait_for(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.log.seek(0)
            output = self.log.read()
            if text in output:
                return output
            if self.proc.poll() is not None:
                self.fail('aggregates-ext-all exited:\n' + output[-3000:])
            time.sleep(0.1)
        self.fail('no banner in time:\n' + output[-3000:])

    def test_printed_example_caches_the_demo_image(self):
        endpoint = re.search(r'API endpoint:\s+(\S+)', self.banner).group(1)
        image_id = re.search(r'Images:\s+(\S+)', self.banner).group(1)
        self.assertIn('export OS_CLIENT_CONFIG_FILE=', self.banner)
        self.assertTrue(os.path.exists(os.path.join(self.state,
                                                    'clouds.yaml')))
        url = endpoint + '/os-aggregates'
        resp = requests.post(url, json={'aggregate': {
            'name': 'agg1', 'availability_zone': 'az1'}}, headers=HEADERS)
        self.assertEqual(200, resp.status_code, resp.text)
        agg_id = resp.json()['aggregate']['id']
        resp = requests.post('%s/%s/action' % (url, agg_id),
                             json={'add_host': {'host': 'compute-0'}},
                             headers=HEADERS)
        self.assertEqual(['compute-0'], resp.json()['aggregate']['hosts'])
        resp = requests.post('%s/%s/images' % (url, agg_id),
                             json={'cache': [{'id': image_id}]},
                             headers=HEADERS)
        self.assertEqual(202, resp.status_code, resp.text)
        cached = os.path.join(self.state, 'hosts', 'compute-0', 'instances',
                              '_base',
                              hashlib.sha1(image_id.encode()).hexdigest())
        deadline = time.monotonic() + 30
        while not os.path.exists(cached) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(2 * 1024 * 1024, os.path.getsize(cached))
        image = requests.get(endpoint.replace('/v2.1', '/image') +
                             '/v2/images/' + image_id).json()
        with open(cached, 'rb') as f:
            self.assertEqual(image['os_hash_value'],
                             hashlib.sha512(f.read()).hexdigest())
        self.assertFalse(os.path.exists(os.path.join(
            self.state, 'hosts', 'compute-1', 'instances', '_base',
            os.path.basename(cached))))

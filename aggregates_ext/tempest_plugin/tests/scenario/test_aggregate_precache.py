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
"""Pre-cached images reach the image cache of every up host."""

import hashlib
import os
import time

from tempest import config
from tempest.lib import decorators

from aggregates_ext.tempest_plugin.tests import base

CONF = config.CONF


def cache_file_name(image_id):
    if CONF.aggregates_ext.cache_file_layout == 'libvirt':
        return hashlib.sha1(image_id.encode('utf-8')).hexdigest()
    return image_id


class AggregatePrecacheScenarioTest(base.BaseAggregateImagesTest):
    """Cache an image on an aggregate of every up host, look at each cache.

    The caches can only be seen from the machine Tempest runs on: set
    ``[aggregates_ext] compute_cache_dirs``; without it the test stops
    (skips) after the API part.
    """

    image_size = 1024 * 1024 + 3

    @decorators.attr(type='slow')
    @decorators.idempotent_id('d80276e8-2c91-4323-b066-d0ac2eb35d2f')
    def test_precache_reaches_every_up_host(self):
        hosts = self.up_compute_hosts()
        if not hosts:
            raise self.skipException('no compute host is up and enabled')
        aggregate = self.create_aggregate(hosts)
        shown = self.aggregates_client.show_aggregate(
            aggregate['id'])['aggregate']
        self.assertEqual(hosts, sorted(shown['hosts']))
        # A fresh image for this test: no host can have it already.
        image_id, data = self.create_raw_image(self.image_size)

        body = self.admin_images_client.cache_images(aggregate['id'],
                                                     [image_id])
        self.assertEqual(202, body.response.status)

        cache_dirs = CONF.aggregates_ext.compute_cache_dirs
        if not cache_dirs:
            raise self.skipException(
                '[aggregates_ext] compute_cache_dirs is not set: the hosts\' '
                'caches cannot be checked from here')
        missing = [h for h in hosts if h not in cache_dirs]
        self.assertEqual([], missing,
                         'up hosts without a compute_cache_dirs entry')
        paths = {h: os.path.join(cache_dirs[h], cache_file_name(image_id))
                 for h in hosts}
        deadline = time.time() + CONF.aggregates_ext.precache_timeout
        pending = dict(paths)
        while pending and time.time() < deadline:
            for host, path in list(pending.items()):
                if (os.path.isfile(path) and
                        os.path.getsize(path) == len(data)):
                    del pending[host]
            if pending:
                time.sleep(0.5)
        self.assertEqual({}, pending, 'image %s not cached in time'
                         % image_id)
        digest = hashlib.sha256(data).hexdigest()
        for host, path in paths.items():
            with open(path, 'rb') as f:
                self.assertEqual(digest, hashlib.sha256(f.read()).hexdigest(),
                                 'cached image of %s differs' % host)

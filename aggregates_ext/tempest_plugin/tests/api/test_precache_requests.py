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
"""The pre-cache status API of aggregates-ext (2.81; not in Nova)."""

import time
from urllib import parse

from oslo_utils import uuidutils
from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from aggregates_ext.tempest_plugin.services import precache_requests_client
from aggregates_ext.tempest_plugin.tests import base

CONF = config.CONF
FINAL = ('complete', 'partial', 'failed')


def status_client(manager):
    return precache_requests_client.PrecacheRequestsClient(
        manager.auth_provider, **config.service_client_config('compute'))


class PrecacheStatusTestBase(base.BaseAggregateImagesTest):

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.aggregates_ext.precache_status_api:
            raise cls.skipException(
                '[aggregates_ext] precache_status_api is False')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.admin_status_client = status_client(cls.os_admin)
        cls.member_status_client = status_client(cls.os_primary)


class PrecacheRequestsAdminTest(PrecacheStatusTestBase):

    def start_request(self, aggregate):
        """POST .../images: (request uuid from Location, request id)."""
        body = self.admin_images_client.cache_images(aggregate['id'],
                                                     [self.image_id])
        resp = body.response
        path = parse.urlsplit(resp['location']).path
        prefix, _, request_uuid = path.rpartition('/')
        self.assertTrue(prefix.endswith(
            '/os-aggregates/%s/precache-requests' % aggregate['id']), path)
        self.assertTrue(uuidutils.is_uuid_like(request_uuid), path)
        return request_uuid, resp['x-openstack-request-id']

    def wait_final(self, aggregate_id, request_uuid):
        deadline = time.time() + CONF.aggregates_ext.precache_timeout
        while True:
            shown = self.admin_status_client.show_precache_request(
                aggregate_id, request_uuid)['precache_request']
            if shown['status'] in FINAL or time.time() > deadline:
                return shown
            time.sleep(0.5)

    @decorators.idempotent_id('0b6b1c58-2f0e-4c57-9a53-7f3f8f0d4f11')
    def test_request_reaches_complete(self):
        """The Location of the 202 leads to a request that completes."""
        hosts = self.up_compute_hosts()
        if not hosts:
            raise self.skipException('no compute host is up and enabled')
        aggregate = self.create_aggregate(hosts)
        request_uuid, request_id = self.start_request(aggregate)
        shown = self.wait_final(aggregate['id'], request_uuid)
        self.assertEqual('complete', shown['status'], shown)
        self.assertEqual(request_uuid, shown['id'])
        self.assertEqual(aggregate['id'], shown['aggregate_id'])
        self.assertEqual([self.image_id], shown['images'])
        self.assertEqual(request_id, shown['request_id'])
        self.assertIsNotNone(shown['finished_at'])
        self.assertEqual({'hosts': len(hosts), 'done': len(hosts),
                          'failed': 0, 'skipped': 0, 'remaining': 0},
                         shown['counts'])
        self.assertEqual(hosts, sorted(h['host'] for h in shown['hosts']))
        for host in shown['hosts']:
            self.assertEqual('done', host['status'], host)
            [image] = host['images']
            self.assertEqual(self.image_id, image['id'])
            self.assertIn(image['status'], ('cached', 'existing'), host)
            self.assertIsNone(image['reason_code'])

        listed = self.admin_status_client.list_precache_requests(
            aggregate['id'])['precache_requests']
        self.assertEqual([request_uuid], [r['id'] for r in listed])
        self.assertNotIn('hosts', listed[0])
        by_id = self.admin_status_client.list_precache_requests(
            aggregate['id'], request_id=request_id)['precache_requests']
        self.assertEqual([request_uuid], [r['id'] for r in by_id])
        other = self.admin_status_client.list_precache_requests(
            aggregate['id'], status='failed')['precache_requests']
        self.assertEqual([], other)

    @decorators.idempotent_id('5c1e3d0a-8f4e-4f7d-b3a6-2a5f2e0c9b72')
    def test_list_newest_first_and_paged(self):
        aggregate = self.create_aggregate()
        first, _ = self.start_request(aggregate)
        second, _ = self.start_request(aggregate)
        listed = self.admin_status_client.list_precache_requests(
            aggregate['id'])['precache_requests']
        self.assertEqual([second, first], [r['id'] for r in listed])
        page = self.admin_status_client.list_precache_requests(
            aggregate['id'], limit=1)
        self.assertEqual([second],
                         [r['id'] for r in page['precache_requests']])
        [link] = page['precache_requests_links']
        self.assertEqual('next', link['rel'])
        rest = self.admin_status_client.list_precache_requests(
            aggregate['id'], limit=1, marker=second)['precache_requests']
        self.assertEqual([first], [r['id'] for r in rest])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('a7f0e2d4-6b91-4c3e-8d5a-1e9c7b3f6a20')
    def test_unknown_request_404(self):
        aggregate = self.create_aggregate()
        self.assertRaises(lib_exc.NotFound,
                          self.admin_status_client.show_precache_request,
                          aggregate['id'], uuidutils.generate_uuid())

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('e3d9b6c1-04a2-4f8e-9c7d-5b2a1f0e8d34')
    def test_unknown_aggregate_404(self):
        self.assertRaises(lib_exc.NotFound,
                          self.admin_status_client.list_precache_requests,
                          -1)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('4f2c8a7e-91d3-4b6a-a0e5-7c3d2b1f9e56')
    def test_request_of_another_aggregate_404(self):
        mine = self.create_aggregate()
        other = self.create_aggregate()
        request_uuid, _ = self.start_request(mine)
        self.assertRaises(lib_exc.NotFound,
                          self.admin_status_client.show_precache_request,
                          other['id'], request_uuid)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9b5e1d3c-7a2f-4e8b-b6c4-0d1f3a5e7c98')
    def test_bad_filter_400(self):
        aggregate = self.create_aggregate()
        self.assertRaises(lib_exc.BadRequest,
                          self.admin_status_client.list_precache_requests,
                          aggregate['id'], status='nope')

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('c8a4f6e2-3d1b-4a9c-8e7f-2b5d0c6a1e43')
    def test_as_member_403(self):
        aggregate = self.create_aggregate()
        request_uuid, _ = self.start_request(aggregate)
        self.assertRaises(lib_exc.Forbidden,
                          self.member_status_client.list_precache_requests,
                          aggregate['id'])
        self.assertRaises(lib_exc.Forbidden,
                          self.member_status_client.show_precache_request,
                          aggregate['id'], request_uuid)


class PrecacheRequestsBefore281Test(PrecacheStatusTestBase):
    """At 2.80 the paths do not exist: 404."""

    min_microversion = '2.80'
    max_microversion = '2.80'

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('2d7e9f1a-5c3b-4e6d-a8f0-b1c4e7d9a352')
    def test_list_below_2_81(self):
        aggregate = self.create_aggregate()
        self.assertRaises(lib_exc.NotFound,
                          self.admin_status_client.list_precache_requests,
                          aggregate['id'])

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
"""POST /os-aggregates/{id}/images (2.81): the request and its errors."""

from oslo_utils import uuidutils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from aggregates_ext.tempest_plugin.tests import base


class AggregateImagesAdminTest(base.BaseAggregateImagesTest):
    """Admin requests at 2.81 and later."""

    @decorators.idempotent_id('cf19fa02-7cdb-4ced-84e9-0e2758e7819f')
    def test_cache_images_accepted(self):
        """A valid request: 202 and no body (an aggregate with a host)."""
        hosts = self.up_compute_hosts()[:1]
        aggregate = self.create_aggregate(hosts)
        body = self.admin_images_client.cache_images(aggregate['id'],
                                                     [self.image_id])
        self.assertEqual(202, body.response.status)
        self.assertEqual({}, dict(body))

    @decorators.idempotent_id('58d80cb5-7d5d-4fb7-be82-dffb1f8b2258')
    def test_cache_images_empty_aggregate_accepted(self):
        """An aggregate without hosts: accepted, nothing to do."""
        aggregate = self.create_aggregate()
        body = self.admin_images_client.cache_images(aggregate['id'],
                                                     [self.image_id])
        self.assertEqual(202, body.response.status)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('25b2f9d8-bc96-404c-8482-cde4cb74764c')
    def test_cache_images_duplicate_ids(self):
        aggregate = self.create_aggregate()
        self.assertRaises(lib_exc.BadRequest,
                          self.admin_images_client.cache_images,
                          aggregate['id'], [self.image_id, self.image_id])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('1241abf6-28b3-47b7-9191-42634bdf2e3a')
    def test_cache_images_unknown_image(self):
        aggregate = self.create_aggregate()
        self.assertRaises(lib_exc.BadRequest,
                          self.admin_images_client.cache_images,
                          aggregate['id'],
                          [self.image_id, uuidutils.generate_uuid()])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('6517d57d-7627-4ae4-b3e6-59b71feed49d')
    def test_cache_images_unknown_aggregate(self):
        self.assertRaises(lib_exc.NotFound,
                          self.admin_images_client.cache_images,
                          -1, [self.image_id])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('d293be66-cbfe-4462-ba83-85f601aad6c4')
    def test_cache_images_as_member(self):
        aggregate = self.create_aggregate()
        self.assertRaises(lib_exc.Forbidden,
                          self.member_images_client.cache_images,
                          aggregate['id'], [self.image_id])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('61b2eba2-1146-47e1-8eca-b888f5e378eb')
    def test_cache_images_invalid_bodies(self):
        aggregate = self.create_aggregate()
        for body in ('{"cache": []}',
                     '{"cache": [{"id": "not-a-uuid"}]}',
                     '{"cache": [{"id": "%s", "name": "x"}]}' % self.image_id,
                     '{"cache": "%s"}' % self.image_id,
                     '{}'):
            self.assertRaises(lib_exc.BadRequest,
                              self.admin_images_client.cache_images_raw,
                              aggregate['id'], body)


class AggregateImagesBefore281Test(base.BaseAggregateImagesTest):
    """At 2.80 the route does not exist: 404, as in Nova."""

    min_microversion = '2.80'
    max_microversion = '2.80'

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('8feb799b-7d7d-47ad-903e-948ce60b4e86')
    def test_cache_images_below_2_81(self):
        aggregate = self.create_aggregate()
        self.assertRaises(lib_exc.NotFound,
                          self.admin_images_client.cache_images,
                          aggregate['id'], [self.image_id])

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
"""Helpers shared by the plugin's tests."""

import os

from tempest.api.compute import base
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils

from aggregates_ext.tempest_plugin.services import aggregate_images_client

CONF = config.CONF


def images_client(manager):
    """An AggregateImagesClient with the credentials of ``manager``."""
    return aggregate_images_client.AggregateImagesClient(
        manager.auth_provider, **config.service_client_config('compute'))


class BaseAggregateImagesTest(base.BaseV2ComputeAdminTest):
    """Admin clients, a test image and aggregate helpers."""

    min_microversion = '2.81'
    max_microversion = 'latest'
    image_size = 64 * 1024 + 11

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if (not CONF.aggregates_ext.image_ref and
                not CONF.service_available.glance):
            raise cls.skipException(
                'Needs [aggregates_ext] image_ref or the Image service')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.aggregates_client = cls.os_admin.aggregates_client
        cls.services_client = cls.os_admin.services_client
        cls.admin_images_client = images_client(cls.os_admin)
        cls.member_images_client = images_client(cls.os_primary)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.image_data = None
        if CONF.aggregates_ext.image_ref:
            cls.image_id = CONF.aggregates_ext.image_ref
        else:
            cls.image_id, cls.image_data = cls.create_raw_image(
                cls.image_size)

    @classmethod
    def create_raw_image(cls, size):
        """A public raw image with random data: (id, data)."""
        client = cls.os_admin.image_client_v2
        data = os.urandom(size)
        image = client.create_image(
            name=data_utils.rand_name(prefix=CONF.resource_name_prefix,
                                      name='aggregates-ext-precache'),
            container_format='bare', disk_format='raw',
            visibility='public')
        cls.addClassResourceCleanup(
            test_utils.call_and_ignore_notfound_exc,
            client.delete_image, image['id'])
        # With Content-Length rather than store_image_file's chunked
        # upload: WSGI servers without chunked request support (wsgiref,
        # which the test Glance runs on) would store an empty image.
        resp, _body = client.put('images/%s/file' % image['id'], data,
                                 headers={'Content-Type':
                                          'application/octet-stream'})
        client.expected_success(204, resp.status)
        image = client.show_image(image['id'])
        if image['status'] != 'active':
            raise AssertionError('image %s is %s after its upload'
                                 % (image['id'], image['status']))
        return image['id'], data

    @classmethod
    def up_compute_hosts(cls):
        services = cls.services_client.list_services(
            binary='nova-compute')['services']
        return sorted(s['host'] for s in services
                      if s['state'] == 'up' and s['status'] == 'enabled')

    def create_aggregate(self, hosts=()):
        """An aggregate with ``hosts``, removed (hosts first) at cleanup."""
        name = data_utils.rand_name(prefix=CONF.resource_name_prefix,
                                    name='aggregates-ext-precache')
        aggregate = self.aggregates_client.create_aggregate(
            name=name)['aggregate']
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.aggregates_client.delete_aggregate,
                        aggregate['id'])
        for host in hosts:
            self.aggregates_client.add_host(aggregate['id'], host=host)
            self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                            self.aggregates_client.remove_host,
                            aggregate['id'], host=host)
        return aggregate

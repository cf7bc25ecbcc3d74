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

"""Client of POST /os-aggregates/{aggregate_id}/images (microversion 2.81).

Tempest's AggregatesClient has no method for it.
"""

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client
from tempest.lib.services.compute import base_compute_client

# 202 and no body: Nova's answer (a body would fail the validation).
cache_images_schema = {'status_code': [202]}


class AggregateImagesClient(base_compute_client.BaseComputeClient):

    def cache_images(self, aggregate_id, image_ids):
        """Ask the hosts of an aggregate to pre-cache images.

        :param image_ids: image ids; sent as ``[{"id": ...}, ...]``, in
            order, duplicates included.
        """
        post_body = json.dumps(
            {'cache': [{'id': image_id} for image_id in image_ids]})
        return self.cache_images_raw(aggregate_id, post_body)

    def cache_images_raw(self, aggregate_id, post_body):
        """POST a body as given (a str), for requests the schema refuses."""
        resp, body = self.post('os-aggregates/%s/images' % aggregate_id,
                               post_body)
        self.validate_response(cache_images_schema, resp, body)
        return rest_client.ResponseBody(resp, body)

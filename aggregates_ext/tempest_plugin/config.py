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

"""The ``[aggregates_ext]`` options of tempest.conf."""

from oslo_config import cfg

group = cfg.OptGroup(
    name='aggregates_ext', title='aggregates-ext plugin options',
    help='Tests of the image pre-cache API (microversion 2.81) of the '
         'aggregates service.')

opts = [
    cfg.DictOpt(
        'compute_cache_dirs',
        default={},
        help='Image cache directory of each compute host, as '
             '"host:directory,host:directory" (for nova-compute\'s libvirt '
             'driver: <instances_path>/_base).  The scenario test checks '
             'that a pre-cached image reached every up host of its '
             'aggregate by looking into these directories, so it only works '
             'when Tempest runs on a machine that sees them.  Unset: the '
             'check is skipped.'),
    cfg.StrOpt(
        'cache_file_layout',
        default='libvirt',
        choices=[('libvirt', 'file name is the SHA-1 of the image id '
                             '(nova-compute\'s libvirt driver)'),
                 ('directory', 'file name is the image id')],
        help='How a cached image is named in a compute_cache_dirs '
             'directory.'),
    cfg.IntOpt(
        'precache_timeout',
        default=300,
        min=1,
        help='Seconds to wait for a pre-cached image to appear in every '
             'host\'s cache.'),
    cfg.BoolOpt(
        'precache_status_api',
        default=True,
        help='Whether the service has aggregates-ext\'s pre-cache status '
             'API (GET /os-aggregates/{id}/precache-requests[/{id}]).  '
             'Set it to False to run the plugin against a Nova that '
             'answers those paths with 404: their tests are then skipped.'),
    cfg.StrOpt(
        'image_ref',
        help='An existing, active image to pre-cache.  Unset: the tests '
             'create (and delete) a small raw image through the Image '
             'service, which must then be in the catalog.'),
]


def list_opts():
    return [(group.name, opts)]

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

import os

from tempest.test_discover import plugins

from aggregates_ext.tempest_plugin import config as plugin_config


class AggregatesExtTempestPlugin(plugins.TempestPlugin):
    """Tests of POST /os-aggregates/{id}/images (2.81) and pre-caching."""

    def load_tests(self):
        # The directory that holds the aggregates_ext package: test ids
        # are then aggregates_ext.tempest_plugin.tests...
        base_path = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        test_dir = os.path.join('aggregates_ext', 'tempest_plugin', 'tests')
        return os.path.join(base_path, test_dir), base_path

    def register_opts(self, conf):
        conf.register_group(plugin_config.group)
        conf.register_opts(plugin_config.opts, group=plugin_config.group)

    def get_opt_lists(self):
        return plugin_config.list_opts()

    def get_service_clients(self):
        return []

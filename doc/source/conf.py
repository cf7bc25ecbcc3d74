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

"""Sphinx configuration of the aggregates-ext documentation.

Built with ``tox -e docs``; warnings are errors there.  The configuration,
policy, command-line and notification references are generated from the
installed package at build time, so they cannot drift from the code.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '_exts'))

extensions = [
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
    # The OpenStackClient plugin's commands (cli/openstack-aggregate-precache).
    'cliff.sphinxext',
    # Ours, in _exts/.
    'console_scripts',
    'notification_samples',
]

# oslo_config.sphinxconfiggen: _static/aggregates-ext.conf.sample
config_generator_config_file = [
    ('../../etc/aggregates-ext/aggregates-ext-config-generator.conf',
     '_static/aggregates-ext'),
]
# oslo_policy.sphinxpolicygen: _static/aggregates-ext.policy.yaml.sample
policy_generator_config_file = [
    ('../../etc/aggregates-ext/aggregates-ext-policy-generator.conf',
     '_static/aggregates-ext'),
]

# console_scripts: the scripts are read from here.
console_scripts_setup_cfg = '../../setup.cfg'
# notification_samples: one section per file of this directory.
notification_samples_dir = '../notification_samples'

# openstackdocstheme
openstackdocs_repo_name = 'openstack/aggregates-ext'
openstackdocs_bug_project = 'aggregates-ext'
openstackdocs_bug_tag = 'doc'
openstackdocs_auto_name = False

html_theme = 'openstackdocs'

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'

project = 'aggregates-ext'
copyright = '2026, aggregates-ext developers'

exclude_patterns = ['_exts']
# Our OSC commands, as cliff's directive shows them.
autoprogram_cliff_application = 'openstack'
# Option names such as --config-file must keep both hyphens.
smartquotes = False
pygments_style = 'native'
htmlhelp_basename = 'aggregates-ext-doc'

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

"""Sphinx configuration of the aggregates-ext API reference.

Built with ``tox -e api-ref``; warnings are errors there.
"""

extensions = [
    'os_api_ref',
    'openstackdocstheme',
]

# openstackdocstheme
openstackdocs_repo_name = 'openstack/aggregates-ext'
openstackdocs_bug_project = 'aggregates-ext'
openstackdocs_bug_tag = 'api-ref'
openstackdocs_auto_name = False

html_theme = 'openstackdocs'
html_theme_options = {
    'sidebar_mode': 'toc',
}

# os-api-ref: the microversion selector offers every version we accept.
os_api_ref_min_microversion = '2.1'
os_api_ref_max_microversion = '2.104'

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'

project = 'aggregates-ext API Reference'
copyright = '2026, aggregates-ext developers'

# The samples are JSON files included with literalinclude.
exclude_patterns = ['samples']

pygments_style = 'native'
html_last_updated_fmt = '%Y-%m-%d %H:%M'
htmlhelp_basename = 'aggregates-ext-api-ref'

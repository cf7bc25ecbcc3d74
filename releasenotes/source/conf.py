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

"""Sphinx configuration of the aggregates-ext release notes.

Built with ``tox -e releasenotes``; warnings are errors there.  reno reads
the notes from the git history, so a note shows up once it is committed.
"""

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

# openstackdocstheme
openstackdocs_repo_name = 'openstack/aggregates-ext'
openstackdocs_bug_project = 'aggregates-ext'
openstackdocs_bug_tag = 'releasenotes'
openstackdocs_auto_name = False

html_theme = 'openstackdocs'

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'

project = 'aggregates-ext Release Notes'
copyright = '2026, aggregates-ext developers'

# Release notes are not versioned like the code: one build shows every
# series.
version = ''
release = ''

exclude_patterns = []
pygments_style = 'native'
htmlhelp_basename = 'aggregates-ext-releasenotes'

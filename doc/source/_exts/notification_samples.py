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

"""``.. notification-samples::``: one section per notification sample.

Every ``*.json`` file of ``notification_samples_dir`` (the samples that
``aggregates_ext/tests/unit/test_notification_samples.py`` keeps equal to
what the service sends) becomes a section titled with its event type,
with its publisher id, priority and payload object, then the JSON.
A new sample file shows up without touching the documentation.
"""

import glob
import json
import os

from docutils import nodes
from docutils.parsers import rst
from docutils import statemachine
from sphinx import errors
from sphinx.util import nodes as sphinx_nodes

# Within one operation: start, then progress, then end (then error).
_PHASES = {'start': 0, 'progress': 1, 'end': 2, 'error': 3}


def _key(sample):
    operation, _, phase = sample['event_type'].rpartition('.')
    return operation, _PHASES.get(phase, len(_PHASES)), phase


def load_samples(directory):
    """The samples of ``directory``, in operation and phase order."""
    samples = []
    for path in glob.glob(os.path.join(directory, '*.json')):
        with open(path) as f:
            try:
                data = json.load(f)
            except ValueError as exc:
                raise errors.ExtensionError('%s: %s' % (path, exc))
        for field in ('event_type', 'publisher_id', 'payload'):
            if field not in data:
                raise errors.ExtensionError('%s has no %s' % (path, field))
        data['_path'] = path
        samples.append(data)
    return sorted(samples, key=_key)


def render(samples, srcdir):
    lines = []
    for sample in samples:
        event_type = sample['event_type']
        payload = sample['payload']
        publisher = sample['publisher_id'].split(':')[0]
        rel = os.path.relpath(sample['_path'], srcdir).replace(os.sep, '/')
        lines += [
            '.. _notification-%s:' % event_type.replace('.', '-').replace(
                '_', '-'), '',
            event_type, '-' * len(event_type), '',
            'Publisher id ``%s:<host>``, priority ``%s``, payload ``%s`` '
            'version ``%s``. Sample file: '
            '``doc/notification_samples/%s``.' % (
                publisher, sample.get('priority', 'INFO'),
                payload.get('nova_object.name', '?'),
                payload.get('nova_object.version', '?'),
                os.path.basename(sample['_path'])), '',
            '.. literalinclude:: /%s' % rel,
            '   :language: json', '',
        ]
    return lines


class NotificationSamplesDirective(rst.Directive):
    """Renders every sample of ``notification_samples_dir``."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        directory = os.path.normpath(os.path.join(
            env.srcdir, env.config.notification_samples_dir))
        # A new sample file changes the directory: rebuild this page.
        env.note_dependency(directory)
        samples = load_samples(directory)
        if not samples:
            raise errors.ExtensionError('no notification sample in %s'
                                        % directory)
        content = statemachine.StringList(
            render(samples, env.srcdir),
            source='<notification-samples %s>' % directory)
        node = nodes.section()
        node.document = self.state.document
        sphinx_nodes.nested_parse_with_titles(self.state, content, node)
        return node.children


def setup(app):
    app.add_config_value('notification_samples_dir',
                         '../notification_samples', 'env')
    app.add_directive('notification-samples', NotificationSamplesDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}

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

"""``.. console-scripts::``: the options of every console script.

The scripts are the ``console_scripts`` entry points of ``setup.cfg``; a
new one shows up by itself.  Each installed script is run with ``--help``
(and so is each of its sub-commands, found in its help), exactly as an
operator would, and its argparse output is rendered: the summary line of
the script's module docstring, the usage, the positional arguments and
sub-commands, and the options.  Options that every script accepts (the
oslo.config and oslo.log ones) are listed once, first.
"""

import configparser
import importlib
import os
import re
import shutil
import subprocess
import sys

from docutils import nodes
from docutils.parsers import rst
from docutils import statemachine
from sphinx import errors
from sphinx.util import nodes as sphinx_nodes

# Wide enough that argparse never wraps a help text.
_COLUMNS = '2000'
_MAX_DEPTH = 4
_SPECIAL = re.compile(r'([\\`*_|])')
# An optional group, a choice list, or a word of a usage line.
_USAGE_TOKEN = re.compile(r'\[[^\]]*\]|\{[^}]*\}|\S+')
_USAGE_WIDTH = 76


class Entry:
    """One item of an argparse help section."""

    def __init__(self, kind, invocation, help_text=''):
        self.kind = kind  # 'option', 'positional', 'choices', 'choice'
        self.invocation = invocation
        self.help = help_text

    def add(self, text):
        self.help = (self.help + ' ' + text).strip()


class Help:
    """The parsed ``--help`` output of one program (script + sub-command)."""

    def __init__(self, path, text):
        self.path = path
        self.usage = ''
        self.sections = []  # [(title, [Entry])]
        self._parse(text)

    @property
    def name(self):
        return ' '.join(self.path)

    def _parse(self, text):
        lines = text.splitlines()
        usage = []
        while lines and lines[0].strip():
            usage.append(lines.pop(0).strip())
        self.usage = ' '.join(usage)
        entries = None
        for line in lines:
            if not line.strip():
                continue
            if not line.startswith(' '):
                entries = []
                self.sections.append((line.strip().rstrip(':'), entries))
                continue
            indent = len(line) - len(line.lstrip())
            body = line.strip()
            last = entries[-1] if entries else None
            if indent == 2:
                invocation, help_text = _split(body)
                kind = ('option' if body.startswith('-') else
                        'choices' if body.startswith('{') else 'positional')
                entries.append(Entry(kind, invocation, help_text))
            elif indent == 4 and last and last.kind in ('choices', 'choice'):
                invocation, help_text = _split(body)
                entries.append(Entry('choice', invocation, help_text))
            elif last is not None:
                last.add(body)

    def choices(self):
        return [e.invocation for _, entries in self.sections
                for e in entries if e.kind == 'choice']

    def options(self):
        return [e for _, entries in self.sections for e in entries
                if e.kind == 'option']


def _split(body):
    parts = re.split(r'\s{2,}', body, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ''


def _escape(text):
    text = _SPECIAL.sub(r'\\\1', text)
    if text[:1] in '-+*#':
        text = '\\' + text
    return text


def console_scripts(setup_cfg):
    """``[(name, module)]`` of setup.cfg's console_scripts, by name."""
    parser = configparser.ConfigParser()
    parser.read(setup_cfg)
    value = parser.get('entry_points', 'console_scripts', fallback='')
    scripts = []
    for line in value.splitlines():
        if '=' not in line:
            continue
        name, target = (part.strip() for part in line.split('=', 1))
        scripts.append((name, target.split(':')[0]))
    return sorted(scripts)


def _executable(name):
    found = shutil.which(name, path=os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ.get('PATH', '')]))
    if found is None:
        raise errors.ExtensionError(
            'console script %s is not installed; install the package '
            '(tox -e docs does) to document it' % name)
    return found


def run_help(path):
    """The ``--help`` output of a script or one of its sub-commands."""
    env = dict(os.environ, COLUMNS=_COLUMNS)
    proc = subprocess.run([_executable(path[0])] + list(path[1:]) +
                          ['--help'], capture_output=True, text=True,
                          env=env, timeout=120)
    if proc.returncode != 0:
        raise errors.ExtensionError('%s --help failed (%d): %s' % (
            ' '.join(path), proc.returncode, proc.stderr[-2000:]))
    return proc.stdout


def programs(name):
    """The script's help, then its sub-commands' helps, depth first."""
    found = []

    def walk(path):
        helped = Help(path, run_help(path))
        found.append(helped)
        if len(path) < _MAX_DEPTH:
            for choice in helped.choices():
                walk(path + [choice])

    walk([name])
    return found


def summary(module_name):
    """The first paragraph of the script module's docstring."""
    doc = importlib.import_module(module_name).__doc__ or ''
    first = doc.strip().split('\n\n')[0]
    first = ' '.join(line.strip() for line in first.splitlines())
    # "aggregates-ext-api: serve the API ..." -> "Serve the API ..."
    _, sep, rest = first.partition(': ')
    text = rest if sep else first
    return text[:1].upper() + text[1:]


def _label(path):
    return 'cli-' + '-'.join(path)


def _usage_block(usage, prog):
    """The usage line wrapped as argparse would, never inside ``[...]``."""
    body = usage[len('usage: '):] if usage.startswith('usage: ') else usage
    body = body[len(prog):].strip() if body.startswith(prog) else body
    indent = ' ' * (len('usage: ') + len(prog) + 1)
    lines = ['usage: ' + prog]
    for token in _USAGE_TOKEN.findall(body):
        if len(lines[-1]) + 1 + len(token) > _USAGE_WIDTH and \
                lines[-1].strip():
            lines.append(indent + token)
        else:
            lines[-1] += ' ' + token
    return ['.. code-block:: none', ''] + [
        '   ' + line for line in lines] + ['']


def _definitions(entries):
    lines = []
    for entry in entries:
        lines.append('``%s``' % entry.invocation)
        lines.append('   %s' % (_escape(entry.help) if entry.help else
                                '(no description)'))
    return lines + ['']


def render_program(helped, common, text):
    """RST lines of one program: usage, arguments, sub-commands, options."""
    lines = ['.. _%s:' % _label(helped.path), '', helped.name,
             ('-' if len(helped.path) == 1 else '~') * len(helped.name), '']
    if text:
        lines += [text, '']
    lines += _usage_block(helped.usage, helped.name)
    for title, entries in helped.sections:
        if title == 'options':
            continue
        shown = [e for e in entries if e.kind in ('positional', 'choice')]
        if shown:
            heading = ('Sub-commands' if any(e.kind == 'choice'
                                             for e in shown) else
                       'Positional arguments')
            lines += ['**%s**' % heading, ''] + _definitions(shown)
    options = [o for o in helped.options() if o.invocation not in common]
    if options:
        lines += ['**Options**', ''] + _definitions(options)
    if len(helped.path) == 1 and common:
        lines += ['It also accepts the :ref:`options of every command '
                  '<cli-common-options>`.', '']
    return lines


def render(scripts):
    """RST lines for every script, common options first."""
    helps = {name: programs(name) for name, _ in scripts}
    tops = [helps[name][0] for name, _ in scripts]
    common = set.intersection(*[{o.invocation for o in top.options()}
                                for top in tops]) if tops else set()
    lines = []
    if common:
        lines += ['.. _cli-common-options:', '', 'Options of every command',
                  '-' * len('Options of every command'), '',
                  'Every command reads its configuration (oslo.config) and '
                  'sets up logging (oslo.log) from these options; '
                  'sub-commands take them before the sub-command name.', '']
        lines += _definitions([o for o in tops[0].options()
                               if o.invocation in common])
    for name, module in scripts:
        for index, helped in enumerate(helps[name]):
            text = summary(module) if index == 0 else ''
            lines += render_program(helped, common, text)
    return lines


class ConsoleScriptsDirective(rst.Directive):
    """Renders every console script of setup.cfg."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        setup_cfg = os.path.normpath(os.path.join(
            env.srcdir, env.config.console_scripts_setup_cfg))
        env.note_dependency(setup_cfg)
        lines = render(console_scripts(setup_cfg))
        content = statemachine.StringList(
            lines, source='<console-scripts %s>' % setup_cfg)
        node = nodes.section()
        node.document = self.state.document
        sphinx_nodes.nested_parse_with_titles(self.state, content, node)
        return node.children


def setup(app):
    app.add_config_value('console_scripts_setup_cfg', '../../setup.cfg',
                         'env')
    app.add_directive('console-scripts', ConsoleScriptsDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}

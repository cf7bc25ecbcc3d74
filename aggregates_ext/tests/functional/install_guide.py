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

"""The install guide as a test reads it: its blocks, its commands.

The guide (``doc/source/install/``) is written for real machines: a
``controller`` with the database, the broker and Keystone, compute hosts
``compute1``..., files under ``/etc`` and ``/var/lib``, a virtualenv in
``/opt``.  ``test_install_guide`` performs it on one machine, each host of
the guide a directory of its own (:class:`Host`), and changes the guide's
text only through a :class:`Substitutions` table: host names, passwords,
ports, paths, the names of throwaway resources on shared servers.  Text
that still holds a name of the guide's machines after substitution
(``controller:``, ``https://``, a ``*_PASS`` password, a ``<placeholder>``,
an absolute ``/etc``, ``/var`` or ``/opt`` path) fails the test: a guide
step that the table does not cover must be looked at, not run half-local.
"""

import configparser
import copy
import os
import re
import shlex
import subprocess
import sys
import textwrap

from aggregates_ext.tests.functional import support

GUIDE_DIR = os.path.join(support.REPO_ROOT, 'doc', 'source', 'install')

# The prompts of the guide's console blocks: a shell's (user, root) and
# the database clients'.
PROMPTS = ('$ ', '# ', 'MariaDB [(none)]> ', 'postgres=# ')

_DIRECTIVE = re.compile(r'^(?P<indent> *)\.\. code-block::\s*(?P<lang>\S+)')
_OPTION = re.compile(r'^\s+:[\w-]+:')
# What must not be left after substitution (see the module docstring).
_GUIDE_ONLY = re.compile(
    r'controller:|@controller\b|https://|\b[A-Z]+_PASS\b|\bAGG_DBPASS\b|'
    r'<[a-z][a-z ]*>|(?<![\w.~/-])/(?:etc|var|opt)/')
_SU = re.compile(r'^su -s /bin/sh \S+ -c "(?P<command>[^"]*)"$')


class Block(object):
    """One ``.. code-block::`` of a page: ``lang``, ``text``, ``where``."""

    def __init__(self, page, lineno, lang, text):
        self.page = page
        self.lineno = lineno
        self.lang = lang
        self.text = text

    @property
    def where(self):
        return 'doc/source/install/%s.rst:%d' % (self.page, self.lineno)

    def commands(self):
        """The block's commands (:class:`Command`), in order."""
        found = []
        continued = False
        for line in self.text.splitlines():
            if continued:
                found[-1].text += '\n' + line
            else:
                prompt = next((p for p in PROMPTS if line.startswith(p)),
                              None)
                if prompt is None:
                    if line.strip() and found:
                        found[-1].output.append(line)
                    continue
                found.append(Command(prompt.strip(), line[len(prompt):],
                                     self.where))
            continued = line.endswith('\\')
        return found

    def ini(self):
        """The block parsed as an ini file (a systemd unit, say)."""
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str
        parser.read_string(self.text)
        return parser

    def __repr__(self):
        return '<Block %s %s>' % (self.lang, self.where)


class Command(object):
    """A command of a console block and the output the guide shows."""

    def __init__(self, prompt, text, where):
        self.prompt = prompt
        self.text = text
        self.where = where
        self.output = []

    @property
    def line(self):
        """The command on one line (continuations joined)."""
        return self.text.replace('\\\n', ' ')

    def __repr__(self):
        return '<Command %s %s (%s)>' % (self.prompt, self.line, self.where)


def blocks(page):
    """Every ``.. code-block::`` of ``doc/source/install/<page>.rst``."""
    with open(os.path.join(GUIDE_DIR, page + '.rst')) as f:
        lines = f.read().splitlines()
    found = []
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        i += 1
        if m is None:
            continue
        start, indent = i, len(m.group('indent'))
        while i < len(lines) and _OPTION.match(lines[i]):
            i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) >
                                  indent):
            body.append(lines[i])
            i += 1
        found.append(Block(page, start, m.group('lang'),
                           textwrap.dedent('\n'.join(body)).strip('\n') +
                           '\n'))
    return found


def block(page, lang, containing):
    """The one ``lang`` block of ``page`` whose text has ``containing``."""
    matches = [b for b in blocks(page)
               if b.lang == lang and containing in b.text]
    if len(matches) != 1:
        raise AssertionError(
            'expected one %s block with %r in doc/source/install/%s.rst, '
            'found %d: %s' % (lang, containing, page, len(matches), matches))
    return matches[0]


def command(page, starting):
    """The one command of ``page`` whose text starts with ``starting``."""
    matches = [c for b in blocks(page) if b.lang == 'console'
               for c in b.commands() if c.text.startswith(starting)]
    if len(matches) != 1:
        raise AssertionError(
            'expected one command starting with %r in '
            'doc/source/install/%s.rst, found %d: %s'
            % (starting, page, len(matches), matches))
    return matches[0]


class Substitutions(object):
    """The guide's names of things and the local ones, applied in one pass.

    Entries are ``(guide text, local text, why)``.  Replacement is a single
    pass, longest guide text first, so a local text is never substituted
    again.
    """

    def __init__(self, entries=()):
        self.entries = list(entries)

    def extended(self, *entries):
        return Substitutions(self.entries + list(entries))

    def __call__(self, text, where=''):
        table = {}
        for old, new, _why in self.entries:
            table[old] = new
        pattern = re.compile('|'.join(
            re.escape(old) for old in sorted(table, key=len, reverse=True)))
        local = pattern.sub(lambda m: table[m.group(0)], text)
        left = sorted(set(_GUIDE_ONLY.findall(local)))
        if left:
            raise AssertionError(
                'the substitution table of test_install_guide does not '
                'cover %s in %s:\n%s' % (', '.join(left), where or 'the text',
                                         local))
        return local

    def describe(self):
        return '\n'.join('%r -> %r: %s' % e for e in self.entries)


class Host(object):
    """A machine of the guide: a directory that stands for its root.

    ``path('/etc/...')`` is where the guide's file is on this "host";
    commands run with ``HOME`` the host's root, where a link
    ``.aggregates-ext`` to its ``etc/aggregates-ext`` lets oslo.config find
    the configuration file as it would find
    ``/etc/aggregates-ext/aggregates-ext.conf`` (oslo.config looks in
    ``~/.aggregates-ext/`` first).

    :param subs: the deployment's :class:`Substitutions`; the host adds its
        paths (and ``extra`` entries).
    """

    def __init__(self, name, base_dir, subs, extra=()):
        self.name = name
        self.root = os.path.join(base_dir, name)
        why = 'the guide\'s %s is a directory here' % name
        self.subs = subs.extended(
            ('/etc/aggregates-ext', self.path('/etc/aggregates-ext'), why),
            ('/var/lib/aggregates-ext', self.path('/var/lib/aggregates-ext'),
             why),
            ('/var/lib/nova/instances',
             self.path('/var/lib/nova/instances'), why), *extra)
        os.makedirs(self.path('/etc/aggregates-ext'))
        os.symlink(self.path('/etc/aggregates-ext'),
                   os.path.join(self.root, '.aggregates-ext'))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_') and k not in ('VIRTUAL_ENV',)}
        env.update(HOME=self.root, PYTHONWARNINGS='ignore',
                   PATH=os.pathsep.join([
                       os.path.dirname(os.path.abspath(sys.executable)),
                       '/usr/local/sbin', '/usr/local/bin', '/usr/sbin',
                       '/usr/bin', '/sbin', '/bin']))
        self.env = env

    def extended(self, *entries):
        """The same host, with more substitutions (placeholders)."""
        other = copy.copy(self)
        other.subs = self.subs.extended(*entries)
        return other

    def path(self, guide_path):
        return os.path.join(self.root, guide_path.lstrip('/'))

    def write(self, guide_path, text, where=''):
        """Write ``text`` (substituted) to the host's ``guide_path``."""
        path = self.path(guide_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(self.subs(text, where))
        return path

    def local(self, cmd, subs=None):
        """A command's line, substituted.

        ``su -s /bin/sh USER -c "X"`` is X, run as the test's user.
        """
        line = (subs or self.subs)(cmd.line, cmd.where)
        m = _SU.match(line)
        return m.group('command') if m else line

    def argv(self, cmd):
        """A command's argv, substituted (see :meth:`local`)."""
        return shlex.split(self.local(cmd), comments=True)

    def run(self, cmd, env=None, subs=None, timeout=180, check=True):
        """Run a :class:`Command` with /bin/sh on this host.

        :param env: variables added to the host's environment (the cloud's
            ``OS_*`` credentials).
        :param subs: a :class:`Substitutions` instead of the host's.
        :param check: fail unless it exits 0 and prints the output the
            guide shows (when it shows one).
        :returns: a ``subprocess.CompletedProcess``
        """
        result = subprocess.run(
            ['/bin/sh', '-c', self.local(cmd, subs)], capture_output=True,
            text=True, env=dict(self.env, **(env or {})),
            stdin=subprocess.DEVNULL, timeout=timeout, cwd=self.root)
        if check:
            if result.returncode != 0:
                raise AssertionError('%s (%s) on %s exited %d:\n%s%s' % (
                    cmd.line, cmd.where, self.name, result.returncode,
                    result.stdout, result.stderr))
            expected = [(subs or self.subs)(o, cmd.where)
                        for o in cmd.output]
            if expected and result.stdout.splitlines() != expected:
                raise AssertionError(
                    '%s (%s) printed %r, the guide shows %r' % (
                        cmd.line, cmd.where, result.stdout.splitlines(),
                        expected))
        return result

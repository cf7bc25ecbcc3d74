#!/usr/bin/env python3
"""CI's first stage: the README's two "Run" lines, done as a new user would.

In a fresh clone of this repository (HEAD) and a throwaway $HOME:

 1. the README's first command's install part, exactly as written (a new
    venv with nothing but ``pip install .``);
 2. ``pip check``;
 3. every module of the package imported in that venv, and every
    third-party distribution it imports named in requirements.txt;
 4. ``--help`` of every console script in setup.cfg: exit 0, no warning;
 5. a separate venv with python-openstackclient and the clone, where
    ``openstack`` has the plugin's ``aggregate precache`` commands;
 6. the README's command itself (``--port 0`` added: a free port), until
    its banner; no warning on stderr while it starts; /healthcheck;
 7. the banner's "Try it" commands with that ``openstack``, which must be
    the README's "Trying it" commands word for word (state dir and image
    id aside); the image must land in every agent's ``_base/`` with the
    bytes the image service serves;
 8. the README's "without a clouds.yaml" commands;
 9. SIGTERM to its PID: it must exit 0 without a traceback.

Each step prints its time; a failure names its step and exits 1.
Standard library only: it runs before anything is installed.

Usage: tools/ci/readme-smoke.py [--keep]
Environment: AGGREGATES_EXT_FUNCTIONAL_DIR (pip's cache for the client
venv is its pip-cache/, default ~/.cache/aggregates-ext-functional).
"""

import configparser
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CLIENT_REQUIREMENT = 'python-openstackclient>=6.0.0'
# The OpenStackClient plugin's commands (openstack.aggregates_ext.v1).
PLUGIN_COMMANDS = ('aggregate precache list', 'aggregate precache show',
                   'aggregate precache watch')
STATE_IN_README = '~/.local/state/aggregates-ext'
IMAGE_IN_README = '<image id from the banner>'
PORT_IN_README = '9774'
START_TIMEOUT = 120
# Lines a Python warning prints: "...: SomethingWarning: ...".
WARNING_RE = re.compile(r'\bWarning\b|\w+Warning:|\bWARNING\b')


class StepFailed(Exception):
    pass


class Smoke:

    def __init__(self, workdir):
        self.workdir = workdir
        self.home = os.path.join(workdir, 'home')
        self.src = os.path.join(workdir, 'src')
        self.venv = os.path.join(self.src, '.venv')
        os.makedirs(self.home)
        self.env = dict(os.environ, HOME=self.home,
                        PIP_DISABLE_PIP_VERSION_CHECK='1')
        for name in list(self.env):
            if name.startswith(('OS_', 'VIRTUAL_ENV', 'PYTHON')):
                del self.env[name]
        self.server = None
        self.times = []

    # Helpers ----------------------------------------------------------------

    def run(self, argv, timeout=600, env=None, cwd=None, shell=False):
        result = subprocess.run(
            argv, cwd=cwd or self.src, env=env or self.env, shell=shell,
            executable='/bin/bash' if shell else None,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            timeout=timeout)
        return result

    def check(self, argv, what, **kwargs):
        result = self.run(argv, **kwargs)
        if result.returncode != 0:
            raise StepFailed('%s exited %d:\n%s%s' % (
                what, result.returncode, result.stdout[-3000:],
                result.stderr[-3000:]))
        return result

    def readme(self):
        with open(os.path.join(self.src, 'README.md')) as f:
            return f.read()

    @staticmethod
    def code_blocks(text):
        """Indented code blocks of a Markdown text, as lists of lines."""
        blocks, current = [], []
        for line in text.splitlines() + ['']:
            if line.startswith('    '):
                current.append(line[4:])
            elif line.strip() == '' and current:
                current.append('')
            elif current:
                while current and not current[-1]:
                    current.pop()
                blocks.append(current)
                current = []
        if current:
            blocks.append(current)
        return blocks

    def block_starting(self, prefix):
        for block in self.code_blocks(self.readme()):
            if block and block[0].startswith(prefix):
                return block
        raise StepFailed('the README has no code block starting with %r'
                         % prefix)

    # Steps ------------------------------------------------------------------

    def step_install(self):
        self.check(['git', 'clone', '--quiet', REPO, self.src], 'git clone',
                   cwd=self.workdir)
        first = self.code_blocks(self.readme())[0][0]
        install, sep, start = first.rpartition(' && ')
        if not sep or not start.startswith('.venv/bin/aggregates-ext-all'):
            raise StepFailed("the README's first command is not "
                             "'<install> && .venv/bin/aggregates-ext-all': "
                             "%r" % first)
        if 'pip install .' not in install:
            raise StepFailed('the install part does not pip install . : %r'
                             % install)
        self.start_command = start
        self.check(install, 'the install command', shell=True)
        return install

    def step_pip_check(self):
        return self.check([self.bin('pip'), 'check'], 'pip check').stdout

    def step_imports(self):
        with open(os.path.join(self.src, 'requirements.txt')) as f:
            declared = {re.split(r'[<>=!~\[;\s]', line.strip())[0].lower()
                        .replace('_', '-').replace('.', '-')
                        for line in f if line.strip() and
                        not line.startswith('#')}
        # Import each module (it must load in the bare venv), then read
        # every import statement, function-level ones included, and map
        # the top-level names to the distributions that provide them.
        script = r'''
import ast, importlib, importlib.metadata as md, importlib.util, json, os
import pkgutil, sys
import aggregates_ext
skip = ('aggregates_ext.tests', 'aggregates_ext.tempest_plugin')
mods = [m for m in pkgutil.walk_packages(aggregates_ext.__path__,
                                         'aggregates_ext.')
        if not m.name.startswith(skip)]
imported = set()
for m in mods:
    # Alembic runs the migration scripts itself, and importing the WSGI
    # entry point starts the API: those are only read.
    if m.name.startswith(('aggregates_ext.db.migrations.',
                          'aggregates_ext.wsgi.api')):
        path = m.module_finder.find_spec(m.name).origin
    else:
        module = importlib.import_module(m.name)
        path = module.__file__
        if not path.startswith(sys.prefix):
            raise SystemExit('%s imported from %s, not the venv'
                             % (m.name, path))
    if not path.endswith('.py'):
        continue
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            # "from paste import deploy" loads paste.deploy.
            for alias in node.names:
                full = node.module + '.' + alias.name
                try:
                    found = importlib.util.find_spec(full)
                except ImportError:
                    found = None
                imported.add(full if found else node.module)
imported = {n for n in imported
            if n.split('.')[0] not in sys.stdlib_module_names and
            n.split('.')[0] != 'aggregates_ext'}
# Which distribution installed the file each import loads: exact even
# where several share a namespace (paste.deploy is PasteDeploy's).
owner = {}
for dist in md.distributions():
    for f in dist.files or ():
        owner[os.path.realpath(f.locate())] = dist.metadata['Name']
direct, unknown = set(), []
for name in sorted(imported):
    spec = importlib.util.find_spec(name)
    dist = owner.get(os.path.realpath(spec.origin)) if spec and \
        spec.origin else None
    if dist is None:
        unknown.append(name)
    else:
        direct.add(dist)
print(json.dumps({'modules': len(mods), 'unknown': unknown,
                  'direct': sorted(direct)}))
'''
        # Not from the clone: what the venv holds is what users run.
        result = self.check([self.bin('python'), '-c', script],
                            'importing every module', cwd=self.home)
        report = json.loads(result.stdout.strip().splitlines()[-1])
        direct = {d.lower().replace('_', '-').replace('.', '-')
                  for d in report['direct']}
        missing = sorted(direct - declared) + report['unknown']
        if missing:
            raise StepFailed('imported by the package but not in '
                             'requirements.txt: %s' % ', '.join(missing))
        return '%d modules; %d distributions imported directly, all ' \
               'declared' % (report['modules'], len(direct))

    def console_scripts(self):
        parser = configparser.ConfigParser()
        parser.read(os.path.join(self.src, 'setup.cfg'))
        lines = parser['entry_points']['console_scripts'].strip()
        return [line.split('=')[0].strip() for line in lines.splitlines()]

    def step_help(self):
        names = self.console_scripts()
        for name in names:
            result = self.check([self.bin(name), '--help'], name + ' --help',
                                timeout=120)
            self.no_warnings(name + ' --help', result.stderr)
        return ', '.join(names)

    def step_client_venv(self):
        # As the README says a user gets the plugin's commands: the client
        # and this package installed together, here in a venv of this run
        # (the clone, not the service's venv); pip's cache is kept between
        # runs, so only the first one downloads.
        base = os.environ.get('AGGREGATES_EXT_FUNCTIONAL_DIR') or \
            os.path.join(os.path.expanduser('~'), '.cache',
                         'aggregates-ext-functional')
        os.makedirs(base, exist_ok=True)
        self.client = os.path.join(self.workdir, 'client')
        env = dict(self.env, PIP_CACHE_DIR=os.path.join(base, 'pip-cache'))
        self.check([sys.executable, '-m', 'venv', self.client],
                   'python3 -m venv (client)', cwd=self.workdir)
        pip = os.path.join(self.client, 'bin', 'pip')
        self.check([pip, 'install', '-q', CLIENT_REQUIREMENT, self.src],
                   'pip install the client and the clone', env=env,
                   cwd=self.workdir)
        self.check([pip, 'check'], 'pip check (client)', cwd=self.workdir)
        commands = self.check(
            [os.path.join(self.client, 'bin', 'openstack'), 'command',
             'list', '--group', 'openstack.aggregates_ext.v1', '-f',
             'value'], 'openstack command list', cwd=self.workdir).stdout
        for name in PLUGIN_COMMANDS:
            if name not in commands:
                raise StepFailed('openstack has no %r command:\n%s'
                                 % (name, commands))
        return 'python-openstackclient and the clone in %s' % self.client

    def step_start(self):
        self.out = open(os.path.join(self.workdir, 'all.out'), 'w+')
        self.err = open(os.path.join(self.workdir, 'all.err'), 'w+')
        # As the README says, on a free port.
        argv = self.start_command.split() + ['--port', '0']
        self.server = subprocess.Popen(argv, cwd=self.src, env=self.env,
                                       stdout=self.out, stderr=self.err)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            banner = self.output()
            if 'or with curl:' in banner:
                break
            if self.server.poll() is not None:
                raise StepFailed('aggregates-ext-all exited %d:\n%s\n%s' % (
                    self.server.returncode, banner[-3000:],
                    self.errors()[-3000:]))
            time.sleep(0.2)
        else:
            raise StepFailed('no banner within %ds' % START_TIMEOUT)
        self.banner = banner[banner.index('aggregates-ext is running.'):]
        self.no_warnings('aggregates-ext-all start-up', self.errors())
        self.endpoint = re.search(r'API endpoint:\s+(\S+)/v2\.1',
                                  self.banner).group(1)
        self.image_id = re.search(r'Images:\s+(\S+)', self.banner).group(1)
        self.state = re.search(r'State:\s+(\S+)', self.banner).group(1)
        self.hosts = re.search(r'Compute hosts:\s+(.+)',
                               self.banner).group(1).split(', ')
        with urllib.request.urlopen(self.endpoint + '/healthcheck',
                                    timeout=10) as resp:
            if resp.status != 200:
                raise StepFailed('/healthcheck answered %d' % resp.status)
        return 'PID %d, %s, hosts %s' % (self.server.pid, self.endpoint,
                                         ', '.join(self.hosts))

    def banner_commands(self):
        lines = self.banner.split('Try it with the OpenStack client:')[1]
        lines = lines.split('or with curl:')[0].strip().splitlines()
        return [line.strip() for line in lines if line.strip()]

    def step_try_it(self):
        commands = self.banner_commands()
        in_readme = self.block_starting('export OS_CLIENT_CONFIG_FILE=')
        home_state = os.path.join(self.home, STATE_IN_README[2:])
        if self.state != home_state:
            raise StepFailed('the state dir %s is not the README\'s %s'
                             % (self.state, STATE_IN_README))
        as_readme = [c.replace(self.state, STATE_IN_README)
                     .replace(self.image_id, IMAGE_IN_README)
                     for c in commands]
        if as_readme != in_readme:
            raise StepFailed(
                'the banner\'s commands differ from the README\'s "Trying '
                'it":\nbanner:\n  %s\nREADME:\n  %s' % (
                    '\n  '.join(as_readme), '\n  '.join(in_readme)))
        output = self.client_shell(commands, 'the banner\'s commands')
        for host in self.hosts:
            self.check_cached(host)
        return '%d commands; image in _base/ of %s\n%s' % (
            len(commands), ', '.join(self.hosts), output.rstrip())

    def step_without_clouds_yaml(self):
        block = self.block_starting('export OS_AUTH_TYPE=admin_token')
        port = self.endpoint.rsplit(':', 1)[1]
        commands = [c.replace(':' + PORT_IN_README, ':' + port)
                    .replace(IMAGE_IN_README, self.image_id) for c in block]
        self.client_shell(commands, 'the "without a clouds.yaml" commands')
        return '%d commands' % len(commands)

    def step_stop(self):
        self.server.send_signal(signal.SIGTERM)
        try:
            code = self.server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.server.kill()
            raise StepFailed('still running 60 s after SIGTERM')
        errors = self.errors()
        if code != 0 or 'Traceback' in errors:
            raise StepFailed('exit status %d after SIGTERM:\n%s'
                             % (code, errors[-3000:]))
        return 'exit status 0'

    # Checks -----------------------------------------------------------------

    def bin(self, name):
        return os.path.join(self.venv, 'bin', name)

    def output(self):
        self.out.seek(0)
        return self.out.read()

    def errors(self):
        self.err.seek(0)
        return self.err.read()

    def no_warnings(self, what, stderr):
        found = [line for line in stderr.splitlines()
                 if WARNING_RE.search(line)]
        if found:
            raise StepFailed('%s printed warnings on stderr:\n%s'
                             % (what, '\n'.join(found[:20])))

    def client_shell(self, commands, what):
        env = dict(self.env, PATH=os.path.join(self.client, 'bin') + ':' +
                   self.env.get('PATH', ''))
        script = 'set -euo pipefail\n' + '\n'.join(commands) + '\n'
        result = self.run(script, env=env, shell=True, cwd=self.home,
                          timeout=300)
        if result.returncode != 0:
            raise StepFailed('%s failed (exit %d):\n%s\n%s\n%s' % (
                what, result.returncode, script, result.stdout[-3000:],
                result.stderr[-3000:]))
        return result.stdout

    def check_cached(self, host, timeout=60):
        name = hashlib.sha1(self.image_id.encode()).hexdigest()
        path = os.path.join(self.state, 'hosts', host, 'instances', '_base',
                            name)
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise StepFailed('%s is not in %s\'s cache after %ds'
                                 % (self.image_id, host, timeout))
            time.sleep(0.2)
        url = '%s/image/v2/images/%s' % (self.endpoint, self.image_id)
        with urllib.request.urlopen(url, timeout=10) as resp:
            expected = json.load(resp)['os_hash_value']
        digest = hashlib.sha512()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            raise StepFailed('%s holds other bytes than the image' % path)

    def cleanup(self):
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait()


STEPS = [
    ('install as the README says', Smoke.step_install),
    ('pip check', Smoke.step_pip_check),
    ('import every module', Smoke.step_imports),
    ('--help of every console script', Smoke.step_help),
    ('client venv', Smoke.step_client_venv),
    ('start aggregates-ext-all', Smoke.step_start),
    ('the banner\'s commands (README "Trying it")', Smoke.step_try_it),
    ('the README\'s commands without a clouds.yaml',
     Smoke.step_without_clouds_yaml),
    ('stop by PID', Smoke.step_stop),
]


def main(argv):
    keep = '--keep' in argv
    workdir = tempfile.mkdtemp(prefix='readme-smoke-')
    smoke = Smoke(workdir)
    started = time.monotonic()
    try:
        for number, (name, step) in enumerate(STEPS, 1):
            t0 = time.monotonic()
            try:
                detail = step(smoke)
            except (StepFailed, subprocess.TimeoutExpired, OSError) as exc:
                print('[readme-smoke] FAILED at step %d/%d "%s" after '
                      '%.1f s: %s' % (number, len(STEPS), name,
                                      time.monotonic() - t0, exc),
                      flush=True)
                return 1
            print('[readme-smoke] step %d/%d %-45s ok %6.1f s  %s' % (
                number, len(STEPS), name, time.monotonic() - t0,
                (detail or '').split('\n')[0]), flush=True)
        print('[readme-smoke] all %d steps passed in %.1f s'
              % (len(STEPS), time.monotonic() - started), flush=True)
        return 0
    finally:
        smoke.cleanup()
        if keep:
            print('[readme-smoke] kept %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

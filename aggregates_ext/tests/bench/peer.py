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

"""The Nova 34 peer benchmark: where it is, its venv, running it.

The peer (``bench_nova_aggregates.py``, its ``pip-freeze.txt``) lives
outside this repository: ``$AGGREGATES_EXT_NOVA_PEER``, else
``../shared/bench/nova-peer`` beside the checkout.  Its venv is built from
the freeze file into the cache directory
(``$XDG_CACHE_HOME/aggregates-ext-bench``, ``~/.cache/...`` by default) and
rebuilt only when the freeze file changes (a stamp holds its SHA-256).
Nothing of Nova is imported here or copied into the project.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time

import aggregates_ext

FREEZE = 'pip-freeze.txt'
SCRIPT = 'bench_nova_aggregates.py'
STAMP = '.aggregates-ext-bench-stamp'


class PeerError(Exception):
    """The Nova peer cannot be found, built or run."""


# Where the brief keeps the peer: next to the checkout (../shared), or at
# the workplace's own path when the checkout is elsewhere (CI clones it).
_PLACES = (('..', 'shared', 'bench', 'nova-peer'),
           ('/work', 'shared', 'bench', 'nova-peer'))


def peer_dir():
    """The Nova peer benchmark's directory.

    $AGGREGATES_EXT_NOVA_PEER, or else the first of ``_PLACES`` that
    holds it.
    """
    path = os.environ.get('AGGREGATES_EXT_NOVA_PEER')
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(
        aggregates_ext.__file__)))
    candidates = [path] if path else [
        os.path.abspath(os.path.join(checkout, *place)) for place in _PLACES]
    for path in candidates:
        if all(os.path.exists(os.path.join(path, name))
               for name in (FREEZE, SCRIPT)):
            return path
    raise PeerError('no %s and %s in %s: set AGGREGATES_EXT_NOVA_PEER to '
                    'the Nova peer benchmark directory'
                    % (FREEZE, SCRIPT, ' or '.join(candidates)))


def cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'aggregates-ext-bench')


def ensure_venv(peer, say=print):
    """The peer venv's python, built from the freeze file if need be.

    :returns: (python path, seconds spent building; 0 when cached)
    """
    with open(os.path.join(peer, FREEZE), 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    venv = os.path.join(cache_dir(), 'nova-venv')
    python = os.path.join(venv, 'bin', 'python')
    stamp = os.path.join(venv, STAMP)
    if os.path.exists(stamp) and open(stamp).read().strip() == digest:
        return python, 0.0
    say('building the Nova peer venv in %s from %s (about a minute)'
        % (venv, os.path.join(peer, FREEZE)))
    t0 = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    os.makedirs(cache_dir(), exist_ok=True)
    steps = [
        [sys.executable, '-m', 'venv', venv],
        [python, '-m', 'pip', 'install', '-q', '--upgrade', 'pip', 'wheel',
         'setuptools'],
        [python, '-m', 'pip', 'install', '-q', '-r',
         os.path.join(peer, FREEZE)],
    ]
    # tox's own venv must not leak into the peer's.
    env = {k: v for k, v in os.environ.items()
           if k not in ('VIRTUAL_ENV', 'PYTHONPATH', 'PIP_REQUIRE_VIRTUALENV')}
    for argv in steps:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        if proc.returncode:
            raise PeerError('%s failed (%d):\n%s' % (
                ' '.join(argv[:4]), proc.returncode, proc.stderr[-3000:]))
    with open(stamp, 'w') as f:
        f.write(digest + '\n')
    return python, time.monotonic() - t0


def command(python, peer, hosts, extra=()):
    """The peer's command line, in its headline configuration."""
    return [python, os.path.join(peer, SCRIPT), '--fast-rpc',
            '--hosts', str(hosts)] + list(extra)


def environ(threads=False):
    """The peer's environment, on eventlet or native threads.

    Eventlet is Nova's functional-test default and the peer's headline;
    ``threads``: native threads, as ours run.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ('VIRTUAL_ENV', 'PYTHONPATH')}
    env['OS_NOVA_DISABLE_EVENTLET_PATCHING'] = '1' if threads else '0'
    return env

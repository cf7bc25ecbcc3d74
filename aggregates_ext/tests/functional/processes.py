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

"""The one process wrapper of the functional harness, and its helpers.

:class:`Process` runs one server (our console scripts, or Glance and
Keystone under ``tools/functional/serve.py``) in a process group of its
own, its output appended to a log file, and, when started from the main
thread, dies with the test process (``PR_SET_PDEATHSIG``).  Our services
run under oslo.service's launcher (cotyledon): a parent that forks the
worker doing the work, and forks a new one when it dies;
:meth:`Process.kill`, :meth:`Process.kill_parent` and
:meth:`Process.kill_worker` crash the group, the parent only or the worker
only.
"""

import ctypes
import os
import signal
import subprocess
import threading
import time

import requests
from testtools import content

from aggregates_ext.tests.functional import support


class StartError(Exception):
    """A server or a setup command could not be started."""


class ProcessExited(AssertionError):
    """A process that should be running is gone."""


def clean_env(venv=None, **extra):
    """Environment for a child: nothing of the test's venv or OS_* leaks."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV',
                        'PYTHONSTARTUP')
           and not k.startswith('OS_')}
    if venv:
        env['VIRTUAL_ENV'] = venv
        env['PATH'] = os.path.join(venv, 'bin') + os.pathsep + env.get(
            'PATH', '/usr/bin:/bin')
    env['PYTHONWARNINGS'] = 'ignore'
    env['PYTHONUNBUFFERED'] = '1'
    env.update(extra)
    return env


def run(argv, log, env, cwd, timeout=None):
    """Run a setup command, its output appended to ``log``.

    :raises StartError: it could not run, timed out or exited non-zero
    """
    with open(log, 'ab') as f:
        f.write(('$ %s\n' % ' '.join(argv)).encode())
        f.flush()
        try:
            rc = subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                 timeout=timeout or support.timeout())
        except (OSError, subprocess.TimeoutExpired) as e:
            raise StartError('%s: %s' % (os.path.basename(argv[0]), e))
    if rc != 0:
        raise StartError('%s exited %d; %s ends with:\n%s' % (
            ' '.join(os.path.basename(a) for a in argv[:3]), rc, log,
            support.tail(log)))


def _pdeathsig():
    # Linux: the child gets SIGKILL when the test process dies, so a run
    # that crashes leaves no services behind.
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def stat_fields(pid):
    """The fields of ``/proc/<pid>/stat`` after the command name, or None.

    ``[0]`` is the state, ``[1]`` the ppid, ``[2]`` the pgid, ``[11]`` and
    ``[12]`` the user and system CPU time in clock ticks (proc(5)).
    """
    try:
        with open('/proc/%s/stat' % pid) as f:
            return f.read().rpartition(')')[2].split()
    except OSError:
        return None


def _stat(pid):
    """(ppid, pgid) of a live process, or None."""
    fields = stat_fields(pid)
    if fields is None or fields[0] == 'Z':
        return None
    return int(fields[1]), int(fields[2])


def group_members(pgid):
    """{pid: ppid} of the live processes of process group ``pgid``."""
    members = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[1] == pgid:
                members[int(name)] = stat[0]
    return members


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Process(object):
    """One server process, in its own process group, logging to a file.

    :param name: names it in messages and details.
    :param argv: the command.
    :param log: file that stdout and stderr are appended to.
    :param env: its environment (default :func:`clean_env`).
    :param cwd: its working directory.
    :param stop_signal: what :meth:`stop` sends first.

    Attributes: ``proc`` (the ``Popen`` of the latest start), ``pid`` (also
    the group's id), ``starts``, ``port`` (set by :meth:`wait_port_file`),
    ``oslo_log`` (the service's oslo.log file, when it has one).
    """

    def __init__(self, name, argv, log, env=None, cwd=None,
                 stop_signal=signal.SIGTERM):
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.env = env if env is not None else clean_env()
        self.cwd = cwd
        self.stop_signal = stop_signal
        self.proc = None
        self.port = None
        self.oslo_log = None
        self.starts = 0
        # Groups of earlier starts that may still have members (the
        # orphaned workers of a killed parent): killed with this one.
        self.old_groups = []
        # The log's tail when the process stopped: a detail that outlives
        # the removal of the work directory.
        self._log_cache = None

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def start(self):
        with open(self.log, 'ab') as f:
            f.write(('==== start %d: %s\n' % (self.starts, ' '.join(
                self.argv))).encode())
            f.flush()
            self.proc = subprocess.Popen(
                self.argv, stdout=f, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                start_new_session=True,
                # The signal comes when the *thread* that started the child
                # ends: a server started from a helper thread (Keystone in
                # tools/nova, started beside the databases) would die with
                # that thread.  Only the main thread's children get it.
                preexec_fn=(_pdeathsig if threading.current_thread() is
                            threading.main_thread() else None))
        self.starts += 1
        self._log_cache = None
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        """:raises ProcessExited: it was started and has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise ProcessExited('%s exited with %s; %s ends with:\n%s' % (
                self.name, self.proc.returncode, self.log, self.tail(4000)))

    # -- waiting for it to serve ----------------------------------------------

    def wait_port_file(self, path, deadline):
        """The port the process wrote into ``path`` (``serve.py`` does)."""
        while True:
            try:
                with open(path) as f:
                    self.port = int(f.read())
                return self.port
            except (OSError, ValueError):
                pass
            self.check_alive()
            if time.monotonic() > deadline:
                raise StartError('%s did not bind a port in time; %s:\n%s'
                                 % (self.name, self.log, self.tail(4000)))
            time.sleep(0.05)

    def wait_http(self, url, deadline, ok=(200,)):
        """Return once a GET of ``url`` answers one of ``ok``."""
        last = None
        while True:
            self.check_alive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StartError('%s not ready in time (last: %s); %s ends '
                                 'with:\n%s' % (self.name, last, self.log,
                                                self.tail(4000)))
            try:
                # Blocks while the app is still being imported: the
                # connection waits in the listen backlog.
                r = requests.get(url, timeout=min(remaining, 10))
                if r.status_code in ok:
                    return
                last = 'HTTP %s' % r.status_code
            except requests.RequestException as e:
                last = e
            time.sleep(0.1)

    # -- crashes --------------------------------------------------------------

    def kill(self):
        """SIGKILL the process (and its group), like a crash."""
        if self.proc is None:
            return
        _signal_group(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def workers(self):
        """Pids of the parent's live children in its process group."""
        if not self.alive():
            return []
        return sorted(pid for pid, ppid in group_members(self.pid).items()
                      if ppid == self.pid)

    def kill_parent(self):
        """SIGKILL the parent process only; its workers are left to notice.

        :returns: the pids of the workers it had
        """
        workers = self.workers()
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.old_groups.append(self.proc.pid)
        return workers

    def kill_worker(self):
        """SIGKILL the worker process only (the parent forks another).

        :returns: its pid
        """
        workers = support.wait_for(self.workers, 30, interval=0.05,
                                   what='a worker process of %s' % self.name)
        os.kill(workers[0], signal.SIGKILL)
        return workers[0]

    def group_alive(self, pgid=None):
        """Whether a process of the group (default: the current) lives."""
        pgid = pgid or self.pid
        return bool(pgid and group_members(pgid))

    # -- stopping -------------------------------------------------------------

    def stop(self, timeout=20):
        """``stop_signal``, then SIGKILL whatever is left of the group."""
        self.terminate()
        self.wait_stopped(timeout)

    def terminate(self):
        """Send ``stop_signal`` to the group (see :meth:`wait_stopped`)."""
        if self.proc is not None and self.proc.poll() is None:
            _signal_group(self.proc.pid, self.stop_signal)

    def wait_stopped(self, timeout=20):
        """Wait ``timeout`` seconds for the exit, then SIGKILL the group.

        Whatever is left of the group (the server, or children it leaked
        even after it exited) is killed, and so are the orphans of earlier
        starts (:meth:`kill_parent`).
        """
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with open(self.log, 'ab') as f:
                    f.write(b'==== did not stop in %d s: SIGKILL\n'
                            % timeout)
        _signal_group(self.proc.pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        for pgid in self.old_groups:
            # Only orphans: a group whose leader lives is someone else's
            # (the id was reused).
            members = group_members(pgid)
            for pid in members if pgid not in members else ():
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self._log_cache = self._detail_text()

    # -- its logs -------------------------------------------------------------

    def tail(self, limit=support.LOG_TAIL_BYTES):
        return support.tail(self.log, limit)

    def log_text(self):
        with open(self.log, errors='replace') as f:
            return f.read()

    def oslo_log_text(self):
        """The service's oslo.log file ('' before it exists)."""
        try:
            with open(self.oslo_log, errors='replace') as f:
                return f.read()
        except (FileNotFoundError, TypeError):
            return ''

    def _detail_text(self):
        if not self.oslo_log:
            return self.tail()
        return (self.tail(4000) + '\n---- oslo log\n' +
                support.tail(self.oslo_log, 24 * 1024))

    def log_detail(self):
        """A testtools detail: the output's tail, then the oslo.log's."""
        def get():
            text = self._log_cache
            if text is None:
                text = self._detail_text()
            return [text.encode('utf-8')]
        return content.Content(content.UTF8_TEXT, get)

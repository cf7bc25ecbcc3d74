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

"""What the in-process benchmark puts around the real services.

* ``InstantDriver``: an image cache that caches at once (or after a
  simulated delay), the counterpart of Nova's
  ``fake.FakeDriverWithCaching``.
* ``fast_fake_rpc``: oslo.messaging's ``fake://`` listeners poll their
  queues every 50 ms, so every hop to an idle RPC server waits 0-50 ms, a
  harness artifact a real broker does not have.  This wakes a listener
  when a message is delivered to one of its queues.  The Nova peer has
  the same switch (``--fast-rpc``); both sides run with it.
* ``SQLCounter``: statements sent to the database, per thread.
* ``FanoutProbe``: when the conductor has finished a pre-cache request
  (every host's result recorded, the request marked finished).
* ``peak_rss_mib``: a process's peak resident set.
* ``cpu_seconds``: the CPU time processes have used so far.
"""

import collections
import contextlib
import os
import threading
import time

import sqlalchemy as sa

from aggregates_ext.compute.image_cache import base
from aggregates_ext.tests.functional import processes


class InstantDriver(base.ImageCacheDriver):
    """Caches an image by remembering it; ``delay`` simulates the work."""

    def __init__(self, conf, image_api, delay=0.0):
        super().__init__(conf, image_api)
        self.delay = delay
        self.cached = set()
        self._lock = threading.Lock()

    def cache_image(self, context, image_id, progress=None):
        """True the first time an image is asked for, then False."""
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            if image_id in self.cached:
                return False
            self.cached.add(image_id)
            return True


@contextlib.contextmanager
def fast_fake_rpc():
    """Wake ``fake://`` listeners on delivery instead of every 50 ms.

    Each listener gets a doorbell (an Event) registered under the queues
    it reads; a delivery rings the doorbells of the queues it went to.
    The listener's idle sleep becomes a wait on its doorbell, cleared
    before each look at its queues so that no delivery is missed.  Message
    handling is untouched.
    """
    from oslo_messaging._drivers import impl_fake

    bells = collections.defaultdict(set)   # (exchange, topic, server)
    bells_lock = threading.Lock()
    current = threading.local()
    listener_cls, exchange_cls = impl_fake.FakeListener, impl_fake.FakeExchange
    orig_init, orig_poll = listener_cls.__init__, listener_cls.poll
    orig_stop, orig_deliver = listener_cls.stop, exchange_cls.deliver_message
    orig_time = impl_fake.time

    def init(self, exchange_manager, targets, pool=None):
        orig_init(self, exchange_manager, targets, pool)
        self._bench_bell = threading.Event()
        with bells_lock:
            for t in targets:
                bells[(t.exchange or exchange_manager._default_exchange,
                       t.topic, t.server)].add(self._bench_bell)

    def poll(self, *args, **kwargs):
        current.bell = self._bench_bell
        self._bench_bell.clear()
        return orig_poll(self, *args, **kwargs)

    def stop(self):
        orig_stop(self)
        self._bench_bell.set()

    def deliver(self, topic, ctxt, message, server=None, fanout=False,
                reply_q=None):
        orig_deliver(self, topic, ctxt, message, server=server,
                     fanout=fanout, reply_q=reply_q)
        with bells_lock:
            if fanout:
                rung = [b for k, v in bells.items()
                        if k[0] == self.name and k[1] == topic and k[2]
                        for b in v]
            else:
                rung = list(bells.get((self.name, topic, server), ()))
        for bell in rung:
            bell.set()

    class DoorbellTime:
        time = staticmethod(time.time)

        @staticmethod
        def sleep(pause):
            bell = getattr(current, 'bell', None)
            if bell is None:
                return time.sleep(pause)
            # Only stop() needs the timeout; a delivery rings the bell.
            bell.wait(max(pause, 1.0))
            bell.clear()

    listener_cls.__init__, listener_cls.poll = init, poll
    listener_cls.stop, exchange_cls.deliver_message = stop, deliver
    impl_fake.time = DoorbellTime
    try:
        yield
    finally:
        listener_cls.__init__, listener_cls.poll = orig_init, orig_poll
        listener_cls.stop, exchange_cls.deliver_message = (orig_stop,
                                                           orig_deliver)
        impl_fake.time = orig_time


class SQLCounter:
    """Counts the statements every engine of this process sends."""

    def __init__(self):
        self.by_thread = collections.Counter()
        self._lock = threading.Lock()

    def _count(self, *args, **kwargs):
        with self._lock:
            self.by_thread[threading.get_ident()] += 1

    def total(self):
        with self._lock:
            return sum(self.by_thread.values())

    def this_thread(self):
        with self._lock:
            return self.by_thread[threading.get_ident()]

    def __enter__(self):
        sa.event.listen(sa.engine.Engine, 'before_cursor_execute',
                        self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(sa.engine.Engine, 'before_cursor_execute',
                        self._count)


class FanoutProbe:
    """Times ``Fanout.run``: a request from its start to finished."""

    def __init__(self):
        self.done = []   # (start, end) perf_counter pairs
        self._cv = threading.Condition()

    @contextlib.contextmanager
    def installed(self):
        from aggregates_ext.conductor import fanout
        orig = fanout.Fanout.run
        probe = self

        def run(fanout_self, context, request_uuid):
            t0 = time.perf_counter()
            try:
                return orig(fanout_self, context, request_uuid)
            finally:
                t1 = time.perf_counter()
                with probe._cv:
                    probe.done.append((t0, t1))
                    probe._cv.notify_all()
        fanout.Fanout.run = run
        try:
            yield self
        finally:
            fanout.Fanout.run = orig

    def wait_for(self, count, timeout=300):
        """The (start, end) of the ``count``-th finished request."""
        deadline = time.perf_counter() + timeout
        with self._cv:
            while len(self.done) < count:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise RuntimeError('the pre-cache request did not '
                                       'finish in %ss' % timeout)
                self._cv.wait(min(left, 0.5))
            return self.done[count - 1]


def peak_rss_mib(pid='self'):
    """The peak resident set (VmHWM) of a live process, this one by default.

    :returns: MiB, or NaN where /proc does not say
    """
    with open('/proc/%s/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024.0
    return float('nan')


def cpu_seconds(pids):
    """User + system CPU seconds the live processes ``pids`` used so far.

    A process that has gone counts 0; its children are not included.
    """
    total = 0
    for pid in pids:
        fields = processes.stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf('SC_CLK_TCK')


def pids_named(comm):
    """The pids of the processes whose command name is ``comm``."""
    found = []
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/comm' % name) as f:
                    if f.read().strip() == comm:
                        found.append(int(name))
            except OSError:
                pass
    return found

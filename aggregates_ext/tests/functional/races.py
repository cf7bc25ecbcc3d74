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

"""What the race suite (``test_races``) stands on.

The processes are a :class:`deployment.Deployment` of N
``aggregates-ext-api`` processes (noauth2, a free port each) sharing one
database, no conductor, no agents, no broker (the aggregate calls never
use RPC).

* :class:`RaceClient`: one persistent HTTP session per client slot, slot
  ``i`` talking to API process ``i % N``; :meth:`RaceClient.race` sends
  its requests from threads released together by a
  :class:`threading.Barrier`, so that they really overlap.
* :class:`DatabaseState`: the tables as committed, read with SQLAlchemy
  behind the API's back, and the invariants every final state must hold.
* :class:`Tally`: what a scenario saw, printed as one line per scenario.
"""

import collections
import dataclasses
import os
import sys
import threading
import time
import uuid

import requests
import sqlalchemy as sa

from aggregates_ext.db import models

ROUNDS_ENV = 'AGGREGATES_EXT_RACE_ROUNDS'
DEFAULT_ROUNDS = 15
API_PROCESSES = 2
MICROVERSION = '2.81'
TOKEN = 'admin:admin'
TIMEOUT = 60
AZ_KEY = 'availability_zone'


def rounds():
    """Rounds per scenario: ``AGGREGATES_EXT_RACE_ROUNDS`` or 15."""
    return max(1, int(os.environ.get(ROUNDS_ENV) or DEFAULT_ROUNDS))


# -- the client ---------------------------------------------------------------

class Response(object):
    """What one request got: ``status`` (None: no answer), ``body``."""

    def __init__(self, label, method, path, status, body, text,
                 started=None, finished=None):
        self.label = label
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.text = text
        self.started = started
        self.finished = finished

    @property
    def message(self):
        """The fault message (``{"<fault>": {"message": ...}}``) or ''."""
        if isinstance(self.body, dict) and len(self.body) == 1:
            fault = next(iter(self.body.values()))
            if isinstance(fault, dict):
                return str(fault.get('message', ''))
        return ''

    @property
    def aggregate(self):
        if isinstance(self.body, dict):
            return self.body.get('aggregate') or {}
        return {}

    def short(self):
        """``label -> status`` and the fault message or the aggregate."""
        agg = self.aggregate
        if self.status == 200 and agg:
            text = ' '.join('%s=%s' % (k, agg[k]) for k in
                            ('id', 'name', 'hosts', 'metadata') if k in agg)
        else:
            text = self.message or self.text or ''
        return '%s -> %s %s' % (self.label, self.status,
                                ' '.join(text.split())[:240])


class Call(object):
    """A request to send: ``label`` names it in the round's report."""

    def __init__(self, label, method, path, body=None):
        self.label = label
        self.method = method
        self.path = path
        self.body = body


def add_host(aggregate_id, host, label='add_host'):
    return Call(label, 'POST', '/os-aggregates/%s/action' % aggregate_id,
                {'add_host': {'host': host}})


def remove_host(aggregate_id, host, label='remove_host'):
    return Call(label, 'POST', '/os-aggregates/%s/action' % aggregate_id,
                {'remove_host': {'host': host}})


def set_metadata(aggregate_id, metadata, label='set_metadata'):
    return Call(label, 'POST', '/os-aggregates/%s/action' % aggregate_id,
                {'set_metadata': {'metadata': metadata}})


def create(name, availability_zone=None, label='create'):
    body = {'name': name}
    if availability_zone is not None:
        body['availability_zone'] = availability_zone
    return Call(label, 'POST', '/os-aggregates', {'aggregate': body})


def update(aggregate_id, label='update', **values):
    return Call(label, 'PUT', '/os-aggregates/%s' % aggregate_id,
                {'aggregate': values})


def delete(aggregate_id, label='delete'):
    return Call(label, 'DELETE', '/os-aggregates/%s' % aggregate_id)


def overlapped(responses):
    """Whether all the requests were in flight together at some moment."""
    times = [(r.started, r.finished) for r in responses]
    if any(t is None for pair in times for t in pair):
        return False
    return max(t[0] for t in times) < min(t[1] for t in times)


class RaceClient(object):
    """HTTP sessions bound to the API processes, slot by slot."""

    def __init__(self, api_urls, slots=4):
        self.api_urls = list(api_urls)
        self.sessions = [requests.Session() for _ in range(slots)]
        for session in self.sessions:
            session.headers.update({
                'X-Auth-Token': TOKEN,
                'OpenStack-API-Version': 'compute %s' % MICROVERSION})

    def close(self):
        for session in self.sessions:
            session.close()

    def url(self, slot):
        return self.api_urls[slot % len(self.api_urls)] + '/v2.1'

    def send(self, call, slot=0):
        session = self.sessions[slot % len(self.sessions)]
        started = time.monotonic()
        try:
            r = session.request(call.method, self.url(slot) + call.path,
                                json=call.body, timeout=TIMEOUT)
        except requests.RequestException as e:
            return Response(call.label, call.method, call.path, None, None,
                            '%s: %s' % (type(e).__name__, e))
        finished = time.monotonic()
        try:
            body = r.json() if r.content else None
        except ValueError:
            body = None
        return Response(call.label, call.method, call.path, r.status_code,
                        body, r.text, started, finished)

    def race(self, calls, first_slot=0):
        """Send ``calls`` at once; return their responses, in order.

        Call ``i`` goes from slot ``first_slot + i``, so consecutive calls
        go to different API processes, and a changing ``first_slot``
        changes which process gets which call.
        """
        barrier = threading.Barrier(len(calls))
        results = [None] * len(calls)

        def run(index, call):
            try:
                barrier.wait(timeout=TIMEOUT)
            except threading.BrokenBarrierError:
                pass
            results[index] = self.send(call, first_slot + index)

        threads = [threading.Thread(target=run, args=(i, c), daemon=True)
                   for i, c in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT * 2)
        return [r if r is not None else
                Response(c.label, c.method, c.path, None, None,
                         'the client thread did not finish')
                for r, c in zip(results, calls)]


# -- the database as committed ---------------------------------------------

_AGGREGATES = models.Aggregate.__table__
_HOSTS = models.AggregateHost.__table__
_METADATA = models.AggregateMetadata.__table__


class DatabaseState(object):
    """The three aggregate tables, read in one transaction.

    Attributes: ``names`` ({id: name}), ``hosts`` ([(aggregate_id,
    host)]), ``metadata`` ([(aggregate_id, key, value)]).
    """

    def __init__(self, engine):
        with engine.connect() as conn:
            self.names = dict(conn.execute(
                sa.select(_AGGREGATES.c.id, _AGGREGATES.c.name)).all())
            self.hosts = [tuple(r) for r in conn.execute(
                sa.select(_HOSTS.c.aggregate_id, _HOSTS.c.host)).all()]
            self.metadata = [tuple(r) for r in conn.execute(
                sa.select(_METADATA.c.aggregate_id, _METADATA.c.key,
                          _METADATA.c.value)).all()]

    def exists(self, aggregate_id):
        return aggregate_id in self.names

    def hosts_of(self, aggregate_id):
        return sorted(h for a, h in self.hosts if a == aggregate_id)

    def aggregates_of(self, host):
        return sorted(a for a, h in self.hosts if h == host)

    def metadata_of(self, aggregate_id):
        return {k: v for a, k, v in self.metadata if a == aggregate_id}

    def ids_named(self, name):
        """Ids of the aggregates whose name casefolds to ``name``'s."""
        folded = name.casefold()
        return sorted(i for i, n in self.names.items()
                      if n.casefold() == folded)

    def rows_of(self, aggregate_id):
        return ([r for r in self.hosts if r[0] == aggregate_id] +
                [r for r in self.metadata if r[0] == aggregate_id])

    def violations(self):
        """The invariants no final state may break: {(kind, text)}.

        The texts are stable, so that a violation is reported once, in the
        round that made it, although the database keeps it for the later
        rounds.
        """
        found = set()
        zones = collections.defaultdict(set)
        az = {a: v for a, k, v in self.metadata if k == AZ_KEY}
        for aggregate_id, host in self.hosts:
            if aggregate_id in az:
                zones[host].add(az[aggregate_id])
        for host, host_zones in zones.items():
            if len(host_zones) > 1:
                found.add(('two-zones', 'host %s in zones %s (aggregates %s)'
                           % (host, sorted(host_zones),
                              self.aggregates_of(host))))
        by_name = collections.defaultdict(list)
        for aggregate_id, name in self.names.items():
            by_name[name.casefold()].append(aggregate_id)
        for ids in by_name.values():
            if len(ids) > 1:
                found.add(('name-casefold', 'names equal under casefold: %s'
                           % ', '.join('%d=%r' % (i, self.names[i])
                                       for i in sorted(ids))))
        keys = collections.defaultdict(list)
        for aggregate_id, key, value in self.metadata:
            keys[(aggregate_id, key.casefold())].append(key)
        for (aggregate_id, _folded), same in keys.items():
            if len(same) > 1:
                found.add(('key-casefold', 'aggregate %d: metadata keys '
                           'equal under casefold: %s'
                           % (aggregate_id, sorted(same))))
        for row in self.hosts:
            if row[0] not in self.names:
                found.add(('orphan', 'aggregate_hosts row %r' % (row,)))
        for row in self.metadata:
            if row[0] not in self.names:
                found.add(('orphan', 'aggregate_metadata row %r' % (row,)))
        return found


# -- the tally ----------------------------------------------------------------

@dataclasses.dataclass
class Tally:
    """Rounds, racing requests, statuses and problems of one scenario."""

    engine: str
    scenario: str
    rounds: int = 0
    requests: int = 0
    races: int = 0
    overlapped: int = 0
    statuses: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)
    problems: list = dataclasses.field(default_factory=list)
    violating_rounds: int = 0
    kinds: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)

    def add(self, rnd):
        """What a finished :class:`Round` saw."""
        self.rounds += 1
        self.requests += len(rnd.responses)
        self.statuses.update(r.status for r in rnd.responses)
        self.races += rnd.races
        self.overlapped += rnd.overlapped
        if rnd.problems:
            self.violating_rounds += 1
        for kind, text in rnd.problems:
            self.kinds[kind] += 1
            self.problems.append('round %d: [%s] %s' % (rnd.number, kind,
                                                        text))

    def line(self):
        statuses = dict(sorted(self.statuses.items(),
                               key=lambda kv: (kv[0] is None, kv[0] or 0)))
        text = 'race %s %s: rounds=%d requests=%d violations=%d ' \
               'statuses=%s' % (self.engine, self.scenario, self.rounds,
                                self.requests, self.violating_rounds,
                                statuses)
        if self.races:
            # Rounds whose requests were all in flight at one moment.
            text += ' overlapped=%d/%d' % (self.overlapped, self.races)
        if self.kinds:
            text += ' kinds=%s' % dict(sorted(self.kinds.items()))
        return text

    def summary(self):
        return '\n'.join([self.line()] + self.problems)


def report(line):
    """One line where a test runner's user sees it, also on success.

    The test's own stdout is captured (``OS_STDOUT_CAPTURE``) and the
    worker's real stdout carries the subunit stream, so stderr it is.
    """
    sys.__stderr__.write(line + '\n')
    sys.__stderr__.flush()


# -- one round ----------------------------------------------------------------

OK = (200, None)


class SetupFailed(Exception):
    """A request that prepares a round did not get its expected status."""


class Round(object):
    """One round of a scenario: set up, race, check; problems collected.

    A problem is a ``(kind, text)`` pair; kinds: ``5xx``, ``status`` (an
    outcome no serial order of the requests gives), ``state`` (the final
    database disagrees with the outcome), ``body`` (a winner's response
    disagrees with its request or the final state), ``setup``, and the
    invariants of :meth:`DatabaseState.violations`.
    """

    def __init__(self, deployment, client, number):
        self.deployment = deployment
        self.client = client
        self.number = number
        self.tag = '%s%02d' % (uuid.uuid4().hex[:6], number)
        self.responses = []
        self.problems = []
        self.races = 0
        self.overlapped = 0
        self._state = None

    def name(self, prefix):
        """A name no other round uses (lower case: ``.upper()`` differs)."""
        return 'race-%s-%s' % (prefix, self.tag)

    def host(self, prefix='h'):
        """A new host, registered as a compute host."""
        host = 'race-%s-%s' % (prefix, self.tag)
        self.deployment.register_hosts([host])
        return host

    def setup(self, call, expect=200):
        r = self.client.send(call, self.number)
        if r.status != expect:
            raise SetupFailed('%s %s: %s' % (call.method, call.path,
                                             r.short()))
        return r

    def create(self, name, availability_zone=None):
        """A new aggregate's id."""
        return self.setup(create(name, availability_zone)).aggregate['id']

    def race(self, *calls):
        """The calls sent at once, from different API processes."""
        responses = self.client.race(calls, first_slot=self.number)
        self.responses.extend(responses)
        self.races += 1
        if overlapped(responses):
            self.overlapped += 1
        return responses

    def sequence(self, *calls):
        """The calls one after the other (the sequential scenarios)."""
        responses = [self.client.send(c, self.number + i)
                     for i, c in enumerate(calls)]
        self.responses.extend(responses)
        return responses

    def state(self):
        """The database after the race (read once per round)."""
        if self._state is None:
            self._state = DatabaseState(self.deployment.engine)
        return self._state

    def problem(self, kind, text):
        self.problems.append((kind, text))

    def check(self, ok, kind, text, *args):
        if not ok:
            self.problem(kind, text % args if args else text)
        return ok

    def match(self, responses, outcomes):
        """Which allowed outcome ``responses`` are, or None (a problem).

        ``outcomes``: ``{name: [(status, text or None) per response]}``;
        a response matches when its status is equal and its fault
        message contains ``text``.
        """
        for name, expected in outcomes.items():
            if all(r.status == status and (text is None or
                                           text in r.message)
                   for r, (status, text) in zip(responses, expected)):
                return name
        server_error = any(r.status is None or r.status >= 500
                           for r in responses)
        self.problem('5xx' if server_error else 'status',
                     'no allowed outcome (%s): %s' % (
                         ' | '.join(map(str, outcomes)),
                         '; '.join(r.short() for r in responses)))
        return None

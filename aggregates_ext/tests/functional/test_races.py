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

"""Concurrent requests to two API processes sharing one database.

Each test is a scenario of ``AGGREGATES_EXT_RACE_ROUNDS`` rounds (15 by
default): a round sets up fresh aggregates and hosts, sends the racing
requests at once (threads behind a barrier, each to another
``aggregates-ext-api`` process), then checks

* the statuses: they must be those of some serial order of the requests
  (the loser gets Nova's 400/404/409 and its message), never a 5xx;
* the final database, read with SQLAlchemy: it must be the state that
  order leaves, and hold the invariants of
  :meth:`races.DatabaseState.violations` (no host in two zones,
  no names or metadata keys of one aggregate equal under
  ``str.casefold()``, no orphan rows);
* the winner's response body against its request and the final state.

A round's problems are recorded and the test fails at its end with all of
them, so a run gives the full count; every scenario also writes a line
``race <engine> <scenario>: rounds=... violations=... statuses=...`` to
stderr.  The API processes are started once per engine (per class).

Statuses as Nova answers them: add_host refused by a zone rule is 409
(HTTPConflict), set_metadata refused by one is 400, DELETE of an aggregate
with hosts is 400 ("Cannot remove host from aggregate ...: Host aggregate
is not empty", Nova's wording).
"""

import time

import testtools
from testtools import content

from aggregates_ext.tests.functional import deployment
from aggregates_ext.tests.functional import races

AZ = races.AZ_KEY
OK = races.OK

ADD_AZ = ('Cannot add host to aggregate %s. Reason: One or more hosts '
          'already in availability zone(s)')
META_AZ = ('Cannot update metadata of aggregate %s. Reason: One or more '
           'hosts already in availability zone(s)')
NOT_EMPTY = ('Cannot remove host from aggregate %s. Reason: Host aggregate '
             'is not empty')
NOT_FOUND = 'Aggregate %s could not be found.'
NAME_EXISTS = 'Aggregate %s already exists.'
KEY_EXISTS = 'Aggregate %s already contain metadata key'
HOST_EXISTS = 'Aggregate %s already has host %s.'
NO_SUCH_MEMBER = 'Cannot remove host %s in aggregate %s'


class RaceScenarios(object):
    """The scenarios; a subclass names the engine (``database``).

    The API processes are class-wide; a test attaches the first line of
    each API error logged while it ran (not the whole logs, which
    AGGREGATES_EXT_FUNCTIONAL_KEEP=1 keeps).
    """

    database = None
    label = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.started = time.monotonic()
        # Cleans up after itself when it fails (or skips).
        # API processes on one database, nothing else: fake:// is never
        # used (no conductor), it only spares a broker.
        cls.deployment = deployment.Deployment(
            apis=races.API_PROCESSES, conductors=0, agents=0,
            transport_url='fake://', database=cls.database)
        cls.deployment.setUp()
        races.report('race %s: database and %d API processes ready in %.1f s'
                     % (cls.label, len(cls.deployment.api_urls),
                        time.monotonic() - cls.started))
        cls.client = races.RaceClient(cls.deployment.api_urls)
        cls.deployment.addCleanup(cls.client.close)
        try:
            # Violations already in the database are not a round's doing.
            cls.seen = races.DatabaseState(cls.deployment.engine).violations()
        except BaseException:
            cls.deployment.cleanUp()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.deployment.cleanUp()
        races.report('race %s: %.1f s in all, from database creation to '
                     'cleanup' % (cls.label, time.monotonic() - cls.started))
        super().tearDownClass()

    def run_scenario(self, scenario, play):
        """``play(round)`` each round; fail at the end with all problems."""
        tally = races.Tally(self.label, scenario)
        log_sizes = self.deployment.log_sizes()
        started = time.monotonic()
        for number in range(races.rounds()):
            rnd = races.Round(self.deployment, self.client, number)
            try:
                self.deployment.check_apis()
                play(rnd)
            except races.SetupFailed as e:
                rnd.problem('setup', str(e))
            current = rnd.state().violations()
            for kind, text in sorted(current - self.seen):
                rnd.problem(kind, text)
            type(self).seen = self.seen | current
            tally.add(rnd)
        line = '%s seconds=%.1f' % (tally.line(),
                                    time.monotonic() - started)
        races.report(line)
        errors = self.deployment.errors_since(log_sizes)
        if errors:
            self.addDetail('api-errors', content.text_content(
                '\n'.join(errors)))
        if tally.problems:
            self.fail(line + '\n' + '\n'.join(tally.problems))

    # -- availability zones ----------------------------------------------

    def test_add_host_to_two_zones(self):
        """1. add_host of one host to aggregates in az1 and az2 at once."""
        def play(rnd):
            h = rnd.host()
            a = rnd.create(rnd.name('a'), 'az1')
            b = rnd.create(rnd.name('b'), 'az2')
            rs = rnd.race(races.add_host(a, h), races.add_host(b, h))
            won = rnd.match(rs, {'a': [OK, (409, ADD_AZ % b)],
                                 'b': [(409, ADD_AZ % a), OK]})
            if won:
                winner, r = (a, rs[0]) if won == 'a' else (b, rs[1])
                rnd.check(rnd.state().aggregates_of(h) == [winner], 'state',
                          'host in %s, %s won', rnd.state().aggregates_of(h),
                          winner)
                rnd.check(r.aggregate.get('hosts') == [h], 'body',
                          'winner shows hosts %s', r.aggregate.get('hosts'))
        self.run_scenario('add_host_two_zones', play)

    def test_set_zone_vs_add_host(self):
        """2. Zone X on A (holding h) racing add_host of h to B in zone Y."""
        def play(rnd):
            h = rnd.host()
            a = rnd.create(rnd.name('a'))
            rnd.setup(races.add_host(a, h))
            b = rnd.create(rnd.name('b'), 'az-y')
            rs = rnd.race(races.set_metadata(a, {AZ: 'az-x'}),
                          races.add_host(b, h))
            won = rnd.match(rs, {'set': [OK, (409, ADD_AZ % b)],
                                 'add': [(400, META_AZ % a), OK]})
            st = rnd.state()
            if won == 'set':
                rnd.check(st.metadata_of(a).get(AZ) == 'az-x' and
                          st.aggregates_of(h) == [a], 'state',
                          'set_metadata won, but A has %s, h is in %s',
                          st.metadata_of(a), st.aggregates_of(h))
                rnd.check(rs[0].aggregate.get('metadata', {}).get(AZ) ==
                          'az-x', 'body', 'winner shows %s',
                          rs[0].aggregate.get('metadata'))
            elif won == 'add':
                rnd.check(AZ not in st.metadata_of(a) and
                          st.aggregates_of(h) == sorted([a, b]), 'state',
                          'add_host won, but A has %s, h is in %s',
                          st.metadata_of(a), st.aggregates_of(h))
                rnd.check(rs[1].aggregate.get('hosts') == [h], 'body',
                          'winner shows hosts %s',
                          rs[1].aggregate.get('hosts'))
        self.run_scenario('set_zone_vs_add_host', play)

    # -- delete against everything else ----------------------------------

    def _delete_vs_add_host(self, rnd, zone):
        h = rnd.host()
        a = rnd.create(rnd.name('a'), zone)
        rs = rnd.race(races.delete(a), races.add_host(a, h))
        won = rnd.match(rs, {'delete': [OK, (404, NOT_FOUND % a)],
                             'add': [(400, NOT_EMPTY % a), OK]})
        st = rnd.state()
        if won == 'delete':
            rnd.check(not st.exists(a) and not st.rows_of(a), 'state',
                      'delete won, but rows are left: %s %s',
                      st.names.get(a), st.rows_of(a))
        elif won == 'add':
            rnd.check(st.exists(a) and st.hosts_of(a) == [h], 'state',
                      'add_host won, but the aggregate holds %s',
                      st.hosts_of(a))
            rnd.check(rs[1].aggregate.get('hosts') == [h], 'body',
                      'winner shows hosts %s', rs[1].aggregate.get('hosts'))

    def test_delete_vs_add_host(self):
        """3. DELETE of an empty aggregate racing add_host to it."""
        self.run_scenario('delete_vs_add_host',
                          lambda rnd: self._delete_vs_add_host(rnd, None))

    def test_delete_vs_add_host_in_zone(self):
        """9. DELETE racing add_host, the aggregate in a zone."""
        self.run_scenario('delete_vs_add_host_in_zone',
                          lambda rnd: self._delete_vs_add_host(rnd, 'az-d'))

    def test_delete_vs_remove_host(self):
        """9. DELETE of an aggregate holding h racing remove_host of h.

        The delete is refused (400) unless the remove came first.
        """
        def play(rnd):
            h = rnd.host()
            a = rnd.create(rnd.name('a'))
            rnd.setup(races.add_host(a, h))
            rs = rnd.race(races.delete(a), races.remove_host(a, h))
            won = rnd.match(rs, {'remove-delete': [OK, OK],
                                 'refused': [(400, NOT_EMPTY % a), OK]})
            st = rnd.state()
            if won == 'remove-delete':
                rnd.check(not st.exists(a) and not st.rows_of(a), 'state',
                          'both won, but rows are left: %s %s',
                          st.names.get(a), st.rows_of(a))
            elif won == 'refused':
                rnd.check(st.exists(a) and st.hosts_of(a) == [], 'state',
                          'remove won, delete refused, but the aggregate '
                          'is %s with hosts %s', st.names.get(a),
                          st.hosts_of(a))
            if won:
                rnd.check(h not in rs[1].aggregate.get('hosts', [h]), 'body',
                          'remove_host winner shows hosts %s',
                          rs[1].aggregate.get('hosts'))
        self.run_scenario('delete_vs_remove_host', play)

    def _delete_vs_change(self, rnd, change, shows):
        a = rnd.create(rnd.name('a'))
        rs = rnd.race(races.delete(a), change(a))
        # The change after the delete finds nothing; before it, both win.
        won = rnd.match(rs, {'delete': [OK, (404, NOT_FOUND % a)],
                             'change-delete': [OK, OK]})
        st = rnd.state()
        if won:
            rnd.check(not st.exists(a) and not st.rows_of(a), 'state',
                      'the delete won, but rows are left: %s %s',
                      st.names.get(a), st.rows_of(a))
        if won == 'change-delete':
            rnd.check(shows(rs[1].aggregate), 'body',
                      'the change answered %s', rs[1].aggregate)

    def test_delete_vs_set_metadata(self):
        """9. DELETE racing set_metadata of a new key."""
        self.run_scenario('delete_vs_set_metadata', lambda rnd: (
            self._delete_vs_change(
                rnd, lambda a: races.set_metadata(a, {'k': 'v'}),
                lambda agg: agg.get('metadata', {}).get('k') == 'v')))

    def test_delete_vs_update(self):
        """9. DELETE racing PUT: a rename (even rounds) or a zone (odd)."""
        def play(rnd):
            if rnd.number % 2 == 0:
                new = rnd.name('renamed')
                self._delete_vs_change(
                    rnd, lambda a: races.update(a, name=new),
                    lambda agg: agg.get('name') == new)
            else:
                self._delete_vs_change(
                    rnd, lambda a: races.update(a, availability_zone='az-u'),
                    lambda agg: agg.get('availability_zone') == 'az-u')
        self.run_scenario('delete_vs_update', play)

    # -- metadata ---------------------------------------------------------

    def test_same_new_key_four_times(self):
        """4. Four set_metadata of one new key, different values: all 200."""
        def play(rnd):
            a = rnd.create(rnd.name('a'))
            values = ['v%d' % i for i in range(4)]
            rs = rnd.race(*[races.set_metadata(a, {'newkey': v})
                            for v in values])
            won = rnd.match(rs, {'all': [OK] * 4})
            md = rnd.state().metadata_of(a)
            rnd.check(list(md) == ['newkey'] and md['newkey'] in values,
                      'state', 'metadata is %s', md)
            if won:
                shown = [r.aggregate.get('metadata', {}).get('newkey')
                         for r in rs]
                rnd.check(shown == values, 'body',
                          'the responses show %s for %s', shown, values)
        self.run_scenario('same_new_key_x4', play)

    def test_case_variant_keys(self):
        """5. set_metadata of mkey and MKEY at once: one wins, one 400."""
        def play(rnd):
            a = rnd.create(rnd.name('a'))
            rs = rnd.race(races.set_metadata(a, {'mkey': 'lower'}),
                          races.set_metadata(a, {'MKEY': 'upper'}))
            won = rnd.match(rs, {'mkey': [OK, (400, KEY_EXISTS % a)],
                                 'MKEY': [(400, KEY_EXISTS % a), OK]})
            md = rnd.state().metadata_of(a)
            if won:
                value, r = (('lower', rs[0]) if won == 'mkey' else
                            ('upper', rs[1]))
                rnd.check(md == {won: value}, 'state',
                          '%s won, metadata is %s', won, md)
                rnd.check(r.aggregate.get('metadata') == {won: value},
                          'body', 'the winner shows %s',
                          r.aggregate.get('metadata'))
        self.run_scenario('case_variant_keys', play)

    # -- names ------------------------------------------------------------

    def _one_named(self, rnd, name, aggregate_id, expected_name):
        st = rnd.state()
        rnd.check(st.ids_named(name) == [aggregate_id] and
                  st.names.get(aggregate_id) == expected_name, 'state',
                  'expected only %s=%r, found %s', aggregate_id,
                  expected_name, {i: st.names[i]
                                  for i in st.ids_named(name)})

    def test_create_case_variants(self):
        """6. create x<round> and X<round> at once: one 200, one 409."""
        def play(rnd):
            x = rnd.name('x')
            rs = rnd.race(races.create(x), races.create(x.upper()))
            won = rnd.match(rs, {
                'x': [OK, (409, NAME_EXISTS % x.upper())],
                'X': [(409, NAME_EXISTS % x), OK]})
            if won:
                r = rs[0] if won == 'x' else rs[1]
                name = x if won == 'x' else x.upper()
                rnd.check(r.aggregate.get('name') == name, 'body',
                          'the winner shows %s', r.aggregate)
                self._one_named(rnd, x, r.aggregate.get('id'), name)
        self.run_scenario('create_case_variants', play)

    def test_rename_case_variants(self):
        """6. Rename two aggregates to y<round> and Y<round> at once."""
        def play(rnd):
            names = [rnd.name('p'), rnd.name('q')]
            ids = [rnd.create(n) for n in names]
            y = rnd.name('y')
            new = [y, y.upper()]
            rs = rnd.race(races.update(ids[0], name=new[0]),
                          races.update(ids[1], name=new[1]))
            won = rnd.match(rs, {
                0: [OK, (409, NAME_EXISTS % new[1])],
                1: [(409, NAME_EXISTS % new[0]), OK]})
            if won is not None:
                loser = 1 - won
                self._one_named(rnd, y, ids[won], new[won])
                rnd.check(rnd.state().names.get(ids[loser]) == names[loser],
                          'state', 'the loser is named %r',
                          rnd.state().names.get(ids[loser]))
                rnd.check(rs[won].aggregate.get('name') == new[won], 'body',
                          'the winner shows %s', rs[won].aggregate)
        self.run_scenario('rename_case_variants', play)

    def test_rename_vs_create(self):
        """7. Rename to z<round> racing create of Z<round>."""
        def play(rnd):
            old = rnd.name('p')
            p = rnd.create(old)
            z = rnd.name('z')
            rs = rnd.race(races.update(p, name=z), races.create(z.upper()))
            won = rnd.match(rs, {
                'rename': [OK, (409, NAME_EXISTS % z.upper())],
                'create': [(409, NAME_EXISTS % z), OK]})
            if won == 'rename':
                self._one_named(rnd, z, p, z)
            elif won == 'create':
                self._one_named(rnd, z, rs[1].aggregate.get('id'),
                                z.upper())
                rnd.check(rnd.state().names.get(p) == old, 'state',
                          'the renamed aggregate is named %r',
                          rnd.state().names.get(p))
        self.run_scenario('rename_vs_create', play)

    def test_casefold_names(self):
        """10. Sequential: xi/xİ both made; straße/STRASSE clash (409)."""
        def play(rnd):
            base = rnd.name('cf')
            dotted = base + '-x\u0130'
            strasse = 'stra\u00dfe-' + rnd.tag
            rs = rnd.sequence(races.create(base + '-xi'), races.create(dotted),
                              races.create(strasse),
                              races.create(strasse.upper()))
            ok = rnd.match(rs, {'casefold': [
                OK, OK, OK, (409, NAME_EXISTS % strasse.upper())]})
            if ok:
                for r, name in zip(rs, (base + '-xi', dotted, strasse)):
                    self._one_named(rnd, name, r.aggregate.get('id'), name)
        self.run_scenario('casefold_names', play)

    # -- hosts ------------------------------------------------------------

    def test_add_vs_remove_host(self):
        """8. add_host and remove_host of h at once; h in A on even rounds."""
        def play(rnd):
            h = rnd.host()
            a = rnd.create(rnd.name('a'))
            member = rnd.number % 2 == 0
            if member:
                rnd.setup(races.add_host(a, h))
                outcomes = {'remove-add': [OK, OK],
                            'add-remove': [(409, HOST_EXISTS % (a, h)), OK]}
            else:
                outcomes = {'add-remove': [OK, OK],
                            'remove-add': [OK, (404, NO_SUCH_MEMBER % (h, a))]}
            rs = rnd.race(races.add_host(a, h), races.remove_host(a, h))
            order = rnd.match(rs, outcomes)
            if order:
                expected = [h] if order == 'remove-add' else []
                rnd.check(rnd.state().hosts_of(a) == expected, 'state',
                          '%s, but the aggregate holds %s', order,
                          rnd.state().hosts_of(a))
                if rs[0].status == 200:
                    rnd.check(h in rs[0].aggregate.get('hosts', []), 'body',
                              'add_host shows %s', rs[0].aggregate)
                if rs[1].status == 200:
                    rnd.check(h not in rs[1].aggregate.get('hosts', [h]),
                              'body', 'remove_host shows %s', rs[1].aggregate)
        self.run_scenario('add_vs_remove_host', play)


class TestRacesSQLite(RaceScenarios, testtools.TestCase):
    database = 'sqlite'
    label = 'sqlite'


class TestRacesMariaDB(RaceScenarios, testtools.TestCase):
    database = 'mysql'
    label = 'mariadb'


class TestRacesPostgreSQL(RaceScenarios, testtools.TestCase):
    database = 'postgresql'
    label = 'postgresql'

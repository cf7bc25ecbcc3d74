"""Upgrades of a database that holds aggregates, on every engine."""

import fixtures
import sqlalchemy as sa
import testtools

from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import engines
from aggregates_ext.db import migration
from aggregates_ext.db import models
from aggregates_ext import exception
from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.functional import databases

# Names whose case folding is not their lower case, and one that is.
_NAMES = ['Stra\u00dfe', '\u0130stanbul', 'plain']


class NameKeysScenarios:
    """0004 gives every aggregate its name key; the rule then holds."""

    def connection(self):
        return None

    def setUp(self):
        super().setUp()
        self.useFixture(agg_fixtures.Config())
        state = self.useFixture(fixtures.TempDir()).path
        agg_fixtures.CONF.set_override('state_path', state)
        agg_fixtures.CONF.set_override('connection', self.connection(),
                                       group='database')
        engines.configure(agg_fixtures.CONF)
        self.addCleanup(engines.reset)

    def test_upgrade_keys_existing_aggregates(self):
        migration.upgrade('0003')
        aggregates = sa.table('aggregates', sa.column('id'),
                              sa.column('name'), sa.column('uuid'))
        with engines.get_engine().begin() as conn:
            for number, name in enumerate(_NAMES, 1):
                conn.execute(aggregates.insert().values(
                    id=number, name=name, uuid='uuid-%d' % number))
        migration.upgrade()
        self.assertEqual(migration.head(), migration.version())
        with engines.get_engine().connect() as conn:
            keys = dict(conn.execute(sa.select(
                models.AggregateName.aggregate_id,
                models.AggregateName.name_key)).all())
        self.assertEqual({number: models.name_key(name)
                          for number, name in enumerate(_NAMES, 1)}, keys)
        # The old aggregates' names are taken under case folding ...
        for taken in ('STRASSE', 'i\u0307stanbul', 'PLAIN'):
            self.assertRaises(exception.AggregateNameExists,
                              agg_db.create, taken)
        for taken in ('STRASSE', 'i\u0307STANBUL'):
            self.assertRaises(exception.AggregateNameExists,
                              agg_db.update, 3, name=taken)
        agg_db.update(3, name='PLAIN')
        # ... and a rename frees the old name.
        agg_db.update(1, name='renamed')
        created = agg_db.create('strasse')
        agg_db.delete(created.id)
        self.assertEqual(['renamed', '\u0130stanbul', 'PLAIN'],
                         [a.name for a in agg_db.get_all()])
        agg_db.create('STRASSE')


class TestNameKeysSQLite(NameKeysScenarios, testtools.TestCase):
    pass


class TestNameKeysMariaDB(NameKeysScenarios, testtools.TestCase):

    def connection(self):
        return self.useFixture(databases.ThrowawayDatabase('mysql')).url


class TestNameKeysPostgreSQL(NameKeysScenarios, testtools.TestCase):

    def connection(self):
        return self.useFixture(databases.ThrowawayDatabase('postgresql')).url

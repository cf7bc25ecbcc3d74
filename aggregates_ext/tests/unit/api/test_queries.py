"""Listing and showing cost a constant number of SQL queries."""

import sqlalchemy as sa

from aggregates_ext.db import aggregates as agg_db
from aggregates_ext.db import engines
from aggregates_ext.tests.unit.api import base


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        self.statements = []
        self.engine = engine

    def __enter__(self):
        sa.event.listen(self.engine, 'before_cursor_execute', self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, 'before_cursor_execute', self._count)

    def _count(self, conn, cursor, statement, *args):
        # Transaction control (SQLite's BEGIN) is not a query.
        if statement.lstrip().upper().startswith('SELECT'):
            self.count += 1
            self.statements.append(statement)


def populate(test, aggregates, hosts, keys):
    for h in range(hosts):
        test.register_host('host-%d' % h)
    for a in range(aggregates):
        agg = agg_db.create('agg-%d' % a)
        agg_db.update(agg.id, set_metadata={
            'key-%d' % k: 'v' for k in range(keys)})
        for h in range(hosts):
            agg_db.add_host(agg.id, 'host-%d' % h)


class TestQueryCount(base.APITestCase):

    def count(self, method, path):
        with QueryCounter(engines.get_engine()) as counter:
            resp = self.req(method, path)
        self.assertEqual(200, resp.status_int)
        return counter.count

    def test_list_query_count_does_not_grow_with_aggregates(self):
        populate(self, 1, 2, 2)
        one = self.count('GET', '/os-aggregates')
        populate_more = [agg_db.create('more-%d' % i)
                         for i in range(20)]
        for agg in populate_more:
            agg_db.add_host(agg.id, 'host-0')
            agg_db.update(agg.id, set_metadata={'k': 'v'})
        many = self.count('GET', '/os-aggregates')
        self.assertEqual(one, many)
        self.assertEqual(2, many)

    def test_show_query_count(self):
        populate(self, 1, 10, 10)
        self.assertEqual(2, self.count('GET', '/os-aggregates/1'))

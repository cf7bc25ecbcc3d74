"""Nova mode in-process: Nova's tables, hosts and instance rules.

Nova's API database and a cell database are real SQLite files with the
columns Nova has (our models of the aggregate tables are Nova's; the host
and cell tables are those of ``db/nova.py``), filled the way Nova fills
them.  ``tox -e nova`` runs the same against a real Nova 34.
"""

import os

import fixtures
import sqlalchemy as sa

from aggregates_ext.db import engines
from aggregates_ext.db import models
from aggregates_ext.db import nova as nova_db
from aggregates_ext import startup
from aggregates_ext.tests.unit.api import base

MOVE = ("The host cannot be %s the aggregate as the availability zone of "
        "the host would change from '%s' to '%s' but the host already has "
        "1 instance(s). Changing the AZ of an existing instance is not "
        "supported by this action. Move the instances away from this host "
        "then try again. If you need to move the instances between AZs "
        "then you can use shelve_offload and unshelve to achieve this..")


class NovaModeTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.cell_url = 'sqlite:///' + os.path.join(tmp, 'cell1.sqlite')
        api_url = 'sqlite:///' + os.path.join(tmp, 'nova_api.sqlite')
        api = sa.create_engine(api_url)
        models.Base.metadata.create_all(api, tables=[
            models.Aggregate.__table__, models.AggregateHost.__table__,
            models.AggregateMetadata.__table__])
        nova_db._APIBase.metadata.create_all(api)
        with api.begin() as conn:
            conn.execute(sa.text('CREATE TABLE alembic_version '
                                 '(version_num VARCHAR(32))'))
            conn.execute(sa.text(
                "INSERT INTO alembic_version VALUES ('%s')"
                % nova_db.SUPPORTED_API_REVISIONS[0]))
            conn.execute(sa.insert(nova_db.CellMapping.__table__).values(
                id=1, uuid='c1', name='cell1',
                database_connection=self.cell_url))
        api.dispose()
        self.cell = sa.create_engine(self.cell_url)
        nova_db._cell.create_all(self.cell)
        self.addCleanup(self.cell.dispose)
        self.api_url = api_url
        self.config.conf.set_override('connection', api_url,
                                      group='nova_database')
        engines.configure(self.config.conf)

    def nova_compute(self, host, mapped=True, instances=0):
        with self.cell.begin() as conn:
            conn.execute(sa.insert(nova_db.SERVICES).values(
                host=host, binary='nova-compute', deleted=0,
                disabled=False, forced_down=False))
            for _ in range(instances):
                conn.execute(sa.insert(nova_db.INSTANCES).values(
                    host=host, deleted=0))
        if mapped:
            with engines.nova_engine().begin() as conn:
                conn.execute(sa.insert(nova_db.HostMapping.__table__).values(
                    cell_id=1, host=host))


class TestNovaModeHosts(NovaModeTestCase):

    def test_aggregates_are_rows_of_novas_api_database(self):
        agg = self.create('in-nova', az='az1')
        api = sa.create_engine(self.api_url)
        self.addCleanup(api.dispose)
        with api.connect() as conn:
            self.assertEqual([(agg['id'], 'in-nova')], conn.execute(
                sa.text('SELECT id, name FROM aggregates')).all())

    def test_add_host_takes_novas_compute_services(self):
        self.nova_compute('compute-1')
        agg = self.create()
        self.assertEqual(['compute-1'], self.add_host(agg['id'],
                                                      'compute-1')['hosts'])

    def test_host_without_mapping_found_in_a_cell_as_on_nova(self):
        self.nova_compute('unmapped', mapped=False)
        agg = self.create()
        self.assertEqual(['unmapped'],
                         self.add_host(agg['id'], 'unmapped')['hosts'])

    def test_our_agents_do_not_count_in_nova_mode(self):
        self.register_host('agent-only')
        agg = self.create()
        resp = self.action(agg['id'], 'add_host', {'host': 'agent-only'})
        self.assertFault(resp, 404,
                         'Compute host agent-only could not be found.')

    def test_deleted_service_is_not_a_host(self):
        with self.cell.begin() as conn:
            conn.execute(sa.insert(nova_db.SERVICES).values(
                host='gone', binary='nova-compute', deleted=7))
        agg = self.create()
        resp = self.action(agg['id'], 'add_host', {'host': 'gone'})
        self.assertFault(resp, 404, 'Compute host gone could not be found.')


class TestNovaModeInstanceRules(NovaModeTestCase):

    def test_add_host_with_instances_into_a_zone_409(self):
        self.nova_compute('busy', instances=1)
        agg = self.create('z', az='az1')
        resp = self.action(agg['id'], 'add_host', {'host': 'busy'})
        self.assertFault(resp, 409, 'Cannot add host to aggregate %s. '
                         'Reason: %s' % (agg['id'],
                                         MOVE % ('added to', 'None', 'az1')))
        self.assertEqual([], self.show(agg['id'])['hosts'])

    def test_add_host_with_instances_without_zone_change_200(self):
        self.nova_compute('busy', instances=1)
        plain = self.create('plain')
        self.add_host(plain['id'], 'busy')

    def test_remove_host_with_instances_out_of_its_zone_409(self):
        self.nova_compute('busy')
        agg = self.create('z', az='az1')
        self.add_host(agg['id'], 'busy')
        with self.cell.begin() as conn:
            conn.execute(sa.insert(nova_db.INSTANCES).values(
                host='busy', deleted=0))
        resp = self.action(agg['id'], 'remove_host', {'host': 'busy'})
        self.assertFault(resp, 409, 'Cannot remove host from aggregate %s. '
                         'Reason: %s' % (agg['id'], MOVE % (
                             'removed from', 'az1', 'None')))
        self.assertEqual(['busy'], self.show(agg['id'])['hosts'])

    def test_zone_change_with_instances_400(self):
        self.nova_compute('busy')
        agg = self.create('z', az='az1')
        self.add_host(agg['id'], 'busy')
        with self.cell.begin() as conn:
            conn.execute(sa.insert(nova_db.INSTANCES).values(
                host='busy', deleted=0))
        resp = self.action(agg['id'], 'set_metadata',
                           {'metadata': {'availability_zone': 'az2'}})
        self.assertFault(resp, 400, 'Cannot update metadata of aggregate '
                         '%s. Reason: One or more hosts contain instances '
                         'in this zone.' % agg['id'])
        resp = self.req('PUT', '/os-aggregates/%s' % agg['id'],
                        {'aggregate': {'availability_zone': 'az2'}})
        self.assertFault(resp, 400, 'Cannot update aggregate %s. Reason: '
                         'One or more hosts contain instances in this '
                         'zone.' % agg['id'])
        # The same zone again is no change.
        resp = self.action(agg['id'], 'set_metadata',
                           {'metadata': {'availability_zone': 'az1'}})
        self.assertEqual(200, resp.status_int)


class TestNovaModeStartup(NovaModeTestCase):

    def test_supported_schema_passes(self):
        startup.check_nova_database()

    def test_unknown_schema_refused_with_the_option_named(self):
        with engines.nova_engine().begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET "
                                 "version_num = 'f00f00f00f00'"))
        error = self.assertRaises(startup.StartupError,
                                  startup.check_nova_database)
        self.assertIn('revision f00f00f00f00', str(error))
        self.assertIn('[nova_database] connection', str(error))

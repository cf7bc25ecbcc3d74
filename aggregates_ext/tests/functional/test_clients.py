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

"""openstacksdk, OpenStackClient and novaclient against the real services.

Every scenario runs twice: with a real Keystone (password auth, endpoints
from the catalog, the API on keystonemiddleware, Glance from the catalog)
and without one (``admin_token`` auth with the noauth2 token
``admin:admin``, fixed endpoints in ``clouds.yaml``:
``compute_endpoint_override`` and ``image_endpoint_override``).

Behind the API run a conductor and three compute agents
(``aggregates-ext-compute``, hosts ``compute-0`` … ``compute-2``) on the
machine's RabbitMQ, so hosts are registered the real way and a pre-cache
request ends as a file in each agent's libvirt image cache,
``<instances_path>/_base/<sha1(image id)>``, downloaded from a real Glance.
The tests assert what a user sees: the objects the SDK and novaclient
return, and the JSON and table output of ``openstack``.
"""

import os
import uuid

import fixtures
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import novaclient
from novaclient import api_versions
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
import openstack
from openstack import config as os_config
from openstack import exceptions as sdk_exc
import requests
import yaml

from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.functional import clients_base
from aggregates_ext.tests.functional import deployment
from aggregates_ext.tests.functional import glance
from aggregates_ext.tests.functional import keystone

AGENTS = 3
CLOUD = 'aggext'
MEMBER_CLOUD = 'aggext-member'
MISSING_IMAGE = '0badc0de-0000-4000-8000-000000000000'


class _ClientScenarios(object):
    """The scenarios; a subclass starts the services and writes clouds.yaml.

    Subclass attributes: ``deployment``, ``glance`` (a GlanceFixture, to
    create images), ``clouds_yaml``, ``admin_token()``.
    """

    # -- helpers ------------------------------------------------------------

    def unique(self, prefix):
        return '%s-%s' % (prefix, uuid.uuid4().hex[:8])

    def make_image(self, size=256 * 1024 + 7):
        data = agg_fixtures.raw_image_data(size)
        image = self.glance.create_image(data, name=self.unique('img'))
        self.assertEqual('active', image['status'])
        return image, data

    def assertCached(self, image, data, hosts):
        """The image's bytes are in the cache of ``hosts``, of no other."""
        paths = self.deployment.wait_for_cached(image['id'], hosts=hosts,
                                                size=len(data))
        for host, path in paths.items():
            self.assertEqual(
                deployment.libvirt_cache_name(image['id']),
                os.path.basename(path))
            with open(path, 'rb') as f:
                self.assertEqual(data, f.read(), 'cache of %s' % host)
        for host in set(self.deployment.hosts) - set(hosts):
            self.assertFalse(os.path.exists(
                self.deployment.cache_path(host, image['id'])),
                '%s is not in the aggregate but cached the image' % host)

    def api(self, method, path, **kwargs):
        headers = {'X-Auth-Token': self.admin_token(),
                   'OpenStack-API-Version': 'compute 2.81'}
        return requests.request(method, self.deployment.endpoint + path,
                                headers=headers, timeout=60, **kwargs)

    def purge_aggregate_later(self, aggregate_id):
        """Remove the aggregate (and its hosts) even if the test fails."""
        def purge():
            r = self.api('GET', '/os-aggregates/%s' % aggregate_id)
            if r.status_code == 404:
                return
            for host in r.json()['aggregate']['hosts']:
                self.api('POST', '/os-aggregates/%s/action' % aggregate_id,
                         json={'remove_host': {'host': host}})
            self.api('DELETE', '/os-aggregates/%s' % aggregate_id)
        self.addCleanup(purge)

    def sdk(self, cloud=CLOUD):
        config = os_config.OpenStackConfig(
            config_files=[self.clouds_yaml], vendor_files=[],
            load_envvars=False)
        conn = openstack.connection.Connection(
            config=config.get_one(cloud=cloud))
        self.addCleanup(conn.close)
        return conn

    def osc(self, *args, cloud=CLOUD, expect_rc=0):
        result = clients_base.run_cli(
            'openstack', ['--os-cloud', cloud] + list(args),
            env_extra={'OS_CLIENT_CONFIG_FILE': self.clouds_yaml})
        if expect_rc is not None:
            self.assertEqual(expect_rc, result.returncode, result)
        return result

    def osc_json(self, *args, **kwargs):
        return self.osc(*(args + ('-f', 'json')), **kwargs).json()

    # -- openstacksdk ------------------------------------------------------

    def test_openstacksdk(self):
        compute = self.sdk().compute
        hosts = self.deployment.hosts
        name, az = self.unique('sdk'), self.unique('sdk-az')
        image, data = self.make_image()

        agg = compute.create_aggregate(name=name, availability_zone=az)
        self.purge_aggregate_later(agg.id)
        self.assertIsInstance(agg.id, int)
        self.assertEqual(name, agg.name)
        self.assertEqual(az, agg.availability_zone)
        self.assertFalse(agg.is_deleted)
        self.assertIsNotNone(agg.created_at)
        self.assertIsNone(agg.updated_at)
        # The SDK negotiated 2.81: the uuid is there.
        self.assertEqual(str(uuid.UUID(agg.uuid)), agg.uuid)

        listed = {a.id: a for a in compute.aggregates()}
        self.assertIn(agg.id, listed)
        self.assertEqual((name, az, agg.uuid, [], {'availability_zone': az}),
                         (listed[agg.id].name,
                          listed[agg.id].availability_zone,
                          listed[agg.id].uuid, listed[agg.id].hosts,
                          listed[agg.id].metadata))

        got = compute.get_aggregate(agg.id)
        self.assertEqual((name, agg.uuid, [], {'availability_zone': az}),
                         (got.name, got.uuid, got.hosts, got.metadata))

        self.assertEqual(agg.id, compute.find_aggregate(name).id)
        self.assertEqual(name, compute.find_aggregate(str(agg.id)).name)
        self.assertIsNone(compute.find_aggregate(self.unique('nothing')))
        self.assertRaises(sdk_exc.NotFoundException, compute.find_aggregate,
                          self.unique('nothing'), ignore_missing=False)

        new_name = self.unique('sdk-renamed')
        updated = compute.update_aggregate(agg, name=new_name)
        self.assertEqual(new_name, updated.name)
        self.assertEqual(az, updated.availability_zone)
        self.assertIsNotNone(updated.updated_at)

        for i, host in enumerate(hosts[:2]):
            result = compute.add_host_to_aggregate(agg, host)
            self.assertEqual(hosts[:i + 1], result.hosts)
        e = self.assertRaises(sdk_exc.NotFoundException,
                              compute.add_host_to_aggregate, agg,
                              'no-such-host')
        self.assertIn('Compute host no-such-host could not be found.',
                      str(e))
        e = self.assertRaises(sdk_exc.ConflictException,
                              compute.add_host_to_aggregate, agg, hosts[0])

        result = compute.set_aggregate_metadata(agg, foo='bar', baz='qux')
        self.assertEqual({'availability_zone': az, 'foo': 'bar',
                          'baz': 'qux'}, result.metadata)
        result = compute.set_aggregate_metadata(agg, baz=None)
        self.assertEqual({'availability_zone': az, 'foo': 'bar'},
                         result.metadata)

        self.assertIsNone(compute.aggregate_precache_images(
            agg, [image['id']]))
        self.assertCached(image, data, hosts[:2])
        e = self.assertRaises(sdk_exc.BadRequestException,
                              compute.aggregate_precache_images, agg,
                              [MISSING_IMAGE])
        self.assertIn(MISSING_IMAGE, str(e))
        e = self.assertRaises(sdk_exc.BadRequestException,
                              compute.aggregate_precache_images, agg,
                              [image['id'], image['id']])
        self.assertIn('Duplicate images in request', str(e))

        # Nova refuses to delete an aggregate that still has hosts.
        self.assertRaises(sdk_exc.BadRequestException,
                          compute.delete_aggregate, agg)
        result = compute.remove_host_from_aggregate(agg, hosts[1])
        self.assertEqual(hosts[:1], result.hosts)
        self.assertRaises(sdk_exc.NotFoundException,
                          compute.remove_host_from_aggregate, agg, hosts[1])
        result = compute.remove_host_from_aggregate(agg, hosts[0])
        self.assertEqual([], result.hosts)

        self.assertIsNone(compute.delete_aggregate(agg))
        self.assertRaises(sdk_exc.NotFoundException,
                          compute.get_aggregate, agg.id)
        self.assertIsNone(compute.delete_aggregate(agg.id,
                                                   ignore_missing=True))
        self.assertRaises(sdk_exc.NotFoundException,
                          compute.delete_aggregate, agg.id,
                          ignore_missing=False)

    def test_openstacksdk_non_admin(self):
        compute = self.sdk(MEMBER_CLOUD).compute
        e = self.assertRaises(sdk_exc.ForbiddenException,
                              lambda: list(compute.aggregates()))
        self.assertIn("Policy doesn't allow os_compute_api:os-aggregates:"
                      "index to be performed.", str(e))

    # -- OpenStackClient ----------------------------------------------------

    def test_openstackclient(self):
        hosts = self.deployment.hosts
        name, az = self.unique('osc'), self.unique('osc-az')
        image, data = self.make_image()
        image2, data2 = self.make_image()

        created = self.osc_json('aggregate', 'create', '--zone', az,
                                '--property', 'k1=v1', name)
        self.purge_aggregate_later(created['id'])
        agg_id = created['id']
        self.assertEqual(name, created['name'])
        self.assertEqual(az, created['availability_zone'])
        self.assertEqual({'availability_zone': az, 'k1': 'v1'},
                         created['properties'])
        self.assertEqual([], created['hosts'])
        self.assertIs(False, created['is_deleted'])

        rows = self.osc_json('aggregate', 'list')
        row = [r for r in rows if r['ID'] == agg_id]
        self.assertEqual(1, len(row), rows)
        agg_uuid = row[0]['UUID']
        self.assertEqual(
            {'ID': agg_id, 'UUID': agg_uuid, 'Name': name,
             'Availability Zone': az}, row[0])
        rows = self.osc_json('aggregate', 'list', '--long')
        row = [r for r in rows if r['ID'] == agg_id][0]
        # --long hides the availability zone among the properties.
        self.assertEqual({'ID': agg_id, 'UUID': agg_uuid, 'Name': name,
                          'Availability Zone': az,
                          'Properties': {'k1': 'v1'}, 'Hosts': []}, row)

        shown = self.osc_json('aggregate', 'show', name)
        self.assertEqual(
            {'id': agg_id, 'uuid': agg_uuid, 'name': name,
             'availability_zone': az, 'properties': {'k1': 'v1'},
             'hosts': [], 'is_deleted': False, 'deleted_at': None},
            {k: shown[k] for k in ('id', 'uuid', 'name', 'availability_zone',
                                   'properties', 'hosts', 'is_deleted',
                                   'deleted_at')})
        self.assertEqual(shown, self.osc_json('aggregate', 'show',
                                              str(agg_id)))

        new_name, new_az = self.unique('osc-renamed'), self.unique('osc-az2')
        result = self.osc('aggregate', 'set', '--name', new_name, '--zone',
                          new_az, '--property', 'k2=v2', name)
        self.assertEqual('', result.stdout)
        shown = self.osc_json('aggregate', 'show', new_name)
        self.assertEqual((agg_id, new_az, {'k1': 'v1', 'k2': 'v2'}),
                         (shown['id'], shown['availability_zone'],
                          shown['properties']))
        self.assertIsNotNone(shown['updated_at'])
        self.osc('aggregate', 'unset', '--property', 'k1', new_name)
        self.assertEqual({'k2': 'v2'}, self.osc_json(
            'aggregate', 'show', new_name)['properties'])
        self.osc('aggregate', 'set', '--no-property', '--property', 'k3=v3',
                 new_name)
        self.assertEqual({'k3': 'v3'}, self.osc_json(
            'aggregate', 'show', new_name)['properties'])

        for i, host in enumerate(hosts[:2]):
            out = self.osc_json('aggregate', 'add', 'host', new_name, host)
            self.assertEqual(hosts[:i + 1], out['hosts'])
            self.assertEqual(new_name, out['name'])
        result = self.osc('aggregate', 'add', 'host', new_name,
                          'no-such-host', expect_rc=1)
        self.assertIn('Compute host no-such-host could not be found.',
                      result.stderr)

        # By name: OSC finds the image in the Image service first.
        result = self.osc('aggregate', 'cache', 'image', new_name,
                          image['name'])
        self.assertEqual('', result.stdout)
        self.assertCached(image, data, hosts[:2])
        # By id, with the microversion given explicitly.
        self.osc('--os-compute-api-version', '2.81', 'aggregate', 'cache',
                 'image', str(agg_id), image2['id'])
        self.assertCached(image2, data2, hosts[:2])
        result = self.osc('aggregate', 'cache', 'image', new_name,
                          MISSING_IMAGE, expect_rc=1)
        self.assertIn('No Image found for %s' % MISSING_IMAGE, result.stderr)
        # The same image twice: our API refuses the duplicate.
        result = self.osc('aggregate', 'cache', 'image', new_name,
                          image['id'], image['name'], expect_rc=1)
        self.assertIn('Duplicate images in request', result.stderr)
        result = self.osc('--os-compute-api-version', '2.80', 'aggregate',
                          'cache', 'image', new_name, image['id'],
                          expect_rc=1)
        self.assertIn('requires server support for API microversion 2.81',
                      result.stderr)

        out = self.osc_json('aggregate', 'remove', 'host', new_name,
                            hosts[1])
        self.assertEqual(hosts[:1], out['hosts'])
        result = self.osc('aggregate', 'delete', new_name, expect_rc=1)
        self.assertIn('1 of 1 aggregates failed to delete.', result.stderr)
        out = self.osc_json('aggregate', 'remove', 'host', new_name,
                            hosts[0])
        self.assertEqual([], out['hosts'])

        result = self.osc('aggregate', 'delete', new_name)
        self.assertEqual('', result.stdout)
        result = self.osc('aggregate', 'show', new_name, expect_rc=1)
        self.assertIn('No Aggregate found for %s' % new_name, result.stderr)
        self.assertNotIn(agg_id, [r['ID'] for r in self.osc_json(
            'aggregate', 'list')])

    def test_openstackclient_tables(self):
        host = self.deployment.hosts[2]
        name, az = self.unique('tbl'), self.unique('tbl-az')
        result = self.osc('aggregate', 'create', '--zone', az, '--property',
                          'color=blue', name)
        table = clients_base.parse_table(result.stdout)
        self.assertEqual(['Field', 'Value'], table[0])
        fields = dict(table[1:])
        self.purge_aggregate_later(fields['id'])
        self.assertEqual(name, fields['name'])
        self.assertEqual(az, fields['availability_zone'])
        self.assertEqual("availability_zone='%s', color='blue'" % az,
                         fields['properties'])

        result = self.osc('aggregate', 'add', 'host', name, host)
        fields = dict(clients_base.parse_table(result.stdout)[1:])
        self.assertEqual(host, fields['hosts'])

        table = clients_base.parse_table(self.osc('aggregate', 'list').stdout)
        self.assertEqual(['ID', 'UUID', 'Name', 'Availability Zone'],
                         table[0])
        row = [r for r in table[1:] if r[2] == name]
        self.assertEqual(1, len(row), table)
        agg_id, agg_uuid = row[0][0], row[0][1]
        self.assertEqual(az, row[0][3])
        self.assertEqual(agg_uuid, str(uuid.UUID(agg_uuid)))

        table = clients_base.parse_table(
            self.osc('aggregate', 'list', '--long').stdout)
        self.assertEqual(['ID', 'UUID', 'Name', 'Availability Zone',
                          'Properties', 'Hosts'], table[0])
        row = [r for r in table[1:] if r[2] == name][0]
        self.assertEqual([agg_id, agg_uuid, name, az, "color='blue'", host],
                         row)

        fields = dict(clients_base.parse_table(
            self.osc('aggregate', 'show', name).stdout)[1:])
        self.assertEqual(
            {'id': agg_id, 'uuid': agg_uuid, 'name': name,
             'availability_zone': az, 'properties': "color='blue'",
             'hosts': host, 'is_deleted': 'False', 'deleted_at': 'None'},
            {k: fields[k] for k in ('id', 'uuid', 'name',
                                    'availability_zone', 'properties',
                                    'hosts', 'is_deleted', 'deleted_at')})
        self.osc('aggregate', 'remove', 'host', name, host)
        self.osc('aggregate', 'delete', name)

    def test_openstackclient_non_admin(self):
        result = self.osc('aggregate', 'list', cloud=MEMBER_CLOUD,
                          expect_rc=1)
        self.assertIn("Policy doesn't allow os_compute_api:os-aggregates:"
                      "index to be performed.", result.stderr)

    # -- novaclient -----------------------------------------------------------

    def test_novaclient(self):
        sess = self.nova_session()
        hosts = self.deployment.hosts
        probe = nova_client.Client('2.1', session=sess,
                                   **self.nova_kwargs())
        discovered = api_versions.discover_version(
            probe, api_versions.APIVersion('2.latest'))
        # min(novaclient's own maximum, ours): every call of the client at
        # that version must work too.
        ours = requests.get(self.deployment.endpoint, timeout=60).json()
        self.assertEqual(
            min(novaclient.API_MAX_VERSION,
                api_versions.APIVersion(ours['version']['version'])),
            discovered)
        nova = nova_client.Client('2.81', session=sess, **self.nova_kwargs())
        image, data = self.make_image()
        image2, data2 = self.make_image()
        name, az = self.unique('nova'), self.unique('nova-az')

        agg = nova.aggregates.create(name, az)
        self.purge_aggregate_later(agg.id)
        self.assertEqual((name, az), (agg.name, agg.availability_zone))
        self.assertEqual(str(uuid.UUID(agg.uuid)), agg.uuid)
        self.assertNotIn('hosts', agg.to_dict())
        self.assertNotIn('metadata', agg.to_dict())
        none_az = nova.aggregates.create(self.unique('nova-noaz'), None)
        self.purge_aggregate_later(none_az.id)
        self.assertIsNone(none_az.availability_zone)

        self.assertIn(agg.id, [a.id for a in nova.aggregates.list()])
        got = nova.aggregates.get(agg.id)
        self.assertEqual((name, [], {'availability_zone': az}),
                         (got.name, got.hosts, got.metadata))
        new_name = self.unique('nova-renamed')
        got = nova.aggregates.update(agg, {'name': new_name})
        self.assertEqual(new_name, got.name)
        self.assertIsNotNone(got.updated_at)

        for i, host in enumerate(hosts[:2]):
            got = nova.aggregates.add_host(agg, host)
            self.assertEqual(hosts[:i + 1], got.hosts)
        self.assertRaises(nova_exc.NotFound, nova.aggregates.add_host, agg,
                          'no-such-host')
        got = nova.aggregates.set_metadata(agg, {'x': 'y', 'z': 'w'})
        self.assertEqual({'availability_zone': az, 'x': 'y', 'z': 'w'},
                         got.metadata)
        got = nova.aggregates.set_metadata(agg, {'z': None})
        self.assertEqual({'availability_zone': az, 'x': 'y'}, got.metadata)

        nova.aggregates.cache_images(agg, [image['id']])
        self.assertCached(image, data, hosts[:2])
        e = self.assertRaises(nova_exc.BadRequest,
                              nova.aggregates.cache_images, agg,
                              [image['id'], image['id']])
        self.assertIn('Duplicate images in request', str(e))
        self.assertRaises(nova_exc.BadRequest, nova.aggregates.cache_images,
                          agg, [MISSING_IMAGE])
        self.assertRaises(nova_exc.NotFound, nova.aggregates.cache_images,
                          2 ** 31 - 1, [image['id']])
        # At the discovered version, through the resource's own method.
        latest = nova_client.Client(discovered.get_string(), session=sess,
                                    **self.nova_kwargs())
        latest.aggregates.get(agg.id).cache_images([image2['id']])
        self.assertCached(image2, data2, hosts[:2])
        # Below 2.81 novaclient refuses without sending anything.
        old = nova_client.Client('2.80', session=sess, **self.nova_kwargs())
        self.assertRaises(nova_exc.VersionNotFoundForAPIMethod,
                          old.aggregates.cache_images, agg, [image['id']])

        got = nova.aggregates.remove_host(agg, hosts[1])
        self.assertEqual(hosts[:1], got.hosts)
        nova.aggregates.remove_host(agg, hosts[0])
        nova.aggregates.delete(agg)
        nova.aggregates.delete(none_az)
        self.assertRaises(nova_exc.NotFound, nova.aggregates.get, agg.id)


def _write_clouds(path, clouds):
    with open(path, 'w') as f:
        yaml.safe_dump({'clouds': clouds}, f, default_flow_style=False)


class TestClientsWithKeystone(_ClientScenarios,
                              clients_base.ClassFixturesTestCase):
    """Password auth; compute and image endpoints from Keystone's catalog."""

    @classmethod
    def setUpClassFixtures(cls):
        cls.keystone = cls.useClassFixture(keystone.KeystoneFixture())
        cls.glance = cls.useClassFixture(
            glance.GlanceFixture(keystone=cls.keystone))
        cls.deployment = cls.useClassFixture(deployment.Deployment(
            auth_strategy='keystone', keystone=cls.keystone, agents=AGENTS))
        tmp = cls.useClassFixture(fixtures.TempDir()).path
        cls.clouds_yaml = os.path.join(tmp, 'clouds.yaml')

        def cloud(creds):
            return {'auth_type': 'password',
                    'auth': dict(creds.auth_kwargs(),
                                 auth_url=cls.keystone.auth_url),
                    'region_name': cls.keystone.REGION,
                    'identity_api_version': '3'}
        _write_clouds(cls.clouds_yaml, {
            CLOUD: cloud(cls.keystone.admin),
            MEMBER_CLOUD: cloud(cls.keystone.member)})
        cls._token = None

    def admin_token(self):
        if type(self)._token is None:
            type(self)._token = self.keystone.token('admin')
        return self._token

    def nova_session(self):
        return ks_session.Session(auth=v3.Password(
            auth_url=self.keystone.auth_url,
            **self.keystone.admin.auth_kwargs()))

    def nova_kwargs(self):
        return {}


class TestClientsWithoutKeystone(_ClientScenarios,
                                 clients_base.ClassFixturesTestCase):
    """``admin_token`` auth with a noauth2 token and fixed endpoints."""

    @classmethod
    def setUpClassFixtures(cls):
        cls.glance = cls.useClassFixture(glance.GlanceFixture())
        cls.glance_proxy = cls.useClassFixture(
            glance.GlanceAuthProxy(cls.glance))
        cls.deployment = cls.useClassFixture(deployment.Deployment(
            image_url=cls.glance_proxy.url, agents=AGENTS))
        tmp = cls.useClassFixture(fixtures.TempDir()).path
        cls.clouds_yaml = os.path.join(tmp, 'clouds.yaml')

        def cloud(token):
            return {'auth_type': 'admin_token',
                    'auth': {'endpoint': cls.deployment.endpoint,
                             'token': token},
                    'compute_endpoint_override': cls.deployment.endpoint,
                    'image_endpoint_override': cls.glance_proxy.url}
        _write_clouds(cls.clouds_yaml, {CLOUD: cloud('admin:admin'),
                                        MEMBER_CLOUD: cloud('demo:demo')})

    def admin_token(self):
        return 'admin:admin'

    def nova_session(self):
        return ks_session.Session(auth=token_endpoint.Token(
            self.deployment.endpoint, 'admin:admin'))

    def nova_kwargs(self):
        return {'endpoint_override': self.deployment.endpoint}

    def test_openstackclient_command_line_auth(self):
        # The same, with nothing but command line options.
        base = ['--os-auth-type', 'admin_token',
                '--os-endpoint', self.deployment.endpoint]
        name = self.unique('cli')
        result = clients_base.run_cli('openstack', base + [
            '--os-token', 'admin:admin', 'aggregate', 'create', name,
            '-f', 'json'])
        self.assertEqual(0, result.returncode, result)
        self.purge_aggregate_later(result.json()['id'])
        result = clients_base.run_cli('openstack', base + [
            '--os-token', 'admin:admin', 'aggregate', 'list', '-f', 'json'])
        self.assertEqual(0, result.returncode, result)
        self.assertIn(name, [r['Name'] for r in result.json()])
        result = clients_base.run_cli('openstack', base + [
            '--os-token', 'demo:demo', 'aggregate', 'list'])
        self.assertEqual(1, result.returncode, result)
        self.assertIn('ForbiddenException: 403', result.stderr)

"""GET /os-services and GET /os-hypervisors: the compute host views.

Every body is checked against the schema Tempest itself picks for the
requested microversion (``schema_versions_info`` of its service clients),
besides the API's own response schemas, which the fixture enforces.
"""

import datetime
from urllib import parse

from oslo_utils import timeutils
from tempest.lib.api_schema.response.compute.v2_53 import hypervisors \
    as tempest_hypervisors_v253
from tempest.lib.common import api_version_request
from tempest.lib.common import rest_client
from tempest.lib import exceptions as lib_exc
from tempest.lib.services.compute import hypervisor_client
from tempest.lib.services.compute import services_client

from aggregates_ext.api import microversion
from aggregates_ext.conf import opts
from aggregates_ext.db import hosts as hosts_db
from aggregates_ext import policies
from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.unit.api import base

_TIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%f'
_STATS = ('vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used',
          'local_gb_used', 'free_ram_mb', 'free_disk_gb', 'current_workload',
          'running_vms', 'disk_available_least', 'cpu_info')


class _Resp(dict):
    def __init__(self, resp):
        super().__init__(resp.headers)
        self.status = resp.status_int


def _tempest_schema(client_class, version):
    """The schema module Tempest validates with at ``version``."""
    if version == 'latest':
        version = microversion.MAX_VERSION_STRING
    wanted = api_version_request.APIVersionRequest(version)
    for item in client_class.schema_versions_info:
        if wanted.is_null() and item['min'] is None:
            return item['schema']
        if wanted.matches(api_version_request.APIVersionRequest(item['min']),
                          api_version_request.APIVersionRequest(item['max'])):
            return item['schema']
    raise AssertionError('Tempest has no schema for %s' % version)


class HostViewsTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.now = timeutils.utcnow()

    def register(self, host, **values):
        values.setdefault('last_seen_up', self.now)
        return agg_fixtures.register_host(host, **values)

    def get(self, path, version=None, status=200, **kwargs):
        resp = self.req('GET', path, version=version, **kwargs)
        self.assertEqual(status, resp.status_int, resp.body)
        return resp

    def services(self, query='', version=None):
        resp = self.get('/os-services' + query, version=version)
        rest_client.RestClient.validate_response(
            _tempest_schema(services_client.ServicesClient,
                            version).list_services,
            _Resp(resp), resp.json_body_or_none)
        return resp.json_body_or_none['services']

    def hypervisors(self, query='', version=None, detail=False):
        path = '/os-hypervisors' + ('/detail' if detail else '') + query
        resp = self.get(path, version=version)
        schema = _tempest_schema(hypervisor_client.HypervisorClient, version)
        rest_client.RestClient.validate_response(
            schema.list_hypervisors_detail if detail
            else schema.list_search_hypervisors,
            _Resp(resp), resp.json_body_or_none)
        return resp.json_body_or_none

    def hosts_of(self, items, key='host'):
        return [item[key] for item in items]


class TestTempestSchemas(HostViewsTestCase):
    """All the states a host can be in, at each version Tempest knows."""

    def setUp(self):
        super().setUp()
        self.register('up1')
        self.register('forced', forced_down=True)
        self.register('silent',
                      last_seen_up=self.now - datetime.timedelta(hours=1))
        self.register('off', disabled=True, disabled_reason='maintenance')
        self.register('never', last_seen_up=None)
        agg = self.create('agg', az='az1')
        self.add_host(agg['id'], 'up1')

    def test_services_every_version(self):
        for version in (None, '2.1', '2.10', '2.11', '2.52', '2.53', '2.75',
                        '2.88', 'latest'):
            services = self.services(version=version)
            self.assertEqual(5, len(services), version)
            self.assertEqual(
                services, self.services('?binary=nova-compute', version))

    def test_hypervisors_every_version_before_2_88(self):
        for version in (None, '2.1', '2.27', '2.28', '2.32', '2.33', '2.41',
                        '2.52', '2.53', '2.75', '2.87'):
            listed = self.hypervisors(version=version)['hypervisors']
            detailed = self.hypervisors(version=version,
                                        detail=True)['hypervisors']
            self.assertEqual(5, len(listed), version)
            self.assertEqual(self.hosts_of(listed, 'hypervisor_hostname'),
                             self.hosts_of(detailed, 'hypervisor_hostname'))

    def test_hypervisors_list_2_88_and_latest(self):
        for version in ('2.88', 'latest'):
            self.assertEqual(
                5, len(self.hypervisors(version=version)['hypervisors']))

    def test_hypervisor_detail_2_88_is_nova_not_tempest(self):
        # Nova drops the statistics at 2.88 and adds uptime; Tempest has no
        # 2.88 schema and keeps asking for the statistics (it only sends
        # such a version when told to).
        for version in ('2.88', 'latest'):
            resp = self.get('/os-hypervisors/detail', version=version)
            self.assertRaises(
                lib_exc.InvalidHTTPResponseBody,
                rest_client.RestClient.validate_response,
                tempest_hypervisors_v253.list_hypervisors_detail,
                _Resp(resp), resp.json_body_or_none)
            for hypervisor in resp.json_body_or_none['hypervisors']:
                self.assertIsNone(hypervisor['uptime'])
                for name in _STATS:
                    self.assertNotIn(name, hypervisor)

    def test_tempest_schemas_can_fail(self):
        # A 2.1 body (integer ids, no forced_down) is not a 2.53 one.
        resp = self.get('/os-services')
        self.assertRaises(
            lib_exc.InvalidHTTPResponseBody,
            rest_client.RestClient.validate_response,
            _tempest_schema(services_client.ServicesClient,
                            '2.53').list_services,
            _Resp(resp), resp.json_body_or_none)


class TestServices(HostViewsTestCase):

    def test_fields_at_2_1(self):
        svc = self.register('c1')
        (service,) = self.services()
        self.assertEqual({
            'binary': 'nova-compute',
            'host': 'c1',
            'id': svc.id,
            'zone': 'nova',
            'status': 'enabled',
            'state': 'up',
            'updated_at': self.now.strftime(_TIME_FORMAT),
            'disabled_reason': None,
        }, service)
        self.assertEqual(['binary', 'host', 'id', 'zone', 'status', 'state',
                          'updated_at', 'disabled_reason'], list(service))

    def test_forced_down_from_2_11(self):
        self.register('c1', forced_down=True)
        (service,) = self.services(version='2.10')
        self.assertNotIn('forced_down', service)
        (service,) = self.services(version='2.11')
        self.assertIs(True, service['forced_down'])
        self.assertEqual('down', service['state'])

    def test_uuid_id_from_2_53(self):
        svc = self.register('c1')
        self.assertEqual(svc.id, self.services(version='2.52')[0]['id'])
        self.assertEqual(svc.uuid, self.services(version='2.53')[0]['id'])
        self.assertEqual(svc.uuid, self.services(version='latest')[0]['id'])

    def test_state_follows_heartbeat(self):
        down_time = datetime.timedelta(seconds=self.config.conf.
                                       service_down_time)
        self.register('fresh')
        self.register('late', last_seen_up=self.now - 2 * down_time)
        self.register('forced', forced_down=True)
        self.assertEqual(
            [('fresh', 'up'), ('late', 'down'), ('forced', 'down')],
            [(s['host'], s['state']) for s in self.services()])

    def test_heartbeat_brings_host_up(self):
        self.register('c1', last_seen_up=self.now - datetime.timedelta(
            days=1))
        self.assertEqual('down', self.services()[0]['state'])
        hosts_db.report('c1', 'aggregates-ext-compute',
                              'aggregates-ext-compute', 1)
        (service,) = self.services()
        self.assertEqual('up', service['state'])
        self.assertIsNotNone(
            timeutils.parse_isotime(service['updated_at']))

    def test_disabled_with_reason(self):
        self.register('c1', disabled=True, disabled_reason='broken disk')
        (service,) = self.services()
        self.assertEqual('disabled', service['status'])
        self.assertEqual('broken disk', service['disabled_reason'])
        self.assertEqual('up', service['state'])

    def test_zone_from_aggregate_else_default(self):
        self.config.conf.set_override('default_availability_zone', 'dflt')
        for host in ('in-az', 'in-plain-agg', 'alone'):
            self.register(host)
        az_agg = self.create('with-az', az='az1')
        self.add_host(az_agg['id'], 'in-az')
        plain = self.create('plain')
        self.add_host(plain['id'], 'in-plain-agg')
        self.add_host(plain['id'], 'in-az')
        self.assertEqual(
            {'in-az': 'az1', 'in-plain-agg': 'dflt', 'alone': 'dflt'},
            {s['host']: s['zone'] for s in self.services()})

    def test_only_compute_hosts_are_listed(self):
        self.register('c1')
        agg_fixtures.register_host('cond1', binary='aggregates-ext-conductor')
        self.assertEqual(['c1'], self.hosts_of(self.services()))
        self.assertEqual([], self.services('?host=cond1'))

    def test_no_hosts(self):
        self.assertEqual([], self.services())


class TestServicesFilters(HostViewsTestCase):

    def setUp(self):
        super().setUp()
        for host in ('c1', 'c2', 'c3'):
            self.register(host)

    def test_binary_nova_compute_lists_every_host(self):
        self.assertEqual(['c1', 'c2', 'c3'], self.hosts_of(
            self.services('?binary=nova-compute')))

    def test_binary_real_name_lists_nothing_by_default(self):
        self.assertEqual([], self.services('?binary=aggregates-ext-compute'))
        self.assertEqual([], self.services('?binary=nova-scheduler'))

    def test_host(self):
        self.assertEqual(['c2'], self.hosts_of(self.services('?host=c2')))
        self.assertEqual([], self.services('?host=nowhere'))

    def test_host_is_exact(self):
        self.assertEqual([], self.services('?host=C2'))
        self.assertEqual([], self.services('?host=c'))
        self.assertEqual([], self.services('?host=c2%20'))

    def test_host_and_binary(self):
        self.assertEqual(['c3'], self.hosts_of(
            self.services('?host=c3&binary=nova-compute')))
        self.assertEqual([], self.services(
            '?host=c3&binary=nova-conductor'))

    def test_empty_values_filter_nothing(self):
        self.assertEqual(3, len(self.services('?host=&binary=')))

    def test_repeated_parameter_last_wins(self):
        self.assertEqual(['c1'], self.hosts_of(
            self.services('?host=c2&host=c1')))

    def test_unknown_parameter_ignored_before_2_75(self):
        for version in (None, '2.74'):
            self.assertEqual(3, len(self.services('?foo=bar', version)))

    def test_unknown_parameter_400_from_2_75(self):
        for version in ('2.75', 'latest'):
            resp = self.req('GET', '/os-services?foo=bar', version=version)
            self.assertFault(resp, 400, "Additional properties are not "
                             "allowed ('foo' was unexpected)")
        self.assertEqual(['c1'], self.hosts_of(
            self.services('?host=c1', version='2.75')))


class TestServiceBinaryOption(HostViewsTestCase):

    def test_default_is_nova_compute(self):
        self.assertEqual('nova-compute',
                         self.config.conf.api.compute_service_binary)

    def test_real_binary_shown_and_matched(self):
        self.config.conf.set_override('compute_service_binary',
                                      'aggregates-ext-compute', group='api')
        self.register('c1')
        (service,) = self.services()
        self.assertEqual('aggregates-ext-compute', service['binary'])
        self.assertEqual(['c1'], self.hosts_of(
            self.services('?binary=aggregates-ext-compute')))
        self.assertEqual([], self.services('?binary=nova-compute'))

    def test_option_in_config_generator(self):
        names = {(str(group), opt.name)
                 for group, group_opts in opts.list_opts()
                 for opt in group_opts}
        self.assertIn(('api', 'compute_service_binary'), names)
        self.assertIn(('api', 'auth_strategy'), names)
        self.assertEqual(1, len([group for group, _ in opts.list_opts()
                                 if str(group) == 'api']))


class TestHypervisors(HostViewsTestCase):

    def test_list_fields(self):
        svc = self.register('c1')
        self.register('c2', disabled=True, forced_down=True)
        body = self.hypervisors()
        self.assertEqual({'hypervisors': [
            {'id': svc.id, 'hypervisor_hostname': 'c1', 'state': 'up',
             'status': 'enabled'},
            {'id': svc.id + 1, 'hypervisor_hostname': 'c2',
             'state': 'down', 'status': 'disabled'},
        ]}, body)

    def test_detail_fields_at_2_1(self):
        svc = self.register('c1', disabled=True, disabled_reason='why')
        (hypervisor,) = self.hypervisors(detail=True)['hypervisors']
        self.assertEqual({
            'id': svc.id,
            'hypervisor_hostname': 'c1',
            'state': 'up',
            'status': 'disabled',
            'hypervisor_type': 'aggregates-ext',
            'hypervisor_version': 0,
            'host_ip': None,
            'service': {'id': svc.id, 'host': 'c1',
                        'disabled_reason': 'why'},
            'vcpus': 0, 'memory_mb': 0, 'local_gb': 0, 'vcpus_used': 0,
            'memory_mb_used': 0, 'local_gb_used': 0, 'free_ram_mb': 0,
            'free_disk_gb': 0, 'current_workload': 0, 'running_vms': 0,
            'disk_available_least': None,
            'cpu_info': '{}',
        }, hypervisor)

    def test_hypervisor_version_is_the_agent_version(self):
        hosts_db.report('c1', 'aggregates-ext-compute',
                              'aggregates-ext-compute', 7)
        (hypervisor,) = self.hypervisors(detail=True)['hypervisors']
        self.assertEqual(7, hypervisor['hypervisor_version'])

    def test_cpu_info_object_from_2_28(self):
        self.register('c1')
        for version, expected in (('2.27', '{}'), ('2.28', {}),
                                  ('2.87', {})):
            (hypervisor,) = self.hypervisors(
                version=version, detail=True)['hypervisors']
            self.assertEqual(expected, hypervisor['cpu_info'])

    def test_uuid_ids_from_2_53(self):
        svc = self.register('c1')
        (listed,) = self.hypervisors(version='2.53')['hypervisors']
        self.assertEqual(svc.uuid, listed['id'])
        (detailed,) = self.hypervisors(version='2.53',
                                       detail=True)['hypervisors']
        self.assertEqual(svc.uuid, detailed['id'])
        self.assertEqual(svc.uuid, detailed['service']['id'])

    def test_detail_at_2_88_drops_statistics_adds_uptime(self):
        svc = self.register('c1')
        resp = self.get('/os-hypervisors/detail', version='2.88')
        self.assertEqual({'hypervisors': [{
            'id': svc.uuid,
            'hypervisor_hostname': 'c1',
            'state': 'up',
            'status': 'enabled',
            'hypervisor_type': 'aggregates-ext',
            'hypervisor_version': 0,
            'host_ip': None,
            'service': {'id': svc.uuid, 'host': 'c1',
                        'disabled_reason': None},
            'uptime': None,
        }]}, resp.json_body_or_none)

    def test_state_follows_heartbeat(self):
        self.register('fresh')
        self.register('late', last_seen_up=self.now - datetime.timedelta(
            seconds=self.config.conf.service_down_time + 5))
        self.register('forced', forced_down=True)
        for detail in (False, True):
            self.assertEqual(
                [('fresh', 'up'), ('late', 'down'), ('forced', 'down')],
                [(h['hypervisor_hostname'], h['state'])
                 for h in self.hypervisors(detail=detail)['hypervisors']])

    def test_only_compute_hosts_are_listed(self):
        self.register('c1')
        agg_fixtures.register_host('cond1', binary='aggregates-ext-conductor')
        self.assertEqual(['c1'], self.hosts_of(
            self.hypervisors(detail=True)['hypervisors'],
            'hypervisor_hostname'))

    def test_unknown_parameter_ignored_before_2_53(self):
        self.register('c1')
        for version in (None, '2.32', '2.33', '2.52'):
            for detail in (False, True):
                self.assertEqual(1, len(self.hypervisors(
                    '?foo=bar', version=version,
                    detail=detail)['hypervisors']))

    def test_unknown_parameter_400_from_2_53(self):
        for path in ('/os-hypervisors', '/os-hypervisors/detail'):
            for version in ('2.53', 'latest'):
                resp = self.req('GET', path + '?foo=bar', version=version)
                self.assertFault(resp, 400, "Additional properties are not "
                                 "allowed ('foo' was unexpected)")

    def test_limit_must_be_a_non_negative_integer(self):
        for version in ('2.33', '2.53'):
            resp = self.req('GET', '/os-hypervisors?limit=-1',
                            version=version)
            self.assertEqual(400, resp.status_int)
        resp = self.req('GET', '/os-hypervisors?limit=1&limit=2',
                        version='2.53')
        self.assertEqual(400, resp.status_int)

    def test_with_servers_must_be_a_boolean(self):
        resp = self.req('GET', '/os-hypervisors?with_servers=maybe',
                        version='2.53')
        self.assertEqual(400, resp.status_int)


class TestHypervisorsPaging(HostViewsTestCase):

    def setUp(self):
        super().setUp()
        self.rows = [self.register(host) for host in ('c1', 'c2', 'c3')]

    def names(self, body):
        return self.hosts_of(body['hypervisors'], 'hypervisor_hostname')

    def test_paging_ignored_before_2_33(self):
        body = self.hypervisors('?limit=1&marker=nothing', version='2.32')
        self.assertEqual(['c1', 'c2', 'c3'], self.names(body))
        self.assertNotIn('hypervisors_links', body)

    def test_pages_and_next_links(self):
        for version, key in (('2.33', 'id'), ('2.53', 'uuid')):
            for detail in (False, True):
                body = self.hypervisors('?limit=2', version=version,
                                        detail=detail)
                self.assertEqual(['c1', 'c2'], self.names(body))
                marker = str(getattr(self.rows[1], key))
                collection = ('os-hypervisors/detail' if detail
                              else 'os-hypervisors')
                self.assertEqual([{
                    'rel': 'next',
                    'href': 'http://localhost/v2.1/%s?limit=2&marker=%s'
                            % (collection, marker)}],
                    body['hypervisors_links'])
                body = self.hypervisors('?limit=2&marker=' + marker,
                                        version=version, detail=detail)
                self.assertEqual(['c3'], self.names(body))
                self.assertNotIn('hypervisors_links', body)

    def test_marker_alone(self):
        body = self.hypervisors('?marker=%s' % self.rows[0].id,
                                version='2.33')
        self.assertEqual(['c2', 'c3'], self.names(body))
        self.assertNotIn('hypervisors_links', body)

    def test_full_last_page_still_links(self):
        # Nova links whenever a page is full, even the last one.
        body = self.hypervisors('?limit=3', version='2.33')
        self.assertEqual(['c1', 'c2', 'c3'], self.names(body))
        self.assertIn('marker=%s' % self.rows[2].id,
                      body['hypervisors_links'][0]['href'])

    def test_limit_zero(self):
        body = self.hypervisors('?limit=0', version='2.33')
        self.assertEqual({'hypervisors': []}, body)

    def test_limit_huge_is_the_largest_page(self):
        body = self.hypervisors('?limit=' + '9' * 30, version='2.33')
        self.assertEqual(['c1', 'c2', 'c3'], self.names(body))

    def test_limit_of_more_digits_than_int_takes_400(self):
        # Found by the fuzz tests: int() refuses 4301 digits and more, and
        # the ValueError was a 500.
        for version in ('2.33', '2.53'):
            for path in ('/os-hypervisors', '/os-hypervisors/detail'):
                resp = self.req('GET', path + '?limit=' + '9' * 4400,
                                version=version)
                self.assertFault(resp, 400, 'Invalid input received: '
                                 'limit must be an integer')

    def test_unknown_marker_400(self):
        for version, marker in (('2.33', '999'), ('2.53', 'nope'),
                                ('2.53', str(self.rows[0].id))):
            for path in ('/os-hypervisors', '/os-hypervisors/detail'):
                resp = self.req('GET', path + '?marker=' + marker,
                                version=version)
                self.assertFault(resp, 400, 'marker [%s] not found' % marker)

    def test_link_keeps_other_parameters_and_project(self):
        project = 'abc123'
        resp = self.req('GET', '/%s/os-hypervisors?limit=1&zzz=1' % project,
                        version='2.33', token='admin:' + project)
        self.assertEqual(200, resp.status_int, resp.body)
        href = resp.json_body_or_none['hypervisors_links'][0]['href']
        url = parse.urlsplit(href)
        self.assertEqual('/v2.1/%s/os-hypervisors' % project, url.path)
        self.assertEqual('limit=1&zzz=1&marker=%s' % self.rows[0].id,
                         url.query)

    def test_link_prefix_option(self):
        self.config.conf.set_override(
            'compute_link_prefix', 'https://cloud.example.com/compute',
            group='api')
        body = self.hypervisors('?limit=1', version='2.33')
        self.assertEqual(
            'https://cloud.example.com/compute/v2.1/os-hypervisors'
            '?limit=1&marker=%s' % self.rows[0].id,
            body['hypervisors_links'][0]['href'])


class TestHypervisorsPattern(HostViewsTestCase):

    def setUp(self):
        super().setUp()
        for host in ('rack1-node1', 'rack1-node2', 'rack2_node1'):
            self.register(host)

    def names(self, query, version='2.53', detail=False):
        body = self.hypervisors(query, version=version, detail=detail)
        self.assertNotIn('hypervisors_links', body)
        return self.hosts_of(body['hypervisors'], 'hypervisor_hostname')

    def test_substring_ignoring_case(self):
        for detail in (False, True):
            self.assertEqual(['rack1-node1', 'rack1-node2'], self.names(
                '?hypervisor_hostname_pattern=RACK1', detail=detail))
            self.assertEqual(['rack1-node2'], self.names(
                '?hypervisor_hostname_pattern=node2', detail=detail))

    def test_underscore_is_any_character(self):
        self.assertEqual(['rack1-node1', 'rack2_node1'], self.names(
            '?hypervisor_hostname_pattern=_node1'))

    def test_ignored_before_2_53(self):
        self.assertEqual(3, len(self.names(
            '?hypervisor_hostname_pattern=zzz', version='2.52')))

    def test_no_match_404(self):
        for path in ('/os-hypervisors', '/os-hypervisors/detail'):
            resp = self.req('GET', path + '?hypervisor_hostname_pattern=zzz',
                            version='2.53')
            self.assertFault(resp, 404,
                             "No hypervisor matching 'zzz' could be found.")

    def test_with_paging_400(self):
        message = ('Paging over hypervisors with the '
                   'hypervisor_hostname_pattern query parameter is not '
                   'supported.')
        for query in ('&limit=5', '&marker=x'):
            resp = self.req(
                'GET', '/os-hypervisors?hypervisor_hostname_pattern=rack'
                + query, version='2.53')
            self.assertFault(resp, 400, message)

    def test_with_servers(self):
        # No host has servers here: Nova leaves the key out before 2.75 and
        # shows the empty list from 2.75.
        for version, detail in (('2.53', False), ('2.74', True)):
            for hypervisor in self.hypervisors(
                    '?with_servers=true', version=version,
                    detail=detail)['hypervisors']:
                self.assertNotIn('servers', hypervisor)
        for version in ('2.75', '2.87'):
            for detail in (False, True):
                for hypervisor in self.hypervisors(
                        '?with_servers=yes', version=version,
                        detail=detail)['hypervisors']:
                    self.assertEqual([], hypervisor['servers'])
                for hypervisor in self.hypervisors(
                        '?with_servers=false', version=version,
                        detail=detail)['hypervisors']:
                    self.assertNotIn('servers', hypervisor)
        # Past Tempest's schemas: the API's own schema is still enforced.
        resp = self.get('/os-hypervisors/detail?with_servers=1',
                        version='latest')
        for hypervisor in resp.json_body_or_none['hypervisors']:
            self.assertEqual([], hypervisor['servers'])


class TestPolicies(HostViewsTestCase):

    def test_non_admin_403(self):
        self.register('c1')
        for path, rule in (
                ('/os-services', 'os_compute_api:os-services:list'),
                ('/os-hypervisors', 'os_compute_api:os-hypervisors:list'),
                ('/os-hypervisors/detail',
                 'os_compute_api:os-hypervisors:list-detail')):
            for version in (None, '2.53', 'latest'):
                resp = self.req('GET', path, token=base.MEMBER,
                                version=version)
                self.assertFault(
                    resp, 403,
                    "Policy doesn't allow %s to be performed." % rule)

    def test_defaults_admin_project_scope(self):
        rules = {rule.name: rule for rule in policies.list_rules()}
        for name in ('os_compute_api:os-services:list',
                     'os_compute_api:os-hypervisors:list',
                     'os_compute_api:os-hypervisors:list-detail'):
            self.assertEqual('rule:context_is_admin', rules[name].check_str)
            self.assertEqual(['project'], rules[name].scope_types)
            self.assertEqual('GET', rules[name].operations[0]['method'])

"""add_host, remove_host and set_metadata, and the /action body rules."""

from aggregates_ext.tests.unit.api import base


class TestAddHost(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.register_host('compute1')
        self.register_host('compute2')

    def test_add_host(self):
        agg = self.create()
        resp = self.action(agg['id'], 'add_host', {'host': 'compute1'})
        self.assertEqual(200, resp.status_int)
        self.assertEqual(['compute1'],
                         resp.json_body_or_none['aggregate']['hosts'])
        self.assertEqual(['aggregate.add_host.start',
                          'aggregate.add_host.end'],
                         self.notifications.event_types()[-2:])
        start, end = self.notifications.sent[-2:]
        self.assertEqual([], start['payload']['nova_object.data']['hosts'])
        self.assertEqual(['compute1'],
                         end['payload']['nova_object.data']['hosts'])

    def test_add_hosts_keep_insertion_order(self):
        agg = self.create()
        self.add_host(agg['id'], 'compute2')
        self.assertEqual(['compute2', 'compute1'],
                         self.add_host(agg['id'], 'compute1')['hosts'])

    def test_add_unknown_host_404(self):
        agg = self.create()
        resp = self.action(agg['id'], 'add_host', {'host': 'nohost'})
        self.assertFault(resp, 404, 'Compute host nohost could not be found.')

    def test_add_host_other_case_404(self):
        agg = self.create()
        resp = self.action(agg['id'], 'add_host', {'host': 'COMPUTE1'})
        self.assertFault(resp, 404,
                         'Compute host COMPUTE1 could not be found.')

    def test_add_host_unknown_aggregate_404(self):
        resp = self.action(99, 'add_host', {'host': 'compute1'})
        self.assertFault(resp, 404, 'Aggregate 99 could not be found.')

    def test_add_unknown_host_to_unknown_aggregate_reports_host(self):
        resp = self.action(99, 'add_host', {'host': 'nohost'})
        self.assertFault(resp, 404, 'Compute host nohost could not be found.')

    def test_add_host_twice_409(self):
        agg = self.create()
        self.add_host(agg['id'], 'compute1')
        resp = self.action(agg['id'], 'add_host', {'host': 'compute1'})
        self.assertFault(resp, 409, 'Aggregate %s already has host '
                         'compute1.' % agg['id'])

    def test_add_host_az_conflict_409(self):
        a = self.create('a', az='az9')
        b = self.create('b', az='az8')
        self.add_host(a['id'], 'compute1')
        resp = self.action(b['id'], 'add_host', {'host': 'compute1'})
        self.assertFault(resp, 409, "Cannot add host to aggregate %s. Reason: "
                         "One or more hosts already in availability zone(s) "
                         "['az9']." % b['id'])
        self.assertEqual([], self.show(b['id'])['hosts'])

    def test_add_host_same_az_ok(self):
        a = self.create('a', az='az9')
        b = self.create('b', az='az9')
        self.add_host(a['id'], 'compute1')
        self.add_host(b['id'], 'compute1')

    def test_add_host_to_aggregate_without_az_ok(self):
        a = self.create('a', az='az9')
        b = self.create('b')
        self.add_host(a['id'], 'compute1')
        self.add_host(b['id'], 'compute1')

    def test_add_host_bad_name_400(self):
        agg = self.create()
        resp = self.action(agg['id'], 'add_host', {'host': 'bad host!'})
        self.assertFault(resp, 400, "Invalid input for field/attribute host. "
                         "Value: bad host!. 'bad host!' does not match "
                         "'^[a-zA-Z0-9-._]*$'")

    def test_add_host_missing_host_400(self):
        agg = self.create()
        resp = self.action(agg['id'], 'add_host', {})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "add_host. Value: {}. 'host' is a required property")


class TestRemoveHost(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.register_host('compute1')
        self.register_host('compute2')

    def test_remove_host(self):
        agg = self.create()
        self.add_host(agg['id'], 'compute1')
        self.add_host(agg['id'], 'compute2')
        resp = self.action(agg['id'], 'remove_host', {'host': 'compute1'})
        self.assertEqual(200, resp.status_int)
        self.assertEqual(['compute2'],
                         resp.json_body_or_none['aggregate']['hosts'])
        self.assertEqual(['compute2'], self.show(agg['id'])['hosts'])

    def test_remove_non_member_404(self):
        agg = self.create()
        resp = self.action(agg['id'], 'remove_host', {'host': 'compute1'})
        self.assertFault(resp, 404, 'Cannot remove host compute1 in '
                         'aggregate %s' % agg['id'])

    def test_remove_unknown_host_404(self):
        agg = self.create()
        resp = self.action(agg['id'], 'remove_host',
                           {'host': 'nonexist_host'})
        self.assertFault(resp, 404, 'Cannot remove host nonexist_host in '
                         'aggregate %s' % agg['id'])

    def test_remove_from_unknown_aggregate_404(self):
        resp = self.action(99999, 'remove_host', {'host': 'compute1'})
        self.assertFault(resp, 404,
                         'Cannot remove host compute1 in aggregate 99999')

    def test_remove_from_huge_id_404(self):
        resp = self.action('99999999999999', 'remove_host',
                           {'host': 'compute1'})
        self.assertFault(resp, 404, 'Cannot remove host compute1 in '
                         'aggregate 99999999999999')


class TestSetMetadata(base.APITestCase):

    def set(self, agg_id, metadata):
        return self.action(agg_id, 'set_metadata', {'metadata': metadata})

    def test_merge_semantics(self):
        agg = self.create(az='az1')
        self.set(agg['id'], {'a': '1', 'b': '2'})
        resp = self.set(agg['id'], {'a': None, 'c': '3', 'gone': None,
                                    'b': ''})
        self.assertEqual(200, resp.status_int)
        expected = {'availability_zone': 'az1', 'b': '', 'c': '3'}
        body = resp.json_body_or_none['aggregate']
        self.assertEqual(expected, body['metadata'])
        self.assertEqual(expected, self.show(agg['id'])['metadata'])

    def test_empty_metadata_is_a_noop_200(self):
        agg = self.create()
        resp = self.set(agg['id'], {})
        self.assertEqual(200, resp.status_int)
        self.assertEqual({}, resp.json_body_or_none['aggregate']['metadata'])

    def test_updated_at_shown_but_not_persisted(self):
        agg = self.create()
        body = self.set(agg['id'], {'k': 'v'}).json_body_or_none['aggregate']
        self.assertIsNotNone(body['updated_at'])
        self.assertIsNone(self.show(agg['id'])['updated_at'])

    def test_set_az_through_metadata(self):
        agg = self.create()
        body = self.set(agg['id'], {'availability_zone': 'x:y'})
        self.assertEqual(
            'x:y', body.json_body_or_none['aggregate']['availability_zone'])

    def test_remove_az_400(self):
        agg = self.create('agg1', az='az1')
        for value in (None, ''):
            resp = self.set(agg['id'], {'availability_zone': value})
            self.assertFault(resp, 400, 'Cannot update metadata of aggregate '
                             '%s. Reason: Aggregate agg1 does not support '
                             'empty named availability zone.' % agg['id'])
        self.assertEqual('az1', self.show(agg['id'])['availability_zone'])

    def test_az_conflict_400(self):
        self.register_host('c1')
        a = self.create('a', az='az1')
        b = self.create('b')
        self.add_host(a['id'], 'c1')
        self.add_host(b['id'], 'c1')
        resp = self.set(b['id'], {'availability_zone': 'az2', 'k': 'v'})
        self.assertFault(resp, 400, "Cannot update metadata of aggregate %s. "
                         "Reason: One or more hosts already in availability "
                         "zone(s) ['az1']." % b['id'])
        self.assertEqual({}, self.show(b['id'])['metadata'])

    def test_bad_key_400(self):
        agg = self.create()
        resp = self.set(agg['id'], {'bad/key': 'v'})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "metadata. Value: {'bad/key': 'v'}. 'bad/key' does "
                         "not match any of the regexes: "
                         "'^[a-zA-Z0-9-_:. ]{1,255}$'")

    def test_non_string_value_400(self):
        agg = self.create()
        resp = self.set(agg['id'], {'k': 5})
        self.assertFault(resp, 400, "Invalid input for field/attribute k. "
                         "Value: 5. 5 is not of type 'string', 'null'")

    def test_value_too_long_400(self):
        agg = self.create()
        resp = self.set(agg['id'], {'k': 'v' * 256})
        self.assertEqual(400, resp.status_int)

    def test_key_differing_in_case_400(self):
        agg = self.create()
        self.set(agg['id'], {'Foo': '1'})
        resp = self.set(agg['id'], {'foo': '2'})
        self.assertFault(resp, 400, 'Aggregate %s already contain metadata '
                         'key Foo.' % agg['id'])
        self.assertEqual({'Foo': '1'}, self.show(agg['id'])['metadata'])

    def test_two_keys_differing_in_case_in_one_request_400(self):
        agg = self.create()
        resp = self.set(agg['id'], {'Foo': '1', 'foo': '2'})
        self.assertFault(resp, 400, 'Aggregate %s already contain metadata '
                         'key Foo.' % agg['id'])
        self.assertEqual({}, self.show(agg['id'])['metadata'])

    def test_rename_key_case_in_one_request(self):
        agg = self.create()
        self.set(agg['id'], {'Foo': '1'})
        resp = self.set(agg['id'], {'Foo': None, 'foo': '2'})
        self.assertEqual(200, resp.status_int)
        self.assertEqual({'foo': '2'}, self.show(agg['id'])['metadata'])

    def test_404(self):
        self.assertFault(self.set(5, {'k': 'v'}), 404,
                         'Aggregate 5 could not be found.')

    def test_notifications_carry_before_and_after(self):
        agg = self.create()
        self.set(agg['id'], {'k': 'v'})
        start, end = self.notifications.sent[-2:]
        self.assertEqual('aggregate.update_metadata.start',
                         start['event_type'])
        self.assertEqual({}, start['payload']['nova_object.data']['metadata'])
        self.assertEqual({'k': 'v'},
                         end['payload']['nova_object.data']['metadata'])


class TestActionBody(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.agg = self.create()
        self.path = '/os-aggregates/%s/action' % self.agg['id']

    def test_unknown_action_400(self):
        resp = self.req('POST', self.path, {'frobnicate': {}})
        self.assertFault(resp, 400, 'There is no such action: frobnicate')

    def test_two_actions_400(self):
        resp = self.req('POST', self.path, {'add_host': {'host': 'a'},
                                            'remove_host': {'host': 'a'}})
        self.assertFault(resp, 400, 'Malformed request body')

    def test_empty_body_400(self):
        self.assertFault(self.req('POST', self.path), 400,
                         'Malformed request body')

    def test_empty_object_400(self):
        self.assertFault(self.req('POST', self.path, {}), 400,
                         'Malformed request body')

    def test_null_and_array_bodies_404(self):
        for raw in ('null', '[]', '[{"add_host": {}}]'):
            self.assertFault(self.req('POST', self.path, raw=raw), 404,
                             'The resource could not be found.')

    def test_malformed_json_400(self):
        self.assertFault(self.req('POST', self.path, raw='{"add_host": '),
                         400, 'Malformed request body')

    def test_invalid_body_from_non_admin_is_400_not_403(self):
        resp = self.req('POST', self.path, {'add_host': {'host': 'bad host'}},
                        token=base.MEMBER)
        self.assertEqual(400, resp.status_int)

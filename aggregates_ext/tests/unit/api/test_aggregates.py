"""List, create, show, update and delete, as spec'd from Nova 34."""

from aggregates_ext.tests.unit.api import base


class TestList(base.APITestCase):

    def test_list_empty(self):
        resp = self.req('GET', '/os-aggregates')
        self.assertEqual(200, resp.status_int)
        self.assertEqual({'aggregates': []}, resp.json_body_or_none)

    def test_list_has_full_representation_in_id_order(self):
        self.register_host('c1')
        first = self.create('a1', az='az1')
        self.create('a2')
        self.add_host(first['id'], 'c1')
        self.action(first['id'], 'set_metadata', {'metadata': {'k': 'v'}})
        aggs = self.req('GET', '/os-aggregates').json_body_or_none[
            'aggregates']
        self.assertEqual(['a1', 'a2'], [a['name'] for a in aggs])
        self.assertEqual(['c1'], aggs[0]['hosts'])
        self.assertEqual({'availability_zone': 'az1', 'k': 'v'},
                         aggs[0]['metadata'])
        self.assertEqual('az1', aggs[0]['availability_zone'])
        self.assertEqual([], aggs[1]['hosts'])
        self.assertIsNone(aggs[1]['availability_zone'])
        self.assertNotIn('uuid', aggs[0])

    def test_list_uuid_from_2_41(self):
        agg = self.create('a1', version='2.41')
        aggs = self.req('GET', '/os-aggregates', version='2.41')
        self.assertEqual(agg['uuid'],
                         aggs.json_body_or_none['aggregates'][0]['uuid'])

    def test_list_query_ignored_before_2_102(self):
        resp = self.req('GET', '/os-aggregates?foo=bar', version='2.101')
        self.assertEqual(200, resp.status_int)

    def test_list_query_rejected_from_2_102(self):
        resp = self.req('GET', '/os-aggregates?foo=bar', version='2.102')
        self.assertFault(
            resp, 400,
            "Additional properties are not allowed ('foo' was unexpected)")

    def test_show_query_rejected_from_2_102(self):
        agg = self.create()
        resp = self.req('GET', '/os-aggregates/%s?name=x' % agg['id'],
                        version='latest')
        self.assertFault(
            resp, 400,
            "Additional properties are not allowed ('name' was unexpected)")

    def test_delete_query_ignored_at_latest(self):
        agg = self.create()
        resp = self.req('DELETE', '/os-aggregates/%s?x=1' % agg['id'],
                        version='latest')
        self.assertEqual(200, resp.status_int)


class TestCreate(base.APITestCase):

    def test_create_200_without_hosts_and_metadata(self):
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': 'agg1'}})
        self.assertEqual(200, resp.status_int)
        self.assertNotIn('Location', resp.headers)
        agg = resp.json_body_or_none['aggregate']
        self.assertEqual(
            ['id', 'name', 'created_at', 'updated_at', 'deleted_at',
             'deleted', 'availability_zone'], list(agg))
        self.assertIsNone(agg['availability_zone'])
        self.assertIsNone(agg['updated_at'])
        self.assertIsNone(agg['deleted_at'])
        self.assertFalse(agg['deleted'])
        self.assertRegex(agg['created_at'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$')

    def test_create_with_uuid_at_2_41(self):
        agg = self.create(version='2.41')
        self.assertRegex(agg['uuid'], r'^[0-9a-f-]{36}$')
        self.assertEqual(agg['uuid'], self.show(agg['id'],
                                                version='2.41')['uuid'])

    def test_create_with_az_stores_it_as_metadata(self):
        agg = self.create(az='az1')
        self.assertEqual('az1', agg['availability_zone'])
        self.assertEqual({'availability_zone': 'az1'},
                         self.show(agg['id'])['metadata'])

    def test_create_az_null_means_none(self):
        agg = self.create(az=None)
        resp = self.req('POST', '/os-aggregates', {
            'aggregate': {'name': 'n2', 'availability_zone': None}})
        self.assertEqual(200, resp.status_int)
        self.assertIsNone(agg['availability_zone'])
        self.assertEqual({}, self.show(agg['id'])['metadata'])

    def test_create_reserved_looking_az_names_accepted(self):
        self.create('a', az='nova')
        self.create('b', az='internal')

    def test_create_duplicate_name_409(self):
        self.create('agg1')
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': 'agg1'}})
        self.assertEqual('conflictingRequest', self.assertFault(
            resp, 409, 'Aggregate agg1 already exists.'))

    def test_create_duplicate_name_other_case_409(self):
        self.create('agg1')
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': 'AGG1'}})
        self.assertFault(resp, 409, 'Aggregate AGG1 already exists.')
        self.assertEqual(1, len(self.req('GET', '/os-aggregates')
                                .json_body_or_none['aggregates']))

    def test_create_duplicate_name_unicode_case_409(self):
        self.create('Ärger')
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': 'äRGER'}})
        self.assertFault(resp, 409, 'Aggregate äRGER already exists.')

    def test_create_names_that_fold_across_ascii_409(self):
        # The database only narrows the names down; these pairs are equal
        # under case folding although one side is ASCII and SQL's lower()
        # does not make them equal: KELVIN SIGN, LONG S, sharp s, ligature.
        pairs = [('\u212a-kelvin', 'k-KELVIN'), ('k-ascii', '\u212a-ASCII'),
                 ('bo\u017f', 'BOS'), ('stra\u00dfe', 'STRASSE'),
                 ('\ufb00-lig', 'FF-LIG')]
        for first, second in pairs:
            self.create(first)
            resp = self.req('POST', '/os-aggregates',
                            {'aggregate': {'name': second}})
            self.assertFault(resp, 409,
                             'Aggregate %s already exists.' % second)
        # Renames go through the same rule, and may keep their own name.
        other = self.create('other')
        resp = self.req('PUT', '/os-aggregates/%s' % other['id'],
                        {'aggregate': {'name': 'Bo\u017f'}})
        self.assertFault(resp, 409, 'Aggregate Bo\u017f already exists.')
        resp = self.req('PUT', '/os-aggregates/%s' % other['id'],
                        {'aggregate': {'name': 'OTHER'}})
        self.assertEqual(200, resp.status_int)

    def test_create_accented_name_is_another_name(self):
        self.create('Ärger')
        self.create('Arger')

    def test_create_empty_name_400(self):
        resp = self.req('POST', '/os-aggregates', {'aggregate': {'name': ''}})
        self.assertFault(resp, 400, "Invalid input for field/attribute name. "
                                    "Value: . '' should be non-empty")

    def test_create_name_too_long_400(self):
        name = 'a' * 256
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': name}})
        self.assertFault(resp, 400, "Invalid input for field/attribute name. "
                         "Value: %s. '%s' is too long" % (name, name))

    def test_create_name_255_ok(self):
        self.create('a' * 255)

    def test_create_name_not_string_400(self):
        resp = self.req('POST', '/os-aggregates', {'aggregate': {'name': 5}})
        self.assertFault(resp, 400, "Invalid input for field/attribute name. "
                                    "Value: 5. 5 is not of type 'string'")

    def test_create_name_leading_space_400(self):
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': ' agg'}})
        self.assertFault(resp, 400, "An invalid 'name' value was provided. "
                         "The name must be: printable characters. Can not "
                         "start or end with whitespace.")

    def test_create_name_with_tab_400(self):
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': 'a\tb'}})
        self.assertEqual(400, resp.status_int)

    def test_create_name_inner_space_ok(self):
        self.assertEqual('a b', self.create('a b')['name'])

    def test_create_unknown_key_400(self):
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': 'aggx', 'foo': 'bar'}})
        self.assertFault(
            resp, 400, "Invalid input for field/attribute aggregate. Value: "
            "{'name': 'aggx', 'foo': 'bar'}. Additional properties are not "
            "allowed ('foo' was unexpected)")

    def test_create_missing_name_400(self):
        resp = self.req('POST', '/os-aggregates', {'aggregate': {}})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "aggregate. Value: {}. 'name' is a required "
                         "property")

    def test_create_top_level_unknown_key_400(self):
        resp = self.req('POST', '/os-aggregates',
                        {'aggregate': {'name': 'a'}, 'foo': 1})
        self.assertFault(resp, 400, "Additional properties are not allowed "
                         "('foo' was unexpected)")

    def test_create_az_with_colon_400(self):
        resp = self.req('POST', '/os-aggregates', {
            'aggregate': {'name': 'a', 'availability_zone': 'a:b'}})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "availability_zone. Value: a:b. 'a:b' is not valid "
                         "under any of the given schemas")

    def test_create_empty_az_400(self):
        resp = self.req('POST', '/os-aggregates', {
            'aggregate': {'name': 'a', 'availability_zone': ''}})
        self.assertEqual(400, resp.status_int)

    def test_create_empty_body_400(self):
        resp = self.req('POST', '/os-aggregates')
        self.assertFault(resp, 400, "None is not of type 'object'")

    def test_create_array_body_400(self):
        resp = self.req('POST', '/os-aggregates', [1, 2])
        self.assertFault(resp, 400, "[1, 2] is not of type 'object'")

    def test_create_notifications(self):
        agg = self.create('n1', az='az1', version='2.41')
        self.assertEqual(['aggregate.create.start', 'aggregate.create.end'],
                         self.notifications.event_types())
        start, end = self.notifications.sent
        self.assertEqual('nova-api:testhost', start['publisher_id'])
        data = start['payload']['nova_object.data']
        self.assertIsNone(data['id'])
        self.assertIsNone(data['hosts'])
        self.assertEqual(agg['uuid'], data['uuid'])
        self.assertEqual({'availability_zone': 'az1'}, data['metadata'])
        self.assertEqual([], end['payload']['nova_object.data']['hosts'])
        self.assertEqual(agg['id'], end['payload']['nova_object.data']['id'])


class TestShow(base.APITestCase):

    def test_show_404(self):
        self.assertFault(self.req('GET', '/os-aggregates/42'), 404,
                         'Aggregate 42 could not be found.')

    def test_show_404_names_id_as_typed(self):
        self.assertFault(self.req('GET', '/os-aggregates/+7'), 404,
                         'Aggregate +7 could not be found.')

    def test_show_minus_one_404(self):
        self.assertFault(self.req('GET', '/os-aggregates/-1'), 404,
                         'Aggregate -1 could not be found.')

    def test_show_huge_id_404(self):
        self.assertFault(
            self.req('GET', '/os-aggregates/99999999999999999999999'), 404,
            'Aggregate 99999999999999999999999 could not be found.')

    def test_show_id_python_int_forms(self):
        agg = self.create()
        for form in ('+%d', '%%20%d', '0%d'):
            self.assertEqual(agg['id'], self.show(form % agg['id'])['id'])

    def test_show_non_integer_ids_400(self):
        for bad in ('abc', '1.5', '0x1', '1.json',
                    '3b1c2d9e-6f1a-4c55-9d0e-2b7f8c1a0e11'):
            self.assertFault(self.req('GET', '/os-aggregates/' + bad), 400,
                             'Invalid input received: id must be an integer')

    def test_show_non_admin_bad_id_403_first(self):
        resp = self.req('GET', '/os-aggregates/abc', token=base.MEMBER)
        self.assertFault(resp, 403, "Policy doesn't allow "
                         "os_compute_api:os-aggregates:show to be performed.")


class TestUpdate(base.APITestCase):

    def test_update_name(self):
        agg = self.create('old')
        resp = self.req('PUT', '/os-aggregates/%s' % agg['id'],
                        {'aggregate': {'name': '  new  '}})
        self.assertEqual(200, resp.status_int)
        body = resp.json_body_or_none['aggregate']
        self.assertEqual('new', body['name'])
        self.assertIsNotNone(body['updated_at'])
        self.assertEqual(body['updated_at'],
                         self.show(agg['id'])['updated_at'])
        self.assertIn('hosts', body)
        self.assertEqual(
            ['aggregate.update_prop.start', 'aggregate.update_prop.end'],
            self.notifications.event_types()[-2:])

    def test_update_az_updated_at_not_persisted(self):
        agg = self.create('a')
        resp = self.req('PUT', '/os-aggregates/%s' % agg['id'],
                        {'aggregate': {'availability_zone': 'az2'}})
        body = resp.json_body_or_none['aggregate']
        self.assertEqual('az2', body['availability_zone'])
        self.assertIsNotNone(body['updated_at'])
        shown = self.show(agg['id'])
        self.assertIsNone(shown['updated_at'])
        self.assertEqual({'availability_zone': 'az2'}, shown['metadata'])

    def test_update_empty_400(self):
        agg = self.create()
        resp = self.req('PUT', '/os-aggregates/%s' % agg['id'],
                        {'aggregate': {}})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "aggregate. Value: {}. {} is not valid under any of "
                         "the given schemas")

    def test_update_az_null_400(self):
        agg = self.create('agg1')
        resp = self.req('PUT', '/os-aggregates/%s' % agg['id'],
                        {'aggregate': {'availability_zone': None}})
        self.assertFault(resp, 400, 'Cannot update aggregate %s. Reason: '
                         'Aggregate agg1 does not support empty named '
                         'availability zone.' % agg['id'])

    def test_update_rename_with_refused_az_changes_nothing(self):
        agg = self.create('agg1')
        sent = len(self.notifications.sent)
        resp = self.req('PUT', '/os-aggregates/%s' % agg['id'], {
            'aggregate': {'name': 'renamed', 'availability_zone': None}})
        self.assertFault(resp, 400, 'Cannot update aggregate %s. Reason: '
                         'Aggregate renamed does not support empty named '
                         'availability zone.' % agg['id'])
        self.assertEqual('agg1', self.show(agg['id'])['name'])
        # Nothing happened, so nothing was announced either.
        self.assertEqual(sent, len(self.notifications.sent))

    def test_update_az_conflict_400(self):
        self.register_host('c1')
        a = self.create('a', az='az1')
        b = self.create('b')
        self.add_host(a['id'], 'c1')
        self.add_host(b['id'], 'c1')
        resp = self.req('PUT', '/os-aggregates/%s' % b['id'],
                        {'aggregate': {'availability_zone': 'az2'}})
        self.assertFault(resp, 400, "Cannot update aggregate %s. Reason: One "
                         "or more hosts already in availability zone(s) "
                         "['az1']." % b['id'])
        self.assertEqual({}, self.show(b['id'])['metadata'])

    def test_update_same_az_as_other_aggregate_ok(self):
        self.register_host('c1')
        a = self.create('a', az='az1')
        b = self.create('b')
        self.add_host(a['id'], 'c1')
        self.add_host(b['id'], 'c1')
        resp = self.req('PUT', '/os-aggregates/%s' % b['id'],
                        {'aggregate': {'availability_zone': 'az1'}})
        self.assertEqual(200, resp.status_int)

    def test_update_duplicate_name_409(self):
        self.create('a')
        b = self.create('b')
        resp = self.req('PUT', '/os-aggregates/%s' % b['id'],
                        {'aggregate': {'name': 'A'}})
        self.assertFault(resp, 409, 'Aggregate A already exists.')

    def test_update_own_name_other_case_ok(self):
        a = self.create('a')
        resp = self.req('PUT', '/os-aggregates/%s' % a['id'],
                        {'aggregate': {'name': 'A'}})
        self.assertEqual(200, resp.status_int)

    def test_update_az_clashing_with_a_case_variant_key_400(self):
        agg = self.create()
        self.action(agg['id'], 'set_metadata',
                    {'metadata': {'Availability_Zone': 'x'}})
        resp = self.req('PUT', '/os-aggregates/%s' % agg['id'],
                        {'aggregate': {'availability_zone': 'az'}})
        self.assertFault(resp, 400, 'Aggregate %s already contain metadata '
                         'key Availability_Zone.' % agg['id'])

    def test_update_404(self):
        resp = self.req('PUT', '/os-aggregates/77',
                        {'aggregate': {'name': 'x'}})
        self.assertFault(resp, 404, 'Aggregate 77 could not be found.')


class TestDelete(base.APITestCase):

    def test_delete_200_empty_body(self):
        agg = self.create()
        resp = self.req('DELETE', '/os-aggregates/%s' % agg['id'])
        self.assertEqual(200, resp.status_int)
        self.assertEqual(b'', resp.body)
        self.assertEqual('application/json', resp.headers['Content-Type'])
        self.assertEqual('0', resp.headers['Content-Length'])
        self.assertEqual(404, self.req(
            'GET', '/os-aggregates/%s' % agg['id']).status_int)

    def test_delete_with_metadata(self):
        agg = self.create(az='az1')
        self.action(agg['id'], 'set_metadata', {'metadata': {'k': 'v'}})
        self.assertEqual(200, self.req(
            'DELETE', '/os-aggregates/%s' % agg['id']).status_int)
        # The name is free again.
        self.create(agg['name'])

    def test_delete_non_empty_400(self):
        self.register_host('c1')
        agg = self.create()
        self.add_host(agg['id'], 'c1')
        resp = self.req('DELETE', '/os-aggregates/%s' % agg['id'])
        self.assertFault(resp, 400, 'Cannot remove host from aggregate %s. '
                         'Reason: Host aggregate is not empty.' % agg['id'])
        self.assertEqual(['c1'], self.show(agg['id'])['hosts'])

    def test_delete_404(self):
        self.assertFault(self.req('DELETE', '/os-aggregates/-1'), 404,
                         'Aggregate -1 could not be found.')

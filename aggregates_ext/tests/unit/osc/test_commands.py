"""The plugin's commands against the real API, conductor and agents.

The API served by cheroot on a loopback port (as ``aggregates-ext-all``
serves it), the plugin's client on a real keystoneauth session with the
token-and-endpoint login of ``OS_AUTH_TYPE=admin_token``, and the commands'
own parsers and output formatters; only OpenStackClient's shell is left
out (the functional test runs ``openstack`` itself).
"""

import io
import json
import os
import threading
import types

from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from osc_lib import exceptions

from aggregates_ext.cmd import api as api_cmd
from aggregates_ext.osc import client as osc_client
from aggregates_ext.osc import plugin
from aggregates_ext.osc.v1 import precache_requests as commands
from aggregates_ext.tests.functional import clients_base
from aggregates_ext.tests.unit.osc import test_views
from aggregates_ext.tests.unit import test_precache_flow as flow

IMAGE_ID = flow.IMAGE_ID


class TTY(io.StringIO):
    def isatty(self):
        return True


class TestCommands(flow.PrecacheTestCase):
    AGENTS = 2

    def setUp(self):
        super().setUp()
        server = api_cmd.make_server(self.api.app, '127.0.0.1', 0, 4)
        server.prepare()
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(server.stop)
        endpoint = 'http://127.0.0.1:%d/v2.1' % server.bind_addr[1]
        session = ks_session.Session(
            auth=token_endpoint.Token(endpoint, 'admin:admin'))
        # What OSC's client manager gives make_client with that login.
        manager = types.SimpleNamespace(
            session=session, region_name=None, interface='public',
            get_endpoint_for_service_type=lambda *a, **kw: endpoint)
        self.client = plugin.make_client(manager)
        self.agg = self.aggregate_with(self.cloud.agent_names)

    def run_command(self, cls, *argv, stdout=None):
        out = stdout if stdout is not None else io.StringIO()
        app = types.SimpleNamespace(
            client_manager=types.SimpleNamespace(aggregates_ext=self.client),
            stdout=out)
        cmd = cls(app, None)
        parsed = cmd.get_parser('openstack aggregate precache').parse_args(
            [str(a) for a in argv])
        return cmd.run(parsed), out.getvalue()

    def started(self, images=(IMAGE_ID,)):
        resp = self.precache(self.agg['id'], list(images))
        self.assertEqual(202, resp.status_int, resp.body)
        self.wait_for_request(self.agg['id'])
        return resp

    def test_list_by_name_json_has_the_summary_columns(self):
        resp = self.started()
        code, out = self.run_command(commands.ListPrecacheRequest,
                                     self.agg['name'], '-f', 'json',
                                     '--long')
        self.assertEqual(0, code)
        (row,) = json.loads(out)
        self.assertEqual(
            ['ID', 'Status', 'Images', 'Hosts', 'Done', 'Failed',
             'Skipped', 'Remaining', 'Created At', 'Request ID',
             'Conductor', 'Started At', 'Finished At'], list(row))
        self.assertEqual(('complete', [IMAGE_ID], 2, 2, 0),
                         (row['Status'], row['Images'], row['Hosts'],
                          row['Done'], row['Remaining']))
        self.assertEqual(resp.headers['x-openstack-request-id'],
                         row['Request ID'])

    def test_list_filters_and_pages(self):
        self.started()
        self.started()
        code, out = self.run_command(commands.ListPrecacheRequest,
                                     self.agg['id'], '-f', 'json')
        newest, oldest = json.loads(out)
        _, out = self.run_command(commands.ListPrecacheRequest,
                                  self.agg['id'], '-f', 'json', '--limit',
                                  1, '--marker', newest['ID'])
        self.assertEqual([oldest['ID']], [r['ID'] for r in json.loads(out)])
        _, out = self.run_command(commands.ListPrecacheRequest,
                                  self.agg['id'], '-f', 'json', '--status',
                                  'running')
        self.assertEqual([], json.loads(out))

    def test_show_json_is_the_api_document(self):
        self.started()
        (summary,) = self.client.list_requests(self.agg['id'])
        code, out = self.run_command(commands.ShowPrecacheRequest,
                                     self.agg['name'], summary['id'],
                                     '-f', 'json')
        self.assertEqual(0, code)
        self.assertEqual(self.client.get_request(self.agg['id'],
                                                 summary['id']),
                         json.loads(out))

    def test_show_by_request_id_table_renders_every_host(self):
        resp = self.started()
        code, out = self.run_command(
            commands.ShowPrecacheRequest, self.agg['id'],
            resp.headers['x-openstack-request-id'], '-c', 'counts', '-c',
            'hosts')
        self.assertEqual(0, code)
        rows = clients_base.parse_table(out)
        self.assertEqual(['Field', 'Value'], rows[0])
        self.assertEqual(
            ['counts', 'hosts 2, done 2, failed 0, skipped 0, remaining 0'],
            rows[1])
        self.assertEqual(['hosts', 'compute-0: done via agent'], rows[2])
        # The size shows once the agent's report of it is in.
        self.assertRegex(rows[3][1], r'^%s: cached( 3.0 MiB)?$' % IMAGE_ID)
        self.assertEqual(['', 'compute-1: done via agent'], rows[4])
        self.assertEqual(6, len(rows))

    def test_unknown_aggregate_is_a_command_error(self):
        error = self.assertRaises(
            exceptions.CommandError, self.run_command,
            commands.ListPrecacheRequest, 'no-such-aggregate')
        self.assertIn("No aggregate with a name or ID of "
                      "'no-such-aggregate' exists.", str(error))

    def test_unknown_request_is_the_api_fault(self):
        error = self.assertRaises(
            osc_client.APIError, self.run_command,
            commands.ShowPrecacheRequest, self.agg['id'],
            test_views.IMAGE)
        self.assertEqual(404, error.status_code)
        self.assertIn('could not be found. (HTTP 404) (Request-ID: req-',
                      str(error))

    def test_watch_complete_exit_0_one_line_per_change(self):
        self.started()
        code, out = self.run_command(commands.WatchPrecacheRequest,
                                     self.agg['name'], '--interval', '0.1')
        self.assertEqual(0, code, out)
        self.assertNotIn('\x1b', out)
        self.assertIn('] compute-1 %s: cached' % IMAGE_ID, out)
        self.assertTrue(out.splitlines()[-1].endswith(
            'complete after 0.0 s: hosts 2, done 2, failed 0, skipped 0, '
            'remaining 0.'), out)

    def test_watch_partial_exit_1_on_a_terminal(self):
        # compute-1's image cache directory cannot be made: a file is
        # where the directory should be.
        base = os.path.join(self.state, 'hosts', 'compute-1', 'instances')
        os.makedirs(base)
        with open(os.path.join(base, '_base'), 'w') as f:
            f.write('not a directory')
        self.started()
        code, out = self.run_command(commands.WatchPrecacheRequest,
                                     self.agg['id'], stdout=TTY())
        self.assertEqual(1, code, out)
        lines = out.splitlines()
        self.assertIn('HOST       STATUS  IMAGE', lines[1])
        self.assertIn('partial after', lines[-2])
        self.assertIn('compute-1 %s: error: FileExistsError' % IMAGE_ID,
                      lines[-1])

    def test_watch_of_an_aggregate_without_requests(self):
        error = self.assertRaises(
            exceptions.CommandError, self.run_command,
            commands.WatchPrecacheRequest, self.agg['id'])
        self.assertIn('has no pre-cache request', str(error))

    def test_watch_timeout_exit_2(self):
        # A request no conductor has taken yet stays pending.
        self.cloud.services[0].stop()
        resp = self.precache(self.agg['id'], [IMAGE_ID])
        self.assertEqual(202, resp.status_int, resp.body)
        code, out = self.run_command(commands.WatchPrecacheRequest,
                                     self.agg['id'], '--interval', '0.1',
                                     '--timeout', '0.3')
        self.assertEqual(2, code, out)
        self.assertIn('Still pending after', out)

"""aggregates-ext-status upgrade check: each check on a real deployment.

The checks run in-process on the real configuration and a real SQLite
database; the broker check on ``fake://`` and on a rabbit:// port where
nothing listens.  The installed console script is run by
``tests/functional/test_cmd_status.py``.
"""

import datetime
import os
import socket

import fixtures
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslo_upgradecheck import upgradecheck
from oslo_utils import timeutils
import testtools

from aggregates_ext.cmd import status
from aggregates_ext import conf
from aggregates_ext.db import engines
from aggregates_ext.db import migration
from aggregates_ext import process_state
from aggregates_ext.tests import fixtures as ae_fixtures

CONF = conf.CONF
SUCCESS = upgradecheck.Code.SUCCESS
WARNING = upgradecheck.Code.WARNING
FAILURE = upgradecheck.Code.FAILURE

AUTHTOKEN = {'auth_type': 'password', 'auth_url': 'http://127.0.0.1:5000/v3',
             'username': 'aggregates-ext', 'password': 'secret',
             'project_name': 'service', 'user_domain_name': 'Default',
             'project_domain_name': 'Default'}


def write_conf(path, sections):
    with open(path, 'w') as f:
        for section, values in sections.items():
            f.write('[%s]\n' % section)
            for key, value in values.items():
                f.write('%s = %s\n' % (key, value))


def free_port():
    """A local TCP port on which nothing listens."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class StatusTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(ae_fixtures.Config())
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.checks = status.Checks()

    def use_conf_file(self, **sections):
        """Parse a real config file, as the console script does."""
        path = os.path.join(self.dir, 'aggregates-ext.conf')
        write_conf(path, sections)
        CONF(['--config-file', path], project='aggregates-ext',
             default_config_files=[])

    def assertResult(self, code, result, *fragments):
        self.assertEqual(code, result.code, result.details)
        for fragment in fragments:
            self.assertIn(fragment, result.details)


class TestDatabaseCheck(StatusTestCase):

    def test_database_at_head_success(self):
        self.useFixture(ae_fixtures.Database())
        self.assertResult(SUCCESS, self.checks._check_database())

    def test_database_not_synced_failure_names_db_sync(self):
        CONF.set_override('state_path', self.dir)
        engines.configure(CONF)
        self.addCleanup(process_state.reset)
        self.assertResult(FAILURE, self.checks._check_database(),
                          'this release needs %s' % migration.head(),
                          'aggregates-ext-manage db sync')

    def test_database_unreachable_failure_names_connection(self):
        CONF.set_override('connection', 'sqlite:////nonexistent/dir/a.db',
                          group='database')
        engines.configure(CONF)
        self.addCleanup(process_state.reset)
        self.assertResult(FAILURE, self.checks._check_database(),
                          'cannot open the database', '[database] connection')


class TestPolicyCheck(StatusTestCase):

    def policy_file(self, text, name='policy.yaml'):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        CONF.set_override('policy_file', path, group='oslo_policy')
        return path

    def test_no_policy_file_success(self):
        CONF.set_override('policy_file', os.path.join(self.dir, 'none.yaml'),
                          group='oslo_policy')
        self.assertResult(SUCCESS, self.checks._check_policy(),
                          'defaults in code apply')

    def test_valid_overrides_with_an_alias_success(self):
        self.policy_file(
            '"admin_or_ops": "role:admin or role:cloud-ops"\n'
            '"os_compute_api:os-aggregates:index": "rule:admin_or_ops"\n'
            '"compute:aggregates:images": "role:admin and '
            'project_id:%(project_id)s"\n')
        self.assertResult(SUCCESS, self.checks._check_policy())

    def test_unloadable_file_failure_names_policy_file(self):
        path = self.policy_file('"os_compute_api:os-aggregates:index": [\n')
        self.assertResult(FAILURE, self.checks._check_policy(),
                          'Cannot load the policy file %s' % path,
                          '[oslo_policy] policy_file')

    def test_rule_that_does_not_parse_failure(self):
        self.policy_file(
            '"os_compute_api:os-aggregates:index": "role:admin and ("\n')
        self.assertResult(FAILURE, self.checks._check_policy(),
                          'do not parse',
                          'os_compute_api:os-aggregates:index')

    def test_reference_to_undefined_rule_failure(self):
        self.policy_file(
            '"os_compute_api:os-aggregates:index": "rule:no_such_rule"\n')
        self.assertResult(FAILURE, self.checks._check_policy(),
                          'not defined', 'no_such_rule')

    def test_cycle_of_references_failure(self):
        self.policy_file('"a": "rule:b"\n"b": "rule:a"\n'
                         '"os_compute_api:os-aggregates:index": "rule:a"\n')
        self.assertResult(FAILURE, self.checks._check_policy(), 'cycle')

    def test_empty_rule_on_admin_api_failure(self):
        self.policy_file('"os_compute_api:os-aggregates:create": ""\n')
        self.assertResult(FAILURE, self.checks._check_policy(),
                          'any user without a role',
                          'os_compute_api:os-aggregates:create',
                          'rule:context_is_admin')

    def test_everyone_is_admin_failure(self):
        # "@" on the base rule opens every rule that refers to it.
        self.policy_file('"context_is_admin": "@"\n')
        result = self.checks._check_policy()
        self.assertResult(FAILURE, result, 'context_is_admin',
                          'compute:aggregates:images')

    def test_unknown_rule_name_warning(self):
        self.policy_file(
            '"os_compute_api:os-aggregates:craete": "role:admin"\n')
        self.assertResult(WARNING, self.checks._check_policy(),
                          'os_compute_api:os-aggregates:craete',
                          'oslopolicy-sample-generator')

    def test_json_policy_file_failure(self):
        self.policy_file('{"os_compute_api:os-aggregates:index": '
                         '"role:admin"}', name='policy.json')
        result = status.common_checks.check_policy_json(self.checks, CONF)
        self.assertResult(FAILURE, result, 'oslopolicy-convert-json-to-yaml')


class TestAuthCheck(StatusTestCase):

    def setUp(self):
        super().setUp()
        # Loading the password plugin registers its options, some
        # required, on the process-wide CONF; later tests would have to
        # set them.
        self.addCleanup(self._unregister_password_plugin)

    def _unregister_password_plugin(self):
        CONF.reset()
        try:
            CONF.unregister_opts(
                ks_loading.get_auth_plugin_conf_options('password'),
                group='keystone_authtoken')
        except cfg.NoSuchGroupError:
            # The first test of this worker to look at auth: nothing was
            # registered.
            pass

    def test_noauth2_warning_names_auth_strategy(self):
        CONF.set_override('auth_strategy', 'noauth2', group='api')
        self.assertResult(WARNING, self.checks._check_auth(),
                          '[api] auth_strategy = keystone')

    def test_keystone_without_auth_type_failure(self):
        self.use_conf_file(api={'auth_strategy': 'keystone'})
        self.assertResult(FAILURE, self.checks._check_auth(),
                          '[keystone_authtoken] auth_type')

    def test_keystone_incomplete_authtoken_failure(self):
        self.use_conf_file(api={'auth_strategy': 'keystone'},
                           keystone_authtoken={'auth_type': 'password'})
        self.assertResult(FAILURE, self.checks._check_auth(),
                          '[keystone_authtoken] lacks auth_url')

    def test_keystone_complete_authtoken_success(self):
        self.use_conf_file(api={'auth_strategy': 'keystone'},
                           keystone_authtoken=AUTHTOKEN)
        self.assertResult(SUCCESS, self.checks._check_auth())


class TestBrokerCheck(StatusTestCase):

    def test_fake_transport_success(self):
        CONF.set_override('transport_url', 'fake://')
        self.assertResult(SUCCESS, self.checks._check_broker())

    def test_unreachable_broker_failure_names_transport_url(self):
        CONF.set_override('transport_url', 'rabbit://guest:secret@'
                          '127.0.0.1:%d/' % free_port())
        result = self.checks._check_broker()
        self.assertResult(FAILURE, result, 'cannot reach the message broker',
                          '[DEFAULT] transport_url', 'guest@127.0.0.1')
        self.assertNotIn('secret', result.details)


class TestComputeAgentsCheck(StatusTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(ae_fixtures.Database())

    def register(self, host, seconds_ago=0, **values):
        seen = timeutils.utcnow() - datetime.timedelta(seconds=seconds_ago)
        return ae_fixtures.register_host(host, last_seen_up=seen, **values)

    def test_no_agent_failure_names_compute_and_conductor(self):
        # A host of another binary is no compute agent.
        ae_fixtures.register_host('api-1', binary='aggregates-ext-api')
        self.assertResult(FAILURE, self.checks._check_compute_agents(),
                          'No compute agent has registered',
                          'aggregates-ext-compute', 'aggregates-ext-conductor')

    def test_agent_up_success(self):
        self.register('compute-0')
        self.assertResult(SUCCESS, self.checks._check_compute_agents(),
                          '1 compute agent(s) up')

    def test_every_agent_down_failure_names_service_down_time(self):
        self.register('compute-0', seconds_ago=CONF.service_down_time + 5)
        self.register('compute-1', forced_down=True)
        self.assertResult(FAILURE, self.checks._check_compute_agents(),
                          'No compute agent is up', 'compute-0, compute-1',
                          'service_down_time')

    def test_some_agents_down_warning(self):
        self.register('compute-0')
        self.register('compute-1', seconds_ago=CONF.service_down_time + 5)
        self.assertResult(WARNING, self.checks._check_compute_agents(),
                          '1 of 2 compute agents are down: compute-1')

    def test_unsynced_database_failure(self):
        engines.reset()
        CONF.set_override('state_path', self.dir)
        engines.configure(CONF)
        self.assertResult(FAILURE, self.checks._check_compute_agents(),
                          'Cannot read the host registry',
                          'aggregates-ext-manage db sync')

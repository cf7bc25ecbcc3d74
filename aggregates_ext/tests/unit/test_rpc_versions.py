"""RPC clients and servers agree: same version, same methods and args."""

import inspect
import re

import testtools

from aggregates_ext.compute import manager as compute_manager
from aggregates_ext.compute import rpcapi as compute_rpcapi
from aggregates_ext.conductor import manager as conductor_manager
from aggregates_ext.conductor import rpcapi as conductor_rpcapi

PAIRS = [
    (compute_rpcapi, compute_rpcapi.ComputeAPI,
     compute_manager.ComputeManager),
    (conductor_rpcapi, conductor_rpcapi.ConductorAPI,
     conductor_manager.ConductorManager),
]


def _public(cls):
    return {name: func for name, func in inspect.getmembers(
        cls, inspect.isfunction) if not name.startswith('_')}


class TestRPCVersions(testtools.TestCase):

    def test_manager_serves_the_client_version(self):
        for module, client, manager in PAIRS:
            self.assertEqual(module.RPC_API_VERSION, manager.RPC_API_VERSION)
            self.assertEqual(module.RPC_API_VERSION,
                             manager.target.version)

    def test_history_ends_at_the_current_version(self):
        for module, client, manager in PAIRS:
            versions = re.findall(r'^\s+(\d+\.\d+) - ', module.__doc__,
                                  re.MULTILINE)
            self.assertEqual(module.RPC_API_VERSION, versions[-1])

    def test_every_client_method_has_a_server_method_with_its_args(self):
        for module, client, manager in PAIRS:
            served = _public(manager)
            for name, func in _public(client).items():
                self.assertIn(name, served, '%s.%s' % (manager.__name__,
                                                       name))
                client_args = list(inspect.signature(func).parameters)
                server_args = list(inspect.signature(
                    served[name]).parameters)
                # The client names the target host; the server is it.
                client_args = [a for a in client_args if a != 'host' or
                               'host' in server_args]
                self.assertEqual(client_args, server_args, name)

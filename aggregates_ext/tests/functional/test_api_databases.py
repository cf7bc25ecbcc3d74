"""The whole in-process API suite again, on real MariaDB and PostgreSQL.

Each test gets a throwaway database on the machine's server; without the
server the tests skip (or fail with AGGREGATES_EXT_REQUIRE_SERVICES=1).
"""

import sys

from aggregates_ext.tests.functional import databases
from aggregates_ext.tests.unit.api import base
from aggregates_ext.tests.unit.api import test_actions
from aggregates_ext.tests.unit.api import test_aggregates
from aggregates_ext.tests.unit.api import test_queries
from aggregates_ext.tests.unit.api import test_routes_policy
from aggregates_ext.tests.unit.api import test_tempest_schemas
from aggregates_ext.tests.unit.api import test_wire
from aggregates_ext.tests.unit import test_precache_recorder
from aggregates_ext.tests.unit import test_precache_requests

_MODULES = [test_aggregates, test_actions, test_wire, test_routes_policy,
            test_tempest_schemas, test_queries, test_precache_requests,
            test_precache_recorder]

_BACKENDS = {'MySQL': 'mysql', 'PostgreSQL': 'postgresql'}


def _on_backend(backend):
    class OnBackend:
        def database_connection(self):
            return self.useFixture(databases.ThrowawayDatabase(backend)).url
    return OnBackend


def _generate():
    module = sys.modules[__name__]
    for test_module in _MODULES:
        for name in dir(test_module):
            cls = getattr(test_module, name)
            if (not isinstance(cls, type) or
                    not issubclass(cls, base.APITestCase) or
                    cls is base.APITestCase):
                continue
            for label, backend in _BACKENDS.items():
                new_name = '%s%s' % (name, label)
                setattr(module, new_name,
                        type(new_name, (_on_backend(backend), cls), {}))


_generate()

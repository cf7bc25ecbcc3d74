"""Policy defaults in code, one module per resource."""

import itertools

from aggregates_ext.policies import aggregates
from aggregates_ext.policies import base
from aggregates_ext.policies import hypervisors
from aggregates_ext.policies import precache_requests
from aggregates_ext.policies import services


def list_rules():
    return itertools.chain(
        base.list_rules(),
        aggregates.list_rules(),
        services.list_rules(),
        hypervisors.list_rules(),
        precache_requests.list_rules(),
    )

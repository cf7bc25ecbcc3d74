"""Policy defaults in code, one module per resource."""

import itertools

from aggregates_ext.policies import aggregates
from aggregates_ext.policies import base


def list_rules():
    return itertools.chain(
        base.list_rules(),
        aggregates.list_rules(),
    )

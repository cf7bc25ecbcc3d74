"""The ``oslo.config.opts`` entry point: every group this service reads."""

import aggregates_ext.conf


def list_opts():
    groups = {}
    for module in aggregates_ext.conf._MODULES:
        for group, opts in module.list_opts().items():
            groups.setdefault(group, []).extend(opts)
    return [(group, opts) for group, opts in groups.items()]

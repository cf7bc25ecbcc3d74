"""Options of the ``[api]`` group that shape the host views.

The host views are ``GET /os-services`` and ``GET /os-hypervisors``: the
compute hosts of the host registry, as Nova shows its compute services.
"""

from oslo_config import cfg

from aggregates_ext.conf import api

host_view_opts = [
    cfg.StrOpt(
        'compute_service_binary',
        default='nova-compute',
        help="""
Service binary that ``GET /os-services`` shows for every registered compute
host, and that its ``binary`` query parameter matches.

Tempest and other tools find the compute hosts of a cloud with
``GET /os-services?binary=nova-compute``; with the default they find the
hosts that ``add_host`` accepts here, so they work unchanged.  The host
registry itself records the agents under their real binary,
``aggregates-ext-compute``, whatever this option says.

Possible values:

* ``nova-compute`` (the default), for Tempest and Nova-minded tools.
* ``aggregates-ext-compute``, to show the agents under their real name.
* Any other name that the deployment's tools look for.
"""),
]


def register_opts(conf):
    conf.register_group(api.api_group)
    conf.register_opts(host_view_opts, group=api.api_group)


def list_opts():
    return {api.api_group: host_view_opts}

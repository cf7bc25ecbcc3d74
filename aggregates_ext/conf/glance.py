"""Options of the ``[glance]`` group: how to reach the Glance v2 API.

All options are keystoneauth1's standard ones (session, auth plugin and
adapter), so a deployer configures this group as the ``[glance]`` group of
``nova.conf`` and every other OpenStack service.
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP_NAME = 'glance'
SERVICE_TYPE = 'image'
# Services reach each other over the internal endpoint where a cloud has
# one; keystoneauth's own default is the public one.
VALID_INTERFACES = ['internal', 'public']

# The auth plugin whose options the sample configuration shows; deployers
# use other plugins through ``auth_type`` and the plugin's own options.
_SAMPLE_AUTH_PLUGIN = 'password'

_GROUP_HELP = """
How the API and the compute agents reach the Glance v2 image service.

Without ``auth_type``, requests carry the token of the user who asked for
the pre-cache request and go to ``endpoint_override``; with ``auth_type``
(for example ``password``), they authenticate as this service user and find
the endpoint in the service catalog (``service_type``, ``valid_interfaces``,
``region_name``) unless ``endpoint_override`` is set.  The endpoint is the
image service's root URL, without ``/v2``.

Related options:

* ``[image] source``: this group is only read when it is ``glance``.
"""


def _group():
    # A new OptGroup each time: ConfigOpts.register_group keeps a shallow
    # copy that shares the group's option table, and keystoneauth adds auth
    # plugin options (some required) to that table when it loads a plugin.
    # A shared table would carry them into every ConfigOpts using the group.
    return cfg.OptGroup(GROUP_NAME, title='Glance options', help=_GROUP_HELP)


def register_opts(conf):
    conf.register_group(_group())
    ks_loading.register_session_conf_options(conf, GROUP_NAME)
    ks_loading.register_auth_conf_options(conf, GROUP_NAME)
    # What ks_loading.register_adapter_conf_options does, with our defaults
    # in the options themselves: conf.set_default() after registering would
    # be undone by ConfigOpts.reset(), which test fixtures call.
    conf.register_opts(_adapter_opts(), group=GROUP_NAME)


def _adapter_opts():
    opts = ks_loading.get_adapter_conf_options(include_deprecated=False)
    for opt in opts:
        # keystoneauth's adapter options come without these defaults.
        if opt.dest == 'service_type':
            opt.default = SERVICE_TYPE
        elif opt.dest == 'valid_interfaces':
            opt.default = VALID_INTERFACES
    return opts


def list_opts():
    """The ``[glance]`` options for oslo-config-generator.

    Auth plugin options are registered by keystoneauth only when a plugin is
    loaded, so they are listed here explicitly, without the ones that
    several parts share (an option listed twice breaks the generator).
    """
    opts = (ks_loading.get_session_conf_options() +
            ks_loading.get_auth_common_conf_options() +
            ks_loading.get_auth_plugin_conf_options(_SAMPLE_AUTH_PLUGIN) +
            _adapter_opts())
    unique = {}
    for opt in opts:
        unique.setdefault(opt.dest, opt)
    return {_group(): list(unique.values())}

"""Option groups for reaching another OpenStack service with keystoneauth.

A group holds keystoneauth1's standard session, auth plugin and adapter
options, so that a deployer configures it as the group of the same name in
``nova.conf`` and every other OpenStack service.
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

# The auth plugin whose options the sample configuration shows; deployers
# use other plugins through ``auth_type`` and the plugin's own options.
SAMPLE_AUTH_PLUGIN = 'password'


class ServiceGroup:
    """One ``[<name>]`` group for the service of ``service_type``."""

    def __init__(self, name, title, help, service_type, interfaces):
        self.name = name
        self.title = title
        self.help = help
        self.service_type = service_type
        self.interfaces = interfaces

    def group(self):
        # A new OptGroup each time: ConfigOpts.register_group keeps a
        # shallow copy that shares the group's option table, and
        # keystoneauth adds auth plugin options (some required) to that
        # table when it loads a plugin.  A shared table would carry them
        # into every ConfigOpts using the group.
        return cfg.OptGroup(self.name, title=self.title, help=self.help)

    def register_opts(self, conf):
        conf.register_group(self.group())
        ks_loading.register_session_conf_options(conf, self.name)
        ks_loading.register_auth_conf_options(conf, self.name)
        # What ks_loading.register_adapter_conf_options does, with our
        # defaults in the options themselves: conf.set_default() after
        # registering would be undone by ConfigOpts.reset(), which test
        # fixtures call.
        conf.register_opts(self.adapter_opts(), group=self.name)

    def adapter_opts(self):
        opts = ks_loading.get_adapter_conf_options(include_deprecated=False)
        for opt in opts:
            # keystoneauth's adapter options come without these defaults.
            if opt.dest == 'service_type':
                opt.default = self.service_type
            elif opt.dest == 'valid_interfaces':
                opt.default = self.interfaces
        return opts

    def list_opts(self):
        """The group's options for oslo-config-generator.

        Auth plugin options are registered by keystoneauth only when a
        plugin is loaded, so they are listed here explicitly, without the
        ones that several parts share (an option listed twice breaks the
        generator).
        """
        opts = (ks_loading.get_session_conf_options() +
                ks_loading.get_auth_common_conf_options() +
                ks_loading.get_auth_plugin_conf_options(SAMPLE_AUTH_PLUGIN) +
                self.adapter_opts())
        unique = {}
        for opt in opts:
            unique.setdefault(opt.dest, opt)
        return {self.group(): list(unique.values())}

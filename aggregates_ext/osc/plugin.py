"""The module OpenStackClient loads for us (``openstack.cli.extension``).

OSC imports every plugin module on every run, whatever the command, so this
one imports nothing heavy: the client is built by the first command that
asks the client manager for ``aggregates_ext``.

Our commands speak the compute API (microversion 2.81, the status API of
pre-cache requests) on the compute endpoint that ``openstack aggregate``
uses: ``--os-compute-endpoint-override`` (``compute_endpoint_override`` in
``clouds.yaml``), else the endpoint of a token-and-endpoint login
(``OS_AUTH_TYPE=admin_token`` with ``OS_ENDPOINT``), else the catalog's
``compute`` entry for the region and interface given.
"""

import os

API_NAME = 'aggregates_ext'
API_VERSION_OPTION = 'os_aggregates_ext_api_version'
DEFAULT_API_VERSION = '1'
# The version of this plugin's command set, not a compute microversion.
API_VERSIONS = ('1',)


def make_client(instance):
    """The pre-cache status client for an osc-lib client manager."""
    from aggregates_ext.osc import client

    endpoint = instance.get_endpoint_for_service_type(
        'compute', region_name=instance.region_name,
        interface=instance.interface)
    return client.PrecacheClient(instance.session, endpoint)


def build_option_parser(parser):
    """Add the plugin's global option to OSC's parser."""
    parser.add_argument(
        '--os-aggregates-ext-api-version',
        metavar='<version>',
        default=os.environ.get('OS_AGGREGATES_EXT_API_VERSION',
                               DEFAULT_API_VERSION),
        help='Version of the aggregates-ext command set (default: %s, '
             'env OS_AGGREGATES_EXT_API_VERSION); not a compute '
             'microversion: the commands send the one of the status API.'
             % DEFAULT_API_VERSION)
    return parser

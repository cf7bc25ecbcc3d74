"""Enable aggregates-ext in a running Nova deployment, as a deployer would.

The steps of the install guide's "beside an existing Nova" page, against a
:class:`tools.nova.deployment.NovaDeployment` that was started with our
package in its venv (``extra_packages=['-e', REPO_ROOT]``):

1. a database of our own, synced with ``aggregates-ext-manage db sync``;
2. our config file: Nova's API database (``[nova_database]``), Nova's broker
   (``[nova]``, and ours for the conductor), Placement, Glance;
3. our filter in nova-api's pipelines, after ``keystonecontext``, reading
   that file (nova-api is restarted on its port);
4. ``aggregates-ext-conductor``, which fans pre-caching out through each
   host's nova-compute (no agents of ours run here).
"""

import os
import subprocess

from tools.nova import deployment as nova

CONDUCTOR_HOST = 'aggext-conductor'
CONFIG_NAME = 'aggregates-ext.conf'


def config_sections(dep, database_url):
    return {
        'DEFAULT': {'host': CONDUCTOR_HOST,
                    'transport_url': dep.transport_url,
                    'state_path': os.path.join(dep.state_dir, 'aggext'),
                    'debug': True},
        'database': {'connection': database_url},
        'nova_database': {'connection': dep.api_db_url},
        'nova': {'transport_url': dep.transport_url,
                 'precache_via': 'nova-compute'},
        'placement': {'auth_type': 'admin_token',
                      'endpoint': dep.placement_url,
                      'token': dep.placement_token},
        'image': {'source': 'glance'},
        'glance': {'endpoint_override': dep.glance_url},
    }


def join(dep, database_url, out=None):
    """Steps 1 to 4; returns the path of our config file."""
    path = dep.write_config(CONFIG_NAME, config_sections(dep, database_url))
    subprocess.run([dep.bin('aggregates-ext-manage'), '--config-file', path,
                    'db', 'sync'], check=True, capture_output=True,
                   timeout=300)
    dep.restart_api(paste_filters=[nova.PasteFilter(
        'aggregates_ext', nova.PRODUCT_FILTER_FACTORY,
        {'config_file': path})])
    dep.start_process('aggregates-ext-conductor', [
        dep.bin('aggregates-ext-conductor'), '--config-file', path])
    if out is not None:
        print('[nova] our filter is in nova-api, our conductor runs '
              '(config %s)' % path, file=out, flush=True)
    return path

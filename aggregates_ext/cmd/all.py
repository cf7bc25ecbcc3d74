"""aggregates-ext-all: the whole service in one process, on defaults.

API (noauth2), conductor and ``--agents`` compute agents on SQLite and the
in-process transport, images from a local directory, each agent with its
own libvirt-layout cache under ``[DEFAULT] state_path``.  It prints the
endpoint and commands to try.  Development and evaluation only: noauth2
trusts any ``X-Auth-Token: user:project``.
"""

import os
import signal
import sys
import textwrap
import threading

from cheroot import wsgi as cheroot_wsgi
from oslo_config import cfg
from oslo_log import log as logging

from aggregates_ext import allinone
from aggregates_ext.api import app
from aggregates_ext.cmd import api as api_cmd
from aggregates_ext import conf
from aggregates_ext.image import local_api
from aggregates_ext import startup

CONF = conf.CONF
LOG = logging.getLogger(__name__)

cli_opts = [
    cfg.IntOpt('agents', default=3, min=1,
               help='Number of local compute agents (compute-0 ... N-1).'),
    cfg.MultiStrOpt('register-image', default=[],
                    help='Register this image file in the local image '
                         'store at start (repeatable).'),
    cfg.PortOpt('port', help='Port to listen on (default: [api] '
                             'bind_port, 9774; 0 picks a free one).'),
    cfg.StrOpt('state-dir', help='Where to keep state (default: '
                                 '[DEFAULT] state_path).'),
    cfg.IntOpt('demo-image-mb', default=16, min=0,
               help='Size of the demo image created on the first start '
                    'when the store is empty (0: none).'),
]


def _set_defaults():
    CONF.set_default('auth_strategy', 'noauth2', group='api')
    CONF.set_default('bind_host', '127.0.0.1', group='api')
    CONF.set_default('source', 'local', group='image')
    CONF.set_default('transport_url', 'fake://')
    # The local agents share one disk: a generous reserve would refuse
    # a laptop's last gigabyte, none would let a cache fill it.
    CONF.set_default('reserved_disk_mb', 256, group='image_cache')


def _register_images(image_api):
    for path in CONF.register_image:
        meta = image_api.register(path)
        print('Registered %s as image %s' % (path, meta['id']))
    images = image_api.list(None)
    if not images and CONF.demo_image_mb:
        path = os.path.join(CONF.state_path, 'demo-image.raw')
        with open(path, 'wb') as f:
            # A raw disk with an empty first sector: random bytes there
            # could carry an MBR signature, which the cache refuses.
            f.write(bytes(512) + os.urandom(1024 * 1024 - 512))
            for _ in range(CONF.demo_image_mb - 1):
                f.write(os.urandom(1024 * 1024))
        images = [image_api.register(path)]
        os.unlink(path)
    return images


def _write_clouds_yaml(endpoint):
    path = os.path.join(CONF.state_path, 'clouds.yaml')
    with open(path, 'w') as f:
        f.write(textwrap.dedent('''\
            # Written by aggregates-ext-all: noauth2, the user admin.
            clouds:
              aggregates-ext:
                auth_type: admin_token
                auth:
                  endpoint: {endpoint}/v2.1
                  token: admin:admin
                compute_endpoint_override: {endpoint}/v2.1
                image_endpoint_override: {endpoint}/image
            ''').format(endpoint=endpoint))
    return path


def try_commands(clouds_yaml, agents, image_id):
    """The commands of the README's "Trying it", for this process."""
    bases = os.path.join(CONF.state_path, 'hosts', '*', 'instances',
                         '_base', '')
    return [
        'export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=aggregates-ext'
        % clouds_yaml,
        'openstack aggregate create --zone az1 agg1',
        'for host in %s; do openstack aggregate add host agg1 $host; done'
        % ' '.join(agents),
        'openstack --os-compute-api-version 2.81 aggregate cache image '
        'agg1 %s' % image_id,
        'openstack aggregate precache watch agg1',
        'openstack aggregate precache list agg1',
        'openstack aggregate precache show agg1',
        'ls -l %s' % bases,
    ]


def banner(endpoint, clouds_yaml, agents, images):
    """What the service prints once it serves: where, and what to try.

    CI's README smoke test runs the commands from this banner and checks
    that the README shows the same ones.
    """
    image_id = images[0]['id'] if images else '<image id>'
    lines = [
        'aggregates-ext is running.',
        '  API endpoint:   %s/v2.1   (noauth2: X-Auth-Token admin:admin)'
        % endpoint,
        '  Image service:  %s/image  (read-only, local store)' % endpoint,
        '  Health check:   %s/healthcheck' % endpoint,
        '  Compute hosts:  %s' % ', '.join(agents),
        '  Images:         %s' % (', '.join(i['id'] for i in images) or
                                  'none'),
        '  State:          %s' % CONF.state_path,
        '',
        'Try it with the OpenStack client:',
    ]
    lines += ['  ' + c for c in try_commands(clouds_yaml, agents, image_id)]
    lines += [
        '',
        'or with curl:',
        "  curl -s -H 'X-Auth-Token: admin:admin' %s/v2.1/os-aggregates"
        % endpoint,
        '',
    ]
    return '\n'.join(lines)


@startup.main_wrapper('aggregates-ext-all')
def main(argv=None):
    CONF.register_cli_opts(cli_opts)
    _set_defaults()
    startup.prepare_service(sys.argv[1:] if argv is None else argv)
    if CONF.state_dir:
        CONF.set_override('state_path', os.path.abspath(CONF.state_dir))
        from aggregates_ext.db import engines
        engines.configure(CONF)
    if CONF.port is not None:
        CONF.set_override('bind_port', CONF.port, group='api')
    cloud = allinone.AllInOne(agents=CONF.agents)
    cloud.start()
    try:
        return _serve(cloud)
    finally:
        # Also when start-up fails: the RPC servers' threads would keep
        # the process alive.
        cloud.stop()


def _serve(cloud):
    images = _register_images(cloud.image_api)
    api_app = app.load_app()
    dispatcher = cheroot_wsgi.PathInfoDispatcher({
        '/image': local_api.LocalImageApp(cloud.image_api),
        '/': api_app,
    })
    server = api_cmd.make_server(dispatcher, CONF.api.bind_host,
                                 CONF.api.bind_port,
                                 CONF.api.workers_threads,
                                 server_name='aggregates-ext-all')
    server.prepare()
    host, port = server.bind_addr[:2]
    endpoint = 'http://%s:%s' % (host, port)
    cloud.wait_for_hosts()
    print(banner(endpoint, _write_clouds_yaml(endpoint), cloud.agent_names,
                 images), flush=True)

    def _stop(signum, frame):
        # Not in the handler itself: it runs on the thread that is inside
        # serve(), which stop() waits for.
        threading.Thread(target=server.stop).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.serve()
    finally:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

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
from aggregates_ext import conf
from aggregates_ext.image import local_api

CONF = conf.CONF
LOG = logging.getLogger(__name__)

cli_opts = [
    cfg.IntOpt('agents', default=3, min=1,
               help='Number of local compute agents (compute-0 ... N-1).'),
    cfg.MultiStrOpt('register-image', default=[],
                    help='Register this image file in the local image '
                         'store at start (repeatable).'),
    cfg.PortOpt('port', help='Port to listen on (default: [api] '
                             'bind_port, 8775; 0 picks a free one).'),
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
            for _ in range(CONF.demo_image_mb):
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


def banner(endpoint, clouds_yaml, agents, images):
    image_id = images[0]['id'] if images else '<image id>'
    base = os.path.join(CONF.state_path, 'hosts', agents[0], 'instances',
                        '_base')
    return textwrap.dedent('''\
        aggregates-ext is running.
          API endpoint:   {endpoint}/v2.1   (noauth2: X-Auth-Token admin:admin)
          Image service:  {endpoint}/image  (read-only, local store)
          Compute hosts:  {hosts}
          Images:         {images}
          State:          {state}

        Try it with the OpenStack client:
          export OS_CLIENT_CONFIG_FILE={clouds} OS_CLOUD=aggregates-ext
          openstack aggregate create --zone az1 agg1
          openstack aggregate add host agg1 {host0}
          openstack --os-compute-api-version 2.81 \\
            aggregate cache image agg1 {image}
          ls -l {base}

        or with curl:
          curl -s -H 'X-Auth-Token: admin:admin' {endpoint}/v2.1/os-aggregates
        ''').format(endpoint=endpoint, hosts=', '.join(agents),
                    images=', '.join(i['id'] for i in images) or 'none',
                    state=CONF.state_path, clouds=clouds_yaml,
                    host0=agents[0], image=image_id, base=base)


def main(argv=None):
    CONF.register_cli_opts(cli_opts)
    _set_defaults()
    app.prepare_service(sys.argv[1:] if argv is None else argv)
    if CONF.state_dir:
        CONF.set_override('state_path', os.path.abspath(CONF.state_dir))
        from aggregates_ext.db import api as db_api
        db_api.configure(CONF)
    if CONF.port is not None:
        CONF.set_override('bind_port', CONF.port, group='api')
    cloud = allinone.AllInOne(agents=CONF.agents)
    cloud.start()
    images = _register_images(cloud.image_api)
    api_app = app.load_app()
    dispatcher = cheroot_wsgi.PathInfoDispatcher({
        '/image': local_api.LocalImageApp(cloud.image_api),
        '/': api_app,
    })
    server = cheroot_wsgi.Server((CONF.api.bind_host, CONF.api.bind_port),
                                 dispatcher,
                                 numthreads=CONF.api.workers_threads,
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
        cloud.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Several compute agents in one process, for the benchmark.

    python -m aggregates_ext.tests.bench.agents --config-file X \\
        --hosts h1,h2,... --instances-root DIR [--bare]

Each host is a real ``service.ComputeService`` (its own RPC server, so its
own broker connection, its own heartbeat timer) with its own
``LibvirtDriver`` below ``DIR/<host>`` and its own Glance client; they
share the process's transport and its GIL.  SIGTERM stops them all.

``--bare``: instead, each host is a bare oslo.messaging RPC server on the
agents' topic whose ``cache_images`` answers "existing" at once (no image
cache, no heartbeat, no database): what the broker and oslo.messaging
alone cost a warm fan-out, for comparison with the real agents.
"""

import argparse
import os
import signal
import sys
import threading

from oslo_log import log as logging
import oslo_messaging as messaging

from aggregates_ext import allinone
from aggregates_ext.compute.image_cache import libvirt
from aggregates_ext.compute import rpcapi as compute_rpcapi
from aggregates_ext import conf
from aggregates_ext.image import glance
from aggregates_ext import precache_status as states
from aggregates_ext import rpc
from aggregates_ext import service

CONF = conf.CONF


class BareEndpoint:
    """The agents' RPC interface with nothing behind it."""

    target = messaging.Target(version=compute_rpcapi.RPC_API_VERSION)

    def cache_images(self, context, image_ids, request_id=None):
        return {image_id: {'status': states.EXISTING, 'reason_code': None,
                           'reason': None} for image_id in image_ids}


def bare_servers(hosts):
    servers = []
    for host in hosts:
        server = rpc.get_server(messaging.Target(
            topic=compute_rpcapi.RPC_TOPIC, server=host), [BareEndpoint()])
        server.start(override_pool_size=allinone.AGENT_RPC_POOL)
        servers.append(server)
    return servers


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--hosts', required=True)
    parser.add_argument('--instances-root', required=True)
    parser.add_argument('--bare', action='store_true',
                        help='bare RPC servers instead of agents')
    args = parser.parse_args(argv)
    logging.register_options(CONF)
    CONF(['--config-file', args.config_file], project='aggregates-ext')
    logging.setup(CONF, 'aggregates-ext-bench-agents')
    rpc.init(CONF)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    if args.bare:
        servers = bare_servers(args.hosts.split(','))
        print('READY %d' % len(servers), flush=True)
        stop.wait()
        for server in servers:
            server.stop()
        for server in servers:
            server.wait()
        rpc.cleanup()
        return 0
    agents = []
    for host in args.hosts.split(','):
        driver = libvirt.LibvirtDriver(
            CONF, glance.GlanceImageAPI(CONF),
            instances_path=os.path.join(args.instances_root, host))
        # As the all-in-one runs its agents: one call at a time each.
        agent = service.ComputeService(
            host, driver, rpc_pool_size=allinone.AGENT_RPC_POOL)
        agent.start()
        agents.append(agent)
    print('READY %d' % len(agents), flush=True)
    stop.wait()
    service.stop_side_by_side(agents)
    rpc.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Options of the ``[DEFAULT]`` group."""

import os
import socket

from oslo_config import cfg

default_opts = [
    cfg.StrOpt(
        'host',
        default=socket.gethostname(),
        sample_default='<current_hostname>',
        help="""
Name of this node.

The compute agent serves RPC under this name and registers itself in the
host registry with it; it is the name an operator passes to ``add_host``.
The API and the conductor use it as the publisher of their notifications.

Possible values:

* A host name matching ``^[a-zA-Z0-9-._]*$``, at most 255 characters.
"""),
    cfg.StrOpt(
        'state_path',
        default=os.path.join(os.path.expanduser('~'), '.local', 'state',
                             'aggregates-ext'),
        sample_default='$HOME/.local/state/aggregates-ext',
        help="""
Directory where the service keeps its state: the embedded SQLite database
and, in the all-in-one service, the image cache directories of the local
agents and the local image store.

Related options:

* ``[database] connection``: defaults to a SQLite file in this directory.
"""),
    cfg.IntOpt(
        'service_down_time',
        default=60,
        min=1,
        help="""
Seconds after the last heartbeat at which a compute host counts as down.

A host whose agent has not reported for longer than this, or that an
operator forced down, is skipped by image pre-caching and shows as ``down``
in ``/os-services``.

Related options:

* ``[DEFAULT] report_interval``: must be well below this value.
"""),
    cfg.IntOpt(
        'report_interval',
        default=10,
        min=1,
        help="""
Seconds between two heartbeats of a compute agent.  The conductor records
each one in the host registry (``services``).

Related options:

* ``service_down_time``: a host is down after this long without one.
"""),
    cfg.IntOpt(
        'long_rpc_timeout',
        default=1800,
        min=1,
        help="""
Seconds the conductor waits for a compute agent to finish pre-caching images
before it records the host's result as failed.  While the agent works, it
sends oslo.messaging heartbeats every ``rpc_response_timeout`` seconds, so a
long download is not taken for a dead agent but a dead agent is noticed
after ``rpc_response_timeout`` seconds.

Related options:

* ``rpc_response_timeout``: the heartbeat window of such calls.
"""),
    cfg.StrOpt(
        'default_availability_zone',
        default='nova',
        help="""
Availability zone reported for a compute host that is in no aggregate with an
availability zone.  Used by the availability-zone move rules and the host
views; it is not reserved and not validated by the aggregates API.
"""),
]


def register_opts(conf):
    conf.register_opts(default_opts)


def list_opts():
    return {'DEFAULT': default_opts}

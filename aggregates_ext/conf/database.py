"""The ``[database]`` group: oslo.db's options with an embedded default."""

import os

from oslo_db import options as db_options


def default_connection(state_path):
    return 'sqlite:///' + os.path.join(state_path, 'aggregates-ext.sqlite')


def register_opts(conf):
    # oslo.db owns the options; the connection default is filled in from
    # [DEFAULT] state_path at start-up (see aggregates_ext.db.engines).
    db_options.set_defaults(conf)


def list_opts():
    # The sample config lists them under the oslo.db namespace.
    return {}

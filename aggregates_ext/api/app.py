"""Build the API's WSGI application from its Paste file."""

import os
import sys

from oslo_log import log as logging
from paste import deploy

from aggregates_ext import conf
from aggregates_ext import notifications
from aggregates_ext import startup

CONF = conf.CONF
LOG = logging.getLogger(__name__)
PASTE_NAME = 'aggregates-ext'
_HERE = os.path.dirname(os.path.abspath(__file__))


def find_paste_config(conf=CONF):
    """The Paste file: the configured one, else the one we ship."""
    name = conf.api.api_paste_config
    if os.path.isabs(name) and os.path.exists(name):
        return name
    found = conf.find_file(name)
    if found:
        return os.path.abspath(found)
    candidates = [
        os.path.join(sys.prefix, 'etc', 'aggregates-ext', 'api-paste.ini'),
        os.path.join(_HERE, '..', '..', 'etc', 'aggregates-ext',
                     'api-paste.ini'),
    ]
    for candidate in candidates:
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    raise RuntimeError('Cannot find the Paste file %s' % name)


def load_app(conf=CONF):
    """The WSGI application of the whole Paste file (``/`` and ``/v2.1``)."""
    path = find_paste_config(conf)
    LOG.info('Loading the API from %s (auth strategy %s)', path,
             conf.api.auth_strategy)
    return deploy.loadapp('config:%s' % path, name=PASTE_NAME)


def init_application(transport=None):
    """Everything a WSGI server needs: config, logging, DB, notifier, app.

    :raises startup.StartupError: the database is not synced or keystone
        authentication lacks its settings (the WSGI server shows the
        message and does not serve).
    """
    startup.prepare_service(
        [], default_config_files=startup.config_files_from_env())
    try:
        startup.check_api()
    except startup.StartupError as exc:
        LOG.error('aggregates-ext API cannot start: %s', exc)
        raise
    if transport is None:
        from aggregates_ext import rpc
        transport = rpc.get_notification_transport()
    notifications.init(transport=transport)
    return load_app()

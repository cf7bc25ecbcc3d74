"""WSGI entry point for uWSGI, gunicorn or mod_wsgi.

    gunicorn 'aggregates_ext.wsgi.api:application'

The configuration file is ``$AGGREGATES_EXT_CONFIG_FILE`` when set, else the
usual oslo.config locations (``/etc/aggregates-ext/aggregates-ext.conf``).
"""

from aggregates_ext.api import app

application = app.init_application()

# gunicorn configuration of the aggregates-ext API.
#
#   gunicorn -c /etc/aggregates-ext/aggregates-ext-gunicorn.conf.py
#
# It serves aggregates_ext.wsgi.api:application, which reads the
# configuration file named by AGGREGATES_EXT_CONFIG_FILE (set below; without
# it, oslo.config's usual places such as
# /etc/aggregates-ext/aggregates-ext.conf).  The application refuses to
# load on a database that is not at the latest migration or, with
# [api] auth_strategy = keystone, an incomplete [keystone_authtoken]; the
# worker then exits with the reason in gunicorn's log, and gunicorn stops.

wsgi_app = 'aggregates_ext.wsgi.api:application'
raw_env = [
    'AGGREGATES_EXT_CONFIG_FILE=/etc/aggregates-ext/aggregates-ext.conf',
]

bind = ['0.0.0.0:9774']
# Threads per worker process: requests served at once by one process.
worker_class = 'gthread'
workers = 2
threads = 8
# The application is loaded in each worker, after the fork (the default):
# it opens database and message broker connections that must not be
# shared between processes.
preload_app = False
# A pre-cache request returns 202 at once, so no request runs long.
timeout = 60
graceful_timeout = 30
accesslog = '-'
errorlog = '-'

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
# Processes and their threads.  A Python process runs one thread at a
# time, so processes are what use the cores: 2 x cores + 1 of them, with
# 2 threads each so that one can run while the other waits on the database.
# 5 x 2 fits a 2-core host; on a bigger one raise workers, keeping in mind
# that each process may hold up to 2 database connections (threads) and
# one message broker connection.
worker_class = 'gthread'
workers = 5
threads = 2
# The application is loaded in each worker, after the fork (the default):
# it opens database and message broker connections that must not be
# shared between processes.
preload_app = False
# A pre-cache request returns 202 at once, so no request runs long.
timeout = 60
graceful_timeout = 30
accesslog = '-'
errorlog = '-'

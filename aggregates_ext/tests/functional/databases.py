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

"""Throwaway databases on the machine's MariaDB and PostgreSQL.

Each helper makes a new empty database (``aggext_<random>``) on the server
of ``AGGREGATES_EXT_MYSQL_URL`` (default
``mysql+pymysql://root@127.0.0.1:3306``) or ``AGGREGATES_EXT_POSTGRESQL_URL``
(default ``postgresql+psycopg2://postgres@127.0.0.1:5432``) and drops it
afterwards; a server that cannot be had skips the test (see
:func:`support.require_or_skip`).
"""

import os
import urllib.parse
import uuid

from aggregates_ext.tests.functional import support


def _db_name():
    return 'aggext_%s' % uuid.uuid4().hex[:12]


def _server_url(env, default):
    url = os.environ.get(env) or default
    return urllib.parse.urlsplit(url.rstrip('/'))


def mysql_admin():
    """The MariaDB/MySQL server as its administrator: ``(pymysql, kwargs)``.

    ``kwargs`` are ``pymysql.connect``'s for the server of
    AGGREGATES_EXT_MYSQL_URL (default ``root@127.0.0.1:3306``), without a
    database; skips (see :func:`support.require_or_skip`) without PyMySQL.
    """
    try:
        import pymysql
    except ImportError as e:
        support.require_or_skip('MySQL: PyMySQL is not installed (%s)' % e)
    u = _server_url('AGGREGATES_EXT_MYSQL_URL',
                    'mysql+pymysql://root@127.0.0.1:3306')
    kw = dict(host=u.hostname or '127.0.0.1', port=u.port or 3306,
              user=urllib.parse.unquote(u.username or 'root'),
              password=urllib.parse.unquote(u.password or ''),
              connect_timeout=10, autocommit=True)
    return pymysql, kw


def mysql_execute(kw, *statements):
    """Run ``statements`` on a new connection made with ``kw``."""
    import pymysql
    conn = pymysql.connect(**kw)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def mysql_drop_database(kw, name):
    """Drop database ``name``, killing the connections still open to it."""
    import pymysql
    conn = pymysql.connect(**kw)
    try:
        with conn.cursor() as cur:
            # Connections left open (a test's engine pool) would block
            # DROP DATABASE on metadata locks.
            cur.execute('SELECT id FROM information_schema.processlist '
                        'WHERE db = %s AND id != CONNECTION_ID()', (name,))
            for (thread_id,) in cur.fetchall():
                try:
                    cur.execute('KILL %d' % thread_id)
                except pymysql.Error:
                    pass
            cur.execute('DROP DATABASE IF EXISTS `%s`' % name)
    finally:
        conn.close()


def mysql_url():
    """A new empty MariaDB/MySQL database: ``(url, drop)``.

    ``url`` is ``mysql+pymysql://root@127.0.0.1:3306/NAME?charset=utf8mb4``
    (server from AGGREGATES_EXT_MYSQL_URL); ``drop()`` removes the database.
    """
    pymysql, kw = mysql_admin()
    name = _db_name()
    try:
        mysql_execute(kw, 'CREATE DATABASE `%s` CHARACTER SET utf8mb4 '
                          'COLLATE utf8mb4_general_ci' % name)
    except pymysql.Error as e:
        support.require_or_skip('MySQL at %s:%s is not usable: %s'
                                % (kw['host'], kw['port'], e))

    def drop():
        mysql_drop_database(kw, name)

    netloc = urllib.parse.quote(kw['user'], safe='')
    if kw['password']:
        netloc += ':' + urllib.parse.quote(kw['password'], safe='')
    url = 'mysql+pymysql://%s@%s:%d/%s?charset=utf8mb4' % (
        netloc, kw['host'], kw['port'], name)
    return url, drop


def postgresql_admin():
    """The PostgreSQL server as its superuser: ``(psycopg2, kwargs)``.

    ``kwargs`` are ``psycopg2.connect``'s for the server of
    AGGREGATES_EXT_POSTGRESQL_URL (default ``postgres@127.0.0.1:5432``,
    database ``postgres``); skips (see :func:`support.require_or_skip`) without
    psycopg2.
    """
    try:
        import psycopg2
    except ImportError as e:
        support.require_or_skip('PostgreSQL: psycopg2 is not installed (%s)'
                                % e)
    u = _server_url('AGGREGATES_EXT_POSTGRESQL_URL',
                    'postgresql+psycopg2://postgres@127.0.0.1:5432')
    kw = dict(host=u.hostname or '127.0.0.1', port=u.port or 5432,
              user=urllib.parse.unquote(u.username or 'postgres'),
              dbname='postgres', connect_timeout=10)
    if u.password:
        kw['password'] = urllib.parse.unquote(u.password)
    return psycopg2, kw


def postgresql_execute(kw, *statements):
    """Run ``statements`` in autocommit mode on a new connection."""
    import psycopg2
    conn = psycopg2.connect(**kw)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def postgresql_url():
    """A new empty PostgreSQL database: ``(url, drop)``.

    ``url`` is ``postgresql+psycopg2://postgres@127.0.0.1:5432/NAME``
    (server from AGGREGATES_EXT_POSTGRESQL_URL); ``drop()`` removes it,
    ending any connection still open to it.
    """
    psycopg2, kw = postgresql_admin()
    name = _db_name()
    try:
        postgresql_execute(kw, 'CREATE DATABASE "%s" ENCODING \'UTF8\' '
                               'TEMPLATE template0' % name)
    except psycopg2.Error as e:
        support.require_or_skip('PostgreSQL at %s:%s is not usable: %s'
                                % (kw['host'], kw['port'], str(e).strip()))

    def drop():
        postgresql_execute(kw, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                           % name)

    netloc = urllib.parse.quote(kw['user'], safe='')
    if 'password' in kw:
        netloc += ':' + urllib.parse.quote(kw['password'], safe='')
    url = 'postgresql+psycopg2://%s@%s:%d/%s' % (
        netloc, kw['host'], kw['port'], name)
    return url, drop


class ThrowawayDatabase(support.ServiceFixture):
    """Fixture form of :func:`mysql_url`/:func:`postgresql_url`.

    ``ThrowawayDatabase('mysql')`` or ``('postgresql')``; attribute ``url``.
    """

    def __init__(self, backend):
        super().__init__()
        self.backend = backend

    def _setUp(self):
        make = {'mysql': mysql_url, 'postgresql': postgresql_url}
        self.url, drop = make[self.backend]()
        self.addCleanup(drop)

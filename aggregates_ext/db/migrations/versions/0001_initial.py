"""Initial schema: aggregates, hosts, metadata, services, pre-cache requests.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

_MYSQL = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}
# Microseconds on MySQL too, so that a timestamp reads back as it was
# returned (MySQL's plain DATETIME drops the fraction).
_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _timestamps():
    return [sa.Column('created_at', _DATETIME),
            sa.Column('updated_at', _DATETIME)]


def upgrade():
    op.create_table(
        'aggregates',
        *_timestamps(),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36)),
        # Binary collation on MySQL: the case-insensitive rule is the
        # service's (see db/api.py), not an accent-blind collation's.
        sa.Column('name', sa.String(255).with_variant(
            mysql.VARCHAR(255, collation='utf8mb4_bin'),
            'mysql')),
        sa.UniqueConstraint('name', name='uniq_aggregate0name'),
        sa.Index('aggregate_uuid_idx', 'uuid'),
        **_MYSQL)
    # Names are unique without regard to case (db/api.py checks with
    # Python's case folding).  SQLite and PostgreSQL back the rule with an
    # index on lower(name); on MySQL/MariaDB the check alone holds it.
    bind = op.get_bind()
    if bind.dialect.name in ('sqlite', 'postgresql'):
        op.create_index('uniq_aggregate0lower_name', 'aggregates',
                        [sa.text('lower(name)')], unique=True)
    op.create_table(
        'aggregate_hosts',
        *_timestamps(),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('host', sa.String(255)),
        sa.Column('aggregate_id', sa.Integer,
                  sa.ForeignKey('aggregates.id'), nullable=False),
        sa.UniqueConstraint('host', 'aggregate_id',
                            name='uniq_aggregate_hosts0host0aggregate_id'),
        **_MYSQL)
    op.create_table(
        'aggregate_metadata',
        *_timestamps(),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('key', sa.String(255), nullable=False),
        sa.Column('value', sa.String(255), nullable=False),
        sa.Column('aggregate_id', sa.Integer,
                  sa.ForeignKey('aggregates.id'), nullable=False),
        sa.UniqueConstraint('aggregate_id', 'key',
                            name='uniq_aggregate_metadata0aggregate_id0key'),
        sa.Index('aggregate_metadata_key_idx', 'key'),
        **_MYSQL)
    op.create_table(
        'services',
        *_timestamps(),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('binary', sa.String(255), nullable=False),
        sa.Column('topic', sa.String(255)),
        sa.Column('disabled', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('disabled_reason', sa.String(255)),
        sa.Column('forced_down', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('report_count', sa.Integer, nullable=False,
                  server_default='0'),
        sa.Column('last_seen_up', _DATETIME),
        sa.Column('version', sa.Integer, nullable=False, server_default='0'),
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_services0host0binary'),
        sa.UniqueConstraint('uuid', name='uniq_services0uuid'),
        **_MYSQL)
    op.create_table(
        'precache_requests',
        *_timestamps(),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('aggregate_id', sa.Integer, nullable=False),
        sa.Column('aggregate_uuid', sa.String(36)),
        sa.Column('image_ids', sa.Text, nullable=False),
        sa.Column('hosts', sa.Text, nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('conductor', sa.String(255)),
        sa.Column('finished_at', _DATETIME),
        sa.UniqueConstraint('uuid', name='uniq_precache_requests0uuid'),
        sa.Index('precache_requests_aggregate_id_idx', 'aggregate_id'),
        **_MYSQL)
    op.create_table(
        'precache_host_results',
        *_timestamps(),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('request_id', sa.Integer,
                  sa.ForeignKey('precache_requests.id'), nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('images', sa.Text, nullable=False),
        sa.Column('detail', sa.String(255)),
        sa.UniqueConstraint('request_id', 'host',
                            name='uniq_precache_host_results0request0host'),
        **_MYSQL)

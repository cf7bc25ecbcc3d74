"""Pre-cache requests that survive their conductor and can be watched.

* ``precache_requests``: the POST's request id; the aggregate as it was
  accepted (JSON, replacing the host list, so that another conductor can
  take the request over); when it started; the lease of the conductor
  that works on it (``conductor`` and ``lease_expires``).  Requests left
  ``interrupted`` by the old code become ``failed``.
* ``precache_host_results``: who carried the host's part out (our agent
  or nova-compute); each image's state moves to
* ``precache_host_images``: per host and image, the state, the reason of a
  failure and the bytes downloaded so far.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import json

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    with op.batch_alter_table('precache_requests') as batch:
        batch.add_column(sa.Column('request_id', sa.String(255)))
        batch.add_column(sa.Column('aggregate', sa.Text))
        batch.add_column(sa.Column('started_at', _DATETIME))
        batch.add_column(sa.Column('lease_expires', _DATETIME))
        batch.create_index('precache_requests_request_id_idx',
                           ['request_id'])
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT id, aggregate_id, aggregate_uuid, hosts '
        'FROM precache_requests')).fetchall()
    for row in rows:
        snapshot = {'id': row.aggregate_id, 'uuid': row.aggregate_uuid,
                    'name': None, 'hosts': json.loads(row.hosts or '[]'),
                    'metadata': {}}
        bind.execute(sa.text('UPDATE precache_requests SET aggregate = :a '
                             'WHERE id = :id'),
                     {'a': json.dumps(snapshot), 'id': row.id})
    bind.execute(sa.text("UPDATE precache_requests SET status = 'failed' "
                         "WHERE status = 'interrupted'"))
    with op.batch_alter_table('precache_requests') as batch:
        batch.drop_column('hosts')
        batch.alter_column('aggregate', existing_type=sa.Text,
                           nullable=False)
    images = op.create_table(
        'precache_host_images',
        sa.Column('created_at', _DATETIME),
        sa.Column('updated_at', _DATETIME),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('request_id', sa.Integer,
                  sa.ForeignKey('precache_requests.id'), nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('reason_code', sa.String(32)),
        sa.Column('reason', sa.String(1024)),
        sa.Column('bytes_done', sa.BigInteger),
        sa.Column('bytes_total', sa.BigInteger),
        sa.UniqueConstraint(
            'request_id', 'host', 'image_id',
            name='uniq_precache_host_images0request0host0image'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    results = bind.execute(sa.text(
        'SELECT request_id, host, status, images, created_at, updated_at '
        'FROM precache_host_results')).fetchall()
    op.bulk_insert(images, [
        {'request_id': r.request_id, 'host': r.host, 'image_id': image_id,
         'status': state, 'created_at': r.created_at,
         'updated_at': r.updated_at}
        for r in results
        for image_id, state in json.loads(r.images or '{}').items()])
    with op.batch_alter_table('precache_host_results') as batch:
        batch.add_column(sa.Column('via', sa.String(20)))
        batch.drop_column('images')

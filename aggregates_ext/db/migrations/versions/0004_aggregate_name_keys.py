"""Aggregate names unique by a key, not by a lock.

``aggregate_names`` holds each aggregate's name key (the SHA-256 of the
name's case folding, ``models.name_key``) under a unique index: creates
and renames no longer take turns on the ``aggregate-names`` lock row,
which stays for Nova mode (the aggregates in Nova's database).  Every
existing aggregate gets its key; names equal under case folding cannot
exist (the lock enforced the rule), and would make this upgrade fail on
the unique index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import hashlib

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _key(name):
    # The rule of models.name_key, as it is at this revision.
    return hashlib.sha256(name.casefold().encode('utf-8')).hexdigest()


def upgrade():
    names = op.create_table(
        'aggregate_names',
        sa.Column('aggregate_id', sa.Integer, sa.ForeignKey('aggregates.id'),
                  primary_key=True, autoincrement=False),
        sa.Column('name_key', sa.String(64), nullable=False),
        sa.UniqueConstraint('name_key', name='uniq_aggregate_names0name_key'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    aggregates = sa.table('aggregates', sa.column('id', sa.Integer),
                          sa.column('name', sa.String))
    rows = op.get_bind().execute(
        sa.select(aggregates.c.id, aggregates.c.name)).all()
    keys = [{'aggregate_id': row.id, 'name_key': _key(row.name)}
            for row in rows if row.name is not None]
    if keys:
        op.bulk_insert(names, keys)

"""Rules that hold under concurrency: a lock row, one folding rule.

Names and metadata keys are unique without regard to case by Python's
case folding on every engine, checked under row locks (db/aggregates.py).  The
engines' own rules that disagree with it go:

* the unique index on ``lower(name)`` (SQLite, PostgreSQL): lower() is
  not case folding (PostgreSQL lowers "İ" to "i"; SQLite folds only
  ASCII);
* MySQL's collations: the metadata key column compared case-, accent- and
  trailing-space-insensitively, and the name column ignored trailing
  spaces.  Both become binary without padding.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _mysql_binary_collation(bind):
    """The server's binary collation that keeps trailing spaces."""
    for name in ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin'):
        found = bind.execute(sa.text('SHOW COLLATION LIKE :name'),
                             {'name': name}).first()
        if found is not None:
            return name
    return 'utf8mb4_bin'


def upgrade():
    locks = op.create_table(
        'locks',
        sa.Column('name', sa.String(64), primary_key=True),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.bulk_insert(locks, [{'name': 'aggregate-names'}])
    bind = op.get_bind()
    if bind.dialect.name in ('sqlite', 'postgresql'):
        op.drop_index('uniq_aggregate0lower_name', table_name='aggregates')
    if bind.dialect.name == 'mysql':
        collation = _mysql_binary_collation(bind)
        op.execute('ALTER TABLE aggregates MODIFY name VARCHAR(255) '
                   'CHARACTER SET utf8mb4 COLLATE %s' % collation)
        op.execute('ALTER TABLE aggregate_metadata MODIFY `key` '
                   'VARCHAR(255) CHARACTER SET utf8mb4 COLLATE %s NOT NULL'
                   % collation)

"""bills: collection_open, the flag the arrears list reads (issue 13)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 13:53:28.206190
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

# A bill is open while principal or late fee is owed: the balance of collection.balances
# (integer fen; late fees summed in 1e-8 yuan and rounded once), over every write-off and
# accrual already written. Portable SQL: SQLite and PostgreSQL.
_SIGN = "CASE WHEN w.kind = 'unwind' THEN -1 ELSE 1 END"
_FEN = "CAST(ROUND({col} * 100) AS BIGINT)"
BACKFILL = f"""
UPDATE bills SET collection_open = CASE WHEN
    CAST(ROUND(amount * 100) AS BIGINT) - COALESCE((
        SELECT SUM({_SIGN} * ({_FEN.format(col='w.amount')} - {_FEN.format(col='w.late_fee_part')}))
        FROM write_offs w WHERE w.bill_id = bills.id), 0) > 0
  OR (COALESCE((SELECT CAST(SUM(a.fee_e8) AS BIGINT) FROM late_fee_accruals a
                WHERE a.bill_id = bills.id), 0) + 500000) / 1000000
     - COALESCE((SELECT SUM({_SIGN} * {_FEN.format(col='w.late_fee_part')})
                 FROM write_offs w WHERE w.bill_id = bills.id), 0) > 0
  THEN {{true}} ELSE {{false}} END
"""


def upgrade() -> None:
    # Plain ADD COLUMN (not a batch): SQLite adds a column with a constant default in place,
    # where a batch would copy the whole bills table (minutes on a year of bills).
    op.add_column('bills', sa.Column('collection_open', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_index('ix_bills_collection_open_due', 'bills', ['collection_open', 'due_date'], unique=False)
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(BACKFILL.format(true="1" if sqlite else "TRUE", false="0" if sqlite else "FALSE"))


def downgrade() -> None:
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_index('ix_bills_collection_open_due')
        batch_op.drop_column('collection_open')

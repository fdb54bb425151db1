"""unit_daily_loads: each org unit's daily kWh, kept by the daily readings' writers (issue 13)

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-07 16:24:59.582869
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0031'
branch_labels = None
depends_on = None

# The totals of the readings already written; the writers add to them from now on.
# Portable SQL: SQLite and PostgreSQL.
BACKFILL = """
INSERT INTO unit_daily_loads (org_unit_id, day, kwh)
SELECT org_unit_id, day, ROUND(SUM(kwh), 2) FROM daily_readings GROUP BY org_unit_id, day
"""


def upgrade() -> None:
    op.create_table('unit_daily_loads',
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kwh', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_unit_daily_loads_org_unit_id_org_units')),
    sa.PrimaryKeyConstraint('org_unit_id', 'day', name=op.f('pk_unit_daily_loads'))
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table('unit_daily_loads')

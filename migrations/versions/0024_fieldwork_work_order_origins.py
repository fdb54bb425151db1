"""fieldwork: work order origins (arrears, 业扩), installations at a site without a meter

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-07 13:22:46.254799
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import safegrid.platform.db


revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None

KINDS = ('install', 'replace', 'inspect', 'disconnect', 'reconnect', 'reading', 'repair', 'theft_inspection')


def upgrade() -> None:
    op.create_table('work_order_origins',
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('source_type', sa.String(length=32), nullable=False),
    sa.Column('source_ref', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum(*KINDS, name='workorderkind', native_enum=False), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('created_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_origins_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('work_order_id', name=op.f('pk_work_order_origins')),
    sa.UniqueConstraint('source_type', 'source_ref', 'kind', 'slot', name=op.f('uq_work_order_origins_source_type_source_ref_kind_slot'))
    )
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.alter_column('meter_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_work_orders_meter_or_site_work'),
            "meter_id IS NOT NULL OR kind IN ('install', 'repair')",
        )


def downgrade() -> None:
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_work_orders_meter_or_site_work'), type_='check')
        batch_op.alter_column('meter_id',
               existing_type=sa.INTEGER(),
               nullable=False)
    op.drop_table('work_order_origins')

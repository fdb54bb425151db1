"""reconciliation: the matcher's scratch tables dropped

The matcher streams both sides and pairs them in memory (ADR 0039): the system groups and
the work tables it used to fill on every run are no longer written or read. The items'
index on bank_entry_id alone goes too: every lookup names the period, which the
(period, bank_entry_id) unique index answers, and each index costs the bulk write.

Revision ID: 0029
Revises: 0032
Create Date: 2026-12-07 16:07:02.639867
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import safegrid.platform.money


revision = '0029'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recon_work_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_recon_work_entries_amount')
        batch_op.drop_index('ix_recon_work_entries_day')
    op.drop_table('recon_work_entries')
    with op.batch_alter_table('recon_work_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_recon_work_groups_amount')
    op.drop_table('recon_work_groups')
    with op.batch_alter_table('recon_system_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recon_system_groups_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_recon_system_groups_period'))
        batch_op.drop_index(batch_op.f('ix_recon_system_groups_ref'))
    op.drop_table('recon_system_groups')
    with op.batch_alter_table('recon_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recon_items_bank_entry_id'))


def downgrade() -> None:
    with op.batch_alter_table('recon_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recon_items_bank_entry_id'), ['bank_entry_id'], unique=False)
    op.create_table('recon_system_groups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=140), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('amount', safegrid.platform.money.Money(precision=18, scale=2), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_recon_system_groups_org_unit_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_system_groups')),
    sa.UniqueConstraint('period', 'kind', 'ref', name='uq_recon_system_groups_key')
    )
    with op.batch_alter_table('recon_system_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recon_system_groups_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recon_system_groups_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_recon_system_groups_ref'), ['ref'], unique=False)
    op.create_table('recon_work_groups',
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount', safegrid.platform.money.Money(precision=18, scale=2), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_recon_work_groups'))
    )
    with op.batch_alter_table('recon_work_groups', schema=None) as batch_op:
        batch_op.create_index('ix_recon_work_groups_amount', ['period', 'amount', 'day'], unique=False)
    op.create_table('recon_work_entries',
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount', safegrid.platform.money.Money(precision=18, scale=2), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_recon_work_entries'))
    )
    with op.batch_alter_table('recon_work_entries', schema=None) as batch_op:
        batch_op.create_index('ix_recon_work_entries_amount', ['period', 'amount', 'value_date'], unique=False)
        batch_op.create_index('ix_recon_work_entries_day', ['period', 'value_date'], unique=False)

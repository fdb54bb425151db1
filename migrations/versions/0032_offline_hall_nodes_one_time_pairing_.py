"""offline hall nodes: one-time pairing codes, revocation

Revision ID: 0032
Revises: 0033
Create Date: 2026-12-07 16:03:13.812278
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import safegrid.platform.db


revision = '0032'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offline_hall_nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pairing_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pairing_expires_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_contact_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pending', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_offline_hall_nodes_org_unit_id'), type_='unique')
        batch_op.create_index('uq_offline_hall_nodes_active_hall', ['org_unit_id'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.create_unique_constraint(batch_op.f('uq_offline_hall_nodes_pairing_digest'), ['pairing_digest'])
    # Nodes paired before codes existed were paired in person: claimed then.
    op.execute("UPDATE offline_hall_nodes SET claimed_at = paired_at")


def downgrade() -> None:
    with op.batch_alter_table('offline_hall_nodes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_offline_hall_nodes_pairing_digest'), type_='unique')
        batch_op.drop_index('uq_offline_hall_nodes_active_hall', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.create_unique_constraint(batch_op.f('uq_offline_hall_nodes_org_unit_id'), ['org_unit_id'])
        batch_op.drop_column('pending')
        batch_op.drop_column('last_contact_at')
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('pairing_expires_at')
        batch_op.drop_column('pairing_digest')

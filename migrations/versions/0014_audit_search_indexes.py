"""audit: search indexes ending in seq (person, action, object, unit)

Revision ID: 0014
Revises: 0017
Create Date: 2026-12-07 11:00:00
"""
from __future__ import annotations

from alembic import op


revision = '0014'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_action'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_org_unit_id'))
        batch_op.create_index('ix_audit_entries_actor_seq', ['actor_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_entries_action_seq', ['action', 'seq'], unique=False)
        batch_op.create_index(
            'ix_audit_entries_object_seq', ['object_type', 'object_id', 'seq'], unique=False
        )
        batch_op.create_index('ix_audit_entries_unit_seq', ['org_unit_id', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_unit_seq')
        batch_op.drop_index('ix_audit_entries_object_seq')
        batch_op.drop_index('ix_audit_entries_action_seq')
        batch_op.drop_index('ix_audit_entries_actor_seq')
        batch_op.create_index(batch_op.f('ix_audit_entries_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)

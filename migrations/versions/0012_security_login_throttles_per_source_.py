"""security: login throttles per source address and username

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:28:54.207279
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import safegrid.platform.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', safegrid.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alerted_at', safegrid.platform.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('source', 'key', name=op.f('pk_login_throttles'))
    )


def downgrade() -> None:
    op.drop_table('login_throttles')

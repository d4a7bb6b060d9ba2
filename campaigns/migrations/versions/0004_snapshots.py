"""snapshots: each campaign's reduced state at month-ends (derived data)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('last_event_id', sa.Integer(), nullable=False),
        sa.Column('head_hash', sa.String(length=128), nullable=True),
        sa.Column('items', sa.Integer(), nullable=False),
        sa.Column('state', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('campaign_id', 'as_of'),
    )


def downgrade() -> None:
    op.drop_table('snapshots')

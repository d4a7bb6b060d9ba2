"""outbox: messages to deliver, written with the change that causes them

Revision ID: 0012_outbox
Revises: 0011_secrets13b
Create Date: 2026-12-02 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_outbox'
down_revision = '0011_secrets13b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('idem_key', sa.String(64), nullable=False, unique=True),
        sa.Column('channel', sa.String(16), nullable=False),
        sa.Column('recipient', sa.String(320), nullable=False),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id')),
        sa.Column('stream', sa.String(128), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True)),
    )
    op.create_index('ix_outbox_due', 'outbox', ['status', 'next_try_at'])


def downgrade() -> None:
    op.drop_index('ix_outbox_due', 'outbox')
    op.drop_table('outbox')

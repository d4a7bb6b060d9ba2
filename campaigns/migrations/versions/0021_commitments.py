"""commitments: public commitments (公开承诺) and their check-ins

Revision ID: 0021_commitments
Revises: 0020_filingfigures
Create Date: 2026-12-03 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021_commitments'
down_revision = '0020_filingfigures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'commitments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(64)),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(64), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id')),
        sa.Column('start_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('published_on', sa.Date()),
        sa.Column('reviewed_on', sa.Date()),
        sa.Column('state', sa.String(64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('entered_on', sa.Date(), nullable=False),
        sa.UniqueConstraint('campaign_id', 'seq'),
    )
    op.create_index('ix_commitments_state', 'commitments', ['state'])
    op.create_table(
        'commitment_checkins',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('commitment_id', sa.Integer(), sa.ForeignKey('commitments.id'),
                  nullable=False),
        sa.Column('check', sa.String(64), nullable=False),
        sa.Column('period', sa.String(16), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.UniqueConstraint('commitment_id', 'check', 'period'),
    )


def downgrade() -> None:
    op.drop_table('commitment_checkins')
    op.drop_table('commitments')

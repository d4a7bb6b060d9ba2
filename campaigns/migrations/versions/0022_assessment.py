"""assessment: scores people enter (民主测评, 满意度测评, leaders' evaluation), one row an entry;
decisions on a period's results (a bottom-rule proposal confirmed, a publication)

Revision ID: 0022_assessment
Revises: 0021_commitments
Create Date: 2026-12-03 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022_assessment'
down_revision = '0021_commitments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'assessment_scores',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('period', sa.String(16), nullable=False),
        sa.Column('score', sa.String(64), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('entered_on', sa.Date(), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Index('ix_assessment_scores_period', 'campaign_id', 'period'),
    )
    op.create_table(
        'assessment_decisions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('period', sa.String(16), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id')),
        sa.Column('step', sa.String(64)),
        sa.Column('until', sa.Date()),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Index('ix_assessment_decisions_period', 'campaign_id', 'period'),
    )


def downgrade() -> None:
    op.drop_table('assessment_decisions')
    op.drop_table('assessment_scores')

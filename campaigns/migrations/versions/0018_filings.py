"""filings: each unit's occurrence of a recurring filing (报送事项) and its ladder's notices

Revision ID: 0018_filings
Revises: 0017_inspections
Create Date: 2026-12-02 23:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018_filings'
down_revision = '0017_inspections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'filings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('filing', sa.String(64), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('period', sa.String(16), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('opened_on', sa.Date(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('level', sa.String(64)),
        sa.Column('level_base', sa.Date()),
        sa.Column('filed_on', sa.Date()),
        sa.Column('accepted_on', sa.Date()),
        sa.Column('returned_on', sa.Date()),
        sa.Column('document_name', sa.Text()),
        sa.Column('document_sha256', sa.String(64), sa.ForeignKey('blobs.sha256')),
        sa.Column('state', sa.String(64), nullable=False, index=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('entered_on', sa.Date(), nullable=False),
        sa.UniqueConstraint('campaign_id', 'filing', 'unit_id', 'period'),
    )
    op.create_index('ix_filings_campaign_period', 'filings', ['campaign_id', 'filing', 'period'])
    op.create_index('ix_filings_ladder', 'filings', ['campaign_id', 'level', 'state', 'level_base'])
    op.create_table(
        'filing_notices',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False,
                  index=True),
        sa.Column('filing_id', sa.Integer(), sa.ForeignKey('filings.id'), nullable=False,
                  index=True),
        sa.Column('level', sa.String(64), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('days_overdue', sa.Integer(), nullable=False),
        sa.Column('new_deadline', sa.Date()),
        sa.Column('action', sa.Text()),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('events.id')),
        sa.Column('withdrawn_on', sa.Date()),
    )
    op.create_index('uq_filing_notices_live', 'filing_notices', ['filing_id', 'level', 'deadline'],
                    unique=True, sqlite_where=sa.text('withdrawn_on IS NULL'),
                    postgresql_where=sa.text('withdrawn_on IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_filing_notices_live', 'filing_notices')
    op.drop_table('filing_notices')
    op.drop_index('ix_filings_ladder', 'filings')
    op.drop_index('ix_filings_campaign_period', 'filings')
    op.drop_table('filings')

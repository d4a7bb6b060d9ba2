"""registers: long-term mechanisms (长效机制) and accountability cases (问责)

Revision ID: 0016_registers
Revises: 0015_importspeed
Create Date: 2026-12-02 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016_registers'
down_revision = '0015_importspeed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mechanisms',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(64), nullable=False),
        sa.Column('issued_on', sa.Date()),
        sa.Column('document_number', sa.String(200)),
        sa.Column('in_force_on', sa.Date()),
        sa.Column('reviewed_on', sa.Date()),
        sa.Column('state', sa.String(64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('entered_on', sa.Date(), nullable=False),
        sa.UniqueConstraint('campaign_id', 'seq'),
    )
    op.create_index('ix_mechanisms_state', 'mechanisms', ['state'])
    op.create_table(
        'mechanism_links',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('mechanism_id', sa.Integer(), sa.ForeignKey('mechanisms.id'), nullable=False),
        sa.Column('category', sa.String(64)),
        sa.Column('item_id', sa.Integer(), sa.ForeignKey('items.id')),
    )
    op.create_index('ix_mechanism_links_mechanism_id', 'mechanism_links', ['mechanism_id'])
    op.create_index('ix_mechanism_links_item_id', 'mechanism_links', ['item_id'])
    op.create_table(
        'accountability',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('outcome', sa.String(64), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('withdrawn_on', sa.Date()),
        sa.Column('version', sa.Integer(), nullable=False),
    )
    op.create_index('ix_accountability_campaign_id', 'accountability', ['campaign_id'])
    op.create_table(
        'accountability_links',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('accountability.id'), nullable=False),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id')),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id')),
        sa.Column('item_id', sa.Integer(), sa.ForeignKey('items.id')),
        sa.Column('notice_id', sa.Integer(), sa.ForeignKey('notices.id')),
    )
    op.create_index('ix_accountability_links_case_id', 'accountability_links', ['case_id'])
    op.create_index('ix_accountability_links_person_id', 'accountability_links', ['person_id'])
    op.create_index('ix_accountability_links_item_id', 'accountability_links', ['item_id'])


def downgrade() -> None:
    op.drop_table('accountability_links')
    op.drop_table('accountability')
    op.drop_table('mechanism_links')
    op.drop_table('mechanisms')

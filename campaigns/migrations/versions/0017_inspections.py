"""inspections: the county's yearly inspection plan, inspections, findings, 减负 pledge breaches

Revision ID: 0017_inspections
Revises: 0016_registers
Create Date: 2026-12-02 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017_inspections'
down_revision = '0016_registers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inspection_plans',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('year', sa.Integer(), nullable=False, unique=True),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('cap', sa.Integer()),
        sa.Column('visit_budget', sa.Integer()),
        sa.Column('file', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('teams', sa.JSON(), nullable=False),
        sa.Column('published_on', sa.Date()),
        sa.Column('published_by', sa.String(64)),
        sa.Column('revision', sa.Integer(), nullable=False),
    )
    op.create_table(
        'inspection_plan_items',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('plan_id', sa.Integer(), sa.ForeignKey('inspection_plans.id'), nullable=False),
        sa.Column('ref', sa.String(32), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('period', sa.Text(), nullable=False),
        sa.Column('starts', sa.Date(), nullable=False),
        sa.Column('ends', sa.Date(), nullable=False),
        sa.Column('organiser', sa.Text(), nullable=False),
        sa.Column('participants', sa.JSON(), nullable=False),
        sa.Column('method', sa.String(32), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('team', sa.String(64)),
        sa.Column('targets', sa.JSON(), nullable=False),
        sa.UniqueConstraint('plan_id', 'ref'),
    )
    op.create_table(
        'inspection_budgets',
        sa.Column('plan_id', sa.Integer(), sa.ForeignKey('inspection_plans.id'), primary_key=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), primary_key=True),
        sa.Column('visits', sa.Integer(), nullable=False),
    )
    op.create_table(
        'inspections',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('ref', sa.String(32), nullable=False, unique=True),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('plan_item_id', sa.Integer(), sa.ForeignKey('inspection_plan_items.id')),
        sa.Column('unplanned', sa.Text()),
        sa.Column('team', sa.Text(), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('method', sa.String(32), nullable=False),
        sa.Column('theme', sa.Text(), nullable=False),
        sa.Column('points', sa.JSON(), nullable=False),
        sa.Column('starts', sa.Date(), nullable=False),
        sa.Column('ends', sa.Date(), nullable=False),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.Column('recorded_by', sa.String(64), nullable=False),
    )
    op.create_index('ix_inspections_year', 'inspections', ['year'])
    op.create_table(
        'inspection_targets',
        sa.Column('inspection_id', sa.Integer(), sa.ForeignKey('inspections.id'),
                  primary_key=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), primary_key=True),
    )
    op.create_index('ix_inspection_targets_unit', 'inspection_targets', ['unit_id'])
    op.create_table(
        'inspection_findings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('inspection_id', sa.Integer(), sa.ForeignKey('inspections.id'),
                  nullable=False),
        sa.Column('item_id', sa.Integer(), sa.ForeignKey('items.id'), nullable=False,
                  unique=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('found_on', sa.Date(), nullable=False),
    )
    op.create_index('ix_inspection_findings_inspection_id', 'inspection_findings',
                    ['inspection_id'])
    op.create_table(
        'inspection_breaches',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('inspection_id', sa.Integer(), sa.ForeignKey('inspections.id'),
                  nullable=False),
        sa.Column('pledge', sa.String(16), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id')),
        sa.Column('note', sa.Text()),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.Column('recorded_by', sa.String(64), nullable=False),
    )
    op.create_index('ix_inspection_breaches_inspection_id', 'inspection_breaches',
                    ['inspection_id'])


def downgrade() -> None:
    op.drop_index('ix_inspection_breaches_inspection_id', 'inspection_breaches')
    op.drop_table('inspection_breaches')
    op.drop_index('ix_inspection_findings_inspection_id', 'inspection_findings')
    op.drop_table('inspection_findings')
    op.drop_index('ix_inspection_targets_unit', 'inspection_targets')
    op.drop_table('inspection_targets')
    op.drop_index('ix_inspections_year', 'inspections')
    op.drop_table('inspections')
    op.drop_table('inspection_budgets')
    op.drop_table('inspection_plan_items')
    op.drop_table('inspection_plans')

"""calendar: the site's holiday notices and regional holidays, shared by every campaign

A year's State Council notice (days off and 调休 working days) or a region's own holidays,
imported by an administrator (``rectify calendar import``): running campaigns count working
days on them without their frozen definitions being edited.

Revision ID: 0014_calendar
Revises: 0013_people
Create Date: 2026-12-02 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014_calendar'
down_revision = '0013_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_notices',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('area', sa.String(64), nullable=False),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('file', sa.String(255), nullable=False),
        sa.Column('imported_on', sa.Date(), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.UniqueConstraint('year', 'area', name='uq_calendar_notices_year_area'),
    )
    op.create_table(
        'calendar_days',
        sa.Column('notice_id', sa.Integer(), sa.ForeignKey('calendar_notices.id'), primary_key=True),
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('off', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('calendar_days')
    op.drop_table('calendar_notices')

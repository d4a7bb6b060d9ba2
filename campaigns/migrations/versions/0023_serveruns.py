"""serveruns: what rectify serve ran on its schedule (the daily tick, the sender)

Revision ID: 0023_serveruns
Revises: 0022_assessment
Create Date: 2026-12-03 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023_serveruns'
down_revision = '0022_assessment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'serve_runs',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('job', sa.String(16), nullable=False),
        sa.Column('slot', sa.DateTime(timezone=True), nullable=False),
        sa.Column('host', sa.String(128), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True)),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.Column('detail', sa.Text()),
        sa.UniqueConstraint('job', 'slot', name='uq_serve_runs_slot'),
    )


def downgrade() -> None:
    op.drop_table('serve_runs')

"""filing figures: the figures filed with an occurrence (prefilled from the record, or summed
from the units' accepted filings in a roll-up)

Revision ID: 0020_filingfigures
Revises: 0019_serve
Create Date: 2026-12-03 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020_filingfigures'
down_revision = '0019_serve'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('filings') as batch:
        batch.add_column(sa.Column('figures', sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table('filings') as batch:
        batch.drop_column('figures')

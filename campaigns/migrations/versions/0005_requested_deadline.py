"""requested_deadline: the deadline an extension request asks for (a deemed approval grants it)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-15 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rectifications') as batch:
        batch.add_column(sa.Column('requested_deadline', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rectifications') as batch:
        batch.drop_column('requested_deadline')

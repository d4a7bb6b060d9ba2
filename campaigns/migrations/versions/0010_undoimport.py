"""undoimport: items (and their rectifications) retired by an undo of their creation

An undo of an import, or of an item's recording, never deletes the item: its row and code stay
(codes are never given again) with the day it was retired, and every view, count and the clock
leave it out.

Revision ID: 0010_undoimport
Revises: 0009_duties
Create Date: 2026-12-29 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_undoimport'
down_revision = '0009_duties'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('items', 'rectifications'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('retired_on', sa.Date(), nullable=True))


def downgrade() -> None:
    for table in ('items', 'rectifications'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('retired_on')

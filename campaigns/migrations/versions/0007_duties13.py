"""people.version: deactivating a person checks the version read, as every other change does

Revision ID: 0007_duties13
Revises: 0006
Create Date: 2027-01-10 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_duties13'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.drop_column('version')

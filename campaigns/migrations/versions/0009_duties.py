"""people.version: deactivating a person checks the version read, as every other change does

Revision ID: 0009_duties
Revises: 0008_secrets
Create Date: 2026-12-02 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_duties'
down_revision = '0008_secrets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.drop_column('version')

"""secrets: versioned and encryptable (key id, version); a row without an item holds the key of
the events' keyed hashes

Revision ID: 0008_secrets
Revises: 0007_undo
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import base64
import os

import sqlalchemy as sa
from alembic import op

revision = '0008_secrets'
down_revision = '0007_undo'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('secrets') as batch:
        batch.alter_column('item_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('key_id', sa.String(length=32), nullable=True))
    # the key of the keyed hashes events carry: made once, never rotated (rotate-key re-encrypts
    # it with the rest), so the hash in an old event stays checkable
    secrets = sa.table('secrets', sa.column('item_id', sa.Integer), sa.column('field', sa.String),
                       sa.column('value', sa.Text), sa.column('version', sa.Integer))
    op.bulk_insert(secrets, [{"item_id": None, "field": "hmac-key", "version": 1,
                              "value": base64.b64encode(os.urandom(32)).decode()}])


def downgrade() -> None:
    op.execute("DELETE FROM secrets WHERE item_id IS NULL")
    with op.batch_alter_table('secrets') as batch:
        batch.drop_column('key_id')
        batch.drop_column('version')
        batch.alter_column('item_id', existing_type=sa.Integer(), nullable=False)

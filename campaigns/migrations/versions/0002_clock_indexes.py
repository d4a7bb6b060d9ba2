"""clock indexes: the ladder sweep and notices by date

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.create_index('ix_rect_ladder', ['campaign_id', 'level', 'state', 'level_base'],
                              unique=False)
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_campaign_issued', ['campaign_id', 'issued_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_campaign_issued')
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.drop_index('ix_rect_ladder')

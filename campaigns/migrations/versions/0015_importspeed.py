"""importspeed: items found by their natural key without reading the campaign

An import matches each batch of rows with the items already there by item code (unique
already) or by the row's natural key (``external_ref``: unit code and 序号); this index lets
it look those up batch by batch instead of holding every item of the campaign in memory.

Revision ID: 0015_importspeed
Revises: 0014_calendar
Create Date: 2026-12-31 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0015_importspeed'
down_revision = '0014_calendar'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_items_campaign_ref', 'items', ['campaign_id', 'external_ref'])


def downgrade() -> None:
    op.drop_index('ix_items_campaign_ref', table_name='items')

"""people: units and people change over time (机构改革, staff changes)

``units.version`` lets a unit's change check the version it read, as a person's does;
``units.ended_on`` and ``units.merged_into`` say when a unit was merged into another or
dissolved (its row stays, for history); ``people.left_on`` when a person left (their row stays,
``active`` false, until they return).  An index on the site log's business dates lets a view of
a past date find at once whether any change to the names came after it.

Revision ID: 0013_people
Revises: 0012_outbox
Create Date: 2026-12-02 22:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_people'
down_revision = '0012_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN: SQLite would otherwise copy the units table, which items and people
    # refer to; its foreign key is declared where the database can add one to a table in place
    op.add_column('units', sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('units', sa.Column('ended_on', sa.Date(), nullable=True))
    op.add_column('units', sa.Column('merged_into', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != 'sqlite':
        op.create_foreign_key('fk_units_merged_into', 'units', 'units', ['merged_into'], ['id'])
    op.add_column('people', sa.Column('left_on', sa.Date(), nullable=True))
    op.create_index('ix_site_events_date', 'site_events', ['business_date'])


def downgrade() -> None:
    op.drop_index('ix_site_events_date', 'site_events')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_units_merged_into', 'units', type_='foreignkey')
    op.drop_column('people', 'left_on')
    op.drop_column('units', 'merged_into')
    op.drop_column('units', 'ended_on')
    op.drop_column('units', 'version')

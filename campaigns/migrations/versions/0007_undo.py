"""undo: batches of events written together, events undone, withdrawn notices and documents

A notice or document that an undo withdraws keeps its row (and its number) with the day it was
withdrawn; only the rows still standing are unique per rectification, level and deadline (a
notice) or per unit, level and day (a document), so the clock and an office may issue them
again after an undo.

Revision ID: 0007_undo
Revises: 0006
Create Date: 2026-12-28 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_undo'
down_revision = '0006'
branch_labels = None
depends_on = None

NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
LIVE = sa.text("withdrawn_on IS NULL")


def upgrade() -> None:
    op.create_table(
        'batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('first_seq', sa.Integer(), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_batches_campaign_seq', 'batches', ['campaign_id', 'last_seq'])
    op.create_table(
        'undone',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('undo_seq', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id']),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id']),
        sa.PrimaryKeyConstraint('event_id'),
    )
    op.create_index('ix_undone_campaign', 'undone', ['campaign_id'])
    for table, columns in (('notices', ['rectification_id', 'level', 'deadline']),
                           ('documents', ['campaign_id', 'kind', 'unit_id', 'level', 'issued_on'])):
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            batch.drop_constraint(_unique_name(table, columns), type_='unique')
            batch.add_column(sa.Column('withdrawn_on', sa.Date(), nullable=True))
        op.create_index(f'uq_{table}_live', table, columns, unique=True, sqlite_where=LIVE,
                        postgresql_where=LIVE)


def _unique_name(table: str, columns: list[str]) -> str:
    """The constraint's name: PostgreSQL's default, or the naming convention SQLite reflects."""
    if op.get_bind().dialect.name == 'postgresql':
        return f"{table}_{'_'.join(columns)}_key"
    return f"uq_{table}_{'_'.join(columns)}"


def downgrade() -> None:
    for table, columns in (('notices', ['rectification_id', 'level', 'deadline']),
                           ('documents', ['campaign_id', 'kind', 'unit_id', 'level', 'issued_on'])):
        op.drop_index(f'uq_{table}_live', table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column('withdrawn_on')
            batch.create_unique_constraint(f"uq_{table}_{'_'.join(columns)}", columns)
    op.drop_table('undone')
    op.drop_table('batches')

"""assesspeople: scores and bottom-rule decisions of people as well as units

Revision ID: 0024_assesspeople
Revises: 0023_serveruns
Create Date: 2026-12-03 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024_assesspeople'
down_revision = '0023_serveruns'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessment_scores') as batch:
        batch.add_column(sa.Column('person_id', sa.Integer(),
                                   sa.ForeignKey('people.id', name='fk_assessment_scores_person')))
    with op.batch_alter_table('assessment_decisions') as batch:
        batch.add_column(sa.Column('person_id', sa.Integer(),
                                   sa.ForeignKey('people.id',
                                                 name='fk_assessment_decisions_person')))


def downgrade() -> None:
    with op.batch_alter_table('assessment_decisions') as batch:
        batch.drop_column('person_id')
    with op.batch_alter_table('assessment_scores') as batch:
        batch.drop_column('person_id')

"""serve: people's credentials (password hashes), API tokens and web sessions

Revision ID: 0019_serve
Revises: 0018_filings
Create Date: 2026-12-02 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019_serve'
down_revision = '0018_filings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'credentials',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False,
                  unique=True),
        sa.Column('password_hash', sa.Text(), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='0'),
    )
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False,
                  index=True),
        sa.Column('sha256', sa.String(64), nullable=False, unique=True),
        sa.Column('label', sa.Text()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_on', sa.Date()),
    )
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sha256', sa.String(64), nullable=False, unique=True),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False,
                  index=True),
        sa.Column('csrf', sa.String(64), nullable=False),
        sa.Column('address', sa.String(64)),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True)),
        sa.Column('version', sa.Integer(), nullable=False, server_default='0'),
    )


def downgrade() -> None:
    op.drop_table('web_sessions')
    op.drop_table('api_tokens')
    op.drop_table('credentials')

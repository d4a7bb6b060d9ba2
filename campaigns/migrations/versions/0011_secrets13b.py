"""secrets13b: confidential item content moves out of the state tables

Every value of a field its campaign marks confidential (title, description, measures, target,
department, progress notes) moves into the secrets table — encrypted under RECTIFY_KEY_FILE's
key if one is set while upgrading, else kept there in plain text until the next
``rectify db rotate-key`` — and its column holds a token (the field and a keyed hash) instead.
Each item changed gets a ``sealed`` event through the writer; no event is edited, so those
written before keep the values they carried (docs/security.md#data-at-rest).

The move writes events, so it needs the writer and the tables as the running version knows
them: ``rectify init`` makes it once the schema is at its head, in the same transaction
(campaigns.db, SEAL_VALUES). The revision itself changes no schema.

Revision ID: 0011_secrets13b
Revises: 0010_undoimport
Create Date: 2026-12-30 12:00:00
"""

from __future__ import annotations

revision = '0011_secrets13b'
down_revision = '0010_undoimport'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The schema stays as it is; the values move after the upgrade (see above)."""


def downgrade() -> None:
    """Nothing to undo in the schema: the values stay in the secrets table, behind tokens."""

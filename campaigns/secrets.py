"""The confidential values of items (a reporter's identity and contact), kept out of the log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from .tables import SECRETS


def read_secrets(conn: Connection, item_id: int) -> dict[str, str]:
    """Item ``item_id``'s confidential values by field."""
    return {field: value for field, value in conn.execute(
        select(SECRETS.c.field, SECRETS.c.value).where(SECRETS.c.item_id == item_id))}

"""Commands whose events are undone as a whole: a tick, a stage move, an import, an item command.

Each such command runs in one write transaction holding its campaign's chain head (taken first,
as every writer does), so its events are one unbroken range of the chain's sequence numbers;
``recording`` notes that range in ``batches``.  campaigns.undo reverses a batch's events
together: an item command with the clock's catch-up it wrote first, a tick with every step of
every day it ran (a tick commits in short transactions: each is a batch carrying the tick's id,
and the undo gathers them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.engine import Connection

from engine.io.store import Prepared
from engine.io.writer import lock_heads

from .tables import BATCHES

TICK, STAGE, IMPORT, COMMAND = "tick", "stage", "import", "command"


def head_seq(conn: Connection, stream: str) -> int:
    """The stream's last sequence number, as the writer holds it (read once per transaction)."""
    return lock_heads(conn, [stream])[stream][0]


# built once: every item command records a batch, and building it cost more than its move
_INSERT = Prepared(insert(BATCHES).values({c.name: bindparam(c.name) for c in BATCHES.columns
                                           if not c.primary_key}))


@contextmanager
def recording(conn: Connection, campaign_id: int, stream: str, kind: str, actor: str,
              as_of: dt.date, detail: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Note the events written inside the block as one batch (none written: no batch).

    The yielded mapping becomes the batch's detail; a caller may add to it while it works.
    """
    first = lock_heads(conn, [stream])[stream][0] + 1
    extra: dict[str, Any] = dict(detail or {})
    yield extra
    last = head_seq(conn, stream)
    if last >= first:
        _INSERT.execute(conn, {"campaign_id": campaign_id, "kind": kind, "first_seq": first,
                               "last_seq": last, "actor": actor, "business_date": as_of,
                               "detail": extra or None})

"""Where the importer changes state rows and adds to the event log: one module, so that the
engine's writer is named in one place.

New items go through the engine's writer in bulk, stored in the states their moves take them
to, with their events; moves and corrections of items already here go through it with its
optimistic version check; events that move nothing (a correction, a progress note) are logged
here in bulk, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from engine.core.moves import Edit, Move
from engine.io.writer import Entry, append_many, apply_edits, apply_moves, create, reserve_ids

from ..context import Scope
from ..tables import EVENTS, ITEMS, RECTIFICATIONS, SUBJECT_TABLES as TABLES


def write_changes(conn: Connection, moves: list[Move], edits: Sequence[Edit] = ()) -> None:
    """State moves and field corrections, each checked against the version read."""
    apply_edits(conn, TABLES, list(edits))
    apply_moves(conn, TABLES, EVENTS, moves)


def reserve(conn: Connection, n: int) -> tuple[list[int], list[int]]:
    """Ids for ``n`` new items and their rectifications (``create_items`` in the same transaction)."""
    return reserve_ids(conn, ITEMS, n), reserve_ids(conn, RECTIFICATIONS, n)


def create_items(conn: Connection, items: list[dict[str, Any]], rects: list[dict[str, Any]],
                 added: list[Entry], moves: list[Move]) -> None:
    """New items and their rectifications, stored in the states ``moves`` take them to, with
    the events that record them (``added``) and the moves' events."""
    create(conn, TABLES, EVENTS, {"item": items, "rectification": rects}, added, moves)


def log_events(conn: Connection, entries: list[Entry]) -> None:
    """Events that move no state (see ``event_row``), chained onto the campaign's log."""
    append_many(conn, EVENTS, entries)


def event_row(scope: Scope, code: str, item_id: int, machine: str, trigger: str,
              to_state: str | None, payload: Mapping[str, Any] | None,
              note: str | None, version: int = 1) -> Entry:
    """One event of an item, by the scope's actor on its business date, that moves nothing."""
    return Entry(scope.run.key, machine, code, trigger, scope.acting.key, scope.as_of,
                 None, to_state, note, dict(payload) if payload is not None else None,
                 payload_version=version, subject_id=item_id,
                 values={"campaign_id": scope.run.id, "item_id": item_id})


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows with one executemany, converting values with the dialect's own bind
    processors once per column (SQLAlchemy's per-row parameter handling costs more than the
    database's work for a large import).  Every row has the keys of the first."""
    if not rows:
        return
    keys = list(rows[0])
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    procs = {k: table.c[k].type._cached_bind_processor(dialect) for k in keys}
    if compiled.positional and compiled.positiontup is not None:
        order = list(compiled.positiontup)
        get = itemgetter(*order)  # a row's values in order, in C; then the few conversions
        convert = [(i, p) for i, k in enumerate(order) if (p := procs[k])]
        if len(order) == 1:
            data: list[Any] = [(get(r),) for r in rows]
        else:
            data = [get(r) for r in rows]
        if convert:
            for n, values in enumerate(data):
                out = list(values)
                for i, p in convert:
                    out[i] = p(out[i])
                data[n] = tuple(out)
    else:
        data = [{k: (p(v) if (p := procs[k]) else v) for k, v in r.items()} for r in rows]
    conn.exec_driver_sql(compiled.string, data)

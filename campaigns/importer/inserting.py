"""Writing new items: bulk inserts of items, rectifications, secrets, notes and events."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.machines import Actor
from engine.io.store import now

from ..runs import Run
from ..standing import closing_states
from ..tables import (
    EVENTS as E,
    ITEMS as I,
    PROGRESS as PR,
    RECTIFICATIONS as R,
    SECRETS,
    STAGES as S,
)
from .cells import iso
from .codes import CodeAllocator
from .matching import fingerprint
from .rows import Parsed


def insert_new(conn: Connection, run: Run, actor: Actor, as_of: dt.date, path: str,
            sheet: str | None, rows: list[Parsed], default_source: str | None,
            allocator: CodeAllocator) -> list[str]:
    """Bulk-insert new items, their rectifications, secrets, progress notes and events."""
    if not rows:
        return []
    d = run.definition
    item_m, rect_m = d.machines["item"], d.machines["rectification"]
    seqs, codes = allocator.assign(rows)
    stage = conn.execute(select(S.c.key).where(S.c.campaign_id == run.id, S.c.state == "open")
                         .order_by(S.c.position.desc())).scalars().first()
    stamp = now()
    file = os.path.basename(path)
    closing = closing_states(d)
    item_rows = []
    for i, p in enumerate(rows):
        v = p.values
        state = p.pair[0] if p.pair else item_m.initial
        closed = v.get("closed_on") or (as_of if state in closing else None)
        item_rows.append({
            "campaign_id": run.id, "code": codes[i], "seq": seqs[i], "title": v["title"],
            "description": v.get("description"), "unit_id": p.unit.id, "category": v["category"],
            "source": v.get("source") or default_source, "stage": stage,
            "found_on": v.get("found_on") or as_of, "closed_on": closed, "state": state,
            "version": 1, "entered_on": as_of, "reopen_count": 0, "typical": False,
            "external_ref": p.key})
    bulk_insert(conn, I, item_rows)
    ids: dict[str, int] = {}
    for start in range(0, len(codes), 500):
        ids.update(conn.execute(select(I.c.code, I.c.id).where(
            I.c.code.in_(codes[start:start + 500]))).all())
    rect_rows = []
    for i, p in enumerate(rows):
        v = p.values
        stamps = set(p.path.stamps) if p.path else set()
        deadline = v.get("deadline")
        rect_rows.append({
            "item_id": ids[codes[i]], "campaign_id": run.id,
            "state": p.pair[1] if p.pair else rect_m.initial, "version": 1, "entered_on": as_of,
            "measures": v.get("measures"), "target": v.get("target"),
            "department": v.get("department"), "leader_id": v.get("leader"),
            "person_id": v.get("person"), "deadline": deadline,
            "original_deadline": v.get("original_deadline") or deadline, "level_base": deadline,
            "level": None, "returns": 0,
            "submitted_on": as_of if ("rectification", "submitted_on") in stamps else None,
            "completed_on": as_of if ("rectification", "completed_on") in stamps else None})
    bulk_insert(conn, R, rect_rows)
    rect_ids: dict[int, int] = {}
    item_ids = list(ids.values())
    for start in range(0, len(item_ids), 500):
        rect_ids.update(conn.execute(select(R.c.item_id, R.c.id).where(
            R.c.item_id.in_(item_ids[start:start + 500]))).all())
    events: list[dict[str, Any]] = []
    secrets: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for i, p in enumerate(rows):
        v, rect, code = item_rows[i], rect_rows[i], codes[i]
        item_id = ids[code]
        origin = {"file": file, "sheet": sheet, "row": p.row}
        payload = {"title": v["title"], "unit": p.unit.code, "category": v["category"],
                   "source": v["source"], "rectification": rect_ids[item_id],
                   "deadline": iso(rect["deadline"]), "secrets": sorted(p.secrets),
                   "import": {**origin, "values": fingerprint(p, d.confidential)}}
        for name in ("measures", "target", "department"):
            if rect[name]:
                payload[name] = rect[name]
        if rect["original_deadline"] != rect["deadline"]:
            payload["original_deadline"] = iso(rect["original_deadline"])
        events.append(event_row(run, item_id, "item", item_id, "add", None, item_m.initial, actor,
                             as_of, stamp, payload, None))
        if v["state"] != item_m.initial:
            events.append(event_row(run, item_id, "item", item_id, "import", item_m.initial,
                                 v["state"], actor, as_of, stamp,
                                 {**origin, "closed_on": iso(v["closed_on"])},
                                 f"imported from {file} row {p.row}"))
        if rect["state"] != rect_m.initial:
            events.append(event_row(run, item_id, "rectification", rect_ids[item_id], "import",
                                 rect_m.initial, rect["state"], actor, as_of, stamp,
                                 {**origin, "deadline": iso(rect["deadline"])},
                                 f"imported from {file} row {p.row}"))
        for name, value in p.secrets.items():
            secrets.append({"item_id": item_id, "field": name, "value": value})
        if p.values.get("progress"):
            notes.append({"item_id": item_id, "business_date": as_of, "actor": actor.key,
                          "note": p.values["progress"], "recorded_at": stamp})
            events.append(event_row(run, item_id, "record", item_id, "progress", None, None, actor,
                                 as_of, stamp, {"evidence": [], "import": origin},
                                 p.values["progress"]))
    bulk_insert(conn, E, events)
    bulk_insert(conn, SECRETS, secrets)
    bulk_insert(conn, PR, notes)
    return codes


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
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
        convert = [(k, procs[k]) for k in order]
        data: list[Any] = [tuple(p(r[k]) if p else r[k] for k, p in convert) for r in rows]
    else:
        data = [{k: (procs[k](v) if procs[k] else v) for k, v in r.items()} for r in rows]
    conn.exec_driver_sql(compiled.string, data)


def event_row(run: Run, item_id: int, machine: str, subject_id: int, trigger: str,
           src: str | None, dest: str | None, actor: Actor, as_of: dt.date, stamp: dt.datetime,
           payload: dict[str, Any] | None, note: str | None) -> dict[str, Any]:
    return {"campaign_id": run.id, "item_id": item_id, "machine": machine,
            "subject_id": subject_id, "trigger": trigger, "from_state": src, "to_state": dest,
            "actor": actor.key, "business_date": as_of, "recorded_at": stamp, "note": note,
            "payload": payload, "rule": None}

"""Writing new items: bulk inserts of items, rectifications, secrets, notes and events.

A row whose 状态 names a later state is planned like any other change (one move per machine,
from the lifecycle's first states), and the writer stores the item straight in the states
those moves leave it in, with the event that records it and the events of its moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.io.store import now
from engine.io.writer import Entry

from ..context import Scope
from ..events import ItemAdded, ProgressRecorded
from ..sealed import Sealer
from ..secrets import Hasher, store
from ..standing import closing_states
from ..tables import PROGRESS as PR
from .cells import iso
from .codes import CodeAllocator
from .matching import fingerprint
from .moves import Current, plan_rows_moves
from .rows import Parsed
from .writes import bulk_insert, create_items, event_row, log_events, reserve


def insert_new(scope: Scope, origin: Mapping[str, Any], rows: list[Parsed],
               default_source: str | None, allocator: CodeAllocator) -> list[str]:
    """Bulk-insert new items, their rectifications, secrets, progress notes and events;
    ``origin`` names the file and sheet.  The new items' codes."""
    if not rows:
        return []
    conn, run, as_of = scope.conn, scope.run, scope.as_of
    d = run.definition
    item_m, rect_m = d.machines["item"], d.machines["rectification"]
    seqs, codes = allocator.assign(rows)
    item_ids, rect_ids = reserve(conn, len(rows))
    stamp = now()
    item_rows: list[dict[str, Any]] = []
    sealer = Sealer(conn, run)
    for i, p in enumerate(rows):
        if sealer:  # confidential content: tokens in the columns and events
            p.values = sealer.seal(item_ids[i], codes[i], p.values)
        v = p.values
        item_rows.append({
            "id": item_ids[i], "campaign_id": run.id, "code": codes[i], "seq": seqs[i],
            "title": v["title"], "description": v.get("description"), "unit_id": p.unit.id,
            "category": v["category"], "source": v.get("source") or default_source,
            "stage": p.stage, "found_on": v.get("found_on") or as_of, "closed_on": None,
            "state": item_m.initial, "version": 1, "entered_on": as_of, "reopen_count": 0,
            "typical": False, "external_ref": p.key})
    rect_rows: list[dict[str, Any]] = []
    for i, p in enumerate(rows):
        v = p.values
        deadline = v.get("deadline")
        rect_rows.append({
            "id": rect_ids[i], "item_id": item_ids[i], "campaign_id": run.id,
            "state": rect_m.initial, "version": 1, "entered_on": as_of,
            "measures": v.get("measures"), "target": v.get("target"),
            "department": v.get("department"), "leader_id": v.get("leader"),
            "person_id": v.get("person"), "deadline": deadline,
            "original_deadline": v.get("original_deadline") or deadline, "level_base": deadline,
            "level": None, "returns": 0, "submitted_on": None, "completed_on": None})
    added: list[Entry] = []
    placed: list[tuple[Parsed, Current, Mapping[str, Any]]] = []
    secrets: list[tuple[int, str, str]] = []
    hasher = Hasher(conn)
    notes: list[dict[str, Any]] = []
    progress: list[Entry] = []
    closing = closing_states(d)
    for i, p in enumerate(rows):
        v, rect, code = item_rows[i], rect_rows[i], codes[i]
        item_id = item_ids[i]
        where = {**origin, "row": p.row}
        payload = {"title": v["title"], "unit": p.unit.code, "category": v["category"],
                   "source": v["source"], "rectification": rect["id"],
                   "deadline": iso(rect["deadline"]), "secrets": sorted(p.secrets),
                   "import": {**where, "values": fingerprint(p, d.confidential)},
                   # who is responsible from the start (version 2): a replay needs it
                   "leader_id": rect["leader_id"], "person_id": rect["person_id"]}
        if p.secrets:  # keyed hashes of the confidential values, never the values (version 3)
            payload["hmac"] = hasher.seal(code, p.secrets)
        for name in ("measures", "target", "department"):
            if rect[name]:
                payload[name] = rect[name]
        if rect["original_deadline"] != rect["deadline"]:
            payload["original_deadline"] = iso(rect["original_deadline"])
        added.append(event_row(scope, code, item_id, "item", "add", item_m.initial, payload,
                               None, version=ItemAdded.VERSION))
        current = Current(item_id, 1, item_m.initial, rect["id"], 1, rect_m.initial,
                          rect["deadline"], code)
        placed.append((p, current, where))
        secrets += [(item_id, name, value) for name, value in p.secrets.items()]
        if p.values.get("progress"):
            notes.append({"item_id": item_id, "business_date": as_of, "actor": scope.acting.key,
                          "note": p.values["progress"], "recorded_at": stamp})
            progress.append(event_row(scope, code, item_id, "record", "progress", None,
                                      {"evidence": [], "import": where}, p.values["progress"],
                                      version=ProgressRecorded.VERSION))
    moves = plan_rows_moves(run, placed, scope.acting, as_of, closing)
    create_items(conn, item_rows, rect_rows, added, moves)
    log_events(conn, progress)
    store(conn, secrets, fresh=True)
    sealer.flush()
    bulk_insert(conn, PR, notes)
    return codes

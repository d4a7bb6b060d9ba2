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
from .writes import bulk_insert, create_items, log_events, reserve


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
    rect_rows: list[dict[str, Any]] = []
    added: list[Entry] = []
    placed: list[tuple[Parsed, Current, Mapping[str, Any]]] = []
    secrets: list[tuple[int, str, str]] = []
    sealer = Sealer(conn, run)
    hasher = Hasher(conn)
    notes: list[dict[str, Any]] = []
    progress: list[Entry] = []
    closing = closing_states(d)
    # one pass, building each row's two subject rows and its events' fields directly (an
    # import writes hundreds of thousands of them): what ``event_row`` would make, without
    # copying payloads built here
    key, actor, first_item, first_rect = run.key, scope.acting.key, item_m.initial, rect_m.initial
    hidden = d.confidential
    for item_id, rect_id, code, seq, p in zip(item_ids, rect_ids, codes, seqs, rows, strict=True):
        if sealer:  # confidential content: tokens in the columns and events
            p.values = sealer.seal(item_id, code, p.values)
        v = p.values
        title, category = v["title"], v["category"]
        source = v.get("source") or default_source
        item_rows.append({
            "id": item_id, "campaign_id": run.id, "code": code, "seq": seq,
            "title": title, "description": v.get("description"), "unit_id": p.unit.id,
            "category": category, "source": source,
            "stage": p.stage, "found_on": v.get("found_on") or as_of, "closed_on": None,
            "state": first_item, "version": 1, "entered_on": as_of, "reopen_count": 0,
            "typical": False, "external_ref": p.key})
        deadline = v.get("deadline")
        original = v.get("original_deadline") or deadline
        measures, target, department = v.get("measures"), v.get("target"), v.get("department")
        leader, person = v.get("leader"), v.get("person")
        rect_rows.append({
            "id": rect_id, "item_id": item_id, "campaign_id": run.id,
            "state": first_rect, "version": 1, "entered_on": as_of,
            "measures": measures, "target": target,
            "department": department, "leader_id": leader,
            "person_id": person, "deadline": deadline,
            "original_deadline": original, "level_base": deadline,
            "level": None, "returns": 0, "submitted_on": None, "completed_on": None})
        where = {**origin, "row": p.row}
        payload = {"title": title, "unit": p.unit.code, "category": category,
                   "source": source, "rectification": rect_id,
                   "deadline": iso(deadline), "secrets": sorted(p.secrets),
                   "import": {**where, "values": fingerprint(p, hidden)},
                   # who is responsible from the start (version 2): a replay needs it
                   "leader_id": leader, "person_id": person}
        if p.secrets:  # keyed hashes of the confidential values, never the values (version 3)
            payload["hmac"] = hasher.seal(code, p.secrets)
        if measures:
            payload["measures"] = measures
        if target:
            payload["target"] = target
        if department:
            payload["department"] = department
        if original != deadline:
            payload["original_deadline"] = iso(original)
        values = {"campaign_id": run.id, "item_id": item_id}
        added.append(Entry(key, "item", code, "add", actor, as_of, None, first_item, None,
                           payload, ItemAdded.VERSION, None, item_id, values))
        placed.append((p, Current(item_id, 1, first_item, rect_id, 1, first_rect, deadline,
                                  code), where))
        if p.secrets:
            secrets += [(item_id, name, value) for name, value in p.secrets.items()]
        note = v.get("progress")
        if note:
            notes.append({"item_id": item_id, "business_date": as_of, "actor": actor,
                          "note": note, "recorded_at": stamp})
            progress.append(Entry(key, "record", code, "progress", actor, as_of, None, None,
                                  note, {"evidence": [], "import": where},
                                  ProgressRecorded.VERSION, None, item_id, values))
    moves = plan_rows_moves(run, placed, scope.acting, as_of, closing)
    create_items(conn, item_rows, rect_rows, added, moves)
    log_events(conn, progress)
    store(conn, secrets, fresh=True)
    sealer.flush()
    bulk_insert(conn, PR, notes)
    return codes

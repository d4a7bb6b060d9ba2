"""Taking a file's values for items already here (--update).

Every change is checked against the version the import read, so a change someone else made
meanwhile is never overwritten: the import stops with a conflict and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert

from campaigns.i18n import _
from engine.core.moves import Edit, Move
from engine.io.store import now
from engine.io.writer import Entry

from ..context import Scope
from ..events import Edited, ProgressRecorded
from ..plugin import CONFIDENTIAL_FIELDS
from ..secrets import Hasher, store
from ..tables import PROGRESS as PR
from .cells import iso
from .matching import ITEM_COLUMNS, RECT_COLUMNS, fingerprint
from .moves import Current, plan_row_moves
from .rows import Parsed
from .writes import event_row, log_events, write_changes


def update_item(scope: Scope, origin: Mapping[str, Any], p: Parsed, item: Mapping[str, Any],
                diff: Mapping[str, tuple[Any, Any]]) -> None:
    """Take the file's values for one item; every change is an event.  ``origin`` names the
    file and sheet; ``item`` is the item as the import read it (``existing_items``)."""
    conn, run, as_of = scope.conn, scope.run, scope.as_of
    where = {**origin, "row": p.row}
    note = f"imported from {origin['file']} row {p.row}"
    stamp = now()
    _check_duties(scope, item, diff)
    fields: dict[str, dict[str, Any]] = {"item": {}, "rectification": {}}
    for name, (_old, new) in diff.items():
        if name in ITEM_COLUMNS or name == "closed_on":
            fields["item"][name] = new
        elif name == "unit":
            fields["item"]["unit_id"] = new
        elif name in RECT_COLUMNS:
            fields["rectification"][name] = new
            if name == "deadline":
                fields["rectification"]["level_base"] = new
        elif name in ("leader", "person"):
            fields["rectification"][f"{name}_id"] = new
    moves: list[Move] = []
    if "state" in diff:
        deadline = fields["rectification"].get("deadline", item["deadline"])
        current = Current(item["id"], item["version"], item["state"], item["rect_id"],
                          item["rect_version"], item["rect_state"], deadline, item["code"])
        moves = plan_row_moves(run, p, current, scope.acting, as_of, where)
    for move in moves:  # a row that moves takes its field changes in the same UPDATE
        move.changes = {**move.changes, **fields.pop(move.machine)}
    versions = {"item": (item["id"], item["version"]),
                "rectification": (item["rect_id"], item["rect_version"])}
    edits = [Edit(*versions[machine], machine, values)
             for machine, values in fields.items() if values]
    events: list[Entry] = []
    edited = {k: v for e in edits for k, v in e.changes.items()}
    edited.update((k, v) for m in moves for k, v in m.changes.items())
    if edited or any(n in diff for n in CONFIDENTIAL_FIELDS):
        old = {k: iso(item.get(k)) for k in edited if k in item}
        payload = {"old": old, "new": {k: iso(v) for k, v in edited.items()},
                   "secrets": sorted(p.secrets), "import": where}
        if p.secrets:  # keyed hashes of the confidential values, never the values (version 2)
            payload["hmac"] = Hasher(conn).seal(item["code"], p.secrets)
        events.append(event_row(scope, item["code"], item["id"], "record", "edit", None,
                                payload, note, version=Edited.VERSION))
    progress = diff["progress"][1] if "progress" in diff else None
    if progress is not None:
        conn.execute(insert(PR).values(item_id=item["id"], business_date=as_of,
                                       actor=scope.acting.key, note=progress, recorded_at=stamp))
        events.append(event_row(scope, item["code"], item["id"], "record", "progress", None,
                                {"evidence": [], "import": where}, progress,
                                version=ProgressRecorded.VERSION))
    # The row's first event keeps what the row said (see ``fingerprint``).
    said = fingerprint(p, run.definition.confidential)
    if events and events[0].trigger == "edit":
        _said(events[0], said)
    elif moves:
        moves[0].payload = {**(moves[0].payload or {}), "values": said}
    elif events:
        _said(events[0], said)
    log_events(conn, [e for e in events if e.trigger == "edit"])
    write_changes(conn, moves, edits)
    log_events(conn, [e for e in events if e.trigger != "edit"])
    store(conn, [(item["id"], name, value) for name, value in p.secrets.items() if name in diff])


def _said(event: Entry, said: Mapping[str, Any]) -> None:
    payload = dict(event.payload or {})
    payload["import"] = {**payload.get("import", {}), "values": said}
    event.payload = payload


def _check_duties(scope: Scope, item: Mapping[str, Any], diff: Mapping[str, Any]) -> None:
    """The same duties as 'item edit' and 'item move': a file is one more door, not a way round."""
    from engine.core.errors import Refused

    from ..duties import FACT_FIELDS, PLAN_FIELDS, edit_refusals, move_refusals

    tree = scope.tree
    unit = tree.by_id[item["unit_id"]]
    kinds = [tree.by_code[c].kind if c in tree.by_code else None
             for c in unit.path.split("/") if c]
    refusals = edit_refusals(scope.run.definition, scope.acting,
                             sorted(n for n in diff if n in PLAN_FIELDS | FACT_FIELDS),
                             unit.path, kinds)
    if "unit" in diff:
        refusals += move_refusals(scope.run.definition, scope.acting)
    if refusals:
        raise Refused(f"updating {item['code']} refused: " + "; ".join(refusals),
                      _("import as someone whose role may change these columns"))

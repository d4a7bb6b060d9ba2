"""Taking a file's values for items already here (--update)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from engine.core.machines import Actor
from engine.io.store import now

from ..plugin import CONFIDENTIAL_FIELDS
from ..runs import Run
from ..standing import closing_states
from ..tables import EVENTS as E, ITEMS as I, PROGRESS as PR, RECTIFICATIONS as R, SECRETS
from .cells import iso
from .inserting import event_row
from .matching import ITEM_COLUMNS, RECT_COLUMNS, fingerprint
from .rows import Parsed


def update_item(conn: Connection, run: Run, actor: Actor, as_of: dt.date, path: str,
            sheet: str | None, p: Parsed, item: Mapping[str, Any],
            diff: Mapping[str, tuple[Any, Any]]) -> None:
    """Take the file's values for one item (--update); every change is an event."""
    d = run.definition
    file = os.path.basename(path)
    origin = {"file": file, "sheet": sheet, "row": p.row}
    note = f"imported from {file} row {p.row}"
    stamp = now()
    item_vals: dict[str, Any] = {}
    rect_vals: dict[str, Any] = {}
    for name, (_, new) in diff.items():
        if name in ITEM_COLUMNS:
            item_vals[name] = new
        elif name == "unit":
            item_vals["unit_id"] = new
        elif name in RECT_COLUMNS:
            rect_vals[name] = new
            if name == "deadline":
                rect_vals["level_base"] = new
        elif name in ("leader", "person"):
            rect_vals[f"{name}_id"] = new
        elif name == "closed_on":
            item_vals["closed_on"] = new
    events = []
    if "state" in diff:
        (old_item, old_rect), (new_item, new_rect) = diff["state"]
        stamps = set(p.path.stamps) if p.path else set()
        if new_item != old_item:
            item_vals.update(state=new_item, entered_on=as_of)
            if new_item in closing_states(d):
                item_vals.setdefault("closed_on", p.values.get("closed_on") or as_of)
            else:
                item_vals["closed_on"] = None
            events.append(event_row(run, item["id"], "item", item["id"], "import", old_item, new_item,
                                 actor, as_of, stamp,
                                 {**origin, "closed_on": iso(item_vals.get("closed_on"))}, note))
        if new_rect != old_rect:
            rect_vals.update(state=new_rect, entered_on=as_of)
            for name in ("submitted_on", "completed_on"):
                if ("rectification", name) in stamps:
                    rect_vals[name] = as_of
            events.append(event_row(run, item["id"], "rectification", item["rect_id"], "import",
                                 old_rect, new_rect, actor, as_of, stamp,
                                 {**origin, "deadline": iso(rect_vals.get("deadline",
                                                                           item["deadline"]))},
                                 note))
    edited = {k: v for k, v in {**item_vals, **rect_vals}.items()
              if k not in ("state", "entered_on")}
    if edited or any(n in diff for n in CONFIDENTIAL_FIELDS):
        old = {k: iso(item.get(k)) for k in edited if k in item}
        events.insert(0, event_row(run, item["id"], "record", item["id"], "edit", None, None, actor,
                                as_of, stamp, {"old": old,
                                               "new": {k: iso(v) for k, v in edited.items()},
                                               "secrets": sorted(p.secrets), "import": origin},
                                note))
    if item_vals:
        conn.execute(update(I).where(I.c.id == item["id"])
                     .values(version=item["version"] + 1, **item_vals))
    if rect_vals:
        conn.execute(update(R).where(R.c.id == item["rect_id"])
                     .values(version=item["rect_version"] + 1, **rect_vals))
    for name, value in p.secrets.items():
        if name in diff:
            res = conn.execute(update(SECRETS).where(SECRETS.c.item_id == item["id"],
                                                     SECRETS.c.field == name).values(value=value))
            if res.rowcount == 0:
                conn.execute(insert(SECRETS).values(item_id=item["id"], field=name, value=value))
    if "progress" in diff:
        new_note = diff["progress"][1]
        conn.execute(insert(PR).values(item_id=item["id"], business_date=as_of, actor=actor.key,
                                       note=new_note, recorded_at=stamp))
        events.append(event_row(run, item["id"], "record", item["id"], "progress", None, None, actor,
                             as_of, stamp, {"evidence": [], "import": origin}, new_note))
    if events:
        first = events[0]["payload"]
        values = fingerprint(p, d.confidential)
        if isinstance(first.get("import"), dict):
            first["import"]["values"] = values
        else:
            first["values"] = values
        conn.execute(insert(E), events)

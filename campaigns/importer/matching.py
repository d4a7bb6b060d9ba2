"""Recognising rows imported before, and what changed in them since."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..plugin import CONFIDENTIAL_FIELDS
from ..runs import Run
from ..secrets import campaign_secrets
from ..standing import label, latest_progress
from ..tables import EVENTS as E, ITEMS as I, PROGRESS as PR, RECTIFICATIONS as R
from .columns import LABELS
from .header import Header
from .rows import Parsed


def existing_items(conn: Connection, run: Run, rows: Sequence[Parsed] | None = None,
                   upto: int | None = None) -> dict[str, Any]:
    """The campaign's items, by code and by external reference, with what a row may change.

    Given ``rows``, only the items those rows name (by code or natural key), so that an import
    holds one batch's items at a time however large the campaign; ``upto`` leaves out items
    added after the import began (their ids are larger).
    """
    base = (select(I.c.id, I.c.code, I.c.external_ref, I.c.title, I.c.description, I.c.unit_id,
                   I.c.category, I.c.source, I.c.state, I.c.version, I.c.closed_on,
                   R.c.id.label("rect_id"), R.c.state.label("rect_state"),
                   R.c.version.label("rect_version"), R.c.measures, R.c.target, R.c.department,
                   R.c.deadline, R.c.original_deadline, R.c.leader_id, R.c.person_id)
            .select_from(I.join(R, R.c.item_id == I.c.id))
            .where(I.c.campaign_id == run.id, I.c.retired_on.is_(None)))  # retired: rows anew
    if upto is not None:
        base = base.where(I.c.id <= upto)
    if rows is None:
        queries = [base]
    else:
        codes = sorted({p.code for p in rows if p.code})
        refs = sorted({p.key for p in rows})
        queries = [base.where(I.c.code.in_(codes[i:i + CHUNK])) for i in range(0, len(codes), CHUNK)]
        queries += [base.where(I.c.external_ref.in_(refs[i:i + CHUNK]))
                    for i in range(0, len(refs), CHUNK)]
    found: dict[int, dict[str, Any]] = {}
    for query in queries:
        for r in conn.execute(query):
            found.setdefault(r.id, dict(r._mapping))
    by_code: dict[str, dict[str, Any]] = {}
    by_ref: dict[str, dict[str, Any]] = {}
    for item_id in sorted(found):  # the newest item of a natural key wins, as before
        item = found[item_id]
        by_code[item["code"]] = item
        if item["external_ref"]:
            by_ref[item["external_ref"]] = item
    if by_code:
        ids = None if rows is None else sorted(found)
        notes = _progress(conn, run, ids)
        secrets = campaign_secrets(conn, run.id, ids)
        imported = _imported_values(conn, run, ids)
        for item in by_code.values():
            item["progress"] = notes.get(item["id"])
            item["secrets"] = secrets.get(item["id"], {})
            item["imported"] = imported.get(item["id"])
    return {"code": by_code, "ref": by_ref}


CHUNK = 500  # values in one IN (...)


def last_item_id(conn: Connection) -> int:
    """The largest item id now: items an import adds come after it."""
    from sqlalchemy import func

    return int(conn.execute(select(func.coalesce(func.max(I.c.id), 0))).scalar_one())


def _progress(conn: Connection, run: Run, ids: list[int] | None) -> dict[int, str]:
    """The newest progress note of each item (of ``ids``, else of the campaign)."""
    if ids is None:
        return latest_progress(conn, None, run.id)
    from sqlalchemy import func

    out: dict[int, str] = {}
    for i in range(0, len(ids), CHUNK):
        newest = (select(func.max(PR.c.id)).where(PR.c.item_id.in_(ids[i:i + CHUNK]))
                  .group_by(PR.c.item_id))
        out.update(conn.execute(select(PR.c.item_id, PR.c.note).where(PR.c.id.in_(newest))).all())
    return out


def _imported_values(conn: Connection, run: Run,
                     ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """What each item's row said when it was last imported (see ``fingerprint``)."""
    out: dict[int, dict[str, Any]] = {}
    triggers = ["add", "edit", "import", "progress"]
    if ids is None:
        queries = [select(E.c.item_id, E.c.payload)
                   .where(E.c.campaign_id == run.id, E.c.item_id.is_not(None),
                          E.c.trigger.in_(triggers))
                   .order_by(E.c.id)]
    else:  # through the index on item_id: each item's events in order
        queries = [select(E.c.item_id, E.c.payload)
                   .where(E.c.item_id.in_(ids[i:i + CHUNK]), E.c.trigger.in_(triggers))
                   .order_by(E.c.item_id, E.c.id) for i in range(0, len(ids), CHUNK)]
    for q in queries:
        for item_id, payload in conn.execute(q):
            if not payload:
                continue
            origin = payload.get("import")
            values = origin.get("values") if isinstance(origin, dict) else payload.get("values")
            if values is not None:
                out[item_id] = values
    return out


def match_rows(parsed: list[Parsed], existing: dict[str, Any]) -> tuple[list[Parsed],
                                                                   list[tuple[Parsed, Any]]]:
    """Rows for new items, and rows of items already here: by item code, else unit and 序号."""
    fresh, matched = [], []
    for p in parsed:
        item = existing["code"].get(p.code) if p.code else None
        if item is None:
            item = existing["ref"].get(p.key)
        if item is None:
            fresh.append(p)
        else:
            matched.append((p, item))
    return fresh, matched


ITEM_COLUMNS = ("title", "description", "category", "source")
RECT_COLUMNS = ("measures", "target", "department", "deadline", "original_deadline")


def fingerprint(p: Parsed, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """What a row said, kept in its import event, so that importing again can tell a cell the
    office changed from one changed in Rectify since (confidential values are never kept)."""
    out = {name: (value.isoformat() if isinstance(value, dt.date) else value)  # iso, inline
           for name, value in p.values.items() if name not in hidden}
    out["unit"] = p.unit.id
    if p.pair is not None:
        out["state"] = "/".join(p.pair)
    return out


def diff_row(run: Run, p: Parsed, item: Mapping[str, Any],
          names: Mapping[int, str]) -> dict[str, tuple[Any, Any]]:
    """What the row says differently from the item (cells left empty say nothing).

    A cell the file still gives as it was last imported is no difference: the item has been
    worked on since (a plan, a new deadline from the supervision office), and the file is
    merely older.  Only cells the office changed, or items never imported, are compared.
    """
    v = p.values
    base = item.get("imported") or {}
    current: dict[str, tuple[Any, Any]] = {}
    for name in ITEM_COLUMNS + RECT_COLUMNS + ("closed_on", "progress"):
        if name in v:
            current[name] = (item[name], v[name])
    current["unit"] = (item["unit_id"], p.unit.id)
    for name in ("leader", "person"):
        if name in v:
            current[name] = (item[f"{name}_id"], v[name])
    if p.pair is not None:
        current["state"] = ((item["state"], item["rect_state"]), p.pair)
    said = fingerprint(p, run.definition.confidential)
    diff = {name: (old, new) for name, (old, new) in current.items()
            if old != new and not (name in base and base[name] == said.get(name))}
    for name, value in p.secrets.items():
        if item["secrets"].get(name) != value:
            diff[name] = (None, None)  # never shown
    return diff


def describe_change(run: Run, header: Header, name: str, old: Any, new: Any) -> str:
    col = next((c for c, f in header.fields.items() if f == name), None)
    what = header.texts[col] if col is not None else LABELS.get(name, name)
    if name in CONFIDENTIAL_FIELDS or name in run.definition.confidential:
        return f"{what} differs"
    if name == "state":
        return f"{what} {label(run.definition, *old)} → {label(run.definition, *new)}"
    if name in ("unit", "leader", "person"):
        return f"{what} changed"
    return f"{what} {_short(old)} → {_short(new)}"


def _short(value: Any) -> str:
    text = "(empty)" if value in (None, "") else str(value)
    return f"'{text[:30]}…'" if len(text) > 30 else f"'{text}'"

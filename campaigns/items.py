"""Recording problem items and their rectification plans, listing and showing them."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound, Refused
from engine.core.files import regular_file
from engine.core.moves import Edit
from engine.core.planner import Request
from engine.io.store import now
from engine.io.writer import apply_edits, apply_moves

from . import events as ev
from .advance import plan_record
from .batches import COMMAND, recording
from .context import Scope
from .duties import edit_refusals, move_refusals
from .i18n import _
from .records import Record, load_records
from .runs import Run, require_forward
from .sealed import Sealer
from .secrets import Hasher, store
from .stages import stage_for
from .tables import (
    BLOBS,
    EVENTS as E,
    EVIDENCE,
    ITEMS as I,
    PEOPLE as P,
    PROGRESS,
    RECTIFICATIONS as R,
    SUBJECT_TABLES as TABLES,
    insert_id,
)
from .units import require_live

MAX_EVIDENCE = 20 * 1024 * 1024


def _check_choice(value: str, choices: Mapping[str, str], what: str) -> str:
    """Match a category or source by key or by title."""
    if value in choices:
        return value
    for key, title in choices.items():
        if value == title:
            return key
    from .filters import suggestion

    shown = {"category": _("category"), "source": _("source")}.get(what, what)
    raise NotFound(_("unknown {what} '{value}'").format(what=shown, value=value),
                   suggestion(value, [*choices, *choices.values()]))


def next_code(conn: Connection, run: Run) -> tuple[int, str]:
    seq = (conn.execute(select(func.max(I.c.seq)).where(I.c.campaign_id == run.id)).scalar() or 0) + 1
    return seq, f"{run.code_prefix}-{run.start_date.year}-{seq:04d}"


def add_item(scope: Scope, *, title: str, unit: str, category: str, source: str,
             description: str | None = None, reporter: str | None = None, reporter_contact: str | None = None,
             deadline: dt.date | None = None, external_ref: str | None = None,
             inspection: str | None = None) -> str:
    """Record a problem item and its (not yet planned) rectification; returns the item code
    (``inspection``: the reference of the inspection that found it, kept in its event)."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    require_forward(run, as_of)
    if run.concluded_on:
        raise Refused(_("campaign '{key}' concluded on {concluded_on}").format(
            key=run.key, concluded_on=run.concluded_on))
    if not title.strip():
        raise InvalidInput(_("an item needs a title"), _("give --title"))
    d = run.definition
    category = _check_choice(category, d.sections.get("categories") or {}, "category")
    source = _check_choice(source, d.sections.get("sources") or {}, "source")
    if deadline is not None and deadline < as_of:
        raise InvalidInput(_("deadline {deadline} is before the item was found ({as_of})").format(
            deadline=deadline, as_of=as_of),
                           _("give a deadline on or after --as-of"))
    unit_row = scope.tree.find(unit)
    require_live(unit_row, scope.tree)
    stage = stage_for(run, as_of)  # found today: the latest-starting window holding today
    ev.lock(conn, [run.key])
    seq, code = next_code(conn, run)
    sealer = Sealer(conn, run)  # confidential content: tokens here, values in secrets
    shown = sealer.seal(0, code, {"title": title.strip(), "description": description})
    item_id = insert_id(conn, insert(I).values(
        campaign_id=run.id, code=code, seq=seq, title=shown["title"], description=shown["description"],
        unit_id=unit_row.id, category=category, source=source, stage=stage, found_on=as_of,
        state=d.machines["item"].initial, version=1, entered_on=as_of, reopen_count=0,
        typical=False, external_ref=external_ref))
    rect_id = insert_id(conn, insert(R).values(
        item_id=item_id, campaign_id=run.id, state=d.machines["rectification"].initial, version=1,
        entered_on=as_of, deadline=deadline, original_deadline=deadline, level_base=deadline,
        returns=0))
    sealer.rebind(0, item_id)
    sealer.flush()
    given = {f: v for f, v in (("reporter", reporter), ("reporter_contact", reporter_contact)) if v}
    store(conn, [(item_id, f, v) for f, v in given.items()], fresh=True)
    ev.write(conn, [ev.entry(run.key, ev.ItemAdded(shown["title"], unit_row.code, category, source, rect_id,
                                                   deadline, sorted(given),
                                                   hmac=Hasher(conn).seal(code, given) or None,
                                                   inspection=inspection),
                             subject=code, actor=actor.key, day=as_of, campaign_id=run.id,
                             item_id=item_id, subject_id=item_id,
                             to_state=d.machines["item"].initial)])
    return code


def default_deadline(run: Run, start: dt.date) -> dt.date | None:
    limit = run.definition.deadlines.default_limit
    if limit is None:
        return None
    from engine.core.calendar import calendar_for

    return calendar_for(run.definition.calendar).add(start, limit)


def plan(scope: Scope, code: str, *, measures: str, target: str | None, deadline: dt.date | None,
         leader: str | None, person: str | None, department: str | None = None) -> dt.date | None:
    """Give an item its rectification plan (措施、目标、时限、责任领导、责任人) and fire 'plan'."""

    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    if not measures.strip():
        raise InvalidInput(_("a rectification plan needs measures"), _("give --measures"))
    record = load_records(conn, [code])[0]
    require_forward(run, as_of)
    with recording(conn, run.id, run.key, COMMAND, actor.key, as_of):
        return _plan(scope, record, measures, target, deadline, leader, person, department)


def _plan(scope: Scope, record: Record, measures: str, target: str | None,
          deadline: dt.date | None, leader: str | None, person: str | None,
          department: str | None) -> dt.date | None:
    from .clock import catch_up

    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    code = record.code
    catch_up(conn, run, [record], as_of)  # the clock first: what daily ticks would have done
    deadline = deadline or record.rectification.deadline or default_deadline(run, as_of)
    if deadline is not None and deadline < as_of:
        raise InvalidInput(_("deadline {deadline} is before today's business date {as_of}").format(
            deadline=deadline, as_of=as_of),
                           _("give a later --deadline"))
    changes: dict[str, Any] = {"measures": measures, "target": target, "department": department,
                               "deadline": deadline, "level_base": deadline, "level": None}
    if record.rectification.deadline is None:
        changes["original_deadline"] = deadline
    for field, key in (("leader_id", leader), ("person_id", person)):
        if key:
            pid = conn.execute(select(P.c.id).where(P.c.key == key)).scalar()
            if pid is None:
                raise NotFound(_("unknown person '{key}'").format(
                    key=key), _("add them with 'rectify person add'"))
            changes[field] = pid
    sealer = Sealer(conn, run)
    changes = sealer.seal(record.item.id, code, changes)  # the event carries tokens
    sealer.flush()
    decided = plan_record(conn, run, record, Request("plan", actor, as_of, changes=changes))
    decided.raise_if_refused(code, "run 'rectify item triggers CODE' to see what is possible now")
    for m in decided.moves:
        if m.trigger == "plan":
            m.payload_version = ev.Planned.VERSION
    apply_moves(conn, TABLES, E, decided.moves)
    return deadline


def progress(scope: Scope, code: str, note: str, evidence: list[str]) -> dict[str, Any]:
    """Record progress (整改进展) with evidence files kept by content hash."""
    if not note.strip():
        raise InvalidInput(_("a progress report needs a note"), _("give --note"))
    files = []
    for path in evidence:
        size = regular_file(path, "evidence file")
        if size > MAX_EVIDENCE:
            raise InvalidInput(_("evidence file '{path}' is larger than 20 MiB").format(path=path),
                               _("attach a smaller file or a summary"))
        with open(path, "rb") as fh:
            files.append((os.path.basename(path), fh.read()))
    return record_progress(scope, code, note, files)


def record_progress(scope: Scope, code: str, note: str,
                    evidence: list[tuple[str, bytes]]) -> dict[str, Any]:
    """Record progress on ``code`` with evidence given as (file name, content): the one way
    for every door (a file on disk, an upload)."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    if not note.strip():
        raise InvalidInput(_("a progress report needs a note"), _("give --note"))
    record = load_records(conn, [code])[0]
    require_forward(run, as_of)
    files = [(name, hashlib.sha256(content).hexdigest(), content) for name, content in evidence]
    ev.lock(conn, [run.key])
    sealer = Sealer(conn, run)
    note = sealer.seal(record.item.id, code, {"progress": note})["progress"]
    sealer.flush()
    pid = insert_id(conn, insert(PROGRESS).values(
        item_id=record.item.id, business_date=as_of, actor=actor.key, note=note,
        recorded_at=now()))
    for name, digest, content in files:
        if conn.execute(select(BLOBS.c.sha256).where(BLOBS.c.sha256 == digest)).first() is None:
            conn.execute(insert(BLOBS).values(sha256=digest, content=content))
        conn.execute(EVIDENCE.insert().values(progress_id=pid, filename=name,
                                                       sha256=digest, size=len(content)))
    ev.write(conn, [ev.entry(run.key, ev.ProgressRecorded([{"file": n, "sha256": d} for n, d, _ in files]),
                             subject=code, actor=actor.key, day=as_of, campaign_id=run.id,
                             item_id=record.item.id, subject_id=record.item.id, note=note)])
    return {"code": code, "evidence": [{"file": n, "sha256": d} for n, d, _ in files]}


EDITABLE = ("title", "description", "unit", "category", "source", "leader", "person",
            "department", "measures", "target", "typical")


def edit(scope: Scope, code: str, changes: Mapping[str, Any], note: str | None) -> dict[str, Any]:
    """Correct an item's facts; the old and new values are kept in the event."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    if not changes:
        raise InvalidInput(_("nothing to change"), _("give at least one of --title, --unit, --category, "
                                                     "--source, --leader, --person, --measures, --target, "
                                                     "--typical"))
    record = load_records(conn, [code])[0]
    require_forward(run, as_of)
    d = run.definition
    refusals = edit_refusals(d, actor, sorted(changes), record.unit_path, record.unit_kinds)
    if refusals:
        raise Refused(f"'edit' on {code} refused: " + "; ".join(refusals),
                      _("ask someone whose role may correct it, or see 'roles' in the definition"))
    item_vals: dict[str, Any] = {}
    rect_vals: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "unit":
            item_vals["unit_id"] = scope.tree.find(value).id
        elif field == "category":
            item_vals["category"] = _check_choice(value, d.sections.get("categories") or {},
                                                  "category")
        elif field == "source":
            item_vals["source"] = _check_choice(value, d.sections.get("sources") or {}, "source")
        elif field == "title":  # the rule of add_item, whichever door
            if not str(value).strip():
                raise InvalidInput(_("an item needs a title"), _("give a --title that is not empty"))
            item_vals[field] = str(value).strip()
        elif field in ("description", "typical"):
            item_vals[field] = value
        elif field == "measures" and not str(value).strip():
            raise InvalidInput(_("a rectification plan needs measures"),
                               _("give --measures that are not empty"))
        elif field in ("leader", "person"):
            pid = conn.execute(select(P.c.id).where(P.c.key == value)).scalar()
            if pid is None:
                raise NotFound(_("unknown person '{value}'").format(
                    value=value), _("see 'rectify person list'"))
            rect_vals[f"{field}_id"] = pid
        else:
            rect_vals[field] = value
    ev.lock(conn, [run.key])
    sealer = Sealer(conn, run)
    if sealer:  # confidential content: the columns and the event get tokens
        item_vals = sealer.seal(record.item.id, code, item_vals)
        rect_vals = sealer.seal(record.item.id, code, rect_vals)
        sealer.flush()
    before_item = conn.execute(select(*(I.c[k] for k in item_vals)).where(
        I.c.id == record.item.id)).first() if item_vals else None
    before_rect = conn.execute(select(*(R.c[k] for k in rect_vals)).where(
        R.c.id == record.rectification.id)).first() if rect_vals else None
    apply_edits(conn, TABLES, [Edit(subject.id, subject.version, machine, vals) for machine, vals, subject
                               in (("item", item_vals, record.item),
                                   ("rectification", rect_vals, record.rectification)) if vals])
    old = {**(dict(before_item._mapping) if before_item else {}),
           **(dict(before_rect._mapping) if before_rect else {})}
    ev.write(conn, [ev.entry(run.key, ev.Edited(old, {**item_vals, **rect_vals}), subject=code,
                             actor=actor.key, day=as_of, campaign_id=run.id, item_id=record.item.id,
                             subject_id=record.item.id, note=note)])
    return {"code": code, "changed": sorted(changes)}


def move(scope: Scope, code: str, to: str, note: str | None) -> dict[str, Any]:
    """Hand an item to another unit: the office's step, recorded as its own event."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    if not (note or "").strip():
        raise InvalidInput(_("moving an item to another unit needs a reason"), _("give --note"))
    record = load_records(conn, [code])[0]
    require_forward(run, as_of)
    refusals = move_refusals(run.definition, actor)
    if refusals:
        raise Refused(f"'move' on {code} refused: " + "; ".join(refusals),
                      _("ask the campaign's office to move it"))
    target = scope.tree.find(to)
    require_live(target, scope.tree)
    old_id = conn.execute(select(I.c.unit_id).where(I.c.id == record.item.id)).scalar()
    if old_id == target.id:
        raise InvalidInput(_("{code} already belongs to {code2}").format(
            code=code, code2=target.code), _("give another --to"))
    old = scope.tree.by_id[old_id]
    ev.lock(conn, [run.key])
    apply_edits(conn, TABLES, [Edit(record.item.id, record.item.version, "item",
                                    {"unit_id": target.id})])
    ev.write(conn, [ev.entry(run.key, ev.ItemMoved({"unit_id": old_id}, {"unit_id": target.id},
                                                   old.code, target.code),
                             subject=code, actor=actor.key, day=as_of, campaign_id=run.id,
                             item_id=record.item.id, subject_id=record.item.id, note=note)])
    return {"code": code, "from": old.code, "to": target.code}


def merge(scope: Scope, code: str, into: str, note: str | None) -> None:
    """A duplicate report: fire 'merge' on ``code``, pointing it at the item it duplicates."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    if code == into:
        raise InvalidInput(_("an item cannot be merged into itself"), _("give another --into"))
    require_forward(run, as_of)
    record, target = load_records(conn, [code, into])
    if target.campaign_id != run.id or record.campaign_id != run.id:
        raise InvalidInput(_("{into} belongs to another campaign").format(
            into=into), _("merge within one campaign"))
    decided = plan_record(conn, run, record, Request(
        "merge", actor, as_of, {"into": into}, note or f"duplicate of {into}",
        changes={"merged_into": target.item.id}))
    decided.raise_if_refused(code, "run 'rectify item triggers CODE' to see what is possible now")
    with recording(conn, run.id, run.key, COMMAND, actor.key, as_of):
        apply_moves(conn, TABLES, E, decided.moves)

"""Deadlines counted on provisional days, counted again when the year's notice comes.

A deadline is taken as counted when it equals one of the definition's working-day limits
(``deadlines.default_limit``, a named limit such as ``after_return``, a ladder level's
``new_deadline``) counted from the business day of the event that set it, on the calendar as
it was without the notice.  One whose count crossed a provisional year and that the notice
moves is listed; moved (``apply``) when neither the old nor the new deadline has passed,
each by its own ``deadline recounted`` event through the writer, with the version check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.engine import Connection

from engine.core.calendar import WorkCalendar, calendar_for
from engine.core.moves import Edit
from engine.core.spec import Definition, Duration, SiteDays
from engine.io.writer import apply_edits

from .tables import (
    CAMPAIGNS as C,
    EVENTS as E,
    ITEMS as I,
    RECTIFICATIONS as R,
    SUBJECT_TABLES,
    UNDONE,
)

CHUNK = 500


@dataclass(frozen=True)
class Recount:
    """One deadline the notice moves."""

    campaign: str
    campaign_id: int
    code: str
    item_id: int
    rect_id: int
    version: int
    was: dt.date
    new: dt.date
    limit: Duration
    counted_from: dt.date
    level_base: dt.date | None
    original_deadline: dt.date | None
    passed: bool  # the old or the new deadline is before the day: left as it is

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "code": self.code, "deadline": self.was.isoformat(),
                "new_deadline": self.new.isoformat(), "limit": str(self.limit),
                "counted_from": self.counted_from.isoformat(), "passed": self.passed}


def limits(definition: Definition) -> list[Duration]:
    """The definition's positive working-day limits a deadline may have been counted by."""
    found = [definition.deadlines.default_limit, *definition.deadlines.named.values()]
    if definition.ladder is not None:
        found += [lv.new_deadline for lv in definition.ladder.levels]
    out: list[Duration] = []
    for d in found:
        if d is not None and d.unit == "working" and d.days > 0 and d not in out:
            out.append(d)
    return out


def find(conn: Connection, before: SiteDays, after: SiteDays, span: tuple[dt.date, dt.date],
         as_of: dt.date | None) -> list[Recount]:
    """Every open deadline of a running campaign that ``after`` moves from where ``before``
    counted it on provisional days; ``span``: the first and last day the notice can change.

    ``as_of`` None: each campaign's today in its time zone.
    """
    from .dates import today
    from .runs import load_run_by_id

    out: list[Recount] = []
    campaigns = conn.execute(select(C.c.id).where(C.c.concluded_on.is_(None)).order_by(C.c.id)).scalars()
    for cid in list(campaigns):
        run = load_run_by_id(conn, cid)
        definition = run.definition
        if definition.calendar.region != "cn":
            continue
        counted_by = limits(definition)
        if not counted_by:
            continue
        old = calendar_for(dataclasses.replace(definition.calendar, site=before))
        new = calendar_for(dataclasses.replace(definition.calendar, site=after))
        machine = definition.machines.get("rectification")
        closed = set(machine.done_states) if machine else set()
        if definition.ladder is not None:
            closed |= definition.ladder.stop_states
        day = as_of or today(run.timezone)
        rows = conn.execute(
            select(R.c.id, R.c.item_id, R.c.version, R.c.deadline, R.c.level_base,
                   R.c.original_deadline, I.c.code)
            .select_from(R.join(I, I.c.id == R.c.item_id))
            .where(R.c.campaign_id == cid, R.c.deadline >= span[0], R.c.state.not_in(closed or {""}))
            .order_by(I.c.seq)).all()
        for start in range(0, len(rows), CHUNK):
            part = rows[start:start + CHUNK]
            setters = _setters(conn, [r.item_id for r in part], {r.item_id: r.deadline for r in part})
            for r in part:
                base = setters.get(r.item_id)
                if base is None or base > span[1]:
                    continue
                found = _recounted(old, new, base, r.deadline, counted_by)
                if found is None:
                    continue
                limit, moved = found
                out.append(Recount(run.key, cid, r.code, r.item_id, r.id, r.version, r.deadline, moved,
                                   limit, base, r.level_base, r.original_deadline,
                                   r.deadline < day or moved < day))
    return out


def _recounted(old: WorkCalendar, new: WorkCalendar, base: dt.date, was: dt.date,
               counted_by: Iterable[Duration]) -> tuple[Duration, dt.date] | None:
    """The limit ``was`` was counted by from ``base`` on provisional days, and where ``new``
    puts it; None when it was not so counted or does not move."""
    from engine.core.errors import EngineError

    for limit in counted_by:
        try:
            if old.add(base, limit) != was:
                continue
            if not old.provisional_between(base, was):
                return None
            moved = new.add(base, limit)
        except EngineError:
            continue
        return (limit, moved) if moved != was else None
    return None


def _setters(conn: Connection, item_ids: list[int], deadlines: dict[int, dt.date]) -> dict[int, dt.date]:
    """For each item, the business day of its newest standing event that set its deadline."""
    found: dict[int, dt.date] = {}
    query = (select(E.c.item_id, E.c.business_date, E.c.payload)
             .where(E.c.item_id.in_(item_ids),
                    ~exists().where(and_(UNDONE.c.event_id == E.c.id)))
             .order_by(E.c.id.desc()))
    for item_id, day, raw in conn.execute(query):
        if item_id in found or raw is None:
            continue
        payload = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(payload, dict):
            continue
        wanted = deadlines[item_id].isoformat()
        new = payload.get("new")
        if wanted in (payload.get("deadline"), payload.get("new_deadline")) or (
                isinstance(new, dict) and new.get("deadline") == wanted):
            found[item_id] = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    return found


def apply(conn: Connection, recounts: list[Recount], notice: str, *, actor: str,
          day: dt.date | None) -> int:
    """Move each deadline not yet passed: an edit with the version check and its event."""
    from . import events as ev
    from .dates import today
    from .runs import load_run_by_id

    moved = 0
    by_campaign: dict[int, list[Recount]] = {}
    for r in recounts:
        if not r.passed:
            by_campaign.setdefault(r.campaign_id, []).append(r)
    for cid, group in by_campaign.items():
        run = load_run_by_id(conn, cid)
        when = day or today(run.timezone)
        if run.latest is not None and when < run.latest:
            when = run.latest  # business time only moves forward
        ev.lock(conn, [run.key])
        edits, entries = [], []
        for r in group:
            changes: dict[str, Any] = {"deadline": r.new}
            base = r.new if r.level_base == r.was else None
            original = r.new if r.original_deadline == r.was else None
            if base is not None:
                changes["level_base"] = base
            if original is not None:
                changes["original_deadline"] = original
            edits.append(Edit(r.rect_id, r.version, "rectification", changes))
            entries.append(ev.entry(run.key, ev.DeadlineRecounted(
                r.new, r.was, str(r.limit), r.counted_from, notice, base, original),
                subject=r.code, actor=actor, day=when, campaign_id=cid, item_id=r.item_id,
                subject_id=r.rect_id))
        apply_edits(conn, SUBJECT_TABLES, edits)
        ev.write(conn, entries)
        moved += len(group)
    return moved

"""Measures an assessment reads from the event log, per unit and period, as of a date.

Each measure counts what the campaign's log records about a unit's items (or filings) in a
period, taking only events of business dates up to the as-of date, so a past period's result
is the same whenever it is asked for with the same date.  Events an undo took back count
nowhere.  Items count for the unit they belong to now; for a person (``Window.owner``), for
the person their rectification names now (责任人, or 责任领导), so an item handed over counts
for its new holder.  The figures come from grouped SQL, a
few statements a period, never from loading events one by one.

More measures are added by name with ``campaigns.measure_names.register`` (a register that
keeps its own records, such as commitments, contributes its own).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from .measure_names import READERS, TITLES, register
from .runs import Run
from .tables import (
    EVENTS as E,
    FILINGS as F,
    ITEMS as I,
    NOTICES as N,
    RECTIFICATIONS as R,
    UNDONE as U,
)

# per measure, per unit id: its value
Figures = dict[str, dict[int, float]]


@dataclass(frozen=True)
class Window:
    """The period [first, last] and the as-of date the log is read to."""

    first: dt.date
    last: dt.date
    as_of: dt.date
    owner: str = "unit"  # whom item measures count for: unit, person (责任人) or leader

    def holder(self) -> ColumnElement[Any]:
        """The column an item's figures are grouped by."""
        return {"unit": I.c.unit_id, "person": R.c.person_id, "leader": R.c.leader_id}[self.owner]

    @property
    def to(self) -> dt.date:
        """The last day whose events count: the period's end, or the as-of date before it."""
        return min(self.last, self.as_of)


Reader = Callable[[Connection, Run, Window], Figures]


MEASURES = TITLES  # name → title: what definitions may name


def _live(campaign_id: int) -> ColumnElement[bool]:
    """Events an undo took back are not counted."""
    return ~exists().where(U.c.event_id == E.c.id, U.c.campaign_id == campaign_id)


def agreed_deadline(w: Window) -> ColumnElement[Any]:
    """The deadline a rectification was held to: the one the ladder found overdue when a
    rung set it a new one (its earliest such notice), else its deadline (planned or extended)."""
    moved = (select(func.min(N.c.deadline))
             .where(N.c.rectification_id == R.c.id, N.c.new_deadline.is_not(None),
                    N.c.withdrawn_on.is_(None), N.c.issued_on <= w.as_of)
             .scalar_subquery())
    return func.coalesce(moved, R.c.deadline)


ITEM_EVENTS = (("item", "add"), ("item", "close"), ("rectification", "return"),
               ("rectification", "escalate"))


def item_events(conn: Connection, run: Run, w: Window) -> Figures:
    """Items found, closed, closed on time, returns, escalations and inspection findings in
    the window: one grouped statement over the window's events."""
    out: Figures = {n: {} for n in ("items_found", "closed", "closed_on_time", "returns",
                                    "escalations", "inspection_findings")}
    if w.to < w.first:
        return out
    deadline = agreed_deadline(w)
    on_time = func.sum(case((or_(R.c.deadline.is_(None), E.c.business_date <= deadline), 1),
                            else_=0))
    inspected = func.sum(case((I.c.source == "inspection", 1), else_=0))
    pairs = or_(*(and_(E.c.machine == m, E.c.trigger == t) for m, t in ITEM_EVENTS))
    holder = w.holder()
    query = (select(holder, E.c.machine, E.c.trigger, func.count(), on_time, inspected)
             .select_from(E.join(I, I.c.id == E.c.item_id).join(R, R.c.item_id == I.c.id))
             .where(E.c.campaign_id == run.id, E.c.business_date >= w.first,
                    E.c.business_date <= w.to, pairs, I.c.retired_on.is_(None), _live(run.id),
                    holder.is_not(None))
             .group_by(holder, E.c.machine, E.c.trigger))
    for unit, machine, trigger, n, timely, found_by_inspection in conn.execute(query):
        if (machine, trigger) == ("item", "add"):
            out["items_found"][unit] = float(n)
            out["inspection_findings"][unit] = float(found_by_inspection or 0)
        elif (machine, trigger) == ("item", "close"):
            out["closed"][unit] = float(n)
            out["closed_on_time"][unit] = float(timely or 0)
        elif trigger == "return":
            out["returns"][unit] = float(n)
        else:
            out["escalations"][unit] = float(n)
    return out


def overdue_days(conn: Connection, run: Run, w: Window) -> Figures:
    """Overdue item-days in the window: for each rectification with a deadline, the days
    after its agreed deadline (``agreed_deadline``) up to and including the day its item was
    (last) closed by the as-of date, or to the window's end when still open, that fall in
    the window.  Rectifications
    now cancelled or long-term (the ladder's stop states that are not done) count nothing."""
    out: dict[int, float] = {}
    if w.to < w.first:
        return {"overdue_days": out}
    d = run.definition
    stop = sorted((d.ladder.stop_states if d.ladder else frozenset({"long_term", "cancelled"}))
                  - d.machines["rectification"].done_states)
    closed = (select(func.max(E.c.business_date))
              .where(E.c.item_id == I.c.id, E.c.machine == "item", E.c.trigger == "close",
                     E.c.business_date <= w.as_of, _live(run.id))
              .scalar_subquery())
    query = (select(w.holder(), agreed_deadline(w), closed)
             .select_from(R.join(I, I.c.id == R.c.item_id))
             .where(R.c.campaign_id == run.id, R.c.deadline.is_not(None), w.holder().is_not(None),
                    agreed_deadline(w) < w.to, I.c.found_on <= w.to, I.c.retired_on.is_(None),
                    R.c.state.not_in(stop) if stop else literal(True)))
    for unit, deadline, closed_on in conn.execute(query):
        if closed_on is not None and closed_on <= deadline:
            continue  # closed in time
        first = max(w.first, deadline + dt.timedelta(days=1))
        last = w.to if closed_on is None else min(w.to, closed_on)
        if last >= first:
            out[unit] = out.get(unit, 0.0) + float((last - first).days + 1)
    return {"overdue_days": out}


def filings(conn: Connection, run: Run, w: Window) -> Figures:
    """Filings due in the window (by the as-of date) and those filed by their deadline."""
    due: dict[int, float] = {}
    timely: dict[int, float] = {}
    if w.to < w.first:
        return {"filings_due": due, "filings_on_time": timely}
    filed = exists().where(E.c.campaign_id == run.id, E.c.machine == "filing",
                           E.c.trigger == "file", E.c.subject_id == F.c.id,
                           E.c.business_date <= F.c.deadline, E.c.business_date <= w.as_of,
                           _live(run.id))
    query = (select(F.c.unit_id, func.count(), func.sum(case((filed, 1), else_=0)))
             .where(F.c.campaign_id == run.id, F.c.due >= w.first, F.c.due <= w.to)
             .group_by(F.c.unit_id))
    for unit, n, ok in conn.execute(query):
        due[unit], timely[unit] = float(n), float(ok or 0)
    return {"filings_due": due, "filings_on_time": timely}


for _name in ("items_found", "closed", "closed_on_time", "returns", "escalations",
              "inspection_findings"):
    register(_name, TITLES[_name], item_events)
register("overdue_days", TITLES["overdue_days"], overdue_days)
register("filings_due", TITLES["filings_due"], filings)
register("filings_on_time", TITLES["filings_on_time"], filings)


def read(conn: Connection, run: Run, w: Window, names: Mapping[str, object] | list[str]) -> Figures:
    """The figures of the measures named, each reader run once."""
    out: Figures = {}
    readers: dict[Reader, None] = {}
    for name in names:
        readers.setdefault(READERS[name], None)
    for reader in readers:
        out.update(reader(conn, run, w))
    return {n: out.get(n, {}) for n in names}

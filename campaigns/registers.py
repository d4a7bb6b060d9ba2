"""What the registers (问责, 长效机制, 承诺) share: their state at a date is a replay of their events.

Each register keeps a row per entry (the present, which the writer updates) and writes every
change to the campaign's log under its own machine name, with the entry's row id as the
event's subject id.  A view of a date folds the register's events up to that date, in log
order; this module reads them once, the same way for every register, and each register says
only what an event does to its entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from .runs import Run
from .tables import EVENTS as E


@dataclass(frozen=True)
class Step:
    """One event of a register's entry."""

    subject_id: int
    trigger: str
    to_state: str | None
    payload: dict[str, Any]
    day: dt.date
    actor: str
    note: str | None


def kept(conn: Connection, table: Table, run: Run) -> bool:
    """Whether ``run`` has any entry in the register ``table``: most campaigns have none,
    and then the log is not scanned for them."""
    return conn.execute(select(table.c.id).where(table.c.campaign_id == run.id).limit(1)
                        ).first() is not None


def steps(conn: Connection, run: Run, machine: str, as_of: dt.date,
          subject_id: int | None = None) -> Iterator[Step]:
    """The register's events (of one entry, when given) up to the end of ``as_of``, in order."""
    where = [E.c.campaign_id == run.id, E.c.machine == machine, E.c.business_date <= as_of]
    if subject_id is not None:
        where.append(E.c.subject_id == subject_id)
    for sid, trigger, to_state, payload, day, actor, note in conn.execute(
            select(E.c.subject_id, E.c.trigger, E.c.to_state, E.c.payload, E.c.business_date,
                   E.c.actor, E.c.note).where(*where).order_by(E.c.seq)):
        yield Step(int(sid), trigger, to_state, dict(payload or {}), day, actor, note)


def history(conn: Connection, run: Run, machine: str, subject_id: int,
            as_of: dt.date) -> list[dict[str, str]]:
    """One entry's steps as rows (day, trigger, the state it led to, who, note)."""
    return [{"date": s.day.isoformat(), "trigger": s.trigger, "to": s.to_state or "",
             "actor": s.actor, "note": s.note or ""}
            for s in steps(conn, run, machine, as_of, subject_id)]


def day_value(name: str, value: Any) -> Any:
    """A payload field as the register holds it: ``*_on`` fields are dates."""
    if name.endswith("_on") and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def iso(value: Any) -> str:
    """A date (or nothing) as a listing shows it."""
    return value.isoformat() if isinstance(value, dt.date) else (value or "")

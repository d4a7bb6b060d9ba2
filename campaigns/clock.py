"""The campaign clock (``rectify tick``): stage windows, timers and the escalation ladder, day by day.

A tick evaluates every business day from the campaign's last tick (or its start) up to the date
asked, in order: it opens the stages whose window has begun, fires the timers that are due, then
moves every rectification whose next escalation level is due, writing a notice for each step.
Each change is written with its event (actor ``system``, the rule in the event's ``rule``
column) and the business date it was due.  The work is set-based (engine.io.clock): the database
finds the due rows by indexed date ranges and the changes are written in bulk.

Ticking the same date again changes nothing unless something changed in between; a date before
the last tick or before the campaign started is refused, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.core.machines import SYSTEM_ACTOR, Actor
from engine.core.moves import Move
from engine.core.planner import Request
from engine.core.spec import TimerSpec
from engine.io.clock import Clock, Step, StepLog, Subjects, timer_rule

from .events import lock
from .records import load_records
from .runs import Run
from .stages import open_due
from .tables import CAMPAIGNS as C, EVENTS as E, ITEMS as I, NOTICES as N, RECTIFICATIONS as R, TICKS as T

ONE_DAY = dt.timedelta(days=1)
SYSTEM = Actor(SYSTEM_ACTOR)


@dataclass
class TickReport:
    """What one tick of one campaign did (or, in a dry run, would do)."""

    campaign: str
    first: dt.date  # the first business day evaluated
    as_of: dt.date
    dry_run: bool
    steps: list[Step] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # stages whose window began but may not open
    concluded: dt.date | None = None  # the campaign had concluded: its clock has stopped

    @property
    def changes(self) -> int:
        return sum(s.count for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "from": self.first.isoformat(),
                "as_of": self.as_of.isoformat(), "dry_run": self.dry_run, "changes": self.changes,
                "steps": [s.as_dict() for s in self.steps], "waiting": self.waiting,
                "concluded": self.concluded.isoformat() if self.concluded else None}


def clock_for(run: Run) -> Clock:
    """The engine clock wired to this campaign's tables."""
    code_of_rect = select(I.c.code).where(I.c.id == R.c.item_id).scalar_subquery()
    subjects = {
        "item": Subjects("item", I, I.c.campaign_id == run.id,
                         {"campaign_id": I.c.campaign_id, "item_id": I.c.id}, key=I.c.code),
        "rectification": Subjects("rectification", R, R.c.campaign_id == run.id,
                                  {"campaign_id": R.c.campaign_id, "item_id": R.c.item_id},
                                  deadline="deadline", level="level", level_base="level_base",
                                  key=code_of_rect),
    }
    log = StepLog(N, {"campaign_id": R.c.campaign_id, "rectification_id": R.c.id})

    def fire(conn: Connection, timer: TimerSpec, ids: list[int],
             day: dt.date) -> tuple[list[Move], list[str]]:
        return _fire(conn, run, timer, ids, day)

    return Clock(run.definition, subjects, E, log, fire, stream=run.key)


def last_tick(conn: Connection, run: Run) -> dt.date | None:
    return conn.execute(select(T.c.ticked_to).where(T.c.campaign_id == run.id)).scalar()


def tick(conn: Connection, run: Run, as_of: dt.date, dry_run: bool = False) -> TickReport:
    """Apply everything due from the last tick up to ``as_of``, in the caller's write transaction.

    With ``dry_run`` the same work is done inside a savepoint that is rolled back, so the report
    is exactly what a real tick would do.
    """
    if run.concluded_on:  # its clock has stopped: nothing is due any more
        return TickReport(run.key, as_of, as_of, dry_run, concluded=run.concluded_on)
    # one clock per campaign at a time (PostgreSQL; SQLite writers are serialised anyway)
    conn.execute(select(C.c.id).where(C.c.id == run.id).with_for_update())
    lock(conn, [run.key])  # then its event log's head, before any subject row
    if as_of < run.start_date:
        raise InvalidInput(f"{as_of} is before campaign '{run.key}' started ({run.start_date})",
                           "give --as-of on or after the start date")
    last = last_tick(conn, run)
    if last is not None and as_of < last:
        raise InvalidInput(f"{as_of} is before the last tick of '{run.key}' ({last})",
                           f"the clock only moves forward: give --as-of {last} or later")
    report = TickReport(run.key, last or run.start_date, as_of, dry_run)
    savepoint = conn.begin_nested() if dry_run else None
    clock = clock_for(run)
    day = report.first
    while day <= as_of:
        opened, report.waiting = open_due(conn, run, day)
        report.steps += [_opened(run, key, day) for key in opened]
        report.steps += clock.run_day(conn, day)
        day += ONE_DAY
    if last is None:
        conn.execute(insert(T).values(campaign_id=run.id, ticked_to=as_of))
    else:
        conn.execute(update(T).where(T.c.campaign_id == run.id).values(ticked_to=as_of))
    if savepoint is not None:
        savepoint.rollback()
    return report


def running(conn: Connection) -> list[str]:
    """Keys of the campaigns still running, oldest first."""
    return list(conn.execute(select(C.c.key).where(C.c.concluded_on.is_(None)).order_by(C.c.id))
                .scalars())


def _opened(run: Run, key: str, day: dt.date) -> Step:
    spec = run.definition.stage(key)
    return Step(day, f"stages.{key}", f"opened {key} ({spec.title if spec else key})", 1)


def _fire(conn: Connection, run: Run, timer: TimerSpec, ids: list[int],
          day: dt.date) -> tuple[list[Move], list[str]]:
    """Fire a timer whose guards or actions need Python on its due subjects (``ids``) only."""
    from .advance import plan_record

    table = I if timer.machine == "item" else R
    codes_of = (select(I.c.code).select_from(I.join(R, R.c.item_id == I.c.id))
                .order_by(table.c.id))
    moves: list[Move] = []
    refused: list[str] = []
    rule = timer_rule(timer)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        codes = list(conn.execute(codes_of.where(table.c.id.in_(chunk))).scalars())
        for record in load_records(conn, codes):
            decided = plan_record(conn, run, record, Request(timer.trigger, SYSTEM, day,
                                                             guards=timer.guards, rule=rule))
            if not decided.ok:
                refused.append(f"{record.code}: {decided.reasons()}")
                continue
            moves += decided.moves
    return moves, refused

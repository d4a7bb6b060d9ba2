"""The campaign clock (``rectify tick``): stage windows, timers and the escalation ladder, day by day.

A tick evaluates every business day from the campaign's last tick (or its start) up to the date
asked, in order: it opens the stages whose window has begun, fires the timers that are due, then
moves every rectification whose next escalation level is due, writing a notice for each step.
Each change is written with its event (actor ``system``, the rule in the event's ``rule``
column) and the business date it was due.  The work is set-based (engine.io.clock): the database
finds the due rows by indexed date ranges and the changes are written in bulk.

Ticking the same date again changes nothing unless something changed in between; a date before
the last tick or before the campaign started is refused, and nothing is written.

Between ticks, every change first brings the records it touches up to its date (``catch_up``):
the pure clock (engine.core.schedule) finds what daily ticks would have written for them, with
the same dates, events and notices, so one late tick writes what daily ticks would have.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.core.machines import SYSTEM_ACTOR, Actor
from engine.core.moves import Move
from engine.core.planner import Request
from engine.core.schedule import ESCALATE, Due, Schedule, Snapshot
from engine.core.spec import Definition, TimerSpec
from engine.io.clock import Clock, Slice, Step, StepLog, Subjects, Unit, timer_rule
from engine.io.store import retrying
from engine.io.writer import Entry, apply_moves

from . import events as ev
from .batches import TICK, recording
from .context import Scope
from .events import lock
from .i18n import _
from .records import Record, load_records
from .runs import Run, require_not_future
from .stages import close_due, open_due
from .tables import (
    CAMPAIGNS as C,
    EVENTS as E,
    ITEMS as I,
    NOTICES as N,
    RECTIFICATIONS as R,
    SUBJECT_TABLES as TABLES,
    TICKS as T,
    UNDONE as U,
)

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
    # stages the clock may not open or close, said the day a refusal is new or its reason changes
    waiting: list[str] = field(default_factory=list)
    concluded: dt.date | None = None  # the campaign had concluded: its clock has stopped
    # timer rule → codes its own guards held back: nothing was due for them, which is no failure
    held: dict[str, set[str]] = field(default_factory=dict)
    holds: list[float] = field(default_factory=list)  # seconds each write transaction took

    def add(self, steps: list[Step]) -> None:
        """Steps written by one more transaction; a rule's slices on one day count as one step."""
        for step in steps:
            last = self.steps[-1] if self.steps else None
            if last is not None and (last.day, last.rule) == (step.day, step.rule) \
                    and not last.rule.startswith("stages."):
                last.count += step.count
                last.refused += step.refused
            else:
                self.steps.append(step)

    @property
    def changes(self) -> int:
        return sum(s.count for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "from": self.first.isoformat(),
                "as_of": self.as_of.isoformat(), "dry_run": self.dry_run, "changes": self.changes,
                "steps": [s.as_dict() for s in self.steps], "waiting": self.waiting,
                "held": {rule: len(codes) for rule, codes in sorted(self.held.items())},
                "concluded": self.concluded.isoformat() if self.concluded else None}


def clock_for(run: Run, held: dict[str, set[str]] | None = None) -> Clock:
    """The engine clock wired to this campaign's tables; the subjects a timer's own guards hold
    back go into ``held`` (by rule), not among its refusals."""
    code_of_rect = select(I.c.code).where(I.c.id == R.c.item_id).scalar_subquery()
    subjects = {
        "item": Subjects("item", I, and_(I.c.campaign_id == run.id, I.c.retired_on.is_(None)),
                         {"campaign_id": I.c.campaign_id, "item_id": I.c.id}, key=I.c.code),
        "rectification": Subjects("rectification", R,
                                  and_(R.c.campaign_id == run.id, R.c.retired_on.is_(None)),
                                  {"campaign_id": R.c.campaign_id, "item_id": R.c.item_id},
                                  deadline="deadline", level="level", level_base="level_base",
                                  key=code_of_rect),
    }
    log = StepLog(N, {"campaign_id": R.c.campaign_id, "rectification_id": R.c.id})

    def fire(conn: Connection, timer: TimerSpec, ids: list[int],
             day: dt.date) -> tuple[list[Move], list[str]]:
        return _fire(conn, run, timer, ids, day, held)

    return Clock(run.definition, subjects, E, log, fire, stream=run.key, standing=standing())


def clocks_for(run: Run, held: dict[str, set[str]] | None = None) -> list[Clock]:
    """The campaign's clocks, run in this order each day: its items and rectifications, then
    its filings' own ladder (campaigns.filings) when the definition has one."""
    from .filings import clock_for as filings_clock

    extra = filings_clock(run)
    return [clock_for(run, held), *([extra] if extra is not None else [])]


def _units(clocks: list[Clock], day: dt.date) -> list[tuple[Clock, Unit]]:
    return [(clock, unit) for clock in clocks for unit in clock.units(day)]


def _open_filings(conn: Connection, run: Run, day: dt.date) -> list[Step]:
    """Open the filing occurrences whose period begins on ``day`` (campaigns.filings)."""
    from .filings import open_due as open_filings

    opened = open_filings(conn, run, day)
    return [Step(day, "filings.open", "filings opened", opened)] if opened else []


def standing() -> Any:
    """Events not reversed by an undo: an undone reminder counts as never sent."""
    return ~exists().where(U.c.event_id == E.c.id)


def last_tick(conn: Connection, run: Run) -> dt.date | None:
    return conn.execute(select(T.c.ticked_to).where(T.c.campaign_id == run.id)).scalar()


def tick(scope: Scope, dry_run: bool = False) -> TickReport:
    """Apply everything due from the last tick up to the scope's date, in the caller's write
    transaction.  The clock acts as the system, whoever the scope's actor.

    With ``dry_run`` the same work is done inside a savepoint that is rolled back, so the report
    is exactly what a real tick would do.
    """
    conn, run, as_of = scope.conn, scope.run, scope.as_of
    if run.concluded_on:  # its clock has stopped: nothing is due any more
        return TickReport(run.key, as_of, as_of, dry_run, concluded=run.concluded_on)
    if not dry_run:  # a dry run may look ahead: it writes nothing
        require_not_future(run, as_of)
    # its event log's head first, before any other row: one clock per campaign at a time, and
    # the writers' one lock order (a row lock on the campaign here, before the head, deadlocked
    # with writers whose event INSERT checks its foreign key on that row while they hold the head)
    lock(conn, [run.key])
    last = _check_date(conn, run, as_of)
    report = TickReport(run.key, last or run.start_date, as_of, dry_run)
    savepoint = conn.begin_nested() if dry_run else None
    clocks = clocks_for(run, report.held)
    day = report.first
    # one batch, undone as a whole (campaigns.undo), which puts the clock back where it was
    with recording(conn, run.id, run.key, TICK, SYSTEM_ACTOR, as_of,
                   {"previous": last.isoformat() if last else None}):
        while day <= as_of:
            # a refusal is said as of the tick's own day, with the figures as they are now (a late
            # tick must not date today's reasons on a day already past)
            closed, refused = close_due(conn, run, day, say=day == as_of)  # after a window's end
            opened, report.waiting = open_due(conn, run, day, say=day == as_of)
            report.waiting = refused + report.waiting  # the last day's: what still stands
            report.steps += [_stage_step(run, key, day, "closed") for key in closed]
            report.steps += [_stage_step(run, key, day, "opened") for key in opened]
            report.steps += _open_filings(conn, run, day)
            for clock in clocks:
                report.steps += clock.run_day(conn, day)
            day += ONE_DAY
    if last is None:
        conn.execute(insert(T).values(campaign_id=run.id, ticked_to=as_of))
    else:
        conn.execute(update(T).where(T.c.campaign_id == run.id).values(ticked_to=as_of))
    if savepoint is not None:
        savepoint.rollback()
    return report


# -- the tick in short transactions -------------------------------------------------------------

HOLD = 0.2  # seconds a tick's transaction aims at: SQLite's write lock is held that long at most
GAP = 0.005  # seconds between two of them, in which a waiting writer takes its turn
FIRST_GUESS = 5e-4  # seconds a subject, until measured: small enough for timers that run guards


@dataclass(frozen=True)
class _Cursor:
    """Where a tick stands: the day, the unit of that day (-1: its stages first, len(units):
    all done), the last subject id handled in that unit and the unit's due ids (``Slice``)."""

    day: dt.date
    unit: int = -1
    after: int = 0
    ids: list[int] | None = None


def tick_in_batches(write: Callable[[], AbstractContextManager[Connection]],
                    scope_in: Callable[[Connection], Scope], hold: float = HOLD) -> TickReport:
    """``tick`` as a run of short write transactions, each ending at a consistent point.

    A transaction does whole pieces of the day's work (the day's stages; a slice of one
    timer's or one ladder level's due subjects, lowest ids first, sized from the rate measured
    so far to end within ``hold`` seconds; a day marked done in the ticks table) until ``hold``
    has passed, then commits.  Every piece is chosen by what is due *now*, so a tick killed
    between two transactions leaves whole pieces, and the next tick (which starts again at the
    last day marked done) finds the rest due and writes it, in the same order with the same
    dates: what one uninterrupted tick writes.  Each transaction takes the campaign's chain
    head first; one that meets a conflict is rolled back and run again (``retrying``).
    """
    with write() as conn:  # what is asked, checked before anything is written
        scope = scope_in(conn)
        run, as_of = scope.run, scope.as_of
        if run.concluded_on:
            return TickReport(run.key, as_of, as_of, False, concluded=run.concluded_on)
        require_not_future(run, as_of)
        last = _check_date(conn, run, as_of)
    report = TickReport(run.key, last or run.start_date, as_of, False)
    clocks = clocks_for(run, report.held)
    seconds_per: dict[str, float] = {}  # measured cost of one subject, per rule
    cursor = _Cursor(report.first)
    # every transaction's events are a batch of this tick: undone together (campaigns.undo)
    detail = {"previous": last.isoformat() if last else None, "tick": uuid.uuid4().hex}
    while True:
        cursor, steps, waiting, held = retrying(
            partial(_transaction, write, run, clocks, cursor, as_of, hold, seconds_per, detail))
        report.holds.append(held)
        report.add(steps)
        if waiting is not None:
            report.waiting = waiting
        if cursor.day > as_of:
            return report
        time.sleep(GAP)


def _transaction(write: Callable[[], AbstractContextManager[Connection]], run: Run,
                 clocks: list[Clock],
                 cursor: _Cursor, as_of: dt.date, hold: float, seconds_per: dict[str, float],
                 detail: dict[str, Any]) -> tuple[_Cursor, list[Step], list[str] | None, float]:
    """One transaction's worth of the tick from ``cursor``: where it ended, what it wrote, the
    stages still waiting on the last day whose stages it ran, and how long it held the lock
    (from its BEGIN, which on SQLite waits for the write lock, through its COMMIT)."""
    steps: list[Step] = []
    waiting: list[str] | None = None
    with write() as conn:
        started = time.perf_counter()
        lock(conn, [run.key])  # the chain head first: the writers' one lock order
        with recording(conn, run.id, run.key, TICK, SYSTEM_ACTOR, as_of, detail):
            done = last_tick(conn, run)
            if done is not None and done > cursor.day:  # another tick went further meanwhile
                cursor = _Cursor(done)
            units = _units(clocks, cursor.day)
            pieces = 0
            while cursor.day <= as_of and (not pieces or time.perf_counter() - started < hold):
                pieces += 1  # at least one a transaction, however short ``hold``
                day = cursor.day
                if cursor.unit < 0:
                    # a refusal is said as of the tick's own day (see ``tick``)
                    closed, refused = close_due(conn, run, day, say=day == as_of)
                    opened, pending = open_due(conn, run, day, say=day == as_of)
                    waiting = refused + pending
                    steps += [_stage_step(run, key, day, "closed") for key in closed]
                    steps += [_stage_step(run, key, day, "opened") for key in opened]
                    steps += _open_filings(conn, run, day)
                    cursor = replace(cursor, unit=0)
                elif cursor.unit < len(units):
                    clock, unit = units[cursor.unit]
                    cost = seconds_per.get(unit.rule, FIRST_GUESS)
                    room = hold - (time.perf_counter() - started)
                    limit = max(50, min(100_000, int(room / cost)))
                    t = time.perf_counter()
                    window = Slice(cursor.after, limit, cursor.ids)
                    step, handled = clock.run_unit(conn, unit, window)
                    if handled is None:
                        cursor = replace(cursor, unit=cursor.unit + 1, after=0, ids=None)
                        continue
                    if step is not None:
                        steps.append(step)
                        if step.count:
                            seconds_per[unit.rule] = (time.perf_counter() - t) / step.count
                    cursor = replace(cursor, after=handled, ids=window.ids)
                else:
                    _mark_done(conn, run, day)
                    cursor = _Cursor(day + ONE_DAY)
                    units = _units(clocks, cursor.day)
    return cursor, steps, waiting, time.perf_counter() - started


def _check_date(conn: Connection, run: Run, as_of: dt.date) -> dt.date | None:
    """The last tick's date, after refusing a date the clock cannot be moved to."""
    if as_of < run.start_date:
        raise InvalidInput(_("{as_of} is before campaign '{key}' started ({start_date})").format(
            as_of=as_of, key=run.key, start_date=run.start_date),
                           _("give --as-of on or after the start date"))
    last = last_tick(conn, run)
    if last is not None and as_of < last:
        raise InvalidInput(_("{as_of} is before the last tick of '{key}' ({last})").format(
            as_of=as_of, key=run.key, last=last),
                           _("the clock only moves forward: give --as-of {last} or later").format(last=last))
    return last


def _mark_done(conn: Connection, run: Run, day: dt.date) -> None:
    """Record that every day through ``day`` is ticked (never moving the date back)."""
    if conn.execute(update(T).where(T.c.campaign_id == run.id, T.c.ticked_to < day)
                    .values(ticked_to=day)).rowcount:
        return
    if last_tick(conn, run) is None:
        conn.execute(insert(T).values(campaign_id=run.id, ticked_to=day))


def running(conn: Connection) -> list[str]:
    """Keys of the campaigns still running, oldest first."""
    return list(conn.execute(select(C.c.key).where(C.c.concluded_on.is_(None)).order_by(C.c.id))
                .scalars())


def _stage_step(run: Run, key: str, day: dt.date, verb: str) -> Step:
    spec = run.definition.stage(key)
    said = _("opened {stage} ({title})") if verb == "opened" else _("closed {stage} ({title})")
    return Step(day, f"stages.{key}", said.format(stage=key, title=spec.title if spec else key), 1)


def _fire(conn: Connection, run: Run, timer: TimerSpec, ids: list[int], day: dt.date,
          held: dict[str, set[str]] | None = None) -> tuple[list[Move], list[str]]:
    """Fire a timer whose guards or actions need Python on its due subjects (``ids``) only."""
    table = I if timer.machine == "item" else R
    codes_of = (select(I.c.code).select_from(I.join(R, R.c.item_id == I.c.id))
                .order_by(table.c.id))
    moves: list[Move] = []
    refused: list[str] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        codes = list(conn.execute(codes_of.where(table.c.id.in_(chunk))).scalars())
        for record in load_records(conn, codes):
            fired, why = _fire_record(conn, run, timer, record, day, held)
            moves += fired
            refused += why
    return moves, refused


def _fire_record(conn: Connection, run: Run, timer: TimerSpec, record: Record, day: dt.date,
                 held: dict[str, set[str]] | None = None) -> tuple[list[Move], list[str]]:
    """A timer's trigger on one record, as the system, decided by the planner: the timer's
    guards, then the trigger and its consequences; the moves, or why not.  With ``held``, a
    record the timer's own guards hold back (``returns >= 2`` not yet met) is only noted
    there: the timer is not due for it, which is no failure."""
    from .advance import plan_record

    decided = plan_record(conn, run, record, Request(timer.trigger, SYSTEM, day,
                                                     guards=timer.guards, rule=timer_rule(timer)))
    if not decided.ok:
        own = {str(g) for g in timer.guards}
        if held is not None and all(r.by in own for r in decided.refusals):
            held.setdefault(timer_rule(timer), set()).add(record.code)
            return [], []
        return [], [f"{record.code}: {decided.reasons()}"]
    return decided.moves, []


# -- bringing the records a change touches up to its date -----------------------------------


Quiet = set[tuple[Any, ...]]
"""What ``catch_up`` found owes nothing: the clock's view of a record and its range of days."""


def catch_up(conn: Connection, run: Run, records: list[Record], as_of: dt.date,
             quiet: Quiet | None = None) -> list[Move]:
    """Write what the clock owes ``records`` before a change dated ``as_of``; returns those moves.

    A tick for day D runs at the start of D, before that day's changes (docs/deadlines.md), so a
    change dated D first gets its records every step due from the campaign's last tick through
    D, each dated the day it fell due, with its notices.  A record one of whose subjects entered
    its state on D was brought up to D by that change (or was created that day), so it gets the
    days before D only.  The records are moved along (state, version, dates, level).  When the
    dates show nothing can be due (the campaign ticked today), nothing is read or computed.

    ``quiet``, kept by a caller across the records of one bulk change, holds what the clock
    looks at in a record (states, dates, level, the fields its rungs read) for each record found
    to owe nothing without a timer's guards asked or a reminder looked up: a later record that
    looks the same to the clock owes nothing either, and is not computed again.
    """
    if run.concluded_on:
        return []
    last = run.ticked_to or run.start_date - ONE_DAY
    written: list[Move] = []
    for record in records:
        entered = (record.item.entered_on, record.rectification.entered_on)
        first = max(run.start_date, min(e if e >= last else last + ONE_DAY for e in entered))
        end = as_of - ONE_DAY if max(entered) >= as_of else as_of
        if first > end:
            continue
        key = _quiet_key(run, record, first, end) if quiet is not None else None
        if quiet is not None and key is not None and key in quiet:
            continue
        moves, owed = _catch_up_record(conn, run, record, first, end)
        written += moves
        if quiet is not None and key is not None and not owed:
            quiet.add(key)
    return written


def _quiet_key(run: Run, record: Record, first: dt.date, end: dt.date) -> tuple[Any, ...] | None:
    """What decides that nothing is due to ``record`` from ``first`` to ``end``, or None when
    that takes a read (a reminder's waiting state: the reminders already sent)."""
    item, rect = record.item, record.rectification
    rem = run.definition.reminders
    if rem is not None and (item.state if rem.machine == "item" else rect.state) in rem.states:
        return None
    names = sorted(schedule_for(run.definition).fields)
    if not all(hasattr(rect, n) for n in names):  # some are read from its row
        return None
    return (first, end, item.state, item.entered_on, rect.state, rect.entered_on, rect.deadline,
            rect.level, rect.level_base, *(getattr(rect, n) for n in names))


def _catch_up_record(conn: Connection, run: Run, record: Record, first: dt.date,
                     last: dt.date) -> tuple[list[Move], bool]:
    """The moves written, and whether anything was owed or a timer's guards were asked."""
    item, rect = record.item, record.rectification
    links = {"campaign_id": run.id, "item_id": item.id}
    schedule = schedule_for(run.definition)
    snaps = [Snapshot("item", item.id, item.version, item.state, item.entered_on, event_values=links,
                      reminded=_reminded(conn, run, "item", item.id, item.state, item.entered_on)),
             Snapshot("rectification", rect.id, rect.version, rect.state, rect.entered_on,
                      rect.deadline, rect.level, rect.level_base, links,
                      _fields(conn, rect, schedule.fields))]

    fired: list[TimerSpec] = []

    def fire(timer: TimerSpec, _snap: Snapshot, day: dt.date) -> tuple[list[Move], list[str]]:
        fired.append(timer)
        _sync(record, snaps)
        return _fire_record(conn, run, timer, record, day)

    due = schedule.due(snaps, first, last, fire)
    for move in due.moves:  # the campaign's chain; the item is known by its code
        move.stream, move.subject_key = run.key, record.code
    if due.moves or due.reminders:
        write_due(conn, run, due, record.code)
    _sync(record, snaps)
    return due.moves, bool(fired or due.moves or due.reminders or due.notices or due.refused)


def _fields(conn: Connection, rect: Any, names: frozenset[str]) -> dict[str, Any]:
    """The rectification's fields the ladder's guards read: from the record, the rest from its row."""
    out = {name: getattr(rect, name) for name in names if hasattr(rect, name)}
    rest = sorted(names - set(out))
    if rest:
        row = conn.execute(select(*(R.c[name] for name in rest)).where(R.c.id == rect.id)).one()
        out.update(zip(rest, row, strict=True))
    return out


def _reminded(conn: Connection, run: Run, machine: str, subject_id: int, state: str,
              entered_on: dt.date) -> set[str]:
    """The reminders a waiting subject has had since it entered its state (none to look for
    when the definition has none, or the subject does not wait)."""
    rem = run.definition.reminders
    if rem is None or rem.machine != machine or state not in rem.states:
        return set()
    rules = {f"reminders.{lv.key}": lv.key for lv in rem.levels}
    return {rules[rule] for rule in conn.execute(
        select(E.c.rule).where(E.c.subject_id == subject_id, E.c.machine == machine,
                               E.c.rule.in_(sorted(rules)), E.c.business_date >= entered_on,
                               standing())
    ).scalars()}


def write_due(conn: Connection, run: Run, due: Due, code: str) -> None:
    """Store a catch-up's moves, then its notices linked to their events, then its reminders
    (the one write it makes; ``code`` is the item's, the key its events hash)."""
    mark = (conn.execute(select(func.max(E.c.id))).scalar() or 0) if due.notices else 0
    for wave in _waves(due.moves):
        apply_moves(conn, TABLES, E, wave)
    ev.write(conn, [Entry(run.key, r.machine, code, r.trigger, SYSTEM_ACTOR, r.day, r.state,
                          r.state, r.note, r.payload, ev.Reminded.VERSION, r.rule, r.subject_id,
                          r.event_values) for r in due.reminders])
    if not due.notices:
        return
    subjects = {n.move.subject_id for n in due.notices}
    event_of = {(subject, rule): id for id, subject, rule in conn.execute(
        select(E.c.id, E.c.subject_id, E.c.rule).where(
            E.c.id > mark, E.c.campaign_id == run.id, E.c.machine == "rectification",
            E.c.trigger == ESCALATE, E.c.subject_id.in_(subjects)))}
    conn.execute(insert(N), [
        {"campaign_id": run.id, "rectification_id": n.move.subject_id, "level": n.level,
         "issued_on": n.issued_on, "deadline": n.deadline, "days_overdue": n.days_overdue,
         "new_deadline": n.new_deadline, "action": n.action,
         "event_id": event_of[n.move.subject_id, n.move.rule]} for n in due.notices])


def _waves(moves: list[Move]) -> Iterator[list[Move]]:
    """Consecutive runs of moves with no subject twice: the writer checks each row's version once
    per call, so a subject's second move must come in a later call."""
    wave: list[Move] = []
    seen: set[tuple[str, int]] = set()
    for move in moves:
        key = (move.machine, move.subject_id)
        if key in seen:
            yield wave
            wave, seen = [], set()
        wave.append(move)
        seen.add(key)
    if wave:
        yield wave


def _sync(record: Record, snaps: list[Snapshot]) -> None:
    """The record as the clock left it, so the change that follows sees (and versions) it right."""
    item, rect = snaps
    record.item.state, record.item.version, record.item.entered_on = \
        item.state, item.version, item.entered_on
    r = record.rectification
    r.state, r.version, r.entered_on = rect.state, rect.version, rect.entered_on
    r.deadline, r.level, r.level_base = rect.deadline, rect.level, rect.level_base
    for name, value in rect.fields.items():
        if hasattr(r, name):
            setattr(r, name, value)


_schedules: dict[int, tuple[Definition, Schedule]] = {}


def schedule_for(definition: Definition) -> Schedule:
    """The pure clock of a definition, built once per process (definitions are cached too)."""
    found = _schedules.get(id(definition))
    if found is None or found[0] is not definition:
        found = _schedules[id(definition)] = (definition, Schedule(definition))
    return found[1]

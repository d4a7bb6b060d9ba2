"""The clock: what the passing of business days does to stored subjects, found and applied in bulk.

Two kinds of rule run on a clock, both from the definition:

* an escalation ladder (``LadderSpec``): each subject with a deadline climbs one level when the
  level's threshold, measured from the date the ladder counts from (``level_base``), is reached;
* timers (``TimerSpec``): fire a trigger when a subject has been in a state for a duration, or
  when its deadline is a duration past.

Everything is set-based.  A threshold ``at`` is reached for base ``b`` on ``calendar.add(b, at)``;
that is monotone in ``b``, so "reached by day D" is ``b <= latest_base(calendar, at, D)``: the
calendar is asked once per (rule, day), and the database selects the due rows by a date range on
an indexed column.  Each step reads its due rows, appends their events through the writer (in
bulk, each hashed onto its stream's chain, in row order), writes its records for a ladder with an
``INSERT ... SELECT``, then one ``UPDATE ... WHERE`` of the same rows, whose row count must
match, so a concurrent writer makes the whole run fail with ``Conflict`` rather than log a change
that did not happen.  Timers whose guards or actions need Python load only their due rows, and hand them
to the caller's ``fire`` function.

A ladder level with guards (engine.core.rungs: ``compare`` on a field) climbs only the rows
they hold for: each guard is compiled into the step's ``WHERE`` with the built-in guard's
meaning (``rung_clause``), so a level is decided over the whole table as the pure clock decides
it for one subject.

Reminders (``ReminderSpec``) come last each day: one event per waiting subject that has not had
that reminder since it entered its state (``NOT EXISTS`` on the event log), appended in bulk; the
subject's row does not change.

A day's work is a list of units (``units``: each timer, then each ladder level from each level
below), and a unit can be run in slices of its due rows by id (``run_unit`` with a ``Slice``),
each slice in a transaction of its own: slices are decided by what is due when they run, so a
unit interrupted between two is finished by running it again, with the same result.

A step becomes due on the later of its threshold date and the day the subject entered its current
state: a subject waiting in a hold state climbs nothing, and on leaving it catches up at once, in
ladder order.  The rules themselves (thresholds, notes, payloads) are ``engine.core.schedule``'s,
which finds the same steps for a few subjects without SQL.  This module knows tables only
through the ``Subjects`` and ``StepLog`` the caller describes; it has no words of any plugin's
domain.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.core.text import Text

from ..core.calendar import calendar_for
from ..core.errors import Conflict, InvalidInput
from ..core.machines import SYSTEM_ACTOR
from ..core.moves import Move
from ..core.rungs import RUNG_GUARDS, fields_read
from ..core.schedule import (
    ESCALATE,
    REMIND,
    active_states,
    ladder_rule,
    latest_base,
    needs_python,
    reminder_base,
    reminder_payload,
    reminder_rule,
    stamp_timer_moves,
    step_note,
    step_payload,
    timer_rule,
    timer_transition,
)
from ..core.spec import CallRef, Definition, LevelSpec, TimerSpec
from .writer import Entry, append, apply_moves

CHUNK = 5000  # events built, hashed and inserted at a time
LISTED = 20_000  # due ids a slice reads ahead for the slices after it

__all__ = ["ESCALATE", "Clock", "FireFn", "Step", "StepLog", "Slice", "Subjects", "Unit", "ladder_rule",
           "latest_base", "timer_rule"]


@dataclass(frozen=True)
class Subjects:
    """A table of one machine's subjects, as the clock sees it.

    ``table`` has the ``Stateful`` columns (state, version, entered_on) and an ``id``; ``scope``
    selects the rows of one running instance; ``event_values`` are the plugin's event columns,
    each an expression on ``table`` (copied into every event); ``key`` is the subject's stable
    key that its events hash (default: its id).  ``deadline``, ``level`` and
    ``level_base`` name the date columns a ladder or a deadline timer needs (None: none).
    """

    machine: str
    table: Table
    scope: ColumnElement[bool]
    event_values: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    deadline: str | None = None
    level: str | None = None
    level_base: str | None = None
    key: ColumnElement[Any] | None = None


@dataclass(frozen=True)
class StepLog:
    """The table that records each ladder step besides its event (one row per subject and level).

    It has the columns ``level``, ``issued_on``, ``deadline`` (the date the step was measured
    from), ``days_overdue`` (calendar days past it, 0 before), ``new_deadline``, ``action`` and
    ``event_id``; ``values`` fills its other columns from the subject table (its links).
    """

    table: Table
    values: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)


@dataclass
class Step:
    """What one rule did (or would do) on one day."""

    day: dt.date
    rule: str
    title: str
    count: int
    new_deadline: dt.date | None = None
    refused: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "rule": self.rule, "title": self.title,
                "count": self.count,
                "new_deadline": self.new_deadline.isoformat() if self.new_deadline else None,
                "refused": self.refused}


@dataclass(frozen=True)
class Unit:
    """One resumable piece of a day's work: a timer, or one ladder level reached from one level
    below (``prev``, None: from no level yet)."""

    day: dt.date
    rule: str
    timer: TimerSpec | None = None
    level: LevelSpec | None = None
    prev: str | None = None
    reminder: LevelSpec | None = None  # a reminder level (they come last in a day)


@dataclass
class Slice:
    """Which of a unit's due rows one call handles: ids above ``after``, the ``limit`` lowest.

    ``ids`` are the unit's next due ids (up to ``LISTED``) as a slice read them, kept by the
    caller for the slices after it, so the index is read once in many slices, not each time
    (a row that became due since is still taken when its id falls in a slice); ``last`` is
    set to the highest id the call handled, None when none was due.
    """

    after: int = 0
    limit: int | None = None
    ids: list[int] | None = None
    last: int | None = None

    def bound(self, conn: Connection, t: Table, due: ColumnElement[bool],
              params: dict[str, Any] | None = None,
              built: dict[Any, Any] | None = None) -> ColumnElement[bool] | None:
        """``due`` narrowed to this slice, or None when nothing in it is due.

        With ``params`` (the values of ``due``'s bind parameters) and ``built`` (where a clock
        keeps its statements), the id bounds are bind parameters too, their values added to
        ``params``, and each shape of the narrowed ``due`` and of its ids' query is built once
        and kept in ``built`` by ``due`` (the same object every day): SQLAlchemy takes longer to
        build a statement anew than SQLite takes to run it.
        """
        values = {} if params is None else params
        values[AFTER.key] = self.after

        def shaped(low: int, last: bool) -> ColumnElement[bool]:
            if built is None or params is None:
                return and_(due, *((t.c.id > low,) if low else ()),
                            *((t.c.id <= self.last,) if last else ()))
            kept: ColumnElement[bool] = _kept(built, ("due", id(due), bool(low), last), lambda: and_(
                due, *((t.c.id > AFTER,) if low else ()), *((t.c.id <= LAST,) if last else ())))
            return kept

        def ids(limit: int) -> Any:
            where = shaped(self.after, False)
            if built is None or params is None:
                return select(t.c.id).where(where).order_by(t.c.id).limit(limit)
            return _kept(built, ("ids", id(where), limit),
                         lambda: select(t.c.id).where(where).order_by(t.c.id).limit(limit))

        if self.limit is None:  # everything: no bound to add, only whether anything is due
            self.last = conn.execute(ids(1), values).scalar()
            return None if self.last is None else shaped(self.after, False)
        first = 0 if self.ids is None else bisect.bisect_right(self.ids, self.after)
        fresh = self.ids is None or (first == len(self.ids) == LISTED)
        if fresh:  # the next ids, a bounded read
            self.ids, first = list(conn.execute(ids(LISTED), values).scalars()), 0
        assert self.ids is not None
        if first == len(self.ids):
            self.last = None
            return None
        self.last = self.ids[min(first + self.limit, len(self.ids)) - 1]
        values[LAST.key] = self.last
        if first + self.limit >= len(self.ids) < LISTED:
            # the rest of the due rows: no upper bound to cut them at, and none given, since
            # SQLite would read a range of ids as the best use of an index on a column the
            # bound does not narrow (the state), over every row of that state below it
            return shaped(self.after, False)
        # bounded below too: from the first id listed, when they were listed just now (nothing
        # can have become due below it since); otherwise SQLite reads that index from the
        # first row of the state up to ``last``
        low = self.ids[first] - 1 if fresh and not self.after else self.after
        values[AFTER.key] = low
        return shaped(low, True)


AFTER = bindparam("slice_after", type_=Integer)
LAST = bindparam("slice_last", type_=Integer)
BASE = bindparam("clock_base", type_=Date)  # the latest base a threshold is reached from
DAY = bindparam("clock_day", type_=Date)  # the business day
NEW = bindparam("clock_new", type_=Date)  # a level's new deadline (None: none)
MARK = bindparam("clock_mark", type_=Integer)  # the last event id before a step's events


def _kept(built: dict[Any, Any], key: Any, build: Callable[[], Any]) -> Any:
    """``built[key]``, built the first time it is asked for."""
    found = built.get(key)
    if found is None:
        found = built[key] = build()
    return found


FireFn = Callable[[Connection, TimerSpec, list[int], dt.date], tuple[list[Move], list[str]]]
"""Fires a timer's trigger on due subjects (ids) as of a day: the moves to write, and refusals."""


class Clock:
    """Applies a definition's ladder and timers to stored subjects, one business day at a time."""

    def __init__(self, definition: Definition, subjects: Mapping[str, Subjects], events: Table,
                 log: StepLog | None = None, fire: FireFn | None = None, stream: str = "",
                 standing: ColumnElement[bool] | None = None) -> None:
        self.definition = definition
        self.stream = stream  # the event log (hash chain) the clock's events join
        # which of ``events`` still count (None: all): a reminder reversed by a compensating
        # event is not "already sent", so the next tick sends it again
        self.standing = standing
        self.subjects = subjects
        self.events = events
        self.log = log
        self.fire = fire
        self.calendar = calendar_for(definition.calendar)
        # the ladder's statements, built once with bind parameters for what changes each day
        self._built: dict[Any, Any] = {}
        self._check()

    def _check(self) -> None:
        d = self.definition
        if d.ladder is not None:
            subj = self.subjects.get(d.ladder.machine)
            if subj is None or not (subj.deadline and subj.level and subj.level_base):
                raise InvalidInput(Text("the escalation ladder runs on '{machine}', whose subjects have no "
                                        "deadline, level and level_base columns", machine=d.ladder.machine))
            missing = sorted(fields_read(g for lv in d.ladder.levels for g in lv.guards)
                             - set(subj.table.c.keys()))
            if missing:
                raise InvalidInput(Text("a level of the escalation ladder reads '{value}', which '{machine}' "
                                        "subjects do not have", value=missing[0], machine=d.ladder.machine))
        if d.reminders is not None and d.reminders.machine not in self.subjects:
            raise InvalidInput(Text("reminders run on '{machine}', which has no stored "
                                    "subjects", machine=d.reminders.machine))
        for timer in d.timers:
            subj = self.subjects.get(timer.machine)
            if subj is None:
                raise InvalidInput(Text("timer '{key}' runs on '{machine}', which has no stored "
                                        "subjects", key=timer.key, machine=timer.machine))
            transition = d.machines[timer.machine].transition(timer.trigger)
            assert transition is not None
            if timer.from_deadline:
                if not subj.deadline:
                    raise InvalidInput(Text("timer '{key}' counts from a deadline, but '{machine}' has "
                                            "none", key=timer.key, machine=timer.machine))
                if transition.dest in transition.sources:
                    raise InvalidInput(
                        Text("timer '{key}' would fire every day: '{trigger}' leaves its subject in "
                             "'{dest}', where the deadline is still "
                             "past", key=timer.key, trigger=timer.trigger, dest=transition.dest),
                        Text("give the timer a transition to another state"))
            if self._needs_python(timer) and self.fire is None:
                raise InvalidInput(Text("timer '{key}' needs its guards run, and nothing can", key=timer.key))

    # -- one day ----------------------------------------------------------------

    def run_day(self, conn: Connection, day: dt.date) -> list[Step]:
        """Everything due on ``day``, in one transaction: timers first (they may end a hold),
        then the ladder, then reminders."""
        steps: list[Step] = []
        for unit in self.units(day):
            step, _last = self.run_unit(conn, unit)
            if step is None:
                continue
            if steps and steps[-1].rule == step.rule and steps[-1].day == day:
                steps[-1].count += step.count  # a level reached from several levels below
            else:
                steps.append(step)
        return steps

    def units(self, day: dt.date) -> list[Unit]:
        """A day's work as resumable units, in the order they run: each timer, then each ladder
        level from each level below it (a subject may climb several levels in one day), then
        each reminder level."""
        units = [Unit(day, timer_rule(t), timer=t) for t in self.definition.timers]
        ladder = self.definition.ladder
        if ladder is not None:
            keys = [lv.key for lv in ladder.levels]
            units += [Unit(day, ladder_rule(level), level=level, prev=prev)
                      for k, level in enumerate(ladder.levels) for prev in [None, *keys[:k]]]
        if self.definition.reminders is not None:
            units += [Unit(day, reminder_rule(lv), reminder=lv)
                      for lv in self.definition.reminders.levels]
        return units

    def run_unit(self, conn: Connection, unit: Unit,
                 window: Slice | None = None) -> tuple[Step | None, int | None]:
        """Apply ``unit`` to the slice of its due subjects in ``window`` (default: all); returns
        its step and the last id it handled (None: none was due).

        The due rows are the same whichever slices they come in, and each slice is handled in
        id order, so a unit run slice after slice, one transaction each, writes exactly what it
        writes in one go; a slice done moves its subjects out of the due set, so a unit
        interrupted between slices is finished by running it again from the start.
        """
        window = window or Slice()
        if unit.timer is not None:
            return self._timer(conn, unit.timer, unit.day, window), window.last
        if unit.reminder is not None:
            return self._remind(conn, unit.reminder, unit.day, window), window.last
        assert unit.level is not None and self.definition.ladder is not None
        subj = self.subjects[self.definition.ladder.machine]
        base = latest_base(self.calendar, unit.level.at, unit.day)
        count = self._climb(conn, subj, active_states(self.definition), unit.level, unit.prev,
                            base, unit.day, window)
        step = (Step(unit.day, unit.rule, unit.level.title, count,
                     self._new_deadline(unit.level, unit.day)) if count else None)
        return step, window.last

    # -- reminders --------------------------------------------------------------

    def _remind(self, conn: Connection, level: LevelSpec, day: dt.date,
                window: Slice) -> Step | None:
        """One event per waiting subject due ``level`` that has not had it in this stay."""
        rem = self.definition.reminders
        assert rem is not None
        subj = self.subjects[rem.machine]
        t, e = subj.table, self.events
        rule = reminder_rule(level)
        sent = exists().where(e.c.subject_id == t.c.id, e.c.machine == subj.machine,
                              e.c.rule == rule, e.c.business_date >= t.c.entered_on,
                              *(() if self.standing is None else (self.standing,)))
        key = subj.key if subj.key is not None else cast(t.c.id, String)
        waiting = and_(subj.scope, t.c.state.in_(sorted(rem.states)),
                       t.c.entered_on <= reminder_base(self.calendar, rem, level, day), ~sent)
        bounded = window.bound(conn, t, waiting)
        if bounded is None:
            return None
        rows = conn.execute(select(t.c.id, t.c.state, t.c.entered_on, key,
                                   *subj.event_values.values())
                            .where(bounded).order_by(t.c.id)).all()
        if not rows:
            return None
        names = list(subj.event_values)
        due_of: dict[dt.date, dt.date] = {}
        for lo in range(0, len(rows), CHUNK):
            entries = []
            for sid, state, entered, subject_key, *rest in rows[lo:lo + CHUNK]:
                due = due_of.get(entered)
                if due is None:
                    due = due_of[entered] = self.calendar.add(entered, rem.within)
                entries.append(Entry(self.stream, subj.machine, subject_key, REMIND, SYSTEM_ACTOR,
                                     day, state, state, step_note(level),
                                     reminder_payload(level, rem, due, day), rule=rule,
                                     subject_id=sid, values=dict(zip(names, rest, strict=True))))
            append(conn, e, entries)
        return Step(day, rule, level.title, len(rows))

    # -- the ladder -------------------------------------------------------------

    def _new_deadline(self, level: LevelSpec, day: dt.date) -> dt.date | None:
        return self.calendar.add(day, level.new_deadline) if level.new_deadline else None

    def _climb(self, conn: Connection, subj: Subjects, active: list[str], level: LevelSpec,
               prev: str | None, base: dt.date, day: dt.date, window: Slice) -> int:
        """Move every due subject at level ``prev`` up to ``level``; returns how many moved.

        Its statements are built once per clock with bind parameters for what changes from
        day to day (the dates, the id bounds of the slice, the events' mark), and kept."""
        t = subj.table
        assert subj.level and subj.level_base and subj.deadline
        level_col, base_col = t.c[subj.level], t.c[subj.level_base]
        due = _kept(self._built, ("climb", level.key, prev), lambda: and_(
            subj.scope, level_col.is_(None) if prev is None else level_col == prev,
            t.c.state.in_(active), base_col <= BASE, t.c.entered_on <= DAY,
            *(rung_clause(t, g) for g in level.guards)))
        params: dict[str, Any] = {BASE.key: base, DAY.key: day}
        bounded = window.bound(conn, t, due, params, self._built)
        if bounded is None:
            return 0
        due = bounded
        rule = ladder_rule(level)
        new = self._new_deadline(level, day)
        mark, added = self._log_events(conn, subj, due, ESCALATE, t.c.state, rule, day,
                                       step_note(level), step_payload(level, prev, new), params)
        params.update({MARK.key: mark, NEW.key: new})
        if self.log is not None:
            self._log_steps(conn, subj, level, rule, params)
        self._update(conn, subj, due, mark, rule, _kept(self._built, ("set", level.key), lambda: {
            subj.level: level.key, "version": t.c.version + 1,
            **({subj.deadline: NEW, subj.level_base: NEW} if level.new_deadline else {})}),
            added, params)
        return added

    def _log_steps(self, conn: Connection, subj: Subjects, level: LevelSpec, rule: str,
                   params: Mapping[str, Any]) -> None:
        assert self.log is not None and subj.level_base
        t, e, log = subj.table, self.events, self.log

        def of_subject(column: ColumnElement[Any]) -> ColumnElement[Any]:
            # read from the event's subject by its key: the query is driven by the events just
            # written (a range of ids), never by the subjects' table, which only grows; its id
            # is the event's own column, and each lookup is one more per notice
            if column is t.c.id:
                return e.c.subject_id
            return select(column).where(t.c.id == e.c.subject_id).scalar_subquery()

        def build() -> Any:
            base_col = of_subject(t.c[subj.level_base or ""])
            query = (select(*(of_subject(v) for v in log.values.values()), literal(level.key),
                            DAY, base_col, _days_past(conn, base_col, DAY), NEW,
                            literal(level.action or None), e.c.id)
                     .where(e.c.id > MARK, e.c.rule == rule, e.c.machine == subj.machine,
                            exists().where(t.c.id == e.c.subject_id, subj.scope)))
            columns = [*log.values, "level", "issued_on", "deadline", "days_overdue",
                       "new_deadline", "action", "event_id"]
            return insert(log.table).from_select(columns, query)

        conn.execute(_kept(self._built, ("log", level.key, conn.dialect.name), build), params)

    # -- timers -----------------------------------------------------------------

    def _needs_python(self, timer: TimerSpec) -> bool:
        return needs_python(self.definition, timer)

    def _timer(self, conn: Connection, timer: TimerSpec, day: dt.date,
               window: Slice) -> Step | None:
        subj = self.subjects[timer.machine]
        t = subj.table
        transition = timer_transition(self.definition, timer)
        base = latest_base(self.calendar, timer.after, day)
        if timer.from_deadline:
            assert subj.deadline
            due = and_(subj.scope, t.c.state.in_(transition.sources), t.c[subj.deadline] <= base,
                       t.c.entered_on <= day)
        else:
            due = and_(subj.scope, t.c.state == timer.state, t.c.entered_on <= base)
        rule = timer_rule(timer)
        title = transition.title or timer.trigger
        bounded = window.bound(conn, t, due)
        if bounded is None:
            return None
        due = bounded
        if self._needs_python(timer):
            ids = list(conn.execute(select(t.c.id).where(due).order_by(t.c.id)).scalars())
            assert self.fire is not None
            moves, refused = self.fire(conn, timer, ids, day)
            stamp_timer_moves(timer, moves, day)
            apply_moves(conn, {s.machine: s.table for s in self.subjects.values()}, self.events, moves)
            fired = sum(1 for m in moves if m.trigger == timer.trigger)
            # a deadline the firing set (超时默许 grants the one asked for): shown when all agree
            set_to = {m.changes[subj.deadline] for m in moves if m.machine == timer.machine
                      and subj.deadline and m.changes.get(subj.deadline)}
            new = set_to.pop() if len(set_to) == 1 else None
            return Step(day, rule, title, fired, new, refused) if fired or refused else None
        mark, added = self._log_events(conn, subj, due, timer.trigger, literal(transition.dest),
                                       rule, day, None, None)
        self._update(conn, subj, due, mark, rule,
                     {"state": transition.dest, "entered_on": day, "version": t.c.version + 1}, added)
        return Step(day, rule, title, added)

    # -- shared statements ------------------------------------------------------

    def _log_events(self, conn: Connection, subj: Subjects, due: ColumnElement[bool], trigger: str,
                    to_state: ColumnElement[Any], rule: str, day: dt.date, note: str | None,
                    payload: dict[str, Any] | None,
                    params: Mapping[str, Any] | None = None) -> tuple[int, int]:
        """One event per due row, through the writer; returns the id mark before them and their count.

        The rows are read in id order and their events hashed in that order (a chain is built in
        Python, one link after another), then inserted with one executemany.
        """
        t, e = subj.table, self.events
        mark = conn.execute(_kept(self._built, "mark", lambda: select(func.max(e.c.id)))).scalar() or 0
        names = list(subj.event_values)
        key = subj.key if subj.key is not None else cast(t.c.id, String)

        def build() -> Any:
            return (select(t.c.id, t.c.state, to_state, key, *subj.event_values.values())
                    .where(due).order_by(t.c.id))

        if params is None:  # built for this call
            due_rows = conn.execute(build()).all()
        else:  # ``due`` is kept (``Slice.bound``), and so is the query of its rows
            due_rows = conn.execute(_kept(self._built, ("rows", id(due), id(to_state)), build),
                                    params).all()
        for lo in range(0, len(due_rows), CHUNK):  # memory bounded by a chunk, not the table
            append(conn, e, [
                Entry(self.stream, subj.machine, subject_key, trigger, SYSTEM_ACTOR, day,
                      from_state=state, to_state=dest, note=note, payload=payload, rule=rule,
                      subject_id=sid, values=dict(zip(names, rest, strict=True)))
                for sid, state, dest, subject_key, *rest in due_rows[lo:lo + CHUNK]])
        return mark, len(due_rows)

    def _update(self, conn: Connection, subj: Subjects, due: ColumnElement[bool], mark: int, rule: str,
                values: Mapping[str, Any], expected: int,
                params: Mapping[str, Any] | None = None) -> None:
        """Move exactly the rows just logged; anything else means another writer got in between.

        With ``params`` (kept statements: ``due`` and ``values`` the same objects each day),
        the mark is the bind parameter ``MARK`` and the statement is kept too."""
        t, e = subj.table, self.events

        def build(after: Any) -> Any:
            logged = select(e.c.subject_id).where(e.c.id > after, e.c.rule == rule,
                                                  e.c.machine == subj.machine)
            return update(t).where(t.c.id.in_(logged), due).values(values)

        if params is None:
            moved = conn.execute(build(mark)).rowcount
        else:
            moved = conn.execute(_kept(self._built, ("update", id(due), id(values)),
                                       lambda: build(MARK)), params).rowcount
        if moved != expected:
            raise Conflict(Text("{name} changed by someone else while the clock ran "
                                "({rule})", name=t.name, rule=rule),
                           Text("run the tick again"))


def rung_clause(table: Table, guard: CallRef) -> ColumnElement[bool]:
    """A level's guard as SQL, with the meaning of the built-in ``compare`` (engine.core.builtin):
    an unset counter is 0; an unset field is only equal to nothing, so it is ``!=`` any value
    and neither less nor more than anything; a date field is compared with the date written."""
    assert guard.name in RUNG_GUARDS, "validated when the definition loads"
    params = guard.kwargs
    column: ColumnElement[Any] = table.c[params["field"]]
    op, value = params["op"], params.get("value")
    if value is None:
        if op == "==":
            return column.is_(None)
        return column.is_not(None) if op == "!=" else false()
    if isinstance(value, int) and not isinstance(value, bool):
        column = func.coalesce(column, 0)  # a counter never incremented
    elif isinstance(value, str) and isinstance(table.c[params["field"]].type, Date):
        value = dt.date.fromisoformat(value)
    if op == "!=":
        return or_(column.is_(None), column != value)
    return {"==": column == value, "<": column < value, "<=": column <= value,
            ">": column > value, ">=": column >= value}[op]


def _days_past(conn: Connection, column: ColumnElement[Any],
               day: ColumnElement[dt.date]) -> ColumnElement[Any]:
    """Calendar days from the date in ``column`` (never NULL) to ``day`` (a date expression),
    0 when it is not before ``day``, in the connection's SQL dialect (the column read once:
    it is a lookup)."""
    if conn.dialect.name == "sqlite":
        return func.max(cast(func.julianday(day) - func.julianday(column), Integer), 0)
    return func.greatest(cast(day - column, Integer), 0)

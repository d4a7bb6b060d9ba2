"""One subject's clock: the ladder steps and timer moves due to it over a range of business days.

The set-based clock (``engine.io.clock``) finds what is due over a whole table in SQL; this
module finds the same for the few subjects a change is about to touch, without I/O, so that the
change can first bring them up to its date.  The rules are written once, here, and the SQL
clock uses them too:

* each business day, timers run first (in definition order), then the ladder, level by level;
* a timer ``state: S, after: N`` is due when the subject has been in S since a date whose
  threshold ``N`` is reached (``latest_base``); a deadline timer when its deadline's threshold
  is reached, the subject can fire the trigger, and it entered its state on or before the day;
* a ladder level is due to a subject below it, in a state the ladder applies in (``active_states``),
  whose ladder base has reached the level's threshold, which entered its state on or before
  the day and for which the level's guards hold (engine.core.rungs; a level whose guards do not
  hold is passed over, and the next one may climb).  The step keeps the state, sets the level
  and, for a level with ``new_deadline``, the deadline and the base the next levels count from;
* last, a reminder (``ReminderSpec``) is due to a subject in one of its waiting states that has
  not had it in this stay, once the answer's due date (``within`` after entering the state) is
  the reminder's ``at`` past.  It is an event alone: the subject does not change (``Reminder``).

Instead of asking every day, a subject jumps to the first day one of its rules can be due
(``cal.add(base, at)``, the inverse of ``latest_base``), so a catch-up over months costs a few
calendar look-ups.  The moves are ``Move`` objects with the same payloads, notes, rules and
changes the SQL writes; each ladder step also yields its ``Notice`` (the step log's row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .calendar import WorkCalendar, calendar_for
from .errors import InvalidInput
from .machines import SYSTEM_ACTOR
from .moves import Move
from .rungs import fields_read, holds
from .spec import Definition, Duration, LevelSpec, ReminderSpec, TimerSpec, TransitionSpec
from .text import Text

ESCALATE = "escalate"  # the trigger written in the event of a ladder step (the state does not change)
REMIND = "remind"  # the trigger written in a reminder's event (nothing changes)
ONE_DAY = dt.timedelta(days=1)


def latest_base(cal: WorkCalendar, at: Duration, day: dt.date) -> dt.date:
    """The latest base date ``b`` whose threshold ``cal.add(b, at)`` is reached by ``day``.

    ``cal.add(b, at)`` never decreases as ``b`` grows, so the bases reached by ``day`` are exactly
    those on or before this date: one calendar question answers a whole table's.
    """
    n = at.days
    if at.unit == "calendar" or n == 0:
        return day - dt.timedelta(days=n)
    if n > 0:
        # reached when (b, day] holds n working days: b is before the nth working day up to day
        return cal.add(day + ONE_DAY, Duration(-n, "working")) - ONE_DAY
    # add(b, -m) is on or before day until (day, b) holds m working days
    return cal.add(day, Duration(-n, "working"))


def ladder_rule(level: LevelSpec) -> str:
    return f"escalation.{level.key}"


def reminder_rule(level: LevelSpec) -> str:
    return f"reminders.{level.key}"


def reminder_payload(level: LevelSpec, spec: ReminderSpec, due: dt.date,
                     day: dt.date) -> dict[str, Any]:
    """A reminder's event: which one, when the answer was due, calendar days past it, to whom."""
    return {"reminder": level.key, "due": due.isoformat(), "days_overdue": (day - due).days,
            "to": list(spec.to)}


def reminder_base(cal: WorkCalendar, spec: ReminderSpec, level: LevelSpec, day: dt.date) -> dt.date:
    """The latest day a subject may have entered its state and be due ``level`` by ``day``:
    both steps (``within``, then ``at``) are monotone, so one ``latest_base`` each."""
    return latest_base(cal, spec.within, latest_base(cal, level.at, day))


def timer_rule(timer: TimerSpec) -> str:
    return f"timers.{timer.key}"


def step_note(level: LevelSpec) -> str:
    return f"{level.title}: {level.action}" if level.action else level.title


def step_payload(level: LevelSpec, prev: str | None, new: dt.date | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"level": level.key, "from_level": prev}
    if new:
        payload["new_deadline"] = new.isoformat()
    return payload


def active_states(definition: Definition) -> list[str]:
    """The states the ladder climbs in (sorted, for stable SQL): ``applies_in`` when given, else
    every state neither stop, hold nor done."""
    ladder = definition.ladder
    if ladder is None:
        return []
    machine = definition.machines[ladder.machine]
    if ladder.applies_in is not None:
        return sorted(ladder.applies_in - machine.done_states)
    return sorted({s.key for s in machine.states} - ladder.stop_states - ladder.hold_states
                  - machine.done_states)


def timer_transition(definition: Definition, timer: TimerSpec) -> TransitionSpec:
    transition = definition.machines[timer.machine].transition(timer.trigger)
    assert transition is not None  # validated when the definition was loaded
    return transition


def needs_python(definition: Definition, timer: TimerSpec) -> bool:
    """A timer whose guards or actions must run is fired through the caller, not applied directly."""
    transition = timer_transition(definition, timer)
    return bool(timer.guards or transition.guards or transition.actions)


def stamp_timer_moves(timer: TimerSpec, moves: Sequence[Move], day: dt.date) -> None:
    """Mark moves a fired timer returned: its rule, and a fresh ``entered_on`` if it kept the state.

    A timer that leaves its subject where it was restarts its own count from the day it fired,
    or it would fire again every day.
    """
    for move in moves:
        move.rule = timer_rule(timer)
        if move.to_state == move.from_state and move.machine == timer.machine:
            move.changes = {**move.changes, "entered_on": day}


@dataclass
class Snapshot:
    """One subject as the clock sees it; moved along as the steps due to it are found."""

    machine: str
    id: int
    version: int
    state: str
    entered_on: dt.date
    deadline: dt.date | None = None
    level: str | None = None
    level_base: dt.date | None = None
    event_values: Mapping[str, Any] = field(default_factory=dict)  # copied into every move
    fields: dict[str, Any] = field(default_factory=dict)  # those the rungs' guards read
    reminded: set[str] = field(default_factory=set)  # reminder keys sent since ``entered_on``


@dataclass(frozen=True)
class Columns:
    """The names of the subject's date and level columns, used as the keys of a move's changes."""

    deadline: str = "deadline"
    level: str = "level"
    level_base: str = "level_base"


@dataclass(frozen=True)
class Notice:
    """The step log's row for one ladder step; ``move`` is the step (its event's id links them)."""

    move: Move
    level: str
    issued_on: dt.date
    deadline: dt.date  # the base the step was measured from
    days_overdue: int  # calendar days past it, 0 before
    new_deadline: dt.date | None
    action: str | None


@dataclass(frozen=True)
class Reminder:
    """One reminder's event (the subject does not move): the caller appends it."""

    subject_id: int
    machine: str
    state: str
    day: dt.date
    rule: str
    note: str
    payload: Mapping[str, Any]
    event_values: Mapping[str, Any]
    trigger: str = REMIND


@dataclass
class Due:
    """What the clock owes some subjects over a range of days, in the order it is written."""

    moves: list[Move] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)  # written after the moves
    refused: list[tuple[dt.date, str, str]] = field(default_factory=list)  # (day, rule, why)


FireFn = Callable[[TimerSpec, Snapshot, dt.date], tuple[list[Move], list[str]]]
"""Fires a timer's trigger on one due subject as of a day: the moves to write, and refusals."""


class Schedule:
    """A definition's clock rules, ready to run on snapshots; build one per definition and keep it."""

    def __init__(self, definition: Definition, columns: Columns = Columns()) -> None:
        self.definition = definition
        self.columns = columns
        self.calendar = calendar_for(definition.calendar)
        self.ladder = definition.ladder
        self.active = frozenset(active_states(definition))
        self.rank = {lv.key: i for i, lv in enumerate(self.ladder.levels)} if self.ladder else {}
        # the subject's fields the levels' guards read: a snapshot carries them in ``fields``
        self.fields = fields_read(g for lv in self.ladder.levels for g in lv.guards) \
            if self.ladder else frozenset()
        self.timers = [(t, timer_transition(definition, t), needs_python(definition, t))
                       for t in definition.timers]
        self.reminders = definition.reminders
        self._bases: dict[tuple[Duration, dt.date], dt.date] = {}

    def base(self, at: Duration, day: dt.date) -> dt.date:
        """``latest_base`` for this calendar, remembered (the same few questions recur)."""
        key = (at, day)
        found = self._bases.get(key)
        if found is None:
            if len(self._bases) > 10_000:
                self._bases.clear()
            found = self._bases[key] = latest_base(self.calendar, at, day)
        return found

    # -- the range ---------------------------------------------------------------

    def due(self, subjects: Sequence[Snapshot], first: dt.date, last: dt.date,
            fire: FireFn | None = None) -> Due:
        """Everything due to ``subjects`` on the days ``first`` .. ``last``, day after day.

        The snapshots are moved along (state, version, dates, level), so afterwards they are the
        subjects as the clock leaves them; a move ``fire`` returns for a subject not given is
        passed through.
        """
        out = Due()
        if first > last:
            return out
        if fire is None:
            for timer, _, python in self.timers:
                if python:
                    raise InvalidInput(Text("timer '{key}' needs its guards run, and nothing "
                                            "can", key=timer.key))
        day = first
        while True:
            nxt = min((d for s in subjects if (d := self._next(s, day, last)) is not None),
                      default=None)
            if nxt is None:
                return out
            self._run_day(subjects, nxt, fire, out)
            day = nxt + ONE_DAY

    def _next(self, s: Snapshot, day: dt.date, last: dt.date) -> dt.date | None:
        """The first day from ``day`` to ``last`` on which one of the rules may be due to ``s``."""
        found: dt.date | None = None
        for timer, transition, _ in self.timers:
            if timer.machine != s.machine:
                continue
            if timer.from_deadline:
                if s.state in transition.sources:
                    found = _earlier(found, self._reach(s.deadline, timer.after,
                                                        max(day, s.entered_on), last))
            elif s.state == timer.state:
                found = _earlier(found, self._reach(s.entered_on, timer.after, day, last))
        ladder = self.ladder
        if ladder is not None and s.machine == ladder.machine and s.state in self.active:
            below = -1 if s.level is None else self.rank.get(s.level)
            if below is not None:
                floor = max(day, s.entered_on)
                for level in ladder.levels[below + 1:]:
                    # a guard's fields change only by a move, on a day this loop stops at
                    if self.allows(level, s):
                        found = _earlier(found, self._reach(s.level_base, level.at, floor, last))
        rem = self.reminders
        if rem is not None and s.machine == rem.machine and s.state in rem.states:
            for level in rem.levels:
                if level.key not in s.reminded and \
                        s.entered_on <= reminder_base(self.calendar, rem, level, last):
                    when = self.calendar.add(self.calendar.add(s.entered_on, rem.within), level.at)
                    found = _earlier(found, max(day, when))
        return found

    def _reach(self, base: dt.date | None, at: Duration, floor: dt.date,
               last: dt.date) -> dt.date | None:
        if base is None or base > self.base(at, last):
            return None
        day = max(floor, self.calendar.add(base, at))
        return day if day <= last else None

    # -- one day ------------------------------------------------------------------

    def _run_day(self, subjects: Sequence[Snapshot], day: dt.date, fire: FireFn | None,
                 out: Due) -> None:
        for timer, transition, python in self.timers:
            base = self.base(timer.after, day)
            due = sorted((s for s in subjects if s.machine == timer.machine
                          and self._timer_due(timer, transition, s, base, day)), key=_by_id)
            for s in due:
                if python:
                    assert fire is not None
                    moves, refused = fire(timer, s, day)
                    stamp_timer_moves(timer, moves, day)
                    out.refused += [(day, timer_rule(timer), why) for why in refused]
                else:
                    changes = {"entered_on": day} if transition.dest == s.state else {}
                    moves = [Move(s.id, s.version, s.machine, timer.trigger, s.state,
                                  transition.dest, SYSTEM_ACTOR, day, changes=changes,
                                  event_values=s.event_values, rule=timer_rule(timer))]
                for move in moves:
                    self._apply(subjects, move)
                out.moves += moves
        if self.ladder is not None:
            self._climb(subjects, day, out)
        if self.reminders is not None:
            self._remind(subjects, day, out)

    def _remind(self, subjects: Sequence[Snapshot], day: dt.date, out: Due) -> None:
        """Each reminder in order, to the waiting subjects that have not had it in this stay."""
        rem = self.reminders
        assert rem is not None
        for level in rem.levels:
            base = reminder_base(self.calendar, rem, level, day)
            for s in sorted((s for s in subjects if s.machine == rem.machine
                             and s.state in rem.states and level.key not in s.reminded
                             and s.entered_on <= base), key=_by_id):
                due = self.calendar.add(s.entered_on, rem.within)
                out.reminders.append(Reminder(s.id, s.machine, s.state, day, reminder_rule(level),
                                              step_note(level),
                                              reminder_payload(level, rem, due, day),
                                              s.event_values))
                s.reminded.add(level.key)

    @staticmethod
    def _timer_due(timer: TimerSpec, transition: TransitionSpec, s: Snapshot, base: dt.date,
                   day: dt.date) -> bool:
        if timer.from_deadline:
            return (s.state in transition.sources and s.deadline is not None
                    and s.deadline <= base and s.entered_on <= day)
        return s.state == timer.state and s.entered_on <= base

    def _climb(self, subjects: Sequence[Snapshot], day: dt.date, out: Due) -> None:
        """Each level in order; the SQL moves those coming from no level first, then level by level."""
        assert self.ladder is not None
        cols = self.columns
        for k, level in enumerate(self.ladder.levels):
            base = self.base(level.at, day)
            due = [s for s in subjects if s.machine == self.ladder.machine and s.state in self.active
                   and self._below(s.level, k) and s.level_base is not None
                   and s.level_base <= base and s.entered_on <= day and self.allows(level, s)]
            if not due:
                continue
            new = self.calendar.add(day, level.new_deadline) if level.new_deadline else None
            changes: dict[str, Any] = {cols.level: level.key}
            if new:
                changes.update({cols.deadline: new, cols.level_base: new})
            for s in sorted(due, key=lambda s: (self._below_rank(s.level), s.id)):
                assert s.level_base is not None
                move = Move(s.id, s.version, s.machine, ESCALATE, s.state, s.state, SYSTEM_ACTOR,
                            day, changes=dict(changes), event_values=s.event_values,
                            note=step_note(level), payload=step_payload(level, s.level, new),
                            rule=ladder_rule(level))
                late = (day - s.level_base).days if s.level_base < day else 0
                out.notices.append(Notice(move, level.key, day, s.level_base, late, new,
                                          level.action or None))
                out.moves.append(move)
                self._apply(subjects, move)

    def allows(self, level: LevelSpec, s: Snapshot) -> bool:
        """The level's guards hold for ``s`` (its fields, and its state, dates and level)."""
        if not level.guards:
            return True
        cols = self.columns
        return holds(level.guards, {**s.fields, "state": s.state, "entered_on": s.entered_on,
                                    cols.deadline: s.deadline, cols.level: s.level,
                                    cols.level_base: s.level_base})

    def _below(self, level: str | None, k: int) -> bool:
        return self._below_rank(level) < k

    def _below_rank(self, level: str | None) -> int:
        """-1 below every level; a level the ladder no longer has is above them all (never climbs)."""
        return -1 if level is None else self.rank.get(level, len(self.rank))

    def _apply(self, subjects: Sequence[Snapshot], move: Move) -> None:
        """Move the snapshot ``move`` is about, as the writer will move its row."""
        for s in subjects:
            if s.machine == move.machine and s.id == move.subject_id:
                break
        else:
            return
        s.version = move.version + 1
        if move.to_state != move.from_state:
            s.entered_on = move.business_date
            s.reminded = set()  # a new stay
        s.state = move.to_state
        cols = self.columns
        for key, value in move.changes.items():
            if key == "entered_on":
                s.entered_on = value
                s.reminded = set()
            elif key == cols.level:
                s.level = value
            elif key == cols.deadline:
                s.deadline = value
            elif key == cols.level_base:
                s.level_base = value
            if key in s.fields:
                s.fields[key] = value


def _earlier(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    if a is None:
        return b
    return a if b is None or a <= b else b


def _by_id(s: Snapshot) -> int:
    return s.id

"""The typed, immutable objects a loaded definition becomes.

A *spec* describes; it never runs.  Running instances are rows in the store, and a
``Runtime`` (engine.core.machines) fires triggers on them against these specs.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .cadence import CALENDAR_UNITS, DAY_UNITS, CadenceError, parse_span, span_pattern
from .errors import Problem

DayUnit = Literal["calendar", "working"]
# Both read by engine.core.cadence: one syntax for limits, thresholds and stage offsets.
DURATION_PATTERN = span_pattern(DAY_UNITS)
OFFSET_PATTERN = span_pattern(CALENDAR_UNITS, signed=True, digits=4)  # at most 9999
DATE_PATTERN = r"^\d{4}-\d{1,2}-\d{1,2}$"


@dataclass(frozen=True)
class Duration:
    """A signed number of calendar or working days; every threshold carries its unit."""

    days: int
    unit: DayUnit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Days from any day-convertible span: ``10 working days``, ``15个工作日``, ``2周``, ``+3d``."""
        try:
            return parse_span(str(text), DAY_UNITS).duration()
        except CadenceError as exc:
            raise ValueError(f"{exc.message}: {exc.hint}") from None

    def __str__(self) -> str:
        return f"{self.days} {self.unit} day{'s' if abs(self.days) != 1 else ''}"

    def zh(self) -> str:
        """In Chinese, always with 工作日 or 自然日: a bare 日 would not say which days count."""
        return f"{self.days}个{'工作日' if self.unit == 'working' else '自然日'}"


@dataclass(frozen=True)
class DateRef:
    """A stage boundary: an absolute date, or an offset from the run's start date."""

    date: dt.date | None = None
    offset: str | None = None  # "+30d", "+2w", "+1m", "+1个季度"

    def resolve(self, start: dt.date, end_of_period: bool = False) -> dt.date:
        """The date; an end ``+1m`` is the day before the same day a month on (a whole month)."""
        if self.date is not None:
            return self.date
        assert self.offset is not None
        span = parse_span(self.offset, CALENDAR_UNITS)
        resolved = span.add(None, start)
        whole = end_of_period and span.unit in ("month", "quarter", "year")
        return resolved - dt.timedelta(days=1) if whole else resolved

    def __str__(self) -> str:
        return self.date.isoformat() if self.date else str(self.offset)


@dataclass(frozen=True)
class CallRef:
    """A guard or action named in the definition, with its parameters."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.params)})"


@dataclass(frozen=True)
class StateSpec:
    key: str
    title: str
    done: bool = False


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    title: str = ""
    guards: tuple[CallRef, ...] = ()
    actions: tuple[CallRef, ...] = ()


@dataclass(frozen=True)
class MachineSpec:
    name: str
    title: str
    initial: str
    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]

    def state(self, key: str) -> StateSpec:
        return next(s for s in self.states if s.key == key)

    @property
    def done_states(self) -> frozenset[str]:
        return frozenset(s.key for s in self.states if s.done)

    def transition(self, trigger: str) -> TransitionSpec | None:
        return self._by_trigger.get(trigger)

    @functools.cached_property
    def _by_trigger(self) -> dict[str, TransitionSpec]:  # looked up on every fire
        return {t.trigger: t for t in self.transitions}


@dataclass(frozen=True)
class StageSpec:
    key: str
    kind: str
    title: str
    start: DateRef
    end: DateRef
    entry: tuple[CallRef, ...] = ()
    exit: tuple[CallRef, ...] = ()

    def window(self, run_start: dt.date) -> tuple[dt.date, dt.date]:
        return self.start.resolve(run_start), self.end.resolve(run_start, end_of_period=True)


@dataclass(frozen=True)
class RoleSpec:
    key: str
    title: str
    triggers: frozenset[str]
    confidential: bool = False
    overrides: bool = False  # may force a stage guard, the override being recorded
    side: str = ""  # which side of the separation of duties it acts for (a plugin names them)
    edits: frozenset[str] | None = None  # the fields it may correct (None: its side's default)


@dataclass(frozen=True)
class DutySpec:
    """What firing a trigger takes besides a role listing it, whatever a definition writes.

    A role of one of ``sides`` (empty: any side), and every guard in ``guards``, checked on
    each transition of the trigger even where a definition's own guard list leaves them out.
    Plugins declare them in code, so they hold for running instances too.
    """

    sides: frozenset[str] = frozenset()
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteDays:
    """Working-day data the installation holds for every running instance, in no definition.

    ``years``: the years whose national holiday notice it has (the rest of such a year counts
    Monday to Friday); ``days_off``/``working_days``: the notices' days and regional holidays.
    Injected by the store (a running instance's definition is frozen), never read here; it
    decides a date after the definition's own lists and before the region's library.
    """

    years: frozenset[int] = frozenset()
    days_off: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()


OutsideKnownYears = Literal["provisional", "error", "weekends"]


@dataclass(frozen=True)
class CalendarSpec:
    region: str = "cn"  # holidays and adjusted working days from a maintained library
    days_off: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    outside_known_years: OutsideKnownYears = "provisional"
    timezone: str = "Asia/Shanghai"
    site: SiteDays = SiteDays()  # the installation's calendar data, injected by the store


@dataclass(frozen=True)
class LevelSpec:
    """One rung of an escalation ladder, measured from the deadline.

    ``guards``: it climbs only when they hold (``compare`` on a field only, see engine.core.rungs).
    """

    key: str
    title: str
    at: Duration  # negative: before the deadline
    action: str = ""
    new_deadline: Duration | None = None
    guards: tuple[CallRef, ...] = ()


@dataclass(frozen=True)
class LadderSpec:
    """The ladder and where it applies: it climbs only in ``applies_in``.

    Every other state of the machine waits: ``hold_states`` wait for an answer, ``stop_states``
    end the deadline's meaning (reports no longer count them overdue).  Whatever fell due while
    a subject waited is sent on the day it comes back.  ``applies_in`` None: every state that
    is neither done, stop nor hold.
    """

    machine: str
    levels: tuple[LevelSpec, ...]
    stop_states: frozenset[str] = frozenset()
    hold_states: frozenset[str] = frozenset()
    applies_in: frozenset[str] | None = None

    def level(self, key: str) -> LevelSpec:
        return next(lv for lv in self.levels if lv.key == key)


@dataclass(frozen=True)
class ReminderSpec:
    """Reminders to answer a subject that waits in ``states`` past ``within`` (e.g. a report
    awaiting confirmation): the answer is due ``within`` after the subject entered its state, and
    each level is sent once per stay when it is ``at`` past that date, to the roles ``to``.
    Nothing else changes: no state, no level, no new deadline; leaving the state stops them.
    """

    machine: str
    states: frozenset[str]
    within: Duration
    levels: tuple[LevelSpec, ...]
    to: tuple[str, ...] = ()  # the roles that must answer


@dataclass(frozen=True)
class TimerSpec:
    """Fire ``trigger`` when ``state`` has lasted ``after``, or when the deadline is ``after`` past."""

    key: str
    machine: str
    trigger: str
    after: Duration
    state: str | None = None  # measured from entering this state
    from_deadline: bool = False  # measured from the subject's deadline instead
    guards: tuple[CallRef, ...] = ()


@dataclass(frozen=True)
class DeadlineSpec:
    default_limit: Duration | None = None
    # named limits a transition's new deadline defaults to (``after_return: 10 working days``)
    named: Mapping[str, Duration] = field(default_factory=dict)

    def limit(self, name: str) -> Duration | None:
        return self.default_limit if name == "default_limit" else self.named.get(name)


@dataclass(frozen=True)
class Definition:
    """A whole definition: engine sections typed here, plugin sections in ``sections``."""

    key: str
    title: str
    source_text: str
    stages: tuple[StageSpec, ...]
    machines: dict[str, MachineSpec]
    roles: dict[str, RoleSpec]
    confidential: frozenset[str]
    calendar: CalendarSpec
    deadlines: DeadlineSpec
    ladder: LadderSpec | None
    timers: tuple[TimerSpec, ...]
    sections: dict[str, Any] = field(default_factory=dict)
    lifecycle: str | None = None
    duties: Mapping[str, DutySpec] = field(default_factory=dict)  # trigger → what it takes
    reminders: ReminderSpec | None = None
    # obsolete forms read and rewritten (engine.core.plugins.Upgrade), located when from a file
    notes: tuple[Problem, ...] = ()

    def stage(self, key: str) -> StageSpec | None:
        return next((s for s in self.stages if s.key == key), None)

    def machine_of(self, trigger: str) -> MachineSpec | None:
        """The machine that owns ``trigger`` (trigger names are unique across machines)."""
        return self._owners.get(trigger)

    @functools.cached_property
    def _owners(self) -> dict[str, MachineSpec]:
        return {t.trigger: m for m in self.machines.values() for t in m.transitions}


def split_call(call: Any) -> tuple[str, dict[str, Any]]:
    """A guard/action reference as written in YAML: ``name`` or ``{name: {param: value}}``."""
    if isinstance(call, str):
        return call, {}
    ((name, params),) = call.items()
    return name, dict(params or {})

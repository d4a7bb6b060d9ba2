"""The pure clock (engine.core.schedule) against the SQL clock (engine.io.clock) on random boards.

Random ladders (with or without the states they apply in, levels with or without guards on a
counter, a text field or a date), reminders to subjects waiting in some states, timers (direct,
self-refreshing and fired through Python), hold and stop states, deadlines, levels, calendars
with days off and extra working days, and day ranges: the SQL clock run day by day over a table,
and the pure clock run one subject at a time, must give the same events (all columns but the id
and recording time), the same step-log rows pointing at the same events, the same refusals and
the same final rows.  The pure clock's moves for all subjects at once, written by the store's
writer, must leave the same table and log as well.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.engine import Connection

from engine.core.machines import SYSTEM_ACTOR
from engine.core.moves import Move
from engine.core.schedule import Columns, Reminder, Schedule, Snapshot
from engine.core.spec import (
    CalendarSpec,
    CallRef,
    DeadlineSpec,
    Definition,
    Duration,
    LadderSpec,
    LevelSpec,
    MachineSpec,
    ReminderSpec,
    SiteDays,
    StateSpec,
    TimerSpec,
    TransitionSpec,
)
from engine.io.clock import Clock, StepLog, Subjects
from engine.io.store import event_columns, stateful_columns
from engine.io.writer import CHAIN_HEADS, Entry, append, apply_moves, chain_columns, open_stream

D = dt.date
META = MetaData()
TASKS = Table("tasks", META, Column("id", Integer, primary_key=True),
              Column("board", Integer, nullable=False), Column("due", Date), Column("rung", String(32)),
              Column("counted_from", Date), Column("tries", Integer), Column("tag", String(8)),
              *stateful_columns())
LOG = Table("log", META, Column("board", Integer, nullable=False), *event_columns(), *chain_columns())
CHAIN = {c.name for c in chain_columns()}  # hashes differ with the recording time: compared apart
WARNINGS = Table("warnings", META, Column("id", Integer, primary_key=True),
                 Column("task_id", Integer, nullable=False), Column("level", String(32), nullable=False),
                 Column("issued_on", Date, nullable=False), Column("deadline", Date, nullable=False),
                 Column("days_overdue", Integer, nullable=False), Column("new_deadline", Date),
                 Column("action", String(64)), Column("event_id", Integer))
COLUMNS = Columns(deadline="due", level="rung", level_base="counted_from")
STATES = ("open", "work", "late", "wait", "stop", "done")
MACHINE = MachineSpec("task", "task", "open", tuple(StateSpec(s, s, done=s == "done") for s in STATES), (
    TransitionSpec("resume", ("wait",), "open"),
    TransitionSpec("lapse", ("open", "work"), "late"),
    TransitionSpec("poke", ("work",), "work"),
    TransitionSpec("rework", ("late",), "work", guards=(CallRef("checked"),)),
    TransitionSpec("settle", ("late", "open"), "stop", guards=(CallRef("checked"),)),
))
TIMERS = {
    "resume": st.builds(lambda n, u: TimerSpec("resume", "task", "resume", Duration(n, u), state="wait"),
                        st.integers(0, 6), st.sampled_from(["working", "calendar"])),
    "lapse": st.builds(lambda n, u: TimerSpec("lapse", "task", "lapse", Duration(n, u),
                                              from_deadline=True),
                       st.integers(-2, 12), st.sampled_from(["working", "calendar"])),
    "poke": st.builds(lambda n: TimerSpec("poke", "task", "poke", Duration(n, "working"), state="work"),
                      st.integers(1, 8)),
    "rework": st.builds(lambda n: TimerSpec("rework", "task", "rework", Duration(n, "working"),
                                            state="late"), st.integers(0, 5)),
    "settle": st.builds(lambda n: TimerSpec("settle", "task", "settle", Duration(n, "calendar"),
                                            from_deadline=True), st.integers(5, 30)),
}
YEAR = [D(2015, 7, 1) + dt.timedelta(days=i) for i in range(240)]
OPS = ["==", "!=", "<", "<=", ">", ">="]
# a level's guards: a counter (unset counts as 0), a text field (unset is only == nothing), a date


def _compare(field: str, op: str, value: Any) -> CallRef:
    return CallRef("compare", (("field", field), ("op", op), ("value", value)))


RUNG_GUARDS = st.lists(st.one_of(
    st.builds(lambda op, v: _compare("tries", op, v), st.sampled_from(OPS), st.integers(0, 3)),
    st.builds(lambda op, v: _compare("tag", op, v), st.sampled_from(["==", "!="]),
              st.sampled_from([None, "a", "b"])),
    st.builds(lambda op, v: _compare("due", op, v.isoformat()), st.sampled_from(OPS),
              st.sampled_from(YEAR[20:160]))), max_size=2).map(tuple)


@st.composite
def definitions(draw: st.DrawFn) -> Definition:
    levels = []
    for i in range(draw(st.integers(1, 4))):
        at = Duration(draw(st.integers(-6, 15)), draw(st.sampled_from(["working", "calendar"])))
        new = draw(st.none() | st.builds(Duration, st.integers(1, 12),
                                         st.sampled_from(["working", "calendar"])))
        levels.append(LevelSpec(f"l{i}", f"L{i}", at, draw(st.sampled_from(["", f"act{i}"])), new,
                                draw(RUNG_GUARDS)))
    applies = draw(st.sampled_from([None, {"work"}, {"open", "work"}, {"open", "late"}]))
    ladder = LadderSpec("task", tuple(levels), stop_states=frozenset({"stop"}),
                        hold_states=frozenset(draw(st.sampled_from([{"wait"}, {"wait", "late"}]))),
                        applies_in=None if applies is None else frozenset(applies))
    keys = draw(st.lists(st.sampled_from(sorted(TIMERS)), unique=True, max_size=5))
    timers = tuple(draw(TIMERS[k]) for k in keys)
    off = draw(st.sets(st.sampled_from([d for d in YEAR if d.weekday() < 5]), max_size=25))
    extra = draw(st.sets(st.sampled_from([d for d in YEAR if d.weekday() >= 5]), max_size=8))
    # the days off and worked come from the definition, or from the site's calendar data on top
    # of chinesecalendar, or from a site notice for the years (both clocks take the same calendar)
    where = draw(st.sampled_from(["definition", "site", "notice"]))
    if where == "definition":
        calendar = CalendarSpec(region="none", days_off=frozenset(off), working_days=frozenset(extra))
    else:
        years = frozenset({d.year for d in YEAR}) if where == "notice" else frozenset()
        calendar = CalendarSpec(site=SiteDays(years, frozenset(off), frozenset(extra)))
    reminders = draw(st.none() | reminder_specs())
    return Definition("board", "board", "", (), {"task": MACHINE}, {}, frozenset(), calendar,
                      DeadlineSpec(), ladder, timers, reminders=reminders)


@st.composite
def reminder_specs(draw: st.DrawFn) -> ReminderSpec:
    """Reminders while waiting in some states (one a timer may leave or refresh), each later."""
    ats = sorted(draw(st.sets(st.integers(0, 8), min_size=1, max_size=3)))
    unit = draw(st.sampled_from(["working", "calendar"]))
    return ReminderSpec("task", frozenset(draw(st.sampled_from([{"wait"}, {"open", "wait"},
                                                                {"late"}, {"work"}]))),
                        Duration(draw(st.integers(1, 6)), draw(st.sampled_from(["working", "calendar"]))),
                        tuple(LevelSpec(f"r{i}", f"R{i}", Duration(at, unit),
                                        draw(st.sampled_from(["", f"ask{i}"])))
                              for i, at in enumerate(ats)), ("office",))


@st.composite
def boards(draw: st.DrawFn) -> tuple[Definition, list[Snapshot], D, D]:
    definition = draw(definitions())
    assert definition.ladder is not None
    keys = [lv.key for lv in definition.ladder.levels]
    dates = st.sampled_from(YEAR[20:140])
    tasks = []
    for i in range(draw(st.integers(1, 6))):
        deadline = draw(st.none() | dates)
        base = draw(st.sampled_from([deadline, None]) | dates) if deadline else draw(st.none() | dates)
        tasks.append(Snapshot("task", i + 1, draw(st.integers(1, 3)), draw(st.sampled_from(STATES)),
                              draw(dates), deadline, draw(st.sampled_from([None, "gone", *keys])),
                              base, {"board": 1},
                              {"tries": draw(st.none() | st.integers(0, 3)),
                               "tag": draw(st.sampled_from([None, "a", "b"]))}))
    first = draw(st.sampled_from(YEAR[30:150]))
    return definition, tasks, first, first + dt.timedelta(days=draw(st.integers(0, 70)))


def decide(timer: TimerSpec, id: int, state: str, version: int, tries: int | None,
           day: D) -> tuple[list[Move], list[str]]:
    """What a timer with guards does to one subject; both clocks call it (a guard refuses some).
    'rework' counts a try, so a level's guard on the count can start to hold mid-range."""
    if (id + day.toordinal()) % 3 == 0:
        return [], [f"{id}: not now"]
    dest = MACHINE.transition(timer.trigger).dest  # type: ignore[union-attr]
    later = day + dt.timedelta(days=5)
    changes: dict[str, Any] = {"due": later, "counted_from": later, "rung": None,
                               "tries": (tries or 0) + 1} if timer.trigger == "rework" else {}
    return [Move(id, version, "task", timer.trigger, state, dest, SYSTEM_ACTOR, day, changes=changes,
                 event_values={"board": 1}, note="checked", payload={"by": timer.key},
                 stream="boards")], []


def sql_fire(conn: Connection, timer: TimerSpec, ids: list[int],
             day: D) -> tuple[list[Move], list[str]]:
    moves: list[Move] = []
    refused: list[str] = []
    for row in conn.execute(select(TASKS.c.id, TASKS.c.state, TASKS.c.version, TASKS.c.tries)
                            .where(TASKS.c.id.in_(ids)).order_by(TASKS.c.id)):
        m, r = decide(timer, row.id, row.state, row.version, row.tries, day)
        moves += m
        refused += r
    return moves, refused


def pure_fire(timer: TimerSpec, s: Snapshot, day: D) -> tuple[list[Move], list[str]]:
    return decide(timer, s.id, s.state, s.version, s.fields["tries"], day)


def database(tasks: list[Snapshot]) -> Connection:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    CHAIN_HEADS.create(engine)
    conn = engine.connect()
    open_stream(conn, "boards")
    conn.execute(TASKS.insert(), [
        {"id": s.id, "board": 1, "due": s.deadline, "rung": s.level, "counted_from": s.level_base,
         "state": s.state, "version": s.version, "entered_on": s.entered_on,
         "tries": s.fields["tries"], "tag": s.fields["tag"]} for s in tasks])
    return conn


def events(conn: Connection) -> list[tuple[Any, ...]]:
    cols = [c for c in LOG.c if c.name not in ("id", "recorded_at", *CHAIN)]
    return [tuple(r) for r in conn.execute(select(*cols).order_by(LOG.c.id))]


def rows(conn: Connection) -> list[tuple[Any, ...]]:
    t = TASKS.c
    return [tuple(r) for r in conn.execute(select(t.id, t.state, t.version, t.entered_on, t.due, t.rung,
                                                  t.counted_from, t.tries, t.tag).order_by(t.id))]


def event_row(m: Move) -> tuple[Any, ...]:
    return (1, m.machine, m.subject_id, m.trigger, m.from_state, m.to_state, m.actor,
            m.business_date, m.note, dict(m.payload) if m.payload else None, m.rule)


def reminder_row(r: Reminder) -> tuple[Any, ...]:
    return (1, r.machine, r.subject_id, "remind", r.state, r.state, SYSTEM_ACTOR, r.day, r.note,
            dict(r.payload), r.rule)


def in_log_order(moves: list[tuple[Any, ...]], reminders: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A day's reminders come after its moves (the clock's order within a day)."""
    return sorted([*((m, 0) for m in moves), *((r, 1) for r in reminders)],
                  key=lambda pair: (pair[0][7], pair[1]))  # type: ignore[no-any-return]


def per_subject(log: list[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    out: dict[int, list[tuple[Any, ...]]] = {}
    for e in log:
        out.setdefault(e[2], []).append(e)
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(boards())
def test_pure_clock_equals_sql_clock(board: tuple[Definition, list[Snapshot], D, D]) -> None:
    definition, tasks, first, last = board
    # the SQL clock over the table, day by day
    conn = database(tasks)
    clock = Clock(definition, {"task": Subjects("task", TASKS, TASKS.c.board == 1, {"board": TASKS.c.board},
                                                deadline="due", level="rung", level_base="counted_from")},
                  LOG, StepLog(WARNINGS, {"task_id": TASKS.c.id}), sql_fire, stream="boards")
    refused: list[tuple[D, str, str]] = []
    day = first
    while day <= last:
        refused += [(s.day, s.rule, why) for s in clock.run_day(conn, day) for why in s.refused]
        day += dt.timedelta(days=1)
    sql_events = events(conn)
    w = WARNINGS.c
    sql_notices = [tuple(r) for r in conn.execute(
        select(w.task_id, w.level, w.issued_on, w.deadline, w.days_overdue, w.new_deadline, w.action,
               LOG.c.subject_id, LOG.c.rule, LOG.c.business_date)
        .select_from(WARNINGS.join(LOG, LOG.c.id == w.event_id)).order_by(w.id))]
    sql_rows = rows(conn)
    conn.close()

    # the pure clock, one subject at a time
    schedule = Schedule(definition, COLUMNS)
    pure_events: list[tuple[Any, ...]] = []
    pure_notices: list[tuple[Any, ...]] = []
    pure_refused: list[tuple[D, str, str]] = []
    finals = []
    for task in tasks:
        snap = copy.deepcopy(task)
        due = schedule.due([snap], first, last, pure_fire)
        pure_events += [e for e, _ in in_log_order([event_row(m) for m in due.moves],
                                                   [reminder_row(r) for r in due.reminders])]
        pure_notices += [(n.move.subject_id, n.level, n.issued_on, n.deadline, n.days_overdue,
                          n.new_deadline, n.action, n.move.subject_id, n.move.rule,
                          n.move.business_date) for n in due.notices]
        pure_refused += due.refused
        finals.append((snap.id, snap.state, snap.version, snap.entered_on, snap.deadline, snap.level,
                       snap.level_base, snap.fields["tries"], snap.fields["tag"]))
    assert per_subject(pure_events) == per_subject(sql_events)
    assert sorted(pure_notices) == sorted(sql_notices)
    assert sorted(pure_refused) == sorted(refused)
    assert finals == sql_rows

    # the pure clock on all subjects at once, its moves written by the store's writer
    snaps = copy.deepcopy(tasks)
    due = schedule.due(snaps, first, last, pure_fire)
    conn = database(tasks)
    # day by day as the SQL clock writes them: a day's moves, then that day's reminders; one at
    # a time, since the writer groups a batch by columns, not by subject
    order = sorted([(m.business_date, 0, i) for i, m in enumerate(due.moves)]
                   + [(r.day, 1, i) for i, r in enumerate(due.reminders)])
    for _day, kind, i in order:
        if kind == 0:
            move = due.moves[i]
            move.stream = "boards"
            apply_moves(conn, {"task": TASKS}, LOG, [move])
            continue
        r = due.reminders[i]
        append(conn, LOG, [Entry("boards", r.machine, str(r.subject_id), "remind", SYSTEM_ACTOR,
                                 r.day, r.state, r.state, r.note, r.payload, rule=r.rule,
                                 subject_id=r.subject_id, values=dict(r.event_values))])
    assert rows(conn) == sql_rows
    assert per_subject(events(conn)) == per_subject(sql_events)
    assert sorted(events(conn), key=lambda e: (e[7], e[2])) == sorted(sql_events, key=lambda e: (e[7], e[2]))
    conn.close()


def test_a_catch_up_over_months_asks_the_calendar_little() -> None:
    """Jumping to the days a rule can be due: a year's range costs a handful of look-ups."""
    definition = Definition("board", "board", "", (), {"task": MACHINE}, {}, frozenset(),
                            CalendarSpec(region="none"), DeadlineSpec(), LadderSpec("task", (
                                LevelSpec("l0", "L0", Duration(-3, "working")),
                                LevelSpec("l1", "L1", Duration(1, "calendar"),
                                          new_deadline=Duration(10, "working")),
                                LevelSpec("l2", "L2", Duration(10, "working")))), ())
    schedule = Schedule(definition, COLUMNS)
    snap = Snapshot("task", 1, 1, "open", D(2015, 8, 3), D(2015, 9, 30), None, D(2015, 9, 30))
    due = schedule.due([snap], D(2015, 7, 1), D(2016, 6, 30))
    assert [(m.business_date, m.rule) for m in due.moves] == [
        (D(2015, 9, 25), "escalation.l0"), (D(2015, 10, 1), "escalation.l1"),
        (D(2015, 10, 29), "escalation.l2")]
    assert (snap.version, snap.level, snap.deadline) == (4, "l2", D(2015, 10, 15))
    assert len(schedule._bases) < 20

"""The engine clock on its own: inverting thresholds, and sweeping a table it knows nothing about."""

from __future__ import annotations

import ast
import datetime as dt
import os
import re

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, select

from engine.core.calendar import calendar_for
from engine.core.errors import InvalidInput
from engine.core.spec import (
    CalendarSpec,
    DeadlineSpec,
    Definition,
    Duration,
    LadderSpec,
    LevelSpec,
    MachineSpec,
    StateSpec,
    TimerSpec,
    TransitionSpec,
)
from engine.io.clock import Clock, StepLog, Subjects, latest_base
from engine.io.store import event_columns, stateful_columns
from engine.io.writer import CHAIN_HEADS, chain_columns, open_stream

D = dt.date
CAL = calendar_for(CalendarSpec())
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- inverting a threshold ----------------------------------------------------------------------


def _brute(at: Duration, day: D) -> D:
    """The latest b with add(b, at) <= day, by walking."""
    b = day + dt.timedelta(days=60)
    while CAL.add(b, at) > day:
        b -= dt.timedelta(days=1)
    return b


@settings(max_examples=300, deadline=None)
@given(day=st.dates(D(2015, 1, 10), D(2016, 12, 20)), n=st.integers(-15, 15),
       unit=st.sampled_from(["working", "calendar"]))
def test_latest_base_inverts_add(day: D, n: int, unit: str) -> None:
    at = Duration(n, unit)  # type: ignore[arg-type]
    base = latest_base(CAL, at, day)
    assert CAL.add(base, at) <= day
    assert CAL.add(base + dt.timedelta(days=1), at) > day
    assert base == _brute(at, day)


def test_latest_base_on_holidays() -> None:
    # 3 working days before a 2015-09-30 deadline is 2015-09-25 (the 26th and 27th are a weekend)
    assert latest_base(CAL, Duration(-3, "working"), D(2015, 9, 25)) == D(2015, 9, 30)
    assert latest_base(CAL, Duration(-3, "working"), D(2015, 9, 24)) == D(2015, 9, 29)
    # 1 working day after: nothing is reached during the National Day holiday
    assert latest_base(CAL, Duration(1, "working"), D(2015, 10, 7)) < D(2015, 9, 30)
    # from the 8th, every deadline up to the 7th has had its one working day
    assert latest_base(CAL, Duration(1, "working"), D(2015, 10, 8)) == D(2015, 10, 7)
    assert latest_base(CAL, Duration(1, "calendar"), D(2015, 10, 1)) == D(2015, 9, 30)


# -- the engine stays generic -------------------------------------------------------------------


def test_engine_clock_has_no_domain_words() -> None:
    path = os.path.join(ROOT, "engine", "io", "clock.py")
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    assert not re.search(r"campaign|rectification|\bitems?\b", source, re.IGNORECASE)
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("campaigns") for m in imported)


# -- a table the clock knows nothing about ------------------------------------------------------


META = MetaData()
TASKS = Table(
    "tasks", META,
    Column("id", Integer, primary_key=True),
    Column("board", Integer, nullable=False),
    Column("due", Date),
    Column("rung", String(32)),
    Column("counted_from", Date),
    *stateful_columns(),
)
LOG = Table("log", META, Column("board", Integer, nullable=False), *event_columns(), *chain_columns())
WARNINGS = Table(
    "warnings", META,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, nullable=False),
    Column("level", String(32), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("days_overdue", Integer, nullable=False),
    Column("new_deadline", Date),
    Column("action", String(64)),
    Column("event_id", Integer),
)
MACHINE = MachineSpec(
    "task", "task", "open",
    (StateSpec("open", "open"), StateSpec("waiting", "waiting"), StateSpec("done", "done", done=True)),
    (TransitionSpec("wait", ("open",), "waiting"), TransitionSpec("resume", ("waiting",), "open"),
     TransitionSpec("finish", ("open", "waiting"), "done")))
LADDER = LadderSpec("task", (
    LevelSpec("nudge", "nudge", Duration(-2, "working"), "remind"),
    LevelSpec("warn", "warn", Duration(1, "calendar"), "warn", new_deadline=Duration(5, "working")),
    LevelSpec("escalate", "escalate", Duration(3, "working"), "escalate"),
), stop_states=frozenset({"done"}), hold_states=frozenset({"waiting"}))
SEPT1 = D(2015, 9, 1)
TIMER = TimerSpec("give-up-waiting", "task", "resume", Duration(2, "working"), state="waiting")


def definition(timers: tuple[TimerSpec, ...] = (TIMER,)) -> Definition:
    return Definition("board", "board", "", (), {"task": MACHINE}, {}, frozenset(), CalendarSpec(),
                      DeadlineSpec(), LADDER, timers)


@pytest.fixture
def conn():  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")
    META.create_all(engine)
    CHAIN_HEADS.create(engine)
    with engine.begin() as c:
        open_stream(c, "boards")
        yield c
    engine.dispose()


def clock(board: int = 1, timers: tuple[TimerSpec, ...] = (TIMER,)) -> Clock:
    subjects = {"task": Subjects("task", TASKS, TASKS.c.board == board, {"board": TASKS.c.board},
                                 deadline="due", level="rung", level_base="counted_from")}
    return Clock(definition(timers), subjects, LOG, StepLog(WARNINGS, {"task_id": TASKS.c.id}),
                 stream="boards")


def add_task(conn, id: int, due: D, state: str = "open", board: int = 1,  # type: ignore[no-untyped-def]
             entered: D = SEPT1) -> None:
    conn.execute(TASKS.insert().values(id=id, board=board, due=due, counted_from=due, state=state,
                                       version=1, entered_on=entered))


def run(conn, c: Clock, first: D, last: D) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    out = []
    day = first
    while day <= last:
        out += [(s.day.isoformat(), s.rule, s.count) for s in c.run_day(conn, day)]
        day += dt.timedelta(days=1)
    return out


def test_ladder_climbs_in_order_with_new_deadline(conn) -> None:  # type: ignore[no-untyped-def]
    add_task(conn, 1, D(2015, 9, 30))
    add_task(conn, 2, D(2015, 9, 30), board=2)  # another board: never touched
    add_task(conn, 3, D(2015, 9, 30), state="done")  # stopped
    steps = run(conn, clock(), D(2015, 9, 20), D(2015, 10, 31))
    # warn on 10-01 sets 5 working days from 10-01: the 8th, 9th, 10th (a Saturday worked), 12th
    # and 13th; escalate 3 working days after that
    assert steps == [("2015-09-28", "escalation.nudge", 1), ("2015-10-01", "escalation.warn", 1),
                     ("2015-10-16", "escalation.escalate", 1)]
    row = conn.execute(select(TASKS).where(TASKS.c.id == 1)).one()
    assert (row.rung, row.due, row.counted_from, row.version) == ("escalate", D(2015, 10, 13),
                                                                  D(2015, 10, 13), 4)
    warnings = conn.execute(select(WARNINGS.c.task_id, WARNINGS.c.level, WARNINGS.c.issued_on,
                                   WARNINGS.c.deadline, WARNINGS.c.days_overdue,
                                   WARNINGS.c.new_deadline).order_by(WARNINGS.c.id)).all()
    assert [tuple(w) for w in warnings] == [
        (1, "nudge", D(2015, 9, 28), D(2015, 9, 30), 0, None),
        (1, "warn", D(2015, 10, 1), D(2015, 9, 30), 1, D(2015, 10, 13)),
        (1, "escalate", D(2015, 10, 16), D(2015, 10, 13), 3, None)]
    events = conn.execute(select(LOG.c.subject_id, LOG.c.trigger, LOG.c.actor, LOG.c.rule,
                                 LOG.c.board, LOG.c.business_date).order_by(LOG.c.id)).all()
    assert [e.rule for e in events] == ["escalation.nudge", "escalation.warn", "escalation.escalate"]
    assert {(e.subject_id, e.trigger, e.actor, e.board) for e in events} == {(1, "escalate", "system", 1)}
    ids = conn.execute(select(WARNINGS.c.event_id).order_by(WARNINGS.c.id)).scalars().all()
    assert ids == conn.execute(select(LOG.c.id).order_by(LOG.c.id)).scalars().all()


def test_hold_then_timer_then_catch_up_same_day(conn) -> None:  # type: ignore[no-untyped-def]
    add_task(conn, 1, D(2015, 9, 30), state="waiting", entered=D(2015, 9, 29))
    steps = run(conn, clock(), D(2015, 9, 20), D(2015, 10, 9))
    # waiting since 09-29: resumed by the timer 2 working days later (10-08, after the holiday);
    # then nudge and warn, both overdue, catch up the same day in ladder order
    assert steps == [("2015-10-08", "timers.give-up-waiting", 1), ("2015-10-08", "escalation.nudge", 1),
                     ("2015-10-08", "escalation.warn", 1)]
    row = conn.execute(select(TASKS).where(TASKS.c.id == 1)).one()
    assert (row.state, row.entered_on, row.rung) == ("open", D(2015, 10, 8), "warn")
    assert row.due == D(2015, 10, 14)  # 5 working days from the 8th: 9, 10, 12, 13, 14


def test_running_a_day_twice_changes_nothing(conn) -> None:  # type: ignore[no-untyped-def]
    add_task(conn, 1, D(2015, 9, 30))
    c = clock()
    assert run(conn, c, D(2015, 10, 1), D(2015, 10, 1))
    before = conn.execute(select(TASKS)).all(), conn.execute(select(LOG)).all()
    assert run(conn, c, D(2015, 10, 1), D(2015, 10, 1)) == []
    assert (conn.execute(select(TASKS)).all(), conn.execute(select(LOG)).all()) == before


def test_deadline_timer_needs_a_way_out() -> None:
    looping = TimerSpec("again", "task", "finish", Duration(1, "working"), from_deadline=True)
    assert clock(timers=(looping,))  # finish leaves for 'done': fine
    stay = MachineSpec("task", "task", "open", MACHINE.states,
                       (*MACHINE.transitions, TransitionSpec("poke", ("open",), "open")))
    d = definition((TimerSpec("poke", "task", "poke", Duration(1, "working"), from_deadline=True),))
    d.machines["task"] = stay
    subjects = {"task": Subjects("task", TASKS, TASKS.c.board == 1, deadline="due", level="rung",
                                 level_base="counted_from")}
    with pytest.raises(InvalidInput, match="would fire every day"):
        Clock(d, subjects, LOG)


def test_a_ladder_needs_its_date_columns() -> None:
    with pytest.raises(InvalidInput, match="no deadline, level and level_base"):
        Clock(definition(), {"task": Subjects("task", TASKS, TASKS.c.board == 1)}, LOG)

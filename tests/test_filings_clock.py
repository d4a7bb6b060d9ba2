"""The filings' ladder: the pure clock a change uses against the SQL clock a tick runs.

Random filings ladders, schedules (each cadence, each rule for days off), units, states and day
ranges over the real ``filings``, ``filing_notices`` and ``events`` tables: the SQL clock run
day by day and the pure clock run one occurrence at a time must give the same events, the same
notices and the same final rows (tests/test_schedule.py does the same for any machine).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Connection
from test_cli_common import WGBW

from campaigns import tables as t
from campaigns.filing_spec import FilingSpec, FilingsSpec
from campaigns.filings import clock_over, pure_clock
from engine.core.cadence import parse_schedule
from engine.core.calendar import calendar_for
from engine.core.loader import load
from engine.core.schedule import Snapshot
from engine.core.spec import Duration, LadderSpec, LevelSpec
from engine.io.store import metadata
from engine.io.writer import open_stream

D = dt.date
BASE = load(str(WGBW))
CAL = calendar_for(BASE.calendar)
SCHEDULES = ["每日", "每周一", "下周五", "每月底前", "每月5日前", "次月5日前", "每月中旬", "每季度末",
             "每半年", "12月上旬", "10月上旬", "monthly on the last day"]
STATES = ("due", "filed", "returned", "accepted")
STREAM = "wgbw-2015"


@st.composite
def ladders(draw: st.DrawFn) -> LadderSpec:
    ats = sorted(set(draw(st.lists(st.integers(-6, 20), min_size=1, max_size=4))))
    levels = tuple(LevelSpec(f"f{i}", f"level {i}", Duration(at, draw(st.sampled_from(
        ["working", "calendar"]))), draw(st.sampled_from(["", "催报"]))) for i, at in enumerate(ats))
    return LadderSpec("filing", levels, stop_states=frozenset({"accepted"}),
                      hold_states=frozenset(draw(st.sampled_from([(), ("filed",)]))),
                      applies_in=draw(st.sampled_from([None, frozenset({"due", "returned"})])))


@st.composite
def boards(draw: st.DrawFn) -> tuple[Any, list[Snapshot], list[dict[str, Any]], D, D]:
    text = draw(st.sampled_from(SCHEDULES))
    schedule = parse_schedule(text, draw(st.sampled_from(["next", "keep", "before"])))
    spec = FilingsSpec((FilingSpec("report", "报告", schedule, "lead-office", ("department",)),),
                       draw(ladders()))
    definition = replace(BASE, sections={**BASE.sections, "filings": spec})
    first = D(2015, 7, 1) + dt.timedelta(days=draw(st.integers(0, 120)))
    last = first + dt.timedelta(days=draw(st.integers(0, 60)))
    periods = schedule.periods(D(2015, 6, 1), D(2016, 2, 28), CAL)
    snaps, rows = [], []
    for i in range(draw(st.integers(1, 6))):
        period = draw(st.sampled_from(periods))
        due = schedule.due(period, CAL)
        state = draw(st.sampled_from(STATES))
        entered = min(first, period.start) - dt.timedelta(days=draw(st.integers(0, 5)))
        snaps.append(Snapshot("filing", i + 1, 1, state, entered, due, None, due,
                              {"campaign_id": 1}))
        rows.append({"id": i + 1, "campaign_id": 1, "filing": "report", "unit_id": i % 3 + 1,
                     "period": period.key + "#" + str(i), "due": due, "opened_on": entered,
                     "deadline": due,
                     "level_base": due, "state": state, "version": 1, "entered_on": entered})
    return definition, snaps, rows, first, last


def database(rows: list[dict[str, Any]]) -> Connection:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    conn = engine.connect()
    open_stream(conn, STREAM)
    conn.execute(t.UNITS.insert(), [{"id": n, "code": f"u{n}", "title": f"单位{n}", "kind": "department",
                                     "path": f"/u{n}", "depth": 1} for n in (1, 2, 3)])
    conn.execute(t.FILINGS.insert(), rows)
    return conn


def events(conn: Connection) -> list[tuple[Any, ...]]:
    e = t.EVENTS.c
    return [tuple(r) for r in conn.execute(
        select(e.subject_id, e.machine, e.trigger, e.from_state, e.to_state, e.business_date,
               e.payload, e.rule, e.note).order_by(e.id))]


def finals(conn: Connection) -> list[tuple[Any, ...]]:
    f = t.FILINGS.c
    return [tuple(r) for r in conn.execute(
        select(f.id, f.state, f.version, f.entered_on, f.deadline, f.level, f.level_base)
        .order_by(f.id))]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(boards())
def test_pure_filings_clock_equals_the_sql_clock(board: tuple[Any, list[Snapshot],
                                                              list[dict[str, Any]], D, D]) -> None:
    definition, snaps, rows, first, last = board
    conn = database(rows)
    clock = clock_over(definition, 1, STREAM)
    assert clock is not None
    day = first
    while day <= last:
        clock.run_day(conn, day)
        day += dt.timedelta(days=1)
    sql_events = events(conn)
    n = t.FILING_NOTICES.c
    sql_notices = sorted(tuple(r) for r in conn.execute(
        select(n.filing_id, n.level, n.issued_on, n.deadline, n.days_overdue, n.action)))
    sql_rows = finals(conn)
    conn.close()

    pure = pure_clock(definition)
    assert pure is not None
    pure_events: list[tuple[Any, ...]] = []
    pure_notices: list[tuple[Any, ...]] = []
    ends = []
    for snap in copy.deepcopy(snaps):
        due = pure.due([snap], first, last)
        pure_events += [(m.subject_id, m.machine, m.trigger, m.from_state, m.to_state,
                         m.business_date, dict(m.payload) if m.payload else None, m.rule, m.note)
                        for m in due.moves]
        pure_notices += [(x.move.subject_id, x.level, x.issued_on, x.deadline, x.days_overdue,
                          x.action) for x in due.notices]
        ends.append((snap.id, snap.state, snap.version, snap.entered_on, snap.deadline,
                     snap.level, snap.level_base))

    def by_subject(log: list[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
        out: dict[int, list[tuple[Any, ...]]] = {}
        for e in log:
            out.setdefault(e[0], []).append(e)
        return out

    assert by_subject(pure_events) == by_subject(sql_events)
    assert sorted(pure_notices) == sql_notices
    assert ends == sql_rows

"""Views that agree as of any date: one reducer, checked against the history that really was.

Random sequences of adds, plans, advances, edits, progress reports and ticks run through the
service layer on a real SQLite file, business dates moving forward.  Then (a) the state tables
equal a replay of the event log, and the fast path equals the replay; (b) every as-of view at a
date D inside the sequence equals the same view of a copy of the database taken when the
sequence reached D; (c) month-end snapshots change no answer and are rebuilt by repair.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from ledger_fixtures import CAMPAIGN, county, invoke

from campaigns.context import Scope
from campaigns.db import Database
from campaigns.runs import load_run
from engine.core.errors import InvalidInput, NotFound, Refused

START = dt.date(2015, 7, 1)
UNITS = ("czj", "jyj", "qsz", "czj-office")
CATEGORIES = ("dare-not-develop", "no-responsibility", "passive-attitude")
HEAD_TRIGGERS = ("confirm", "submit", "defer", "request-extension")
SUP_TRIGGERS = ("verify", "return", "approve-extension", "refuse-extension", "reopen", "dismiss",
                "merge")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = str(tmp_path_factory.mktemp("asof") / "template.db")
    county(db)
    return Path(db)


def _copy(src: Path, dst: Path) -> None:
    """A consistent copy of a SQLite file in WAL mode."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


# --- the service layer ---------------------------------------------------------------------------


def _write(db: Path, work: Callable[[Any, Any], Any]) -> None:
    store = Database(str(db))
    try:
        with store.write() as conn:
            work(conn, load_run(conn, CAMPAIGN))
    except (Refused, InvalidInput, NotFound):
        pass  # refused or invalid: nothing was written, as for a user
    finally:
        store.engine.dispose()


def _actor(conn: Any, run: Any, key: str) -> Any:
    from campaigns.people import resolve_actor

    return resolve_actor(conn, key, set(run.definition.roles))


def _codes(conn: Any, run: Any) -> list[str]:
    from sqlalchemy import select

    from campaigns.tables import ITEMS

    return list(conn.execute(select(ITEMS.c.code).where(ITEMS.c.campaign_id == run.id)
                             .order_by(ITEMS.c.seq)).scalars())


def tick(db: Path, day: dt.date) -> None:
    from campaigns.clock import tick as tick_campaign
    from campaigns.snapshots import write_missing

    def work(conn: Any, run: Any) -> None:
        tick_campaign(Scope(conn, run, None, day))
        write_missing(conn, run)  # as 'rectify audit snapshots' after the tick does

    _write(db, work)


def do(db: Path, op: tuple[Any, ...], day: dt.date) -> None:
    kind, pick, value = op

    def work(conn: Any, run: Any) -> None:
        from campaigns import items

        codes = _codes(conn, run)
        code = codes[pick % len(codes)] if codes else None
        if kind == "add":
            items.add_item(Scope(conn, run, _actor(conn, run, "sup"), day), title=f"问题{value}",
                           unit=UNITS[value % len(UNITS)],
                           category=CATEGORIES[value % len(CATEGORIES)], source="media",
                           deadline=day + dt.timedelta(days=value) if value % 3 == 0 else None)
        elif kind == "import":  # one new row from a county's ledger, in a later state half the time
            from ledger_fixtures import HEADERS, write_csv

            from campaigns.importer import Options, import_items

            path = db.parent / f"import-{day}-{value}.csv"
            deadline = (day + dt.timedelta(days=value % 30)).isoformat() if value % 2 else ""
            headers, row = [*HEADERS], [1, "县财政局", f"导入问题{day}-{value}", "服务群众不热心",
                                         "自查", f"措施{value}", deadline, "", ""]
            if value % 4 == 1:
                headers.append("状态")
                row.append("整改中")
            write_csv(path, [row], headers)
            import_items(Scope(conn, run, _actor(conn, run, "lead" if value % 4 == 1 else "sup"),
                               day), str(path), Options())
        elif code is None:
            return
        elif kind == "plan":
            items.plan(Scope(conn, run, _actor(conn, run, "zhang-czj"), day), code,
                       measures=f"措施{value}", target=None,
                       deadline=day + dt.timedelta(days=value % 40), leader="zhang-czj",
                       person="li-czj" if value % 2 else None)
        elif kind == "edit":
            changes = [{"title": f"改{value}"}, {"unit": UNITS[value % len(UNITS)]},
                       {"measures": f"新措施{value}"}, {"typical": bool(value % 2)},
                       {"person": "li-jyj"}, {"description": f"说明{value}"}][value % 6]
            items.edit(Scope(conn, run, _actor(conn, run, "sup"), day), code, changes, None)
        elif kind == "progress":
            items.progress(Scope(conn, run, _actor(conn, run, "zhang-czj"), day), code, f"进展{value}",
                           [])
        else:
            from campaigns.advance import advance

            trigger = kind
            who = "zhang-czj" if trigger in HEAD_TRIGGERS else "sup"
            params: dict[str, Any] = {}
            if trigger == "approve-extension":
                params["deadline"] = day + dt.timedelta(days=10 + value % 20)
            if trigger == "merge":
                if len(codes) < 2:
                    return
                params["into"] = codes[(pick + 1) % len(codes)]
            advance(conn, trigger, [code], _actor(conn, run, who), who, day, "note", params)

    _write(db, work)


# --- the views -----------------------------------------------------------------------------------


def views(db: Path, day: dt.date) -> dict[str, Any]:
    """Every as-of view at ``day``, as plain data."""
    from campaigns import board, dashboard, diagrams, ledger, queries, report

    store = Database(str(db))
    out: dict[str, Any] = {}
    try:
        with store.read() as conn:
            run = load_run(conn, CAMPAIGN)
            scope = Scope(conn, run, None, day)
            out["status"] = queries.status(scope)
            out["list"] = queries.list_items(scope)
            out["list_overdue"] = queries.list_items(scope, overdue=True)
            out["show"] = {}
            for code in _codes(conn, run):
                try:
                    detail = queries.show_item(scope, code)
                except NotFound:
                    continue  # recorded after ``day``
                for event in detail.get("history", []):
                    event.pop("recorded_at")
                out["show"][code] = detail
            for kind in diagrams.KINDS:
                out[f"diagram-{kind}"] = diagrams.campaign_diagram(scope, kind).source
            out["diagram-units-czj"] = diagrams.campaign_diagram(scope, "items", "czj").source
            out["dashboard"] = dashboard.figures(scope)
            out["board"] = board.board_rows(scope)
            out["ledger"] = list(ledger.ledger_rows(scope))
            if day >= START:
                rep = report.build(scope, dt.date(day.year, day.month, 1))
                out["report"] = report.to_markdown(rep)
    finally:
        store.engine.dispose()
    return out


OPS = st.tuples(
    st.sampled_from(("add", "add", "import", "plan", "plan", "edit", "progress", "confirm", "confirm",
                     *HEAD_TRIGGERS, *SUP_TRIGGERS)),
    st.integers(0, 50), st.integers(0, 60))
SEQUENCES = st.lists(st.tuples(st.integers(0, 12), st.booleans(), OPS), min_size=4, max_size=28)


# no shrinking: each example is a few seconds of real transactions, and shrinking one took minutes
@settings(max_examples=12, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=SEQUENCES, stop=st.floats(0.1, 0.9))
def test_views_as_of_any_date_equal_the_history_stopped_there(
        template: Path, tmp_path_factory: pytest.TempPathFactory,
        sequence: list[tuple[int, bool, tuple[Any, ...]]], stop: float) -> None:
    folder = tmp_path_factory.mktemp("run")
    full, stopped = folder / "full.db", folder / "stopped.db"
    _copy(template, full)
    days = []
    day = START
    for step, _, _ in sequence:
        day += dt.timedelta(days=step * 3)
        days.append(day)
    cut = days[int(stop * (len(days) - 1))]  # D: a day the sequence passes through
    copied = False
    for day, (_, ticks, op) in zip(days, sequence, strict=True):
        if day > cut and not copied:
            tick(full, cut)  # the clock brought up to D, as the copy's would be
            _copy(full, stopped)
            copied = True
        if ticks:
            tick(full, day)
        do(full, op, day)
    if not copied:
        tick(full, cut)
        _copy(full, stopped)
    tick(full, days[-1] + dt.timedelta(days=40))  # later escalations, dated after D

    # (a) the tables are the replay of the log; the fast path is the replay
    from campaigns.reducer import campaign_at
    from campaigns.snapshots import repair_snapshots, replay_problems

    store = Database(str(full))
    with store.write() as conn:
        run = load_run(conn, CAMPAIGN)
        assert replay_problems(conn, run) == []
        from campaigns.audit import streams, verify

        assert verify(conn, streams(conn, None, True, False)) == {CAMPAIGN: [], "site": []}
        today = days[-1] + dt.timedelta(days=40)
        assert campaign_at(conn, run, today) == campaign_at(conn, run, today, replay=True,
                                                             snapshots=False)
    store.engine.dispose()

    # (b) as of D the full history shows what the history stopped at D shows
    expected = views(stopped, cut)
    assert views(full, cut) == expected
    # (c) snapshots change nothing, and repair writes the same answers again
    with store.write() as conn:
        run = load_run(conn, CAMPAIGN)
        repair_snapshots(conn, run)
    store.engine.dispose()
    assert views(full, cut) == expected


def test_snapshots_are_written_for_sealed_month_ends_and_used(tmp_path: Path) -> None:
    from sqlalchemy import select

    from campaigns.reducer import campaign_at
    from campaigns.snapshots import load_snapshot, replay_problems
    from campaigns.tables import SNAPSHOTS

    db = county(str(tmp_path / "s.db"))
    code = invoke(db, "item", "add", CAMPAIGN, "--title", "t", "--unit", "czj", "--category",
                  "passive-attitude", "--source", "media", "--actor", "sup",
                  "--as-of", "2015-07-02").output.strip()
    invoke(db, "item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-07-03")
    invoke(db, "item", "rectify", code, "--measures", "m", "--actor", "zhang-czj",
           "--as-of", "2015-08-03")
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-09-10")  # July and August sealed
    assert invoke(db, "audit", "snapshots", CAMPAIGN).output == (
        f"{CAMPAIGN}: 2 snapshot(s) written (2015-07-31, 2015-08-31)\n")
    assert invoke(db, "audit", "snapshots", "--all").output == f"{CAMPAIGN}: 0 snapshot(s) written\n"
    store = Database(db)
    with store.read() as conn:
        run = load_run(conn, CAMPAIGN)
        written = list(conn.execute(select(SNAPSHOTS.c.as_of).order_by(SNAPSHOTS.c.as_of))
                       .scalars())
        assert written == [dt.date(2015, 7, 31), dt.date(2015, 8, 31)]
        snap = load_snapshot(conn, run, dt.date(2015, 8, 20))
        assert snap is not None and snap.as_of == dt.date(2015, 7, 31)
        assert snap.items[1].state == "confirmed" and snap.items[1].rect_state == "pending"
        assert replay_problems(conn, run) == []
        at = campaign_at(conn, run, dt.date(2015, 8, 31), replay=True)
        assert [(it.rect_state, it.measures) for it in at.items] == [("in_progress", "m")]
    store.engine.dispose()


def test_a_tampered_table_or_snapshot_is_named(tmp_path: Path) -> None:
    from campaigns.snapshots import repair_snapshots, replay_problems

    db = county(str(tmp_path / "t.db"))
    code = invoke(db, "item", "add", CAMPAIGN, "--title", "t", "--unit", "czj", "--category",
                  "passive-attitude", "--source", "media", "--actor", "sup",
                  "--as-of", "2015-07-02").output.strip()
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-08-05")
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE items SET state = 'closed'")
        raw.execute("UPDATE snapshots SET state = (SELECT state FROM snapshots LIMIT 1), "
                    "items = 0")
    raw.close()
    store = Database(db)
    with store.write() as conn:
        run = load_run(conn, CAMPAIGN)
        problems = replay_problems(conn, run)
        assert any(p.startswith(f"{code}: stored state differs: state 'closed' (log: 'reported')")
                   for p in problems), problems
        with sqlite3.connect(db):
            pass
    store.engine.dispose()
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE items SET state = 'reported'")
        raw.execute("UPDATE snapshots SET state = X'00'")  # garbled: unreadable
    raw.close()
    with store.write() as conn:
        run = load_run(conn, CAMPAIGN)
        assert repair_snapshots(conn, run) == 1
        assert replay_problems(conn, run) == []
    store.engine.dispose()


def test_commands_that_cannot_show_the_past_take_no_as_of(tmp_path: Path) -> None:
    db = county(str(tmp_path / "c.db"))
    result = invoke(db, "campaign", "list", "--as-of", "2015-08-01", ok=False)
    assert result.exit_code == 2 and "No such option '--as-of'" in result.output
    # units and people have a history of their own (the site log): their lists take a date
    code = invoke(db, "item", "add", CAMPAIGN, "--title", "t", "--unit", "czj", "--category",
                  "passive-attitude", "--source", "media", "--actor", "sup",
                  "--as-of", "2015-07-10").output.strip()
    refused = invoke(db, "item", "triggers", code, "--actor", "sup", "--as-of", "2015-07-05",
                     ok=False)
    assert refused.exit_code == 1 and "business time only moves forward" in refused.output

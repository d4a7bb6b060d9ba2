"""Undo, recorded: a change reversed by compensating events, never by editing the log.

Each test runs the ``rectify`` commands on a real SQLite file (the seed-001 campaign of
ledger_fixtures: lead may override, sup may not) and checks what a user sees: the state put
back, both the change and its undo in the history, the log still replaying to the tables.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ledger_fixtures import CAMPAIGN, county, invoke

ADD = ("item", "add", CAMPAIGN, "--title", "窗口服务差", "--unit", "czj", "--category",
       "dare-not-develop", "--source", "media", "--actor", "sup")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return county(str(tmp_path / "undo.db"))


def add(db: str, day: str, deadline: str | None = None) -> str:
    extra = ["--deadline", deadline] if deadline else []
    return invoke(db, *ADD, "--as-of", day, *extra).output.strip()


def fire(db: str, trigger: str, code: str, who: str, day: str, *extra: str) -> None:
    invoke(db, "item", "advance", trigger, code, "--actor", who, "--as-of", day, "--note", "n",
           *extra)


def show(db: str, code: str, day: str | None = None) -> dict[str, Any]:
    args = ["--as-of", day] if day else []
    data: dict[str, Any] = json.loads(invoke(db, "item", "show", code, "--json", *args).output)
    return data


def planned(db: str, deadline: str = "2015-08-20", day: int = 2) -> str:
    """An item found on July ``day``, confirmed and planned the two days after."""
    code = add(db, f"2015-07-{day:02d}")
    fire(db, "confirm", code, "sup", f"2015-07-{day + 1:02d}")
    invoke(db, "item", "rectify", code, "--measures", "培训", "--deadline", deadline,
           "--actor", "zhang-czj", "--as-of", f"2015-07-{day + 2:02d}")
    return code


def verified(db: str) -> None:
    assert invoke(db, "audit", "verify", CAMPAIGN).output.strip() == f"{CAMPAIGN}: ok"


def test_undo_of_an_advance_puts_the_item_back_and_keeps_both_in_the_history(db: str) -> None:
    code = add(db, "2015-07-02")
    fire(db, "confirm", code, "sup", "2015-07-03")
    out = invoke(db, "item", "undo", code, "--note", "误点确认", "--actor", "lead").output
    assert "undid 'confirm' of 2015-07-03" in out
    data = show(db, code)
    assert data["state"] == "reported"
    assert [(h["trigger"], h["from"], h["to"]) for h in data["history"]][1:] == [
        ("confirm", "reported", "confirmed"), ("undo", "confirmed", "reported")]
    assert data["history"][-1]["note"] == "误点确认"
    verified(db)
    fire(db, "confirm", code, "sup", "2015-07-05")  # the item moves on as before
    assert show(db, code)["state"] == "confirmed"
    verified(db)


def test_undo_of_verify_reverses_the_close_it_fired_too(db: str) -> None:
    code = planned(db)
    fire(db, "submit", code, "zhang-czj", "2015-07-06")
    fire(db, "verify", code, "sup", "2015-07-07")
    closed = show(db, code)
    assert (closed["state"], closed["rectification"], closed["closed_on"]) == \
        ("closed", "verified", "2015-07-07")
    out = invoke(db, "item", "undo", code, "--note", "核实有误", "--actor", "lead").output
    assert "undid 'verify' of 2015-07-07 (with close)" in out and "2 compensating move(s)" in out
    data = show(db, code)
    assert (data["state"], data["rectification"], data["closed_on"]) == \
        ("confirmed", "submitted", "")
    verified(db)
    fire(db, "verify", code, "sup", "2015-07-08")  # the version check passes: tables are right
    assert show(db, code)["closed_on"] == "2015-07-08"


def test_undo_of_a_deadline_change_restores_the_deadline_and_the_ladder(db: str) -> None:
    code = planned(db, "2015-07-20")
    fire(db, "request-extension", code, "zhang-czj", "2015-07-06", "--deadline", "2015-09-30")
    fire(db, "approve-extension", code, "sup", "2015-07-07", "--deadline", "2015-09-30")
    assert show(db, code)["deadline"] == "2015-09-30"
    invoke(db, "item", "undo", code, "--note", "批错了", "--actor", "lead")
    data = show(db, code)
    assert data["deadline"] == "2015-07-20" and data["rectification"] == "extension_requested"
    verified(db)
    fire(db, "approve-extension", code, "sup", "2015-07-08", "--deadline", "2015-08-31")
    assert show(db, code)["deadline"] == "2015-08-31"
    assert show(db, code, "2015-07-07")["deadline"] == "2015-07-20"  # as of: the undo stands
    verified(db)


def test_undo_needs_a_role_that_may_override_and_a_note(db: str) -> None:
    code = add(db, "2015-07-02")
    fire(db, "confirm", code, "sup", "2015-07-03")
    out = invoke(db, "item", "undo", code, "--note", "x", "--actor", "sup", ok=False)
    assert out.exit_code == 1
    assert "holds no role that may undo" in out.output and "lead-office" in out.output
    blank = invoke(db, "item", "undo", code, "--note", " ", "--actor", "lead", ok=False)
    assert blank.exit_code == 1 and "give --note" in blank.output
    assert show(db, code)["state"] == "confirmed"


def test_undo_is_refused_when_a_later_event_stands_on_the_subject(db: str) -> None:
    code = planned(db)
    other = planned(db, "2015-07-20", day=4)
    invoke(db, "item", "progress", code, "--note", "已培训", "--actor", "zhang-czj",
           "--as-of", "2015-07-07")
    out = invoke(db, "item", "undo", code, "--note", "x", "--actor", "lead", ok=False)
    assert out.exit_code == 1 and "progress report (2015-07-07)" in out.output
    # a tick whose escalation was followed by a change on the item is not undone either
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-07-21")
    fire(db, "submit", other, "zhang-czj", "2015-07-22")
    refused = invoke(db, "campaign", "undo", CAMPAIGN, "--note", "x", "--actor", "lead", ok=False)
    assert refused.exit_code == 1
    assert f"a later change on {other} ('submit' of 2015-07-22) still stands" in refused.output
    assert "undo the later change first" in refused.output


def test_a_mistaken_far_ahead_date_is_undone_and_ordinary_commands_work_again(db: str) -> None:
    code = planned(db, "2015-07-20")
    # the typo: 2025 for 2015; today is later, so the date is let in, with the clock's catch-up
    fire(db, "submit", code, "zhang-czj", "2025-04-10")
    blocked = invoke(db, *ADD, "--as-of", "2015-07-10", ok=False)
    assert "before the campaign's latest recorded change (2025-04-10)" in blocked.output
    out = invoke(db, "item", "undo", code, "--note", "年份写错", "--actor", "lead").output
    assert "'submit' of 2025-04-10 (with escalate)" in out and "dated 2015-07-04" in out
    data = show(db, code)
    assert (data["rectification"], data["escalation"], data["deadline"]) == \
        ("in_progress", "", "2015-07-20")
    add(db, "2015-07-10")  # business time is back where it stood
    fire(db, "submit", code, "zhang-czj", "2015-07-11")
    verified(db)
    history = show(db, code)["history"]
    assert [h["date"] for h in history if h["trigger"] == "submit"] == ["2025-04-10", "2015-07-11"]


def test_campaign_undo_of_a_stage_move(db: str) -> None:
    status = json.loads(invoke(db, "campaign", "status", CAMPAIGN, "--json",
                               "--as-of", "2015-07-20").output)
    pending = [s["key"] for s in status["stages"] if s["state"] == "pending"]
    out = invoke(db, "campaign", "advance", CAMPAIGN, "--force", "--actor", "lead",
                 "--as-of", "2015-07-20").output
    assert "opened" in out
    undone = invoke(db, "campaign", "undo", CAMPAIGN, "--note", "提前开启有误", "--actor", "lead",
                    "--as-of", "2015-07-20").output
    assert "undid stage of 2015-07-20" in undone
    after = json.loads(invoke(db, "campaign", "status", CAMPAIGN, "--json",
                              "--as-of", "2015-07-20").output)
    assert [s["key"] for s in after["stages"] if s["state"] == "pending"] == pending
    assert all(s["opened_on"] in ("", None) for s in after["stages"] if s["key"] in pending)
    batches = json.loads(invoke(db, "campaign", "batches", CAMPAIGN, "--json").output)
    assert batches[0]["kind"] == "stage" and batches[0]["status"] == "undone"
    invoke(db, "campaign", "advance", CAMPAIGN, "--force", "--actor", "lead", "--as-of", "2015-07-21")
    verified(db)


def test_campaign_undo_of_a_tick_withdraws_its_notices_and_their_document(db: str) -> None:
    code = planned(db, "2015-07-20")
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-07-21")
    escalated = show(db, code)["escalation"]
    assert escalated
    issued = invoke(db, "notices", CAMPAIGN, "--issue", "--as-of", "2015-07-21", "--since",
                    "2015-07-01", "--actor", "sup").output
    numbers = [line.split()[1] for line in issued.splitlines() if line.startswith("issued ")]
    first = numbers[0]
    assert first.endswith("1号")
    out = invoke(db, "campaign", "undo", CAMPAIGN, "--note", "时钟跑错", "--actor", "lead").output
    assert "undid tick of 2015-07-21" in out
    assert f"documents withdrawn (作废, numbers not reused): {first}" in out
    assert show(db, code)["escalation"] == ""
    listed = json.loads(invoke(db, "notices", CAMPAIGN, "--json", "--as-of", "2015-07-21").output)
    assert listed and all(n["status"] == "作废" for n in listed)
    assert all(n["document"].endswith(" 作废") for n in listed)
    assert any(n["document"] == f"{first} 作废" for n in listed)
    verified(db)
    # the clock runs again from where it was; the same notice gets a new number
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-07-21")
    assert show(db, code)["escalation"] == escalated
    again = invoke(db, "notices", CAMPAIGN, "--issue", "--as-of", "2015-07-21", "--since",
                   "2015-07-01", "--actor", "sup").output
    renumbered = [line.split()[1] for line in again.splitlines() if line.startswith("issued ")]
    assert len(renumbered) == len(numbers) and not set(renumbered) & set(numbers)
    assert renumbered[0].endswith(f"{len(numbers) + 1}号")  # the register runs on: no gap, no reuse
    listed = json.loads(invoke(db, "notices", CAMPAIGN, "--json", "--as-of", "2015-07-21").output)
    assert {n["status"] for n in listed} == {"", "作废"}  # both kept: the withdrawn and the new
    verified(db)



def test_a_tick_written_in_many_transactions_is_undone_as_one(db: str) -> None:
    """`rectify tick` commits in short transactions, each a batch marked with its tick; the
    undo takes them all: every rung and stage move of every day, and the clock goes back."""
    from campaigns.clock import tick_in_batches
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.runs import load_run

    codes = [planned(db, deadline, day) for deadline, day in
             (("2015-07-20", 2), ("2015-08-03", 6), ("2015-08-17", 9))]
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-07-13")
    before = {code: show(db, code) for code in codes}
    database = Database(db)
    report = tick_in_batches(database.write, lambda conn: Scope(
        conn, load_run(conn, CAMPAIGN), None, dt.date(2015, 9, 30)), hold=0.0)
    database.engine.dispose()
    assert len(report.holds) > 20 and report.changes > 6  # many transactions, many rungs
    ticks = [b for b in json.loads(invoke(db, "campaign", "batches", CAMPAIGN, "--json").output)
             if b["kind"] == "tick"]
    assert len(ticks) > 2
    out = invoke(db, "campaign", "undo", CAMPAIGN, "--note", "时钟跑错", "--actor", "lead",
                 "--as-of", "2015-09-30").output
    assert "undid tick of 2015-09-30" in out
    for code in codes:
        after = show(db, code)
        assert (after["escalation"], after["deadline"], after["state"]) == (
            before[code]["escalation"], before[code]["deadline"], before[code]["state"])
    with sqlite3.connect(db) as conn:  # the clock back where it was
        assert conn.execute("SELECT ticked_to FROM ticks").fetchall() == [("2015-07-13",)]
    verified(db)
    # nothing of that tick is left to undo (the tick before it wrote nothing)
    again = invoke(db, "campaign", "undo", CAMPAIGN, "--note", "再撤", "--actor", "lead",
                   "--as-of", "2015-09-30", ok=False)
    assert again.exit_code != 0 and "no stage move or tick left to undo" in again.output

# --- a property: the log replays to the tables after any advances and undos ---------------------

STEPS = st.lists(st.tuples(st.sampled_from(("confirm", "submit", "verify", "return", "reopen",
                                            "request-extension", "approve-extension", "undo",
                                            "undo", "tick")),
                           st.integers(0, 2)), min_size=3, max_size=14)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = str(tmp_path_factory.mktemp("undo") / "template.db")
    county(db)
    for _ in range(3):
        code = add(db, "2015-07-02")
        invoke(db, "item", "rectify", code, "--measures", "m", "--deadline", "2015-07-15",
               "--actor", "zhang-czj", "--as-of", "2015-07-02", ok=False)
    return Path(db)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_replay_equals_tables_after_random_advances_and_undos(
        template: Path, tmp_path: Path, steps: list[tuple[str, int]]) -> None:
    import sqlite3

    db = str(tmp_path / f"p{abs(hash(tuple(steps)))}.db")
    with sqlite3.connect(template) as a, sqlite3.connect(db) as b:
        a.backup(b)
    a.close()
    b.close()
    day = dt.date(2015, 7, 3)
    for trigger, pick in steps:
        code = f"WGBW-2015-{pick + 1:04d}"
        when = day.isoformat()
        if trigger == "undo":
            invoke(db, "item", "undo", code, "--note", "n", "--actor", "lead", ok=False)
        elif trigger == "tick":
            invoke(db, "tick", CAMPAIGN, "--as-of", when, ok=False)
        else:
            who = "zhang-czj" if trigger in ("submit", "request-extension") else "sup"
            extra = ["--deadline", (day + dt.timedelta(days=20)).isoformat()] \
                if "extension" in trigger or trigger in ("return", "reopen") else []
            invoke(db, "item", "advance", trigger, code, "--actor", who, "--as-of", when,
                   "--note", "n", *extra, ok=False)
        day += dt.timedelta(days=3)
    verified(db)


def test_undo_of_a_move_to_another_unit_hands_the_item_back(db: str) -> None:
    code = add(db, "2015-07-02")
    invoke(db, "item", "move", code, "--to", "jyj", "--note", "划转", "--actor", "lead",
           "--as-of", "2015-07-03")
    assert show(db, code)["unit"].endswith("县教育局")
    out = invoke(db, "item", "undo", code, "--note", "误划", "--actor", "lead",
                 "--as-of", "2015-07-04").output
    assert "undid 'move'" in out and "1 compensating move(s)" in out
    assert show(db, code)["unit"].endswith("县财政局")
    assert show(db, code, "2015-07-03")["unit"].endswith("县教育局")  # the past keeps the move
    verified(db)

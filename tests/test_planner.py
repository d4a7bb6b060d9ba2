"""The planner: one pure decision for every change, and the defects it closed."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from test_cli_common import START, WGBW, Cli, seeded

from engine.core.loader import load
from engine.core.machines import Actor, Runtime
from engine.core.planner import Request, plan, plan_stage

DAY = dt.date(2015, 8, 3)
D = load(str(WGBW))
RT = Runtime(D)
SUPERVISOR = Actor("sup", frozenset({"supervision-office"}), {"unit_path": "/county/dcs"})
HEAD = Actor("head", frozenset({"unit-head"}), {"unit_path": "/county/czj"})


@dataclass
class Subject:
    id: int
    state: str
    version: int
    deadline: dt.date | None = None
    returns: int = 0
    submitted_on: dt.date | None = None
    completed_on: dt.date | None = None
    closed_on: dt.date | None = None
    reopen_count: int = 0


@dataclass
class Snap:
    item: Subject
    rectification: Subject
    unit_path: str = "/county/czj/czj-bgs"
    code: str = "X-1"

    def subject(self, machine: str) -> Any:
        return self.item if machine == "item" else self.rectification

    def copy(self) -> Snap:
        return replace(self, item=replace(self.item), rectification=replace(self.rectification))


def snap(item: str = "confirmed", rect: str = "submitted") -> Snap:
    return Snap(Subject(7, item, 3), Subject(9, rect, 5, deadline=dt.date(2015, 9, 30)))


def test_verify_plans_the_close_it_fires_with_versions_and_leaves_the_snapshot_alone() -> None:
    before = snap()
    decided = plan(RT, before, Request("verify", SUPERVISOR, DAY))
    assert decided.ok, decided.reasons()
    assert [(m.machine, m.trigger, m.from_state, m.to_state, m.subject_id, m.version)
            for m in decided.moves] == [("rectification", "verify", "submitted", "verified", 9, 5),
                                        ("item", "close", "confirmed", "closed", 7, 3)]
    assert decided.moves[0].changes == {"completed_on": DAY}
    assert decided.moves[0].payload == {"completed_on": "2015-08-03"}
    assert (before.item.state, before.rectification.state, before.item.version) == (
        "confirmed", "submitted", 3)
    assert (decided.after.item.state, decided.after.item.version) == ("closed", 4)


def test_every_refusal_is_collected_and_nothing_is_planned() -> None:
    decided = plan(RT, snap(rect="submitted"), Request("return", HEAD, DAY))
    assert not decided.ok and not decided.moves
    by = {r.by for r in decided.refusals}
    assert "role" in by and "note_required" in by  # both reasons, not the first only


def test_a_refused_follow_up_refuses_the_whole_request() -> None:
    # an item already closed cannot be closed again: verifying its rectification is refused too
    decided = plan(RT, snap(item="closed"), Request("verify", SUPERVISOR, DAY))
    assert not decided.ok and not decided.moves
    assert "needs 'close'" in decided.reasons()


def test_caller_changes_are_seen_and_written_with_the_first_move() -> None:
    deadline = dt.date(2015, 9, 30)
    decided = plan(RT, snap(rect="pending"), Request("plan", HEAD, DAY,
                                                     changes={"deadline": deadline, "measures": "m"}))
    assert decided.ok, decided.reasons()
    assert decided.moves[0].changes == {"deadline": deadline, "measures": "m"}
    assert decided.after.rectification.deadline == deadline


def test_a_stage_opens_when_its_guards_hold_and_a_forced_close_records_what_it_overrode() -> None:
    @dataclass
    class Stage:
        id: int
        state: str
        version: int

    spec = D.stages[0]
    opened = plan_stage(RT, spec, Stage(1, "pending", 1), "open", SUPERVISOR, DAY)
    assert opened.ok and opened.moves[0].changes == {"opened_on": DAY}
    assert not plan_stage(RT, spec, Stage(1, "closed", 2), "open", SUPERVISOR, DAY).ok


# --- through the command line: the defects each path had ------------------------------------------


def _campaign_with_plan_action(tmp_path: Path, factory: pytest.TempPathFactory) -> Cli:
    text = WGBW.read_text(encoding="utf-8").replace(
        "lifecycle: standard\n",
        "lifecycle: standard\nmachines:\n  rectification:\n    transitions:\n"
        "      - trigger: plan\n        actions:\n"
        "          - set_field: {field: target, value: 全面整改到位}\n"
        "          - stamp_date: {field: submitted_on}\n", 1)
    definition = tmp_path / "with-plan-action.yaml"
    definition.write_text(text, encoding="utf-8")
    cli = seeded(tmp_path, factory, campaign=False)
    cli.ok("campaign", "start", str(definition), "--start", START, "--actor", "lead")
    return cli


def test_item_rectify_runs_the_actions_the_definition_attaches_to_plan(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    cli = _campaign_with_plan_action(tmp_path, tmp_path_factory)
    code = cli.confirmed()
    cli.ok("item", "rectify", code, "--measures", "培训", "--deadline", "2015-09-30",
           "--actor", "head", "--as-of", "2015-08-04")
    conn = sqlite3.connect(cli.db)
    try:
        target, stamped = conn.execute(
            "SELECT r.target, r.submitted_on FROM rectifications r JOIN items i ON i.id = r.item_id "
            "WHERE i.code = ?", (code,)).fetchone()
        payload = json.loads(conn.execute("SELECT payload FROM events WHERE trigger = 'plan'")
                             .fetchone()[0])
    finally:
        conn.close()
    assert (target, stamped) == ("全面整改到位", "2015-08-04")
    assert payload["target"] == "全面整改到位" and payload["measures"] == "培训"


def test_a_placement_takes_an_overriding_role_and_a_state_the_machine_has() -> None:
    from engine.core.planner import Placement, plan_placement

    lead = Actor("lead", frozenset({"lead-office"}))
    where = [Placement("item", 7, 3, "reported", "closed", {"closed_on": DAY}),
             Placement("rectification", 9, 5, "pending", "pending")]
    placed = plan_placement(D, where, Request("import", lead, DAY, stream="s", subject_key="X-1"))
    assert placed.ok, placed.reasons()
    assert [(m.machine, m.from_state, m.to_state, m.version, m.subject_key) for m in placed.moves] \
        == [("item", "reported", "closed", 3, "X-1")]  # the unmoved rectification writes nothing
    refused = plan_placement(D, where, Request("import", HEAD, DAY))
    assert [r.by for r in refused.refusals] == ["role"] and not refused.moves
    bad = plan_placement(D, [Placement("item", 7, 3, "reported", "vanished")],
                         Request("import", lead, DAY))
    assert "no state 'vanished'" in bad.reasons()

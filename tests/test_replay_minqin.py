"""Seed 004's year of inspections replayed end to end through the CLI (examples/minqin-2020):
every plan item carried out by its group, the holiday and spot checks unplanned, findings as
items with their notices, the duplicate visit, the unit over budget and the broken pledges."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from campaigns.cli import cli
from tests.test_cli_common import example_replay

replay = example_replay("minqin-2020")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("replay")
    replay.replay(str(folder / "minqin.db"), str(folder / "out"))
    return str(folder / "minqin.db"), folder / "out"


@pytest.fixture(scope="module")
def db(replayed: tuple[str, Path]) -> str:
    return replayed[0]


def test_each_months_bulletin_counts_its_findings(replayed: tuple[str, Path]) -> None:
    db, out = replayed
    found = Counter(n["issued_on"][:7] for n in run(  # a finding's notice is issued that day
        db, "notices", replay.KEY, "--kind", "inspection", "--as-of", "2020-12-31"))
    for month in range(1, 13):
        key = f"2020-{month:02d}"
        text = (out / f"bulletin-{key}.html").read_text(encoding="utf-8")
        assert f"本月新发现问题 {found[key]} 条" in text
        assert (out / f"bulletin-{key}.docx").stat().st_size > 0
    assert sum(found.values()) == 10


def run(db: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json", "--db", db])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_plan_item_is_carried_out_by_its_group(db: str) -> None:
    with open(replay.PLAN, encoding="utf-8") as fh:
        plan = yaml.safe_load(fh)
    listed = run(db, "inspection", "list", "--year", "2020")
    planned = {r["plan_item"]: r for r in listed if r["plan_item"]}
    assert sorted(planned) == sorted(i["ref"] for i in plan["items"])
    teams = {i["ref"]: i["team"] for i in plan["items"]}
    assert all(planned[ref]["team"] == team for ref, team in teams.items())
    shown = run(db, "inspection", "plan", "show", "2020")
    assert shown["status"] == "published" and len(shown["items"]) == plan["plan"]["cap"] == 30


def test_holiday_and_spot_checks_are_unplanned_and_counted(db: str) -> None:
    schedule = run(db, "inspection", "holidays", replay.KEY, "2020", "--as-of", "2020-12-31")
    in_year = [h for h in schedule if h["inspect_on"].startswith("2020")]
    assert in_year and all(h["status"] == "done" for h in in_year)
    assert {h["holiday"] for h in in_year} >= {"春节", "劳动节", "国庆节"}
    log = run(db, "inspection", "visits", "2020")
    assert len(log["unplanned"]) == len(in_year) + len(replay.SPOT_CHECKS)
    assert {u["theme"] for u in log["unplanned"]} >= {h["theme"] for h in in_year}


def test_findings_are_items_told_to_the_township_heads(db: str) -> None:
    items = run(db, "item", "list", replay.KEY, "--as-of", "2020-12-31")
    expected = len(range(0, 30, 3))
    assert len(items) == expected
    assert {i["source"] for i in items} == {"inspection"}
    assert {i["state"] for i in items} == {"closed"}  # each township rectified what was found
    notices = run(db, "notices", replay.KEY, "--kind", "inspection", "--as-of", "2020-12-31")
    assert sorted(n["code"] for n in notices) == sorted(i["code"] for i in items)
    assert all(n["to"].endswith("书记）") and n["reason"].startswith("DC-2020-") for n in notices)


def test_the_burden_is_flagged(db: str, tmp_path: Path) -> None:
    log = run(db, "inspection", "visits", "2020")
    units = {u["unit_code"]: u for u in log["units"]}
    assert units["t02"]["duplicates"] == 1  # the spot check on group 2's day, same theme
    assert units["t01"]["over"] == 1  # 薛百镇's fourth visit against a budget of three
    assert all(u["visits"] - u["budget"] == u["over"] for u in units.values() if u["over"])
    flagged = [b["pledge"] for b in log["breaches"]]
    assert sorted(flagged) == ["materials", "notice"]
    out = tmp_path / "heat.html"
    result = CliRunner().invoke(cli, ["inspection", "heatmap", "2020", "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert "薛百镇" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", "verify", "--all", "--db", db])
    assert result.exit_code == 0, result.output

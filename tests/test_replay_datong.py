"""Seed 003's campaign replayed day by day through the CLI (examples/datong-2015): an inspection
every working day whose teams add up to the seed's 158 person-times, its eight 暗访 of drinking
and official cars, an inspection for every holiday (2015's 中秋 on a Sunday included), findings
told to the unit's head that day, weekly circulars and monthly bulletins filed on their rhythm,
and the month-end 问责 adding up to the seed's 8 cases and 9 person-times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from campaigns.cli import cli
from tests.test_cli_common import example_replay

replay = example_replay("datong-2015")
KEY = "zuofeng-datong-2015"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Any]:
    folder = tmp_path_factory.mktemp("datong")
    db = str(folder / "datong.db")
    campaign = replay.replay(db, str(folder / "out"))
    return db, folder / "out", campaign


def run(db: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json", "--db", db])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_working_day_has_its_inspectors(replayed: tuple[str, Path, Any]) -> None:
    db, _out, _campaign = replayed
    listed = run(db, "inspection", "list", "--year", "2015", "--campaign", KEY)
    daily = [r for r in listed if r["method"] == "日常督查"]
    days = replay.working_days(replay.START, replay.END)
    assert sorted(r["date"] for r in daily) == [day.isoformat() for day in days]
    assert dt.date(2015, 9, 6).isoformat() in {r["date"] for r in daily}  # a 调休 Sunday
    assert "2015-10-05" not in {r["date"] for r in daily}  # National Day
    members = [run(db, "inspection", "show", r["ref"])["members"] for r in daily]
    assert sum(len(m) for m in members) == replay.PERSON_TIMES == 158
    special = [r for r in listed if r["method"] == "暗访"]
    assert len(special) == replay.SPECIAL == 8
    assert {r["theme"] for r in special} == {"工作日中餐饮酒", "公车私用"}


def test_an_inspection_before_every_holiday(replayed: tuple[str, Path, Any]) -> None:
    db, _out, _campaign = replayed
    rows = {h["holiday"]: h for h in run(db, "inspection", "holidays", KEY, "2015",
                                         "--as-of", "2015-12-31")}
    # 中秋 fell on Sunday 27 September 2015 and added no day off: still a holiday to inspect for
    assert (rows["中秋"]["starts"], rows["中秋"]["ends"]) == ("2015-09-26", "2015-09-27")
    assert rows["中秋"]["inspect_on"] == "2015-09-23"  # three working days before
    assert (rows["国庆节"]["starts"], rows["国庆节"]["ends"]) == ("2015-10-01", "2015-10-07")
    assert rows["国庆节"]["inspect_on"] == "2015-09-28"
    assert rows["国庆节"]["theme"] == "国庆节前公车使用专项督查"
    in_campaign = [h for h in rows.values() if h["ends"] >= "2015-09-01"]
    assert len(in_campaign) == 3 and all(h["status"] == "done" for h in in_campaign)
    assert all(h["status"] == "missed" for h in rows.values() if h["ends"] < "2015-09-01")
    new_year = run(db, "inspection", "holidays", KEY, "2016", "--as-of", "2016-01-08")[0]
    assert (new_year["holiday"], new_year["inspect_on"], new_year["status"]) == \
        ("元旦", "2015-12-29", "done")


def test_findings_are_told_to_the_unit_head_that_day(replayed: tuple[str, Path, Any]) -> None:
    db, _out, campaign = replayed
    items = run(db, "item", "list", KEY, "--as-of", "2016-01-08")
    assert len(items) == len(campaign.findings) and {i["source"] for i in items} == {"inspection"}
    assert {i["state"] for i in items} == {"closed"}
    notices = run(db, "notices", KEY, "--kind", "inspection", "--as-of", "2016-01-08")
    assert sorted(n["code"] for n in notices) == sorted(i["code"] for i in items)
    titles = {u["code"]: u["title"] for u in run(db, "unit", "list")}
    names = {p["key"]: p["name"] for p in run(db, "person", "list")}
    told = sorted((n["issued_on"], n["to"]) for n in notices)
    assert told == sorted((f["day"], f"{titles[f['unit']]}（{names[replay.HEAD[f['unit']]]}）")
                          for f in campaign.findings)


def test_the_weekly_circular_of_national_day_week(replayed: tuple[str, Path, Any]) -> None:
    db, out, campaign = replayed
    text = (out / "circular-2015-W40.html").read_text(encoding="utf-8")
    assert "2015年第40周（9月28日至10月4日）" in text and "大通县作风办" in text
    week = [f for f in campaign.findings if "2015-09-28" <= f["day"] <= "2015-10-04"]
    assert [f["kind"] for f in week].count("holiday") == 1  # 国庆期间公车停放在农家乐
    assert f"本周新发现问题 {len(week)} 条" in text
    assert "国庆期间公车停放在农家乐" in text
    assert (out / "circular-2015-W40.docx").stat().st_size > 0
    # late work is named: a unit whose item reached 通报 in week 49
    named = (out / "circular-2015-W49.html").read_text(encoding="utf-8")
    escalated = [n for n in run(db, "notices", KEY, "--kind", "escalation", "--as-of", "2015-12-06")
                 if n["level"] == "circular" and "2015-11-30" <= n["issued_on"] <= "2015-12-06"]
    assert escalated and all(n["unit"] in named.split("二、点名通报")[1] for n in escalated)


def test_the_rhythm_is_filed(replayed: tuple[str, Path, Any]) -> None:
    db, _out, _campaign = replayed
    status = run(db, "filing", "status", KEY, "--as-of", "2016-01-08")
    by = {(r["filing"], r["period"], r["unit"]): r for r in status}
    weeks = sorted(p for f, p, _u in by if f == "weekly-circular")
    assert weeks == [f"2015-W{n}" for n in range(36, 54)]
    assert all(by[("weekly-circular", w, "zfb")]["status"] == "accepted" for w in weeks)
    # the circular of National Day week was due on the Monday after, a day off: the next working day
    assert by[("weekly-circular", "2015-W40", "zfb")]["due"] == "2015-10-08"
    assert sorted(p for f, p, _u in by if f == "monthly-bulletin") == \
        ["2015-09", "2015-10", "2015-11", "2015-12"]
    assert by[("monthly-bulletin", "2015-12", "zfb")]["due"] == "2016-01-05"
    reports = [r for r in status if r["filing"] == "monthly-report"]
    assert len(reports) == 4 * len(replay.UNITS)
    late = {(r["period"], r["unit"]) for r in run(db, "filing", "status", KEY, "--as-of", "2015-11-02")
            if r["filing"] == "monthly-report" and r["status"] == "late"}
    assert ("2015-10", "jtj") in late
    assert by[("monthly-report", "2015-12", "czj")]["due"] == "2015-12-31"


def test_month_end_accountability_counts_the_seeds_cases(replayed: tuple[str, Path, Any]) -> None:
    db, out, campaign = replayed
    register = run(db, "accountability", "list", KEY, "--as-of", "2015-12-31")
    counts = register["counts"]
    assert (counts["cases"], counts["person_times"]) == (replay.CASES, replay.HELD) == (8, 9)
    assert "people" in register["cases"][0]  # 点名道姓曝光: public
    for month in ("2015-09", "2015-10", "2015-11", "2015-12"):
        assert (out / f"sorting-{month}.docx").stat().st_size > 0
        found = sum(f["day"].startswith(month) for f in campaign.findings)
        assert f"本月新发现问题 {found} 条" in (out / f"bulletin-{month}.html").read_text(encoding="utf-8")
    heat = (out / "heatmap-2015.html").read_text(encoding="utf-8")
    inspections = run(db, "inspection", "list", "--year", "2015")
    visits = run(db, "inspection", "visits", "2015")["visits"]
    assert f"检查 {len(inspections)} 次（到访 {len(visits)} 单位次）" in heat
    assert len(inspections) == len(replay.working_days(replay.START, replay.END)) + 8 + 1 + 3
    assert heat.index("县政务服务中心") < heat.index("桥头镇")  # the county's order, not by code
    status = run(db, "campaign", "status", KEY, "--as-of", "2016-01-08")
    assert status["status"].startswith("concluded")
    result = CliRunner().invoke(cli, ["audit", "verify", "--all", "--db", db])
    assert result.exit_code == 0, result.output

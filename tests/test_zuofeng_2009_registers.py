"""Seed 002's registers replayed over 2009 (examples/zuofeng-2009/replay_commitments.py): what the
commitments register and the six institutions say at points of the year, checked against what
the seed and the replay's plan give, worked out here by hand rather than by the register."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_cli_common import Cli, example_replay

ROOT = Path(__file__).resolve().parent.parent
KEY = "zuofeng-2009"


def example() -> ModuleType:
    return example_replay("zuofeng-2009", "replay_commitments.py")


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, ModuleType]:
    db = tmp_path_factory.mktemp("zuofeng") / "zuofeng.db"
    mod = example()
    mod.replay(str(db))
    return Cli(db), mod


def view(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--json"))


def months(start: str, end: str) -> int:
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return (b.year - a.year) * 12 + b.month - a.month + 1


def test_the_seeds_commitments_are_published_in_late_march(year: tuple[Cli, ModuleType]) -> None:
    cli, _mod = year
    before = view(cli, "commitment", "list", KEY, "--as-of", "2009-03-24")
    assert before["counts"]["published"] == 0
    assert before["counts"]["by_state"] == {"待公开": 10}
    after = view(cli, "commitment", "list", KEY, "--as-of", "2009-06-30")
    # 3月下旬: published on 25 March, due by 31 March (a Tuesday): every one on time
    assert (after["counts"]["published"], after["counts"]["published_late"]) == (10, 0)
    assert {r["publication"] for r in after["commitments"]} == {"on time"}
    assert after["counts"]["by_state"] == {"推进中": 10}
    kinds = {r["title"][:4]: r["kind"] for r in after["commitments"]}
    assert kinds["破解难题"] == "动态任务" and kinds["重点项目"] == "固定任务"


def test_monthly_dispatch_one_late_one_missing(year: tuple[Cli, ModuleType]) -> None:
    cli, mod = year
    owed = view(cli, "commitment", "list", KEY, "--checkins", "--as-of", "2009-12-31")
    monthly = [r for r in owed if r["check"] == "一月一调度"]
    # one dispatch a month from each commitment's start to its completion; 年度总结 is fulfilled
    # on 8 December, so December's (due the 31st) is no longer owed
    expected = sum(months(str(c["start"]), str(c["due"])) for c in mod.listed()) - 1
    assert len(monthly) == expected == 45
    by_status = {s: sum(1 for r in monthly if r["status"] == s) for s in ("on time", "late",
                                                                          "missing")}
    assert by_status == {"on time": 43, "late": 1, "missing": 1}
    late = [r for r in monthly if r["status"] == "late"][0]
    # June 2009 ends on a Tuesday: due 30 June, recorded 2 July
    assert (late["period"], late["due"], late["recorded_on"]) == ("2009-06", "2009-06-30",
                                                                   "2009-07-02")
    missing = [r for r in monthly if r["status"] == "missing"][0]
    assert (missing["title"], missing["period"]) == ("场镇党政班子每月组织一次公开接访", "2009-09")
    # October's due date is the month's last working day: 国庆 runs 1-8 October, 31 October
    # is a Saturday, so the 30th
    october = {r["due"] for r in monthly if r["period"] == "2009-10"}
    assert october == {"2009-10-30"}


def test_the_july_assessment_tracked_daily_and_weekly(year: tuple[Cli, ModuleType]) -> None:
    cli, mod = year
    ids = {str(c["key"]): n for n, c in enumerate(mod.listed(), start=1)}
    shown = view(cli, "commitment", "show", str(ids["conduct-assessment"]), "--as-of", "2009-12-31")
    rows = shown["checkins"]
    daily = [r for r in rows if r["check"] == "一天一跟踪"]
    # 7月中下旬 (11-31 July): the weekdays from Monday 13 July to Friday 31 July, 15 of them
    assert [r["period"] for r in daily][:2] == ["2009-07-13", "2009-07-14"] and len(daily) == 15
    assert [r["period"] for r in daily if r["status"] == "missing"] == ["2009-07-20"]
    weekly = [(r["period"], r["due"], r["status"]) for r in rows if r["check"] == "一周一点评"]
    # the week of 6 July is due on Friday 10 July, before the commitment starts: not owed
    assert weekly == [("2009-W29", "2009-07-17", "on time"), ("2009-W30", "2009-07-24", "on time"),
                      ("2009-W31", "2009-07-31", "on time")]
    yearly = [r for r in rows if r["check"] == "一年一兑现"]
    assert [(r["period"], r["due"], r["status"]) for r in yearly] == [("2009", "2009-12-31",
                                                                        "on time")]
    assert shown["state"] == "已兑现" and shown["reviewed_on"] == "2009-12-31"


def test_the_year_end_review(year: tuple[Cli, ModuleType], tmp_path: Path) -> None:
    cli, _mod = year
    end = view(cli, "commitment", "list", KEY, "--as-of", "2009-12-31")
    assert end["counts"]["by_state"] == {"已兑现": 8, "部分兑现": 1, "未兑现": 1}
    rows = {r["title"][:4]: r for r in end["commitments"]}
    # 12月上旬上报: the summary is fulfilled on 8 December, before its completion date
    assert (rows["全面总结"]["state"], rows["全面总结"]["reviewed_on"]) == ("已兑现", "2009-12-08")
    assert rows["重点项目"]["state"] == "部分兑现" and rows["破解难题"]["state"] == "未兑现"
    # the state on 7 December is replayed from the log: nothing reviewed yet
    assert view(cli, "commitment", "list", KEY, "--as-of", "2009-12-07")["counts"]["by_state"] \
        == {"推进中": 10}
    status = view(cli, "campaign", "status", KEY, "--as-of", "2009-12-31")
    assert status["commitments"]["by_state"] == end["counts"]["by_state"]
    report = tmp_path / "final.md"
    cli.ok("report", KEY, "--month", "2009-12", "-o", str(report), "--as-of", "2009-12-31")
    text = report.read_text(encoding="utf-8")
    assert "## 十一、公开承诺（10 项）" in text
    assert "公开承诺 10 项（已兑现 8 项，部分兑现 1 项，未兑现 1 项）" in text
    assert "## 十、长效机制（6 项，已施行 6 项）" in text
    board = tmp_path / "board.html"
    assert "10 commitment(s) shown" in cli.ok("commitment", "board", KEY, "-o", str(board),
                                              "--as-of", "2009-12-31")
    html = board.read_text(encoding="utf-8")
    assert "县发改局" in html and "王局长" in html and "难题未破解" not in html


def test_the_six_institutions_in_force(year: tuple[Cli, ModuleType]) -> None:
    cli, _mod = year
    listed = view(cli, "mechanism", "list", KEY, "--as-of", "2009-12-31")
    assert [m["title"] for m in listed["mechanisms"]] == [
        "学习教育制度", "联系和服务群众制度", "机关效能提升制度", "目标管理制度", "激励约束制度",
        "督导检查制度"]
    assert {m["state"] for m in listed["mechanisms"]} == {"已施行"}
    assert [m["document_number"] for m in listed["mechanisms"]][-1] == "县作风办发〔2009〕6号"
    assert listed["register_not_recorded"] == []
    early = view(cli, "mechanism", "list", KEY, "--as-of", "2009-11-15")
    assert early["mechanisms"] == [] and len(early["register_not_recorded"]) == 6
    assert "zuofeng-2009: ok" in cli.ok("audit", "verify", KEY)

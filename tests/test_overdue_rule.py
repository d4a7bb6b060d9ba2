"""Overdue is one rule, the ladder's: the deadline has passed and the rectification is under way.

A report awaiting confirmation (待核实) with a deadline never escalates; it is not overdue in
`campaign status`, `item list --overdue`, `item show`, the monthly report (its list and its unit
ranking), the ledger's summary sheet or the dashboard either.  As-of views agree: the same
item counts once it is planned and its new deadline passes, and not on the days before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_cli_common import CAMPAIGN, Cli, seeded


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def campaign(cli: Cli) -> dict[str, str]:
    """U: a report with a deadline nobody confirms until 09-20; L: work under way, due 08-31;
    S: submitted after its deadline, waiting for the office (a hold state)."""
    u = cli.add_item("就业补贴审核拖延", "czj-bgs", "2015-08-03", "sup", "--deadline", "2015-08-31")
    l_ = cli.confirmed(as_of="2015-08-03", title="项目资金拨付推诿", unit="jyj-bgs")
    cli.ok("item", "rectify", l_, "--measures", "明确拨付时限", "--deadline", "2015-08-31",
           "--actor", "edu", "--as-of", "2015-08-03")
    s = cli.confirmed(as_of="2015-08-03", title="窗口服务态度生硬", unit="czj-bgs")
    cli.ok("item", "rectify", s, "--measures", "培训", "--deadline", "2015-08-31",
           "--actor", "head", "--as-of", "2015-08-03")
    cli.ok("item", "advance", "submit", s, "--actor", "head", "--as-of", "2015-09-02")
    cli.ok("item", "advance", "confirm", u, "--actor", "sup", "--as-of", "2015-09-20")
    cli.ok("item", "rectify", u, "--measures", "简化审核流程", "--deadline", "2015-09-25",
           "--actor", "head", "--as-of", "2015-09-20")
    return {"U": u, "L": l_, "S": s}


def test_a_report_awaiting_confirmation_is_not_overdue_anywhere(cli: Cli, tmp_path: Path) -> None:
    codes = campaign(cli)
    as_of = ("--as-of", "2015-09-15")
    status = json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json", *as_of))
    assert status["overdue"] == 1
    assert {u["unit"]: u["overdue"] for u in status["by_unit"]} == {
        "某县/县财政局/办公室": 0, "某县/县教育局/办公室": 1}
    listed = json.loads(cli.ok("item", "list", CAMPAIGN, "--overdue", "--json", *as_of))
    assert [i["code"] for i in listed] == [codes["L"]]
    shown = json.loads(cli.ok("item", "show", codes["U"], "--json", *as_of))
    assert (shown["state"], shown["deadline"], shown["overdue"]) == ("reported", "2015-08-31", False)
    assert json.loads(cli.ok("item", "show", codes["S"], "--json", *as_of))["overdue"] is False

    cli.ok("report", CAMPAIGN, "--month", "2015-09", "-o", str(tmp_path / "m.md"), *as_of)
    report = (tmp_path / "m.md").read_text(encoding="utf-8")
    assert "逾期未完成 1 条。" in report
    late = report.split("## 五、逾期未完成问题")[1].split("## 六、")[0]
    assert codes["L"] in late and codes["U"] not in late and codes["S"] not in late
    ranking = report.split("## 七、")[1].split("## 八、")[0]
    rows = [line for line in ranking.splitlines() if line.startswith("| ") and "办公室" in line]
    assert [row.split(" | ")[-1] for row in rows] == ["1 |", "0 |"]  # the last column: 逾期

    cli.ok("ledger", CAMPAIGN, "-o", str(tmp_path / "l.xlsx"), *as_of)
    summary = load_workbook(tmp_path / "l.xlsx").worksheets[1]
    total = [c.value for c in next(r for r in summary.iter_rows() if r[0].value == "合计")]
    assert total[-2] == 1  # the 逾期 column before the closure rate

    cli.ok("dashboard", CAMPAIGN, "-o", str(tmp_path / "d.html"), *as_of)
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "<div class=kpi>逾期未完成<b>1</b></div>" in page


def test_as_of_views_count_the_report_once_its_work_is_late(cli: Cli) -> None:
    codes = campaign(cli)
    late = {day: [i["code"] for i in json.loads(cli.ok(
        "item", "list", CAMPAIGN, "--overdue", "--json", "--as-of", day))]
        for day in ("2015-09-19", "2015-09-25", "2015-09-26")}
    assert late == {"2015-09-19": [codes["L"]], "2015-09-25": [codes["L"]],
                    "2015-09-26": [codes["U"], codes["L"]]}
    assert json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json", "--as-of",
                             "2015-09-26"))["overdue"] == 2

"""rectify ledger: the 台账 in the layout offices use (XLSX and CSV), as of a date, by unit,
and a round trip: exported, imported into a fresh campaign, exported again — the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign, read_csv
from openpyxl import load_workbook

HEADER = ["序号", "问题编号", "单位", "问题描述", "问题类别", "问题来源", "整改措施", "整改目标",
          "原定时限", "整改时限", "责任领导", "责任人", "状态", "督办等级", "整改进展", "销号日期"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    db = county(str(tmp_path / "a.db"))
    progressed_campaign(db)
    return db


def test_xlsx_layout(db: str, tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    result = invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-31")
    assert result.output == f"wrote {out}: 4 item(s)\n"
    wb = load_workbook(out)
    assert wb.sheetnames == ["台账", "汇总"]
    ws = wb["台账"]
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:P1", "A2:P2"]
    assert ws["A1"].value == "开展“为官不为”行为专项治理问题整改台账"
    assert ws["A2"].value == "截至 2015年8月31日"
    assert ws.freeze_panes == "A4"
    assert [c.value for c in ws[3]] == HEADER
    assert ws.column_dimensions["D"].width == 40
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert [r[:3] for r in rows] == [[1, "WGBW-2015-0001", "县财政局"], [2, "WGBW-2015-0002", "县财政局"],
                                     [3, "WGBW-2015-0003", "县教育局"], [4, "WGBW-2015-0004", "青山镇"]]
    first = dict(zip(HEADER, rows[0], strict=True))
    assert first["整改时限"] == dt.datetime(2015, 8, 20)  # a real date cell
    assert ws.cell(4, 10).number_format == "yyyy-mm-dd"
    assert first["销号日期"] == dt.datetime(2015, 8, 18)
    assert (first["状态"], first["责任领导"], first["责任人"]) == ("已销号", "张局长", "李科长")
    assert first["整改进展"] == "已培训窗口人员12人"
    assert first["问题来源"] == "群众反映举报" and first["问题类别"] == "服务群众不热心"
    second = dict(zip(HEADER, rows[1], strict=True))
    assert second["状态"] == "整改中"
    assert [r[12] for r in rows[2:]] == ["待核实", "不属实"]
    summary = wb["汇总"]
    head = [c.value for c in summary[3]]
    assert head[0] == "单位" and head[-3:] == ["合计", "逾期", "销号率"] and head[-4] == "已销号"
    table = {r[0].value: [c.value for c in r[1:]] for r in summary.iter_rows(min_row=4)}
    czj = dict(zip(head[1:], table["县财政局"], strict=True))
    assert (czj["整改中"], czj["已销号"], czj["合计"], czj["逾期"], czj["销号率"]) == (1, 1, 2, 1, "50.0%")
    total = dict(zip(head[1:], table["合计"], strict=True))
    assert total["合计"] == 4 and total["不属实"] == 1


def test_csv_with_bom_and_unit_filter(db: str, tmp_path: Path) -> None:
    out = tmp_path / "czj.csv"
    invoke(db, "ledger", CAMPAIGN, "--unit", "县财政局", "-o", str(out), "--as-of", "2015-08-31")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel and WPS open it as UTF-8
    rows = read_csv(out)
    assert rows[0] == HEADER
    assert [r[1] for r in rows[1:]] == ["WGBW-2015-0001", "WGBW-2015-0002"]
    assert rows[1][9] == "2015-08-20" and rows[1][15] == "2015-08-18"


def test_as_of_a_past_date_uses_the_event_log(db: str, tmp_path: Path) -> None:
    out = tmp_path / "early.csv"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-04")
    rows = read_csv(out)[1:]
    assert [(r[1], r[12], r[6], r[9]) for r in rows] == [
        ("WGBW-2015-0001", "待制定方案", "", ""), ("WGBW-2015-0002", "待制定方案", "", ""),
        ("WGBW-2015-0003", "待核实", "", ""), ("WGBW-2015-0004", "待核实", "", "")]
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-07-31")
    assert read_csv(out) == [HEADER]  # nothing had been found yet


def test_bad_output_name(db: str, tmp_path: Path) -> None:
    result = invoke(db, "ledger", CAMPAIGN, "-o", str(tmp_path / "x.pdf"), ok=False)
    assert result.exit_code == 2
    assert f"cannot write a ledger to '{tmp_path / 'x.pdf'}'" in result.output
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_into_a_fresh_campaign(db: str, tmp_path: Path, fmt: str) -> None:
    invoke(db, "item", "progress", "WGBW-2015-0002", "--note", "制度初稿已完成", "--actor",
           "zhang-czj", "--as-of", "2015-08-20")
    exported = tmp_path / f"a.{fmt}"
    invoke(db, "ledger", CAMPAIGN, "-o", str(exported), "--as-of", "2015-08-20")
    fresh = county(str(tmp_path / "b.db"))
    result = invoke(fresh, "item", "import", CAMPAIGN, str(exported), "--actor", "lead",
                    "--as-of", "2015-08-20")
    assert "imported 4 new item(s): WGBW-2015-0001 … WGBW-2015-0004" in result.output
    if fmt == "xlsx":
        assert "(sheet '台账', header row 3)" in result.output  # found below the title rows
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    invoke(db, "ledger", CAMPAIGN, "-o", str(before), "--as-of", "2015-08-20")
    invoke(fresh, "ledger", CAMPAIGN, "-o", str(after), "--as-of", "2015-08-20")
    assert read_csv(after) == read_csv(before)
    again = invoke(fresh, "item", "import", CAMPAIGN, str(exported), "--actor", "lead",
                   "--as-of", "2015-08-21")
    assert "imported 0 new item(s)" in again.output and "4 unchanged" in again.output
    # the import ran the fresh campaign's clock up to its date: the ladder's reminders are due
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-08-21")
    wb_before, wb_after = tmp_path / "before.xlsx", tmp_path / "after.xlsx"
    invoke(db, "ledger", CAMPAIGN, "-o", str(wb_before), "--as-of", "2015-08-21")
    invoke(fresh, "ledger", CAMPAIGN, "-o", str(wb_after), "--as-of", "2015-08-21")
    for sheet in ("台账", "汇总"):
        a = [[c.value for c in r] for r in load_workbook(wb_before)[sheet].iter_rows()]
        b = [[c.value for c in r] for r in load_workbook(wb_after)[sheet].iter_rows()]
        assert a == b

"""Exports other programs open: no cell runs as a formula, Markdown shows HTML as text, and
Rectify's own ledger (CSV and XLSX) re-imports to the same titles."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from clock_fixtures import Rectify, add_planned, setup_campaign
from ledger_fixtures import CAMPAIGN, county, invoke, query, read_csv, write_csv
from openpyxl import load_workbook

from campaigns.safecells import csv_cell, csv_value, md_text

TITLES = ["=1+2", "-3", "@x", "+SUM(A1:A2)", "=HYPERLINK(\"http://x\",\"y\")", "'=quoted",
          "#N/A", "plain"]


def test_csv_cell_quotes_triggers_and_round_trips() -> None:
    for text in [*TITLES, "\tx", "\rx", "''-1", "'", "it's", "", "−3"]:
        out = csv_cell(text)
        assert csv_value(out) == text
        if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert out == "'" + text
    assert csv_cell("a=b") == "a=b" and csv_cell(-3) == -3
    assert md_text("<script>&") == "&lt;script&gt;&amp;"


@pytest.fixture
def db(tmp_path: Path) -> str:
    db = county(str(tmp_path / "a.db"))
    # typed as offices type them; the one already starting with an apostrophe is quoted
    rows = [[i, "县财政局", t if t[0] != "'" else csv_cell(t), "服务群众不热心", "自查"]
            for i, t in enumerate(TITLES, start=1)]
    src = write_csv(tmp_path / "in.csv", rows, ["序号", "单位", "问题描述", "问题类别", "问题来源"])
    invoke(db, "item", "import", CAMPAIGN, str(src), "--actor", "lead", "--as-of", "2015-08-03")
    assert [t for (t,) in query(db, "SELECT title FROM items ORDER BY seq")] == TITLES
    return db


def test_xlsx_ledger_holds_strings_not_formulas(db: str, tmp_path: Path) -> None:
    out = tmp_path / "l.xlsx"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-03")
    with zipfile.ZipFile(out) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
        xml = b"".join(zf.read(n) for n in sheets)
    assert b"<f>" not in xml and b"<f " not in xml and b't="e"' not in xml
    ws = load_workbook(out)["台账"]
    assert [ws.cell(r, 4).value for r in range(4, 4 + len(TITLES))] == TITLES
    assert all(ws.cell(r, 4).data_type == "s" for r in range(4, 4 + len(TITLES)))


def test_csv_ledger_and_listings_quote_triggers(db: str, tmp_path: Path) -> None:
    out = tmp_path / "l.csv"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-03")
    titles = [r[3] for r in read_csv(out)[1:]]
    assert titles == ["'=1+2", "'-3", "'@x", "'+SUM(A1:A2)", "'=HYPERLINK(\"http://x\",\"y\")",
                      "''=quoted", "#N/A", "plain"]
    listed = invoke(db, "item", "list", CAMPAIGN, "--csv", "--as-of", "2015-08-03").output
    rows = list(csv.DictReader(io.StringIO(listed)))
    assert [r["title"] for r in rows] == titles


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_own_ledger_reimports_to_the_same_titles(db: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"l.{fmt}"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-03")
    fresh = county(str(tmp_path / "b.db"))
    result = invoke(fresh, "item", "import", CAMPAIGN, str(out), "--actor", "lead",
                    "--as-of", "2015-08-03")
    assert f"imported {len(TITLES)} new item(s)" in result.output
    assert [t for (t,) in query(fresh, "SELECT title FROM items ORDER BY seq")] == TITLES
    again = invoke(db, "item", "import", CAMPAIGN, str(out), "--actor", "lead",
                   "--as-of", "2015-08-03")
    assert f"{len(TITLES)} unchanged" in again.output


def test_a_real_formula_in_a_workbook_is_still_refused(db: str, tmp_path: Path) -> None:
    from ledger_fixtures import write_xlsx

    path = write_xlsx(tmp_path / "f.xlsx", [[9, "县财政局", "=A1&A2", "服务群众不热心", "自查", "",
                                              "", "", ""]])
    result = invoke(db, "item", "import", CAMPAIGN, str(path), "--actor", "lead",
                    "--as-of", "2015-08-03", ok=False)
    assert result.exit_code == 1 and "the cell holds a formula (=A1&A2)" in result.output


def test_notices_csv_quotes_triggers(tmp_path: Path) -> None:
    r = Rectify(str(tmp_path / "n.db"))
    setup_campaign(r)
    add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30", title="=cmd|' /C calc'!A0")
    r.ok("tick", "wgbw-2015", "--as-of", "2015-10-02")
    rows = list(csv.DictReader(io.StringIO(r.ok("notices", "wgbw-2015", "--csv"))))
    assert rows and {x["title"] for x in rows} == {"'=cmd|' /C calc'!A0"}


def test_markdown_report_escapes_html(db: str, tmp_path: Path) -> None:
    invoke(db, "item", "add", CAMPAIGN, "--title", "<script>alert(1)</script>", "--unit", "czj",
           "--category", "cold-service", "--source", "self-inspection", "--actor", "sup",
           "--as-of", "2015-08-05")
    out = tmp_path / "r.md"
    invoke(db, "report", CAMPAIGN, "--month", "2015-08", "-o", str(out), "--as-of", "2015-08-31")
    text = out.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text

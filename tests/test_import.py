"""rectify item import: Chinese headers below a title row, located errors, all or nothing,
re-import without duplicates, conflicts and --update, states, people, and bad files."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ledger_fixtures import (
    CAMPAIGN,
    HEADERS,
    ROWS,
    count_items,
    county,
    invoke,
    query,
    read_csv,
    write_csv,
    write_xlsx,
)
from sqlalchemy.engine import Connection

from campaigns.advance import advance
from campaigns.context import Scope
from campaigns.db import Database
from campaigns.items import edit
from campaigns.people import resolve_actor
from campaigns.runs import load_run
from campaigns.units import UnitTree


@pytest.fixture
def db(tmp_path: Path) -> str:
    return county(str(tmp_path / "r.db"))


def run_import(db: str, path: Path | str, *extra: str, ok: bool = True, actor: str = "sup",
               as_of: str = "2015-08-10"):
    return invoke(db, "item", "import", CAMPAIGN, str(path), "--actor", actor, "--as-of", as_of,
                  *extra, ok=ok)


def items(db: str) -> list[tuple]:
    return query(db, """SELECT i.code, u.code, i.title, i.category, i.source, i.state, r.state,
                               r.measures, r.deadline, l.key, p.key, i.external_ref
                        FROM items i JOIN rectifications r ON r.item_id = i.id
                        JOIN units u ON u.id = i.unit_id
                        LEFT JOIN people l ON l.id = r.leader_id
                        LEFT JOIN people p ON p.id = r.person_id ORDER BY i.seq""")


# --- a clean file --------------------------------------------------------------------------------


def test_xlsx_with_title_row_and_chinese_headers(db: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "台账.xlsx", ROWS)
    result = run_import(db, path)
    assert "header row 2" in result.output
    assert "imported 4 new item(s): WGBW-2015-0001 … WGBW-2015-0004" in result.output
    rows = items(db)
    assert [r[1] for r in rows] == ["czj", "czj", "jyj", "jyj"]
    assert [r[3] for r in rows] == ["cold-service", "buck-passing", "passive-attitude",
                                    "low-standards"]  # categories matched by title
    assert [r[4] for r in rows] == ["public-report", "self-inspection", "self-inspection",
                                    "superior-review"]  # sources by title or key
    # an Excel date, 年月底, 2015/10/15 and 10月20日 (the campaign's year)
    assert [r[8] for r in rows] == ["2015-09-30", "2015-10-31", "2015-10-15", "2015-10-20"]
    assert {(r[5], r[6]) for r in rows} == {("reported", "pending")}  # the first states
    assert rows[0][7] == "开展窗口服务培训"
    assert rows[0][9:11] == ("zhang-czj", "li-czj")  # 李科长: the one in the item's unit
    assert rows[1][9] == "zhang-czj"  # a person key
    assert [r[11] for r in rows] == ["czj#1", "czj#2", "jyj#1", "jyj#2"]
    history = query(db, "SELECT trigger, payload FROM events WHERE item_id = 1 ORDER BY id")
    assert history[0][0] == "add"
    origin = json.loads(history[0][1])["import"]
    assert {k: origin[k] for k in ("file", "sheet", "row")} == {"file": "台账.xlsx", "sheet": "问题清单",
                                                               "row": 3}
    assert origin["values"]["measures"] == "开展窗口服务培训"  # what the row said, for next time


def test_the_log_records_who_is_responsible_for_an_imported_row(db: str, tmp_path: Path) -> None:
    """The replay (as-of views, audit) gives the imported 责任领导 and 责任人, as the row does."""
    run_import(db, write_xlsx(tmp_path / "台账.xlsx", ROWS))
    shown = json.loads(invoke(db, "item", "show", "WGBW-2015-0001", "--json",
                              "--as-of", "2015-08-10").output)
    assert (shown["leader"], shown["person"]) == ("张局长", "李科长")
    result = invoke(db, "audit", "verify", CAMPAIGN)
    assert result.output == "wgbw-2015: ok\n"


def test_csv_with_english_headers_in_gb18030(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "items.csv", [
        ["czj", "1", "Slow approvals", "buck-passing", "inspection", "Set time limits", "2015-09-30"],
        ["jyj", "1", "Too many meetings", "passive-attitude", "", "Cut meetings", "2015.10.8"],
    ], ["Unit", "Seq", "Title", "Category", "Source", "Measures", "Deadline"], encoding="gb18030")
    result = run_import(db, path)
    assert "imported 2 new item(s)" in result.output
    assert "rows without 问题来源 recorded as 'self-inspection'" in result.output
    rows = items(db)
    assert [(r[4], r[8]) for r in rows] == [("inspection", "2015-09-30"),
                                            ("self-inspection", "2015-10-08")]


def test_columns_option_and_named_header_row(db: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "odd.xlsx", [["财政", 7, "报销慢", "推诿扯皮不主动", "2015-09-01"]],
                      ["部门", "编号", "问题", "类型", "期限"], title="说明：本表由各单位填报")
    result = run_import(db, path, "--header-row", "2",
                        "--columns", "部门=unit,编号=seq,问题=title,类型=category,期限=deadline",
                        ok=False)
    assert "unknown unit '财政'" in result.output  # mapped, and then checked
    path = write_xlsx(tmp_path / "odd.xlsx", [["县财政局", 7, "报销慢", "推诿扯皮不主动", "2015-09-01"]],
                      ["部门", "编号", "问题", "类型", "期限"], title="说明：本表由各单位填报")
    json_map = json.dumps({"部门": "unit", "编号": "seq", "问题": "title", "类型": "category",
                           "期限": "deadline"}, ensure_ascii=False)
    result = run_import(db, path, "--header-row", "2", "--columns", json_map)
    assert "imported 1 new item(s)" in result.output
    assert items(db)[0][11] == "czj#7"


def test_merged_unit_cells_in_rows_fill_down(db: str, tmp_path: Path) -> None:
    rows = [[1, "县财政局", "问题甲", "服务群众不热心", "自查", "措施甲", "2015-09-30", "", ""],
            [2, None, "问题乙", "服务群众不热心", "自查", "措施乙", "2015-09-30", "", ""]]
    path = write_xlsx(tmp_path / "m.xlsx", rows, merges=["B3:B4"])
    run_import(db, path)
    assert [r[1] for r in items(db)] == ["czj", "czj"]


def test_dry_run_writes_nothing(db: str, tmp_path: Path) -> None:
    result = run_import(db, write_xlsx(tmp_path / "a.xlsx", ROWS), "--dry-run")
    assert "would import 4 new item(s)" in result.output
    assert count_items(db) == 0


def test_json_outcome_and_quiet_when_piped(db: str, tmp_path: Path) -> None:
    result = run_import(db, write_xlsx(tmp_path / "a.xlsx", ROWS), "--json")
    data = json.loads(result.output)  # nothing but the JSON: no progress bar when piped
    assert data["new"] == 4 and data["codes"][0] == "WGBW-2015-0001"


# --- located errors, all or nothing --------------------------------------------------------------


def test_every_bad_cell_is_located_and_nothing_is_imported(db: str, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS] + [
        [3, "县财政", "单位写错", "服务群众不热心", "自查", "措施", "2015-09-30", "", ""],
        [4, "县财政局", "类别写错", "服务不热心", "自查", "措施", "2015-09-30", "", ""],
        [5, "县财政局", "日期写错", "服务群众不热心", "自查", "措施", "九月底", "", ""],
        [6, "县财政局", "", "服务群众不热心", "自查", "措施", "2015-02-30", "", ""],
        [1, "县教育局", "重复序号", "服务群众不热心", "自查", "措施", "2015-09-30", "", ""],
        [7, "县财政局", "查无此人", "服务群众不热心", "自查", "措施", "2015-09-30", "钱局长", ""],
        [8, "县教育局", "重名", "服务群众不热心", "自查", "措施", "2015-09-30", "", "李科长"],
    ]
    result = run_import(db, write_xlsx(tmp_path / "bad.xlsx", rows), ok=False)
    assert result.exit_code == 1
    out = result.output
    assert "problem(s) in" in out and "nothing was imported" in out
    assert "sheet '问题清单' row 7 column B (单位): unknown unit '县财政'; did you mean '县财政局'?" \
        in out.replace(" — ", "; ")
    assert "row 8 column D (问题类别): unknown category '服务不热心'" in out
    assert "row 9 column G (整改时限): '九月底' is not a date" in out
    assert "row 10 column C (问题描述): 问题描述 is empty" in out
    assert "row 10 column G (整改时限): '2015-02-30' is not a real date" in out
    assert "row 11 column A (序号): duplicate of row 5 (the same 单位 and 序号)" in out
    assert "row 12 column H (责任领导): unknown person '钱局长'" in out
    assert count_items(db) == 0
    # only the clock's catch-up to the import's date stands (committed before the import's own
    # transaction, as a tick would write it): nothing of the file
    assert query(db, "SELECT count(*) FROM events WHERE machine != 'campaign' "
                     "AND actor != 'system'") == [(0,)]
    assert {m for m, in query(db, "SELECT machine FROM events WHERE actor = 'system'")} == {"stage"}


def test_ambiguous_person_names_the_keys(db: str, tmp_path: Path) -> None:
    rows = [[1, "青山镇", "问题", "服务群众不热心", "自查", "措施", "2015-09-30", "", "李科长"]]
    out = run_import(db, write_xlsx(tmp_path / "p.xlsx", rows), ok=False).output
    assert "row 3 column I (责任人): '李科长' is ambiguous: 2 people of that name" in out
    assert "li-czj" in out and "li-jyj" in out


def test_missing_columns_are_named(db: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "few.xlsx", [["县财政局", "问题"]], ["单位", "问题描述"])
    out = run_import(db, path, ok=False).output
    assert "row 2: no column for 问题类别, 序号 (or 问题编号)" in out


# --- importing again -----------------------------------------------------------------------------


def test_reimport_adds_nothing_and_reports_changed_rows(db: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    run_import(db, path)
    again = run_import(db, path, as_of="2015-08-11")
    assert "imported 0 new item(s)" in again.output and "4 unchanged" in again.output
    assert count_items(db) == 4

    changed = [list(r) for r in ROWS]
    changed[1][5] = "建立限时办结和督办制度"
    changed[2][6] = "2015-11-30"
    changed.append([3, "县教育局", "新发现的问题", "缺乏激情不进取", "自查", "措施", "2015-10-30", "", ""])
    write_xlsx(path, changed)
    conflict = run_import(db, path, as_of="2015-08-12", ok=False)
    assert conflict.exit_code == 1
    assert "2 conflict(s)" in conflict.output
    assert ("row 4: WGBW-2015-0002 changed since it was imported: "
            "整改措施 '建立限时办结制度' → '建立限时办结和督办制度'") in conflict.output
    assert "row 5: WGBW-2015-0003 changed since it was imported: 整改时限 '2015-10-15' → " \
           "'2015-11-30'" in conflict.output
    assert "give --update" in conflict.output
    assert count_items(db) == 4  # the new row waits too: all or nothing

    updated = run_import(db, path, "--update", actor="lead", as_of="2015-08-12")
    assert "imported 1 new item(s): WGBW-2015-0005" in updated.output
    assert "updated 2: WGBW-2015-0002, WGBW-2015-0003" in updated.output
    rows = items(db)
    assert rows[1][7] == "建立限时办结和督办制度" and rows[2][8] == "2015-11-30"
    edits = query(db, "SELECT payload, note FROM events WHERE trigger = 'edit' ORDER BY id")
    assert len(edits) == 2
    assert json.loads(edits[0][0])["old"] == {"measures": "建立限时办结制度"}
    assert edits[0][1] == "imported from a.xlsx row 4"
    assert "2 unchanged" in updated.output


def test_reimport_of_a_ledger_matches_by_code(db: str, tmp_path: Path) -> None:
    run_import(db, write_xlsx(tmp_path / "a.xlsx", ROWS))
    out = tmp_path / "ledger.xlsx"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-10")
    again = run_import(db, out, as_of="2015-08-10")  # 序号 there is the ledger's own numbering
    assert "0 new item(s)" in again.output and "4 unchanged" in again.output


# --- states ------------------------------------------------------------------------------------


def test_later_states_need_an_overriding_role(db: str, tmp_path: Path) -> None:
    rows = [r + [s, c] for r, s, c in zip(ROWS, ["整改中", "已销号", "", "待核实"],
                                          [None, "2015-08-09", None, None], strict=True)]
    path = write_xlsx(tmp_path / "s.xlsx", rows, HEADERS + ["状态", "销号日期"])
    refused = run_import(db, path, actor="sup", ok=False)
    assert "2 refused row(s)" in refused.output
    assert "row 3 column J (状态): importing an item as 整改中 takes a role that may override " \
           "(lead-office); 'sup' has none" in refused.output
    assert count_items(db) == 0

    run_import(db, path, actor="lead")
    rows_now = items(db)
    assert [(r[5], r[6]) for r in rows_now] == [("confirmed", "in_progress"), ("closed", "verified"),
                                                ("reported", "pending"), ("reported", "pending")]
    assert query(db, "SELECT closed_on FROM items WHERE seq = 2") == [("2015-08-09",)]
    moves = query(db, "SELECT machine, from_state, to_state, actor FROM events "
                      "WHERE trigger = 'import' ORDER BY id")
    assert moves == [("item", "reported", "confirmed", "lead"),
                     ("rectification", "pending", "in_progress", "lead"),
                     ("item", "reported", "closed", "lead"),
                     ("rectification", "pending", "verified", "lead")]


def test_unknown_state_and_closing_date_without_closed_state(db: str, tmp_path: Path) -> None:
    rows = [ROWS[0] + ["办理中", None], ROWS[1] + ["整改中", "2015-08-01"]]
    path = write_xlsx(tmp_path / "s.xlsx", rows, HEADERS + ["状态", "销号日期"])
    out = run_import(db, path, actor="lead", ok=False).output
    assert "row 3 column J (状态): unknown state '办理中'" in out
    assert "known: 待核实, 待制定方案" in out
    assert "row 4 column K (销号日期): a 销号日期 is given but 状态 is 整改中" in out


# --- bad files ---------------------------------------------------------------------------------


def test_wrong_file_type(db: str, tmp_path: Path) -> None:
    path = tmp_path / "台账.docx"
    path.write_bytes(b"PK\x03\x04 not really")
    out = run_import(db, path, ok=False).output
    assert "cannot import '台账.docx': not a spreadsheet" in out


def test_old_xls_and_password_protected_workbooks(db: str, tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(ole + "Workbook".encode("utf-16-le"))
    assert "old Excel 97-2003 (.xls) workbook" in run_import(db, xls, ok=False).output
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100)
    out = run_import(db, locked, ok=False).output
    assert "locked.xlsx is password-protected (encrypted)" in out
    assert "remove the password" in out
    assert count_items(db) == 0


def test_corrupt_workbooks(db: str, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"this is not a workbook at all")
    assert "garbage.xlsx is not an Excel workbook (.xlsx)" in run_import(db, garbage, ok=False).output
    good = write_xlsx(tmp_path / "good.xlsx", ROWS)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    out = run_import(db, truncated, ok=False).output
    assert "truncated.xlsx is damaged" in out and "Traceback" not in out
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # XML cut off in the middle
            dst.writestr(info, data)
    out = run_import(db, broken, ok=False).output
    assert result_is_clean_error(out, "broken.xlsx")
    assert count_items(db) == 0


def result_is_clean_error(output: str, name: str) -> bool:
    return output.startswith("Error: ") and name in output and "Traceback" not in output


def test_empty_sheet_and_no_rows(db: str, tmp_path: Path) -> None:
    from openpyxl import Workbook

    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    assert "sheet 'Sheet' is empty" in run_import(db, empty, ok=False).output
    only_header = write_xlsx(tmp_path / "header.xlsx", [])
    assert "no rows below the header (row 2)" in run_import(db, only_header, ok=False).output
    assert "no sheet 'x'" in run_import(db, only_header, "--sheet", "x", ok=False).output


def test_merged_header_cells(db: str, tmp_path: Path) -> None:
    headers = HEADERS[:6] + ["整改时限", None, "责任领导", "责任人"]
    rows = [r[:7] + [None] + r[7:] for r in ROWS]
    path = write_xlsx(tmp_path / "merged.xlsx", rows, headers, merges=["G2:H2"])
    out = run_import(db, path, ok=False).output
    assert "sheet '问题清单' row 2: merged header cells G2:H2" in out
    assert "unmerge the header cells" in out


def test_formula_in_a_date_cell(db: str, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][6] = "=DATE(2015,10,31)"
    out = run_import(db, write_xlsx(tmp_path / "f.xlsx", rows), ok=False).output
    assert "row 4 column G (整改时限): the cell holds a formula (=DATE(2015,10,31)), not a value" in out
    assert "paste it back as values" in out


def test_file_over_the_size_limit(db: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "big.xlsx", ROWS * 5)
    out = run_import(db, path, "--max-size", "1KB", ok=False).output
    assert "over the import limit of 1024 bytes" in out and "--max-size" in out
    csv_path = write_csv(tmp_path / "big.csv", [r[:7] for r in ROWS] * 20, HEADERS[:7])
    result = invoke(db, "item", "import", CAMPAIGN, str(csv_path), "--actor", "sup",
                    "--as-of", "2015-08-10", ok=False, env={"RECTIFY_IMPORT_MAX_SIZE": "200B"})
    assert "over the import limit of 200 bytes" in result.output
    assert count_items(db) == 0


def test_bad_columns_option(db: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    out = run_import(db, path, "--columns", "单位=unitt", ok=False).output
    assert "--columns maps '单位' to unknown field 'unitt'" in out and "did you mean 'unit'" in out


def test_dates_as_offices_type_them() -> None:
    from campaigns.importer import cell_date

    start = dt.date(2015, 7, 1)
    cases = {"2015-09-30": (2015, 9, 30), "2015/9/30": (2015, 9, 30), "2015.9.30": (2015, 9, 30),
             "2015年9月30日": (2015, 9, 30), "2015年9月30日前": (2015, 9, 30),
             "20150930": (2015, 9, 30), "2015年9月底": (2015, 9, 30), "2015年9月": (2015, 9, 30),
             "2015-09": (2015, 9, 30), "9月30日": (2015, 9, 30), "3月1日": (2016, 3, 1),
             "9月底前": (2015, 9, 30), "2015年底": (2015, 12, 31), "２０１５年９月３０日": (2015, 9, 30),
             "2015-09-30 00:00:00": (2015, 9, 30)}
    for text, expected in cases.items():
        assert cell_date(text, start, False) == dt.date(*expected), text
    assert cell_date(42277, start, True) == dt.date(2015, 9, 30)  # an unformatted Excel date
    assert cell_date(dt.datetime(2015, 9, 30, 0, 0), start, True) == dt.date(2015, 9, 30)


def test_work_done_since_is_not_a_conflict(db: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    run_import(db, path)
    invoke(db, "item", "advance", "confirm", "WGBW-2015-0001", "--actor", "sup", "--as-of", "2015-08-11")
    invoke(db, "item", "rectify", "WGBW-2015-0001", "--measures", "培训并公开承诺", "--deadline",
           "2015-09-15", "--actor", "zhang-czj", "--as-of", "2015-08-11")
    again = run_import(db, path, as_of="2015-08-12")  # an older file: Rectify's values stand
    assert "4 unchanged" in again.output
    assert items(db)[0][7:9] == ("培训并公开承诺", "2015-09-15")
    changed = [list(r) for r in ROWS]
    changed[0][6] = "2015-10-15"  # but the office did change this cell
    write_xlsx(path, changed)
    conflict = run_import(db, path, as_of="2015-08-12", ok=False).output
    assert "1 conflict(s)" in conflict
    assert "WGBW-2015-0001 changed since it was imported: 整改时限 '2015-09-15' → '2015-10-15'" in conflict
    run_import(db, path, "--update", actor="lead", as_of="2015-08-12")
    assert items(db)[0][7:9] == ("培训并公开承诺", "2015-10-15")
    assert "4 unchanged" in run_import(db, path, as_of="2015-08-13").output


def test_import_and_ledger_on_postgresql(pg_db_url: str, tmp_path: Path) -> None:
    db = county(pg_db_url)
    rows = [r + [s] for r, s in zip(ROWS, ["整改中", "", "", ""], strict=True)]
    path = write_xlsx(tmp_path / "a.xlsx", rows, HEADERS + ["状态"])
    assert "imported 4 new item(s)" in run_import(db, path, actor="lead").output
    assert "4 unchanged" in run_import(db, path, actor="lead", as_of="2015-08-11").output
    out = tmp_path / "l.csv"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-11")
    ledger = read_csv(out)
    assert [r[12] for r in ledger[1:]] == ["整改中", "待核实", "待核实", "待核实"]
    assert ledger[1][9] == "2015-09-30"
    invoke(db, "report", CAMPAIGN, "--month", "2015-08", "-o", str(tmp_path / "r.md"),
           "--as-of", "2015-08-31")
    assert "问题总数 4 条" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_batches_already_written_are_undone_by_a_late_bad_row(db: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import campaigns.importer.importing

    monkeypatch.setattr(campaigns.importer.importing, "BATCH", 2)  # rows are written two at a time
    rows = [list(r) for r in ROWS] + [[9, "县财政局", "最后一行", "服务不热心", "自查", "措施",
                                       "2015-09-30", "", ""]]
    out = run_import(db, write_xlsx(tmp_path / "late.xlsx", rows), ok=False).output
    assert "1 problem(s)" in out and "row 7 column D (问题类别)" in out
    assert count_items(db) == 0
    assert query(db, "SELECT count(*) FROM events WHERE item_id IS NOT NULL") == [(0,)]
    assert "imported 5 new item(s)" in run_import(db, write_xlsx(
        tmp_path / "ok.xlsx", rows[:4] + [rows[4][:3] + ["服务群众不热心"] + rows[4][4:]])).output


# --- a change by someone else while the file is imported ----------------------------------------

# What the file changes in WGBW-2015-0002, and what someone else changes in it meanwhile: the
# same rectification field, or a state change of the item while the file changes a field of it.
RACES = {
    "same field": ((1, 5, "建立限时办结和督办制度"),
                   lambda conn, run, actor: edit(Scope(conn, run, actor, DAY), "WGBW-2015-0002",
                                                 {"measures": "另行制定的措施"}, None)),
    "state change": ((1, 2, "项目资金拨付严重拖延"),
                     lambda conn, run, actor: advance(conn, "confirm", ["WGBW-2015-0002"], actor,
                                                      None, DAY)),
}
DAY = dt.date(2015, 8, 11)


def change_after_read(monkeypatch: pytest.MonkeyPatch, change: Callable[[Connection], None]) -> None:
    """Run ``change`` right after the importer has read the campaign's items."""
    import campaigns.importer.importing as importing

    read = importing.existing_items

    def read_then_change(*args: Any) -> Any:
        found = read(*args)
        change(args[0] if isinstance(args[0], Connection) else args[0].conn)
        return found

    monkeypatch.setattr(importing, "existing_items", read_then_change)


# The same changes as plain SQL, for PostgreSQL: every writer of the pipeline takes the campaign's
# event-log head first and so waits for the import to finish; only a writer outside it (an older
# tool, a hand-made fix) can come between the import's read and its write, and the version check
# must still catch that.
RAW = {
    "same field": "UPDATE rectifications SET measures = '另行制定的措施', version = version + 1 "
                  "WHERE item_id = (SELECT id FROM items WHERE code = 'WGBW-2015-0002')",
    "state change": "UPDATE items SET state = 'confirmed', version = version + 1 "
                    "WHERE code = 'WGBW-2015-0002'",
}


def someone_else(url: str, race: str) -> Callable[[Connection], None]:
    """Another writer's change: in the importer's own transaction on SQLite (it takes the write
    lock first, so no other writer can come between), committed apart on PostgreSQL."""
    def apply(conn: Connection) -> None:
        run = load_run(conn, CAMPAIGN)
        RACES[race][1](conn, run, resolve_actor(conn, "lead", set(run.definition.roles)))

    def apply_elsewhere(_: Connection) -> None:
        store = Database(url)
        with store.write() as conn:
            conn.exec_driver_sql(RAW[race])
        store.engine.dispose()

    return apply if url.endswith(".db") else apply_elsewhere


@pytest.mark.parametrize("race", sorted(RACES))
def test_update_refuses_to_overwrite_a_change_made_meanwhile(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, race: str) -> None:
    assert_update_conflicts(db, tmp_path, monkeypatch, race)


@pytest.mark.parametrize("race", sorted(RACES))
def test_update_refuses_to_overwrite_a_change_made_meanwhile_on_postgresql(
        pg_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, race: str) -> None:
    assert_update_conflicts(county(pg_db_url), tmp_path, monkeypatch, race)


def assert_update_conflicts(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            race: str) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    run_import(db, path)
    (row, col, value), _ = RACES[race]
    changed = [list(r) for r in ROWS]
    changed[row][col] = value
    write_xlsx(path, changed)
    before = snapshot(db)
    change_after_read(monkeypatch, someone_else(db, race))
    out = run_import(db, path, "--update", actor="lead", as_of="2015-08-12", ok=False)
    assert out.exit_code == 3, out.output
    assert "changed by someone else" in out.output
    after = snapshot(db)
    if db.endswith(".db"):  # the other change was in the same transaction: undone with it
        assert after == before
    else:  # the other writer's change stands, and nothing of the import was written
        assert after["imports"] == before["imports"]
        assert after["events"] == before["events"]
        item = after["items"][1]
        if race == "same field":
            assert item[7] == "另行制定的措施"
        else:
            assert item[2] == "项目资金拨付拖延" and item[5] != before["items"][1][5]


def snapshot(db: str) -> dict[str, Any]:
    """The items, and how many events there are and how many of them the importer wrote."""
    engine = sa.create_engine(db if "://" in db else f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            events = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
            imports = conn.execute(sa.text(
                "SELECT count(*) FROM events WHERE note LIKE 'imported from%'")).scalar_one()
            rows = [tuple(r) for r in conn.execute(sa.text(
                """SELECT i.code, u.code, i.title, i.category, i.source, i.state, r.state,
                          r.measures, r.deadline FROM items i
                   JOIN rectifications r ON r.item_id = i.id JOIN units u ON u.id = i.unit_id
                   ORDER BY i.seq"""))]
    finally:
        engine.dispose()
    return {"events": events, "imports": imports, "items": rows}


def test_plan_row_moves_takes_an_item_to_its_row_state_and_stamps_what_the_path_stamps(
        db: str) -> None:
    from campaigns.importer import Current, Parsed, plan_row_moves
    from campaigns.standing import parse_state, resting_pairs

    with Database(db).read() as conn:
        run = load_run(conn, CAMPAIGN)
        unit = UnitTree.load(conn).find("czj")
        actor = resolve_actor(conn, "lead", set(run.definition.roles))
    d = run.definition
    first = (d.machines["item"].initial, d.machines["rectification"].initial)
    closed = parse_state(d, "已销号")
    row = Parsed(7, "czj#1", None, {"closed_on": dt.date(2015, 8, 1)}, unit, closed,
                 resting_pairs(d)[closed])
    origin = {"file": "a.xlsx", "sheet": None, "row": 7}
    item = Current(10, 4, first[0], 20, 2, first[1], dt.date(2015, 9, 30))
    moves = plan_row_moves(run, row, item, actor, dt.date(2015, 8, 10), origin)
    assert [(m.machine, m.subject_id, m.version, m.from_state, m.to_state, m.trigger)
            for m in moves] == [("item", 10, 4, first[0], closed[0], "import"),
                                ("rectification", 20, 2, first[1], closed[1], "import")]
    assert moves[0].changes == {"closed_on": dt.date(2015, 8, 1)}
    assert moves[0].payload == {**origin, "closed_on": "2015-08-01"}
    assert moves[1].changes == {"submitted_on": dt.date(2015, 8, 10),
                                "completed_on": dt.date(2015, 8, 10)}
    assert moves[1].payload == {**origin, "deadline": "2015-09-30"}
    assert all(m.note == "imported from a.xlsx row 7" and m.actor == "lead" for m in moves)
    at_rest = Parsed(7, "czj#1", None, {}, unit, first, resting_pairs(d)[first])
    assert plan_row_moves(run, at_rest, item, actor, dt.date(2015, 8, 10), origin) == []
    assert plan_row_moves(run, Parsed(7, "czj#1", None, {}, unit), item, actor,
                          dt.date(2015, 8, 10), origin) == []


def test_an_update_first_writes_what_the_clock_owed(db: str, tmp_path: Path) -> None:
    """The rows an import changes get the ladder steps due before its date first, dated the day
    each fell due, as a daily tick would have written them (docs/deadlines.md)."""
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    run_import(db, path)
    # imported rows await confirmation (the ladder does not apply yet): this one is put to work
    invoke(db, "item", "advance", "confirm", "WGBW-2015-0001", "--actor", "sup", "--as-of", "2015-08-11")
    invoke(db, "item", "rectify", "WGBW-2015-0001", "--measures", "开展窗口服务培训", "--actor",
           "zhang-czj", "--as-of", "2015-08-11")
    changed = [list(r) for r in ROWS]
    changed[0][5] = "开展窗口服务培训并回访"
    write_xlsx(path, changed)
    run_import(db, path, "--update", actor="lead", as_of="2015-11-10")
    log = query(db, "SELECT e.id, e.trigger, e.business_date, e.rule FROM events e "
                    "JOIN items i ON i.id = e.item_id WHERE i.code = 'WGBW-2015-0001' ORDER BY e.seq")
    edit = next(row for row in log if row[1] == "edit")
    steps = [row for row in log if row[1] == "escalate"]
    assert steps and all(row[0] < edit[0] and row[2] < "2015-11-10" for row in steps), log
    assert [row[3] for row in steps][0] == "escalation.reminder"
    assert query(db, "SELECT ticked_to FROM ticks") == [("2015-11-10",)]


def test_observers_see_each_imported_event_as_stored(db: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk writer hands the writer's observers (the notification outbox) each event's row
    as the single-event path does: its columns as inserted, the payload as a value."""
    from engine.io import writer

    seen: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(writer, "OBSERVERS", [*writer.OBSERVERS, lambda conn, events, streams, rows:
                                              seen.extend(zip(streams, rows, strict=True))])
    rows = [r + [s] for r, s in zip(ROWS, ["已销号", "整改中", "", "待核实"], strict=True)]
    run_import(db, write_csv(tmp_path / "l.csv", rows, HEADERS + ["状态"]), actor="lead")
    stored = query(db, "SELECT seq, trigger, machine, item_id, campaign_id, subject_key, hash, "
                       "prev_hash, business_date, payload, payload_version, note FROM events "
                       "WHERE trigger IN ('add', 'import', 'progress') ORDER BY seq")
    imported = [(stream, row) for stream, row in seen if row["trigger"] in ("add", "import",
                                                                            "progress")]
    assert len(imported) == len(stored) > 4  # the adds, the moves to 已销号 and 整改中
    assert {stream for stream, _ in imported} == {CAMPAIGN}
    for (_, row), event in zip(imported, stored, strict=True):
        assert (row["seq"], row["trigger"], row["machine"], row["item_id"], row["campaign_id"],
                row["subject_key"], row["hash"], row["prev_hash"],
                row["business_date"].isoformat(), row["payload_json"], row["payload_version"],
                row["note"]) == event
        assert row["payload"] == json.loads(event[9])

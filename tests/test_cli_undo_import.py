"""Undoing an import as a whole batch, and an item's recording: the items it recorded are retired.

Each test runs ``rectify`` on a real SQLite file (the seed-001 campaign of ledger_fixtures: lead
may override, sup may not) with a CSV ledger the test writes, and checks what a user sees.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import CAMPAIGN, HEADERS, ROWS, county, invoke, write_csv

CODES = [f"WGBW-2015-{n:04d}" for n in range(1, 5)]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return county(str(tmp_path / "undo-import.db"))


def imported(db: str, tmp_path: Path, rows: list[list[Any]] = ROWS, *extra: str,
             day: str = "2015-08-10", name: str = "a.csv", headers: list[str] = HEADERS,
             actor: str = "sup") -> str:
    path = write_csv(tmp_path / name, rows, headers)
    return invoke(db, "item", "import", CAMPAIGN, str(path), "--actor", actor, "--as-of", day,
                  *extra).output


def batches(db: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(invoke(db, "campaign", "batches", CAMPAIGN,
                                                   "--json").output)
    return data


def import_batch(db: str) -> int:
    return next(int(b["batch"]) for b in batches(db) if b["kind"] == "import"
                and b["status"] == "standing")


def undo(db: str, batch: int, day: str = "2015-08-12", actor: str = "lead", ok: bool = True
         ) -> Any:
    return invoke(db, "campaign", "undo", CAMPAIGN, "--batch", str(batch), "--note", "导错了文件",
                  "--actor", actor, "--as-of", day, ok=ok)


def codes(db: str, day: str | None = None) -> list[str]:
    args = ["--as-of", day] if day else []
    rows = json.loads(invoke(db, "item", "list", CAMPAIGN, "--json", *args).output)
    return [r["code"] for r in rows]


def status(db: str, day: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(invoke(db, "campaign", "status", CAMPAIGN, "--json",
                                             "--as-of", day).output)
    return data


def verified(db: str) -> None:
    assert invoke(db, "audit", "verify", CAMPAIGN).output.strip() == f"{CAMPAIGN}: ok"


def query(db: str, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_an_import_is_undone_as_a_batch_and_its_items_leave_every_view(db: str,
                                                                         tmp_path: Path) -> None:
    assert "imported 4 new item(s)" in imported(db, tmp_path)
    batch = import_batch(db)
    out = undo(db, batch).output
    assert f"undid import of 2015-08-10 (batch {batch})" in out
    assert "4 item(s) withdrawn, counted nowhere from 2015-08-12 (codes not reused): " \
           + ", ".join(CODES) in out
    assert next(b for b in batches(db) if b["batch"] == batch)["status"] == "undone"
    # the past still shows them; from the undo on nothing does
    assert codes(db, "2015-08-11") == CODES
    assert status(db, "2015-08-11")["items"] == 4
    assert codes(db, "2015-08-12") == codes(db) == []
    assert status(db, "2015-08-12")["items"] == 0
    ledger = tmp_path / "ledger.csv"
    invoke(db, "ledger", CAMPAIGN, "-o", str(ledger), "--as-of", "2015-08-12")
    assert not any(c in ledger.read_text(encoding="utf-8-sig") for c in CODES)
    report = tmp_path / "r.md"
    invoke(db, "report", CAMPAIGN, "--month", "2015-08", "-o", str(report), "--as-of", "2015-08-31")
    assert "问题总数 0 条" in report.read_text(encoding="utf-8")
    # the item says what happened to it, and takes no further change
    shown = json.loads(invoke(db, "item", "show", CODES[0], "--json").output)
    assert shown["withdrawn"].startswith("withdrawn by an undo of its recording on 2015-08-12 "
                                         "by lead (导错了文件)")
    assert [h["trigger"] for h in shown["history"]] == ["add", "undo", "undo"]
    refused = invoke(db, "item", "advance", "confirm", CODES[0], "--actor", "sup", "--note", "n",
                     "--as-of", "2015-08-13", ok=False)
    assert refused.exit_code == 1 and "was withdrawn by an undo" in refused.output
    # the add is never edited or deleted; the rows stay with their codes
    assert query(db, "SELECT count(*) FROM events WHERE trigger = 'add'") == [(4,)]
    assert len(query(db, "SELECT id FROM items WHERE retired_on = '2015-08-12'")) == 4
    # the counts stage guards ask for leave them out too
    from campaigns.db import Database
    from campaigns.figures import StoreFigures
    from campaigns.runs import load_run

    with Database(f"sqlite:///{db}").read() as conn:
        figures = StoreFigures(conn, load_run(conn, CAMPAIGN))
        assert (figures.count("item"), figures.count("rectification"),
                figures.figure("open_not_long_term")) == (0, 0, 0)
    verified(db)


def test_codes_are_never_given_again_and_the_file_imports_anew(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    undo(db, import_batch(db))
    code = invoke(db, "item", "add", CAMPAIGN, "--title", "新问题", "--unit", "czj",
                  "--category", "dare-not-develop", "--source", "media", "--actor", "sup",
                  "--as-of", "2015-08-13").output.strip()
    assert code == "WGBW-2015-0005"
    again = imported(db, tmp_path, day="2015-08-14")  # recognised rows were withdrawn: new items
    assert "imported 4 new item(s): WGBW-2015-0006 … WGBW-2015-0009" in again
    assert codes(db) == [f"WGBW-2015-{n:04d}" for n in range(5, 10)]
    verified(db)


def test_undo_is_refused_after_a_later_change_on_one_of_its_items(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    batch = import_batch(db)
    invoke(db, "item", "advance", "confirm", CODES[1], "--actor", "sup", "--note", "核实",
           "--as-of", "2015-08-11")
    refused = undo(db, batch, ok=False)
    assert refused.exit_code == 1
    assert f"a later change on {CODES[1]} ('confirm' of 2015-08-11) still stands" in refused.output
    assert codes(db) == CODES  # nothing changed
    # undo the later change first, then the import goes as a whole
    invoke(db, "item", "undo", CODES[1], "--note", "误点", "--actor", "lead",
           "--as-of", "2015-08-11")
    undo(db, batch)
    assert codes(db) == []
    verified(db)


def test_only_a_role_that_may_override_undoes_an_import(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    refused = undo(db, import_batch(db), actor="sup", ok=False)
    assert refused.exit_code == 1 and "holds no role that may undo" in refused.output
    assert codes(db) == CODES


def test_the_clock_never_escalates_a_retired_item(db: str, tmp_path: Path) -> None:
    working = [[*r, "整改中"] for r in ROWS]  # imported under way: the ladder applies to them
    imported(db, tmp_path, working, headers=[*HEADERS, "状态"], actor="lead")
    undo(db, import_batch(db))
    kept = [[9, "县财政局", "另一个问题", "服务群众不热心", "自查", "措施", "2015-09-30", "", "",
             "整改中"]]
    imported(db, tmp_path, kept, day="2015-08-13", name="b.csv", headers=[*HEADERS, "状态"],
             actor="lead")
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-12-31")
    escalated = query(db, "SELECT DISTINCT subject_key FROM events WHERE trigger = 'escalate'")
    assert escalated == [("WGBW-2015-0005",)]  # the live one climbed; the retired ones did not
    assert query(db, "SELECT count(*) FROM notices n JOIN rectifications r "
                     "ON r.id = n.rectification_id WHERE r.retired_on IS NOT NULL") == [(0,)]
    assert codes(db) == ["WGBW-2015-0005"]
    verified(db)


def test_an_update_import_is_put_back_and_its_new_items_retired(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    changed = [list(r) for r in ROWS]
    changed[1][5] = "建立限时办结和督办制度"
    changed[2][6] = "2015-11-30"
    changed.append([3, "县教育局", "新发现的问题", "缺乏激情不进取", "自查", "措施", "2015-10-30", "",
                    ""])
    # measures are the unit's and facts supervision's to correct: the office may do both
    out = imported(db, tmp_path, changed, "--update", day="2015-08-12", name="b.csv", actor="lead")
    assert "updated 2: WGBW-2015-0002, WGBW-2015-0003" in out
    batch = import_batch(db)
    undone = undo(db, batch, day="2015-08-13").output
    assert "1 item(s) withdrawn" in undone and "WGBW-2015-0005" in undone
    rows = {r["code"]: r for r in json.loads(invoke(db, "item", "list", CAMPAIGN, "--json").output)}
    assert sorted(rows) == CODES
    assert rows["WGBW-2015-0003"]["deadline"] == "2015-10-15"
    shown = json.loads(invoke(db, "item", "show", "WGBW-2015-0002", "--json").output)
    assert shown["measures"] == "建立限时办结制度"
    assert json.loads(invoke(db, "item", "show", "WGBW-2015-0002", "--json", "--as-of",
                             "2015-08-12").output)["measures"] == "建立限时办结和督办制度"
    verified(db)
    # the first import still stands as a batch of its own
    assert import_batch(db) < batch


def test_item_undo_of_a_recording_retires_that_item(db: str) -> None:
    add = ("item", "add", CAMPAIGN, "--title", "窗口服务差", "--unit", "czj", "--category",
           "dare-not-develop", "--source", "media", "--actor", "sup")
    first = invoke(db, *add, "--as-of", "2015-07-02").output.strip()
    second = invoke(db, *add, "--as-of", "2015-07-02").output.strip()
    invoke(db, "item", "advance", "confirm", second, "--actor", "sup", "--note", "n",
           "--as-of", "2015-07-03")
    out = invoke(db, "item", "undo", second, "--note", "误点", "--actor", "lead").output
    assert "undid 'confirm' of 2015-07-03" in out and "withdrawn" not in out  # the latest first
    out = invoke(db, "item", "undo", first, "--note", "重复登记", "--actor", "lead",
                 "--as-of", "2015-07-03").output
    assert f"1 item(s) withdrawn, counted nowhere from 2015-07-03 (codes not reused): {first}" in out
    assert codes(db, "2015-07-02") == [first, second]
    assert codes(db) == [second]
    again = invoke(db, "item", "undo", first, "--note", "再次", "--actor", "lead", ok=False)
    assert again.exit_code == 1 and "already withdrawn" in again.output
    verified(db)

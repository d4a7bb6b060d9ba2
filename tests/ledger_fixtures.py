"""Shared set-up for the ledger, import, report, board and confidentiality tests.

A county with two bureaus and a township, people in each, and the seed-001 campaign
(wgbw-2015) started on 2015-07-01; helpers to run the CLI against a real SQLite file and to
write ledgers as offices make them (a merged title row above the headers).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from campaigns.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = str(ROOT / "definitions" / "wgbw-2015.yaml")
CAMPAIGN = "wgbw-2015"
START = "2015-07-01"

HEADERS = ["序号", "单位", "问题描述", "问题类别", "问题来源", "整改措施", "整改时限", "责任领导", "责任人"]
ROWS: list[list[Any]] = [
    [1, "县财政局", "窗口服务态度生硬", "服务群众不热心", "群众反映举报", "开展窗口服务培训",
     dt.datetime(2015, 9, 30), "张局长", "李科长"],
    [2, "县财政局", "项目资金拨付拖延", "推诿扯皮不主动", "自查", "建立限时办结制度",
     "2015年10月底", "zhang-czj", ""],
    [1, "县教育局", "会议文件过多", "工作态度不积极", "self-inspection", "精简会议文件",
     "2015/10/15", "", ""],
    [2, "县教育局", "检查考核过多", "降低标准不尽责", "上级点评", "合并检查事项",
     "10月20日", "", ""],
]


def invoke(db: str, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> Result:
    """Run ``rectify ARGS`` against ``db``; with ``ok`` the command must succeed."""
    result = CliRunner().invoke(cli, list(args), env={"RECTIFY_DB": db, **(env or {})},
                                catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, f"rectify {' '.join(args)} failed:\n{result.output}"
    return result


def county(db: str, start: bool = True, definition: str = DEFINITION) -> str:
    """Initialise ``db`` with units, people and (optionally) the campaign; returns ``db``."""
    invoke(db, "init", "--admin", "admin")
    for code, title, parent in (("county", "某县", None), ("czj", "县财政局", "county"),
                                ("jyj", "县教育局", "county"), ("qsz", "青山镇", "county"),
                                ("czj-office", "办公室", "czj"), ("jyj-office", "办公室", "jyj")):
        invoke(db, "unit", "add", "--actor", "admin",
               code, "--title", title, *(["--parent", parent] if parent else []))
    for key, name, unit, roles in (
            ("lead", "王主任", "county", ["lead-office"]),
            ("sup", "赵督查", "county", ["supervision-office"]),
            ("zhang-czj", "张局长", "czj", ["unit-head"]),
            ("li-czj", "李科长", "czj", []),
            ("li-jyj", "李科长", "jyj", []),
            ("chen-jyj", "陈局长", "jyj", ["unit-head"]),
            ("wu-qsz", "吴镇长", "qsz", ["unit-head"])):
        invoke(db, "person", "add", "--actor", "admin", key, "--name", name, "--unit", unit,
               *[a for r in roles for a in ("--role", r)])
    if start:
        invoke(db, "campaign", "start", definition, "--start", START, "--actor", "lead")
    return db


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS, *,
               title: str | None = "某县为官不为问题整改台账", sheet: str = "问题清单",
               merges: Sequence[str] = ()) -> Path:
    """A ledger as offices make it: a merged title row, then the header row, then rows."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title is not None:
        ws.append([title])
        ws.merge_cells(f"A1:{get_column_letter(len(headers))}1")
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str],
              encoding: str = "utf-8-sig") -> Path:
    import csv

    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def count_items(db: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]


def query(db: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def read_csv(path: str | os.PathLike[str]) -> list[list[str]]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def progressed_campaign(db: str) -> list[str]:
    """Four items moved along: one closed, one in progress and overdue by September, one
    still unverified, one dismissed as untrue.  Returns their codes."""
    codes = []
    for title, unit, cat, src in (("窗口服务态度生硬", "czj", "cold-service", "public-report"),
                                  ("项目资金拨付拖延", "czj", "buck-passing", "self-inspection"),
                                  ("会议文件过多", "jyj", "passive-attitude", "self-inspection"),
                                  ("匿名反映收受红包", "qsz", "low-standards", "public-report")):
        codes.append(invoke(db, "item", "add", CAMPAIGN, "--title", title, "--unit", unit,
                            "--category", cat, "--source", src, "--actor", "sup",
                            "--as-of", "2015-08-03").output.strip())
    a, b, _c, d = codes
    invoke(db, "item", "advance", "confirm", a, b, "--actor", "sup", "--as-of", "2015-08-04")
    invoke(db, "item", "rectify", a, "--measures", "开展窗口服务培训", "--deadline", "2015-08-20",
           "--leader", "zhang-czj", "--person", "li-czj", "--actor", "zhang-czj",
           "--as-of", "2015-08-05")
    invoke(db, "item", "rectify", b, "--measures", "建立限时办结制度", "--deadline", "2015-08-25",
           "--leader", "zhang-czj", "--actor", "zhang-czj", "--as-of", "2015-08-05")
    invoke(db, "item", "progress", a, "--note", "已培训窗口人员12人", "--actor", "zhang-czj",
           "--as-of", "2015-08-10")
    invoke(db, "item", "advance", "submit", a, "--actor", "zhang-czj", "--as-of", "2015-08-15")
    invoke(db, "item", "advance", "verify", a, "--actor", "sup", "--as-of", "2015-08-18")
    invoke(db, "item", "advance", "dismiss", d, "--note", "经核实不属实", "--actor", "sup",
           "--as-of", "2015-08-19")
    return codes

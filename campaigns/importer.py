"""Importing problem items and their rectifications from a ledger (台账) spreadsheet.

All or nothing: every row is read and checked first, and every bad cell is reported with its
sheet, row and column; only a clean file is written, in one transaction, with bulk inserts.
A row is recognised again by its unit and 序号 (kept as the item's ``external_ref``) or by its
item code, so importing the same file twice adds nothing; rows whose facts changed since are
reported as conflicts, or applied (and recorded as edits) with ``update``.

Items enter their lifecycle's first states.  A row whose 状态 names a later state is imported
in that state only by an actor whose role may override (``overrides: true``); the move is
recorded as an ``import`` event of each machine it moves.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from engine.core.errors import EngineError, InvalidInput, Refused
from engine.core.machines import Actor
from engine.io.store import now
from engine.io.writer import Entry

from . import events as ev
from .items import _check_choice
from .plugin import CONFIDENTIAL_FIELDS, ITEM_FIELDS
from .runs import Run, require_forward
from .standing import Pair, Path, closing_states, label, latest_progress, parse_state, resting_pairs
from .tables import (
    EVENTS as E,
    ITEMS as I,
    PEOPLE as P,
    PROGRESS as PR,
    RECTIFICATIONS as R,
    SECRETS,
    STAGES as S,
)
from .tabular import MAX_BYTES, Sheet, csv_sheet
from .units import UnitRow, UnitTree

HEADER_SCAN = 30  # rows searched for the header row when it is not named
FIELDS = tuple(dict.fromkeys((*ITEM_FIELDS, "original_deadline")))
DATE_FIELDS = ("deadline", "original_deadline", "found_on", "closed_on")
REQUIRED = ("unit", "title", "category")

# Headers offices use, Chinese and English; a definition's ``import.columns`` and --columns
# add to (and override) these.  Keys are compared after ``normalize_header``.
HEADERS: dict[str, str] = {
    **dict.fromkeys(["序号", "seq", "no", "no.", "#", "number"], "seq"),
    **dict.fromkeys(["问题编号", "编码", "code", "itemcode"], "code"),
    **dict.fromkeys(["单位", "责任单位", "单位名称", "所在单位", "unit"], "unit"),
    **dict.fromkeys(["问题描述", "问题", "存在问题", "主要问题", "问题表现", "problem", "title"],
                    "title"),
    **dict.fromkeys(["具体表现", "问题详情", "详细描述", "description"], "description"),
    **dict.fromkeys(["问题类别", "问题类型", "类别", "category"], "category"),
    **dict.fromkeys(["问题来源", "来源", "source"], "source"),
    **dict.fromkeys(["举报人", "反映人", "reporter"], "reporter"),
    **dict.fromkeys(["举报人联系方式", "反映人联系方式", "联系方式", "reportercontact",
                     "reporter_contact"], "reporter_contact"),
    **dict.fromkeys(["发现日期", "发现时间", "登记日期", "foundon", "found_on"], "found_on"),
    **dict.fromkeys(["整改措施", "措施", "measures"], "measures"),
    **dict.fromkeys(["整改目标", "整治目标", "target"], "target"),
    **dict.fromkeys(["原定时限", "原整改时限", "originaldeadline", "original_deadline"],
                    "original_deadline"),
    **dict.fromkeys(["整改时限", "完成时限", "整改期限", "deadline"], "deadline"),
    **dict.fromkeys(["责任部门", "department"], "department"),
    **dict.fromkeys(["责任领导", "分管领导", "leader"], "leader"),
    **dict.fromkeys(["责任人", "具体责任人", "person"], "person"),
    **dict.fromkeys(["状态", "整改状态", "办理状态", "state", "status"], "state"),
    **dict.fromkeys(["整改进展", "进展情况", "整改进展情况", "progress"], "progress"),
    **dict.fromkeys(["销号日期", "办结日期", "closedon", "closed_on"], "closed_on"),
}
LABELS = {"seq": "序号", "code": "问题编号", "unit": "单位", "title": "问题描述",
          "description": "具体表现", "category": "问题类别", "source": "问题来源",
          "reporter": "举报人", "reporter_contact": "举报人联系方式", "found_on": "发现日期",
          "measures": "整改措施", "target": "整改目标", "original_deadline": "原定时限",
          "deadline": "整改时限", "department": "责任部门", "leader": "责任领导",
          "person": "责任人", "state": "状态", "progress": "整改进展", "closed_on": "销号日期"}


def normalize_header(text: Any) -> str:
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = re.sub(r"\s+", "", value).strip("*").lower()
    return re.sub(r"\((必填|选填|required|optional)\)$", "", value)


# --- errors -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A cell, or a row, of the file being imported."""

    sheet: str | None
    row: int
    column: int | None = None  # 0-based
    header: str | None = None

    def __str__(self) -> str:
        from openpyxl.utils import get_column_letter

        text = f"sheet '{self.sheet}' row {self.row}" if self.sheet else f"row {self.row}"
        if self.column is not None:
            text += f" column {get_column_letter(self.column + 1)}"
            if self.header:
                text += f" ({self.header})"
        return text


@dataclass(frozen=True)
class RowProblem:
    where: Where
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" + (f" — {self.hint}" if self.hint else "")

    def as_dict(self) -> dict[str, Any]:
        from openpyxl.utils import get_column_letter

        w = self.where
        return {"sheet": w.sheet, "row": w.row, "header": w.header, "message": self.message,
                "column": get_column_letter(w.column + 1) if w.column is not None else None,
                "hint": self.hint}


class ImportProblems(InvalidInput):
    """Every bad row of a file; nothing is imported until it is clean."""

    SHOWN = 50

    def __init__(self, path: str, problems: list[RowProblem], what: str = "problem",
                 hint: str = "fix the file and import it again") -> None:
        shown = [str(p) for p in problems[:self.SHOWN]]
        more = (f"\n  ... and {len(problems) - self.SHOWN} more"
                if len(problems) > self.SHOWN else "")
        super().__init__(f"{len(problems)} {what}(s) in {path}; nothing was imported:\n  "
                         + "\n  ".join(shown) + more, hint)
        self.problems = problems


# --- options and results -----------------------------------------------------------------------


@dataclass
class Options:
    sheet: str | None = None
    header_row: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    update: bool = False
    dry_run: bool = False
    max_bytes: int = MAX_BYTES


@dataclass
class Result:
    file: str
    sheet: str | None
    header_row: int
    rows: int = 0
    new: list[str] = field(default_factory=list)
    unchanged: int = 0
    updated: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    default_source: str | None = None
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "header_row": self.header_row,
                "rows": self.rows, "new": len(self.new), "unchanged": self.unchanged,
                "updated": len(self.updated), "codes": self.new, "updated_codes": self.updated,
                "ignored_columns": self.ignored_columns, "default_source": self.default_source,
                "dry_run": self.dry_run}


def parse_columns(text: str | None) -> dict[str, str]:
    """--columns: a JSON object, or ``header=field,header=field``; an empty field ignores."""
    if not text:
        return {}
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--columns is not valid JSON: {exc.msg} at {exc.pos}",
                               'write {"列名": "field"} or 列名=field,列名=field') from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise InvalidInput("--columns must map column headers to field names",
                               'write {"列名": "field"}')
        mapping = {str(k): v for k, v in data.items()}
    else:
        mapping = {}
        for part in re.split(r"[,，]", text):
            if not part.strip():
                continue
            if "=" not in part:
                raise InvalidInput(f"--columns part '{part}' has no '='", "write 列名=field,...")
            header, _, name = part.partition("=")
            mapping[header.strip()] = name.strip()
    for header, name in mapping.items():
        if name and name not in FIELDS and name not in ("-", "ignore"):
            import difflib

            close = difflib.get_close_matches(name, FIELDS, n=1)
            raise InvalidInput(f"--columns maps '{header}' to unknown field '{name}'",
                               f"did you mean '{close[0]}'?" if close else
                               f"fields: {', '.join(FIELDS)}")
    return mapping


def column_mapping(run: Run, extra: Mapping[str, str]) -> dict[str, str]:
    """Built-in headers, then the definition's ``import.columns``, then --columns."""
    mapping = dict(HEADERS)
    section = run.definition.sections.get("import") or {}
    for source in (section.get("columns") or {}, extra):
        for header, name in source.items():
            mapping[normalize_header(header)] = "" if name in ("-", "ignore") else name
    return mapping


# --- reading ------------------------------------------------------------------------------------


@contextmanager
def open_table(path: str, options: Options) -> Iterator[Sheet]:
    ext = os.path.splitext(path)[1].lower()
    if ext in (".xlsx", ".xlsm"):
        from .xlsx import open_sheet

        with open_sheet(path, options.sheet, options.max_bytes) as sheet:
            yield sheet
    elif ext in (".csv", ".txt", ".tsv"):
        if options.sheet:
            raise InvalidInput("--sheet applies to workbooks; a CSV file has one table",
                               "leave out --sheet")
        yield csv_sheet(path, options.max_bytes)
    elif ext == ".xls":
        raise InvalidInput(f"{path} is an old Excel 97-2003 (.xls) workbook",
                           "save it as .xlsx (Excel workbook) or CSV and import that")
    else:
        raise InvalidInput(f"cannot import '{os.path.basename(path)}': not a spreadsheet",
                           "import an Excel workbook (.xlsx) or a CSV file (.csv)")


@dataclass
class Header:
    row: int
    fields: dict[int, str]  # column index -> field
    texts: dict[int, str]  # column index -> header text as written
    ignored: list[str]

    def where(self, sheet: str | None, row: int, name: str) -> Where:
        col = next((c for c, f in self.fields.items() if f == name), None)
        return Where(sheet, row, col, self.texts.get(col) if col is not None else None)


def find_header(sheet: Sheet, mapping: Mapping[str, str], header_row: int | None,
                path: str) -> tuple[Header, list[tuple[int, Sequence[Any]]]]:
    """The header row (named, or the best match among the first rows) and rows read past it."""
    buffered: list[tuple[int, Sequence[Any]]] = []
    limit = header_row if header_row else HEADER_SCAN
    for number, values in sheet.rows:
        buffered.append((number, values))
        if number >= limit:
            break
    where = f"sheet '{sheet.name}'" if sheet.name else path
    if not any(any(_text(v) for v in values) for _, values in buffered):
        raise InvalidInput(f"{where} is empty", "put the ledger's header row and rows in it")
    if header_row:
        chosen = next((b for b in buffered if b[0] == header_row), None)
        if chosen is None:
            raise InvalidInput(f"{where} has no row {header_row}", "check --header-row")
    else:
        scored = [(sum(1 for v in values if mapping.get(normalize_header(v))), number, values)
                  for number, values in buffered]
        best = max(scored, key=lambda s: (s[0], -s[1]))
        if best[0] < 2:
            raise InvalidInput(
                f"{where}: no header row found in the first {HEADER_SCAN} rows",
                "the header row names the columns (单位, 问题描述, 问题类别, 整改措施, 整改时限 ...); "
                "name it with --header-row N, or map other headers with --columns")
        chosen = (best[1], best[2])
    number, values = chosen
    _check_merged_header(sheet, number, values, where)
    fields: dict[int, str] = {}
    texts: dict[int, str] = {}
    ignored: list[str] = []
    problems: list[RowProblem] = []
    for col, value in enumerate(values):
        text = _text(value)
        if not text:
            continue
        name = mapping.get(normalize_header(text))
        if not name:
            ignored.append(text)
            continue
        if name in fields.values():
            first = next(c for c, f in fields.items() if f == name)
            problems.append(RowProblem(Where(sheet.name, number, col, text),
                                       f"column '{text}' and column '{texts[first]}' both "
                                       f"mean {name}", "map one of them elsewhere with --columns"))
            continue
        fields[col] = name
        texts[col] = text
    missing = [LABELS[f] for f in REQUIRED if f not in fields.values()]
    if "seq" not in fields.values() and "code" not in fields.values():
        missing.append("序号 (or 问题编号)")
    if missing:
        problems.append(RowProblem(Where(sheet.name, number), f"no column for {', '.join(missing)}",
                                   "the header row must name them; map other headers with "
                                   "--columns, e.g. --columns '问题=title'"))
    if problems:
        raise ImportProblems(path, problems)
    rest = [b for b in buffered if b[0] > number]
    return Header(number, fields, texts, ignored), rest


def _check_merged_header(sheet: Sheet, row: int, values: Sequence[Any], where: str) -> None:
    for rng in sheet.merged:
        if rng.min_row <= row <= rng.max_row:
            raise InvalidInput(
                f"{where} row {row}: merged header cells {rng}",
                "unmerge the header cells so that each column has its own one-row header "
                "(or name another row with --header-row)")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- dates as offices type them -----------------------------------------------------------------


_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YMD8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM_END = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?\s*(底|末|份)?$")
_MD = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_M_END = re.compile(r"^(\d{1,2})\s*月\s*(底|末)$")
_Y_END = re.compile(r"^(\d{4})\s*年\s*(底|末)$")
_BEFORE = re.compile(r"(之前|以前|前|止)$")


def cell_date(value: Any, start: dt.date, spreadsheet: bool) -> dt.date:
    """A date cell: an Excel date, a serial number, or text as offices type it.

    Besides 2015-09-30, 2015/9/30, 2015.9.30 and 2015年9月30日: 20150930, a trailing 前/之前,
    "2015年9月底" and "2015年9月" (the month's last day), "9月30日" and "9月底" (the year is
    the campaign's: the first such date on or after its start), "2015年底".
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if spreadsheet and isinstance(value, (int, float)) and not isinstance(value, bool):
        from .xlsx import excel_date

        day = excel_date(value)
        if day is not None:
            return day
    text = unicodedata.normalize("NFKC", _text(value)).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
        text = text[:10]
    text = _BEFORE.sub("", text.replace(" ", ""))
    try:
        if m := _YMD.match(text) or _YMD8.match(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _YM_END.match(text):
            return _month_end(int(m.group(1)), int(m.group(2)))
        if m := _Y_END.match(text):
            return dt.date(int(m.group(1)), 12, 31)
        if m := _MD.match(text):
            return _in_campaign_year(start, int(m.group(1)), int(m.group(2)))
        if m := _M_END.match(text):
            month = int(m.group(1))
            year = start.year + (1 if month < start.month else 0)
            return _month_end(year, month)
    except ValueError as exc:
        raise InvalidInput(f"'{_text(value)}' is not a real date ({exc})",
                           "check the month's length") from None
    raise InvalidInput(f"'{_text(value)}' is not a date",
                       "write it as 2015-09-30, 2015/9/30 or 2015年9月30日")


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _in_campaign_year(start: dt.date, month: int, day: int) -> dt.date:
    candidate = dt.date(start.year, month, day)
    return candidate if candidate >= start else dt.date(start.year + 1, month, day)


# --- people -------------------------------------------------------------------------------------


class PeopleIndex:
    """Finding a 责任领导/责任人 by key, or by name near the item's unit."""

    def __init__(self, conn: Connection, tree: UnitTree) -> None:
        self.tree = tree
        self.by_key: dict[str, int] = {}
        self.by_name: dict[str, list[tuple[int, str, int | None]]] = {}
        self.names: dict[int, str] = {}
        for r in conn.execute(select(P.c.id, P.c.key, P.c.name, P.c.unit_id)):
            self.by_key[r.key] = r.id
            self.by_name.setdefault(r.name, []).append((r.id, r.key, r.unit_id))
            self.names[r.id] = r.name
        self._cache: dict[tuple[str, int], int] = {}

    def find(self, text: str, unit: UnitRow) -> int:
        key = (text, unit.id)
        if key not in self._cache:
            self._cache[key] = self._find(text, unit)
        return self._cache[key]

    def _find(self, text: str, unit: UnitRow) -> int:
        if text in self.by_key:
            return self.by_key[text]
        found = self.by_name.get(text, [])
        if not found:
            raise InvalidInput(f"unknown person '{text}'",
                               "give a person key or a name; add people with 'rectify person add'")
        if len(found) == 1:
            return found[0][0]
        paths = {uid: u.path for uid, u in self.tree.by_id.items()}
        own = [f for f in found if f[2] == unit.id]
        below = [f for f in found if f[2] and paths[f[2]].startswith(unit.path + "/")]
        above = [f for f in found if f[2] and (unit.path + "/").startswith(paths[f[2]] + "/")]
        for group in (own, below, above):
            if len(group) == 1:
                return group[0][0]
            if group:
                found = group
                break
        options = ", ".join(
            f"{k} ({self.tree.title_path(self.tree.by_id[u]) if u else 'no unit'})"
            for _, k, u in found[:5])
        raise InvalidInput(f"'{text}' is ambiguous: {len(found)} people of that name",
                           f"give the person key instead: {options}")


# --- checking rows ------------------------------------------------------------------------------


@dataclass
class Parsed:
    """A clean row, with values the database uses (ids, keys, dates)."""

    row: int
    key: str  # how the row is recognised again
    code: str | None
    values: dict[str, Any]  # field -> value, for the fields the row gives
    unit: UnitRow
    pair: Pair | None = None
    path: Path | None = None
    secrets: dict[str, str] = field(default_factory=dict)


class RowChecker:
    def __init__(self, conn: Connection, run: Run, tree: UnitTree, header: Header,
                 sheet: Sheet, as_of: dt.date) -> None:
        d = run.definition
        self.run, self.tree, self.header, self.sheet, self.as_of = run, tree, header, sheet, as_of
        self.spreadsheet = sheet.name is not None
        self.categories: Mapping[str, str] = d.sections.get("categories") or {}
        self.sources: Mapping[str, str] = d.sections.get("sources") or {}
        self.people = PeopleIndex(conn, tree)
        self.pairs = resting_pairs(d)
        self.closing = closing_states(d)
        self.cache: dict[tuple[str, str], Any] = {}
        self.problems: list[RowProblem] = []
        self.seen: dict[str, int] = {}  # natural key -> first row
        self.codes: dict[str, int] = {}  # 问题编号 -> first row
        self.fill = self._merged_fill()
        self.wanted: dict[int, set[int]] = {}
        for cells in self.fill.values():
            for _, (row, col) in cells:
                self.wanted.setdefault(row, set()).add(col)
        self.anchors: dict[tuple[int, int], Any] = {}

    def _merged_fill(self) -> dict[int, list[tuple[int, tuple[int, int]]]]:
        """Cells of merged ranges below the header take the value of the range's first cell."""
        fill: dict[int, list[tuple[int, tuple[int, int]]]] = {}
        for rng in self.sheet.merged:
            if rng.min_row <= self.header.row:
                continue
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        fill.setdefault(r, []).append((c - 1, (rng.min_row, rng.min_col - 1)))
        return fill

    def check(self, number: int, raw: Sequence[Any]) -> Parsed | None:
        cells = list(raw)
        if self.fill:
            for col in self.wanted.get(number, ()):
                self.anchors[(number, col)] = cells[col] if col < len(cells) else None
            for col, anchor in self.fill.get(number, ()):
                while len(cells) <= col:
                    cells.append(None)
                cells[col] = self.anchors.get(anchor)
        given: dict[str, tuple[int, Any]] = {}
        for col, name in self.header.fields.items():
            value = cells[col] if col < len(cells) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            given[name] = (col, value)
        if not given:
            return None  # blank row
        if all(name in ("seq",) for name in given):
            return None  # a numbered but empty row at the end of a form
        before = len(self.problems)
        values: dict[str, Any] = {}
        for name, (col, value) in given.items():
            kind = self._formula_or_error(value) if self.spreadsheet else None
            if kind:
                what = "a formula" if kind == "formula" else "an error value"
                self._problem(number, col, f"the cell holds {what} ({value}), not a value",
                              "copy the column and paste it back as values (选择性粘贴 → 数值)")
                continue
            try:
                values[name] = self._convert(name, value)
            except EngineError as exc:
                self._problem(number, col, exc.message, exc.hint)
        for name in REQUIRED:
            if name not in given:
                self._problem(number, self._col(name), f"{self._label(name)} is empty",
                              "every row needs a unit, a problem description and a category")
        if "seq" not in given and "code" not in given:
            self._problem(number, self._col("seq") if self._col("seq") is not None
                          else self._col("code"), "序号 is empty",
                          "number the rows: a unit and its 序号 recognise the row when "
                          "the file is imported again")
        if "unit" in values and ("seq" in values or "code" in values):
            self._duplicate(self._key(values["unit"], values), values.get("code"), number)
        if len(self.problems) > before:
            return None
        unit: UnitRow = values.pop("unit")
        for name in ("leader", "person"):
            if name in values:
                try:
                    values[name] = self.people.find(values[name], unit)
                except EngineError as exc:
                    self._problem(number, self._col(name), exc.message, exc.hint)
        parsed = Parsed(number, self._key(unit, values), values.get("code"), values, unit)
        for name in CONFIDENTIAL_FIELDS:
            if name in values:
                parsed.secrets[name] = values.pop(name)
        self._check_state(parsed)
        return parsed if len(self.problems) == before else None

    def _duplicate(self, key: str, code: str | None, row: int) -> None:
        """A row that names the same item as an earlier one (by unit and 序号, or 问题编号)."""
        by_seq = not key.startswith("code:")
        if key in self.seen:
            what = "the same 单位 and 序号" if by_seq else "the same 问题编号"
            self._problem(row, self._col("seq" if by_seq else "code"),
                          f"duplicate of row {self.seen[key]} ({what})",
                          "each row needs its own 序号 within its unit")
            return
        self.seen[key] = row
        if code and by_seq:
            if code in self.codes:
                self._problem(row, self._col("code"),
                              f"duplicate of row {self.codes[code]} (the same 问题编号)")
            else:
                self.codes[code] = row

    def _key(self, unit: UnitRow, values: Mapping[str, Any]) -> str:
        if "seq" in values:
            return f"{unit.code}#{values['seq']}"
        return f"code:{values['code']}"

    def _formula_or_error(self, value: Any) -> str | None:
        from .xlsx import formula_or_error

        return formula_or_error(value)

    def _convert(self, name: str, value: Any) -> Any:
        text = _text(value)
        if name in DATE_FIELDS:
            key = (name, text) if not isinstance(value, (int, float)) else None
            if key and key in self.cache:
                return self.cache[key]
            day = cell_date(value, self.run.start_date, self.spreadsheet)
            if key:
                self.cache[key] = day
            return day
        if name == "unit":
            return self._cached(name, text, lambda: self.tree.find(text))
        if name == "category":
            return self._cached(name, text, lambda: _check_choice(text, self.categories, "category"))
        if name == "source":
            return self._cached(name, text, lambda: _check_choice(text, self.sources, "source"))
        if name == "state":
            return self._cached(name, text, lambda: parse_state(self.run.definition, text,
                                                                self.pairs))
        return text

    def _cached(self, name: str, text: str, compute: Callable[[], Any]) -> Any:
        key = (name, text)
        if key not in self.cache:
            try:
                self.cache[key] = compute()
            except EngineError as exc:
                self.cache[key] = exc
        found = self.cache[key]
        if isinstance(found, EngineError):
            raise found
        return found

    def _check_state(self, parsed: Parsed) -> None:
        v = parsed.values
        if "found_on" in v:
            if v["found_on"] > self.as_of:
                self._problem(parsed.row, self._col("found_on"),
                              f"{v['found_on']} is after the business date {self.as_of}",
                              "give --as-of on or after the dates in the file")
            elif v["found_on"] < self.run.start_date:
                self._problem(parsed.row, self._col("found_on"),
                              f"{v['found_on']} is before the campaign started "
                              f"({self.run.start_date})")
            elif "deadline" in v and v["deadline"] < v["found_on"]:
                self._problem(parsed.row, self._col("deadline"),
                              f"{v['deadline']} is before the problem was found ({v['found_on']})")
        if "state" in v:
            parsed.pair = v.pop("state")
            parsed.path = self.pairs[parsed.pair]
        if "closed_on" in v:
            if parsed.pair is None or parsed.pair[0] not in self.closing:
                shown = label(self.run.definition, *parsed.pair) if parsed.pair else "empty"
                self._problem(parsed.row, self._col("closed_on"),
                              f"a 销号日期 is given but 状态 is {shown}",
                              "only closed (已销号) items have a 销号日期")
            elif v["closed_on"] > self.as_of:
                self._problem(parsed.row, self._col("closed_on"),
                              f"{v['closed_on']} is after the business date {self.as_of}",
                              "give --as-of on or after the dates in the file")

    def _col(self, name: str) -> int | None:
        return next((c for c, f in self.header.fields.items() if f == name), None)

    def _label(self, name: str) -> str:
        col = self._col(name)
        return self.header.texts[col] if col is not None else LABELS.get(name, name)

    def _problem(self, row: int, col: int | None, message: str, hint: str | None = None) -> None:
        header = self.header.texts.get(col) if col is not None else None
        self.problems.append(RowProblem(Where(self.sheet.name, row, col, header), message, hint))


# --- the import ---------------------------------------------------------------------------------


def may_import_states(run: Run, actor: Actor) -> bool:
    """Importing an item past its first states takes a role that may override."""
    return any(run.definition.roles[r].overrides for r in actor.roles if r in run.definition.roles)


BATCH = 2000  # rows checked, matched and written together


def import_items(conn: Connection, run: Run, actor: Actor, as_of: dt.date, path: str,
                 options: Options | None = None,
                 progress: Callable[[int], None] | None = None,
                 on_total: Callable[[int | None], None] | None = None) -> Result:
    """Import ``path`` into ``run``; raises ``ImportProblems`` and writes nothing if any row is bad.

    Rows are read, checked and written in batches inside one savepoint, so memory stays
    bounded however long the file; the first problem stops the writing, the rest of the file
    is still checked so that every problem is reported, and the savepoint is rolled back.
    """
    options = options or Options()
    require_forward(run, as_of)
    if run.concluded_on:
        raise Refused(f"campaign '{run.key}' concluded on {run.concluded_on}")
    if not options.dry_run:
        ev.lock(conn, [run.key])  # the event log's head before any row (the writers' lock order)
    mapping = column_mapping(run, options.columns)
    section = run.definition.sections.get("import") or {}
    tree = UnitTree.load(conn)
    with conn.begin_nested(), open_table(path, options) as sheet:
        header, rest = find_header(sheet, mapping, options.header_row or section.get("header_row"),
                                   path)
        if on_total is not None:
            on_total(sheet.total - header.row if sheet.total else None)
        checker = RowChecker(conn, run, tree, header, sheet, as_of)
        work = _Writer(conn, run, actor, as_of, path, options, header, checker)
        batch: list[Parsed] = []
        count = 0
        for number, values in _chain(rest, sheet.rows):
            row = checker.check(number, values)
            if row is not None:
                batch.append(row)
                if len(batch) >= BATCH:
                    work.flush(batch)
                    batch = []
            count += 1
            if progress is not None and count % 500 == 0:
                progress(500)
        work.flush(batch)
        if progress is not None:
            progress(count % 500)
        work.finish()
    return work.result


class _Writer:
    """Matches checked rows with the campaign's items and writes them, batch by batch."""

    def __init__(self, conn: Connection, run: Run, actor: Actor, as_of: dt.date, path: str,
                 options: Options, header: Header, checker: RowChecker) -> None:
        self.conn, self.run, self.actor, self.as_of, self.path = conn, run, actor, as_of, path
        self.options, self.header, self.checker = options, header, checker
        self.sheet = checker.sheet.name
        self.existing = _existing(conn, run)
        self.codes = _CodeAllocator(conn, run)
        self.conflicts: list[RowProblem] = []
        self.refused: list[RowProblem] = []
        self.default_source = next(iter(checker.sources), None)
        self.result = Result(path, self.sheet, header.row, ignored_columns=header.ignored,
                             dry_run=options.dry_run)

    @property
    def blocked(self) -> bool:
        return bool(self.checker.problems or self.refused
                    or (self.conflicts and not self.options.update))

    def flush(self, batch: list[Parsed]) -> None:
        if not batch:
            return
        self.result.rows += len(batch)
        fresh, matched = _match(batch, self.existing)
        changed = []
        for p, item in matched:
            diff = _diff(self.run, p, item, self.checker.people.names)
            if not diff:
                self.result.unchanged += 1
                continue
            changed.append((p, item, diff))
            self.conflicts.append(RowProblem(
                Where(self.sheet, p.row), f"{item['code']} changed since it was imported: "
                + "; ".join(_describe(self.run, self.header, name, old, new)
                            for name, (old, new) in diff.items())))
        self.refused += _refusals(self.run, self.actor, self.header, self.sheet, fresh, changed)
        if any("source" not in p.values for p in fresh):
            if self.default_source is None:
                raise InvalidInput("the definition lists no sources and the file gives none",
                                   "add a 问题来源 column")
            self.result.default_source = self.default_source
        if self.options.dry_run:
            self.result.new += [f"(new) {p.key}" for p in fresh]
            self.result.updated += [item["code"] for _, item, _ in changed]
            return
        if self.blocked:
            return
        self.result.new += _insert(self.conn, self.run, self.actor, self.as_of, self.path,
                                   self.sheet, fresh, self.default_source, self.codes)
        for p, item, diff in changed:
            _update(self.conn, self.run, self.actor, self.as_of, self.path, self.sheet, p, item,
                    diff)
            self.result.updated.append(item["code"])

    def finish(self) -> None:
        """Raise (rolling the savepoint back) if anything stood in the way."""
        problems = self.checker.problems
        if not self.result.rows and not problems:
            raise InvalidInput(f"{self.path}: no rows below the header (row {self.header.row})",
                               "add the items under the header row")
        if problems:
            raise ImportProblems(self.path, sorted(problems, key=lambda p: (p.where.row,
                                                                             p.where.column or 0)))
        if self.conflicts and not self.options.update:
            raise ImportProblems(self.path, self.conflicts, what="conflict",
                                 hint="give --update to take the file's values (each change is "
                                      "recorded), or correct the file")
        if self.refused:
            roles = [r.key for r in self.run.definition.roles.values() if r.overrides]
            raise ImportProblems(self.path, self.refused, what="refused row",
                                 hint=f"import as someone with role "
                                      f"{' or '.join(roles) or '(none defined)'}, "
                                      "or without the 状态 column")


def _chain(first: list[tuple[int, Sequence[Any]]],
           rest: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    yield from first
    yield from rest


def _existing(conn: Connection, run: Run) -> dict[str, Any]:
    """The campaign's items, by code and by external reference, with what a row may change."""
    query = (select(I.c.id, I.c.code, I.c.external_ref, I.c.title, I.c.description, I.c.unit_id,
                    I.c.category, I.c.source, I.c.state, I.c.version, I.c.closed_on,
                    R.c.id.label("rect_id"), R.c.state.label("rect_state"),
                    R.c.version.label("rect_version"), R.c.measures, R.c.target, R.c.department,
                    R.c.deadline, R.c.original_deadline, R.c.leader_id, R.c.person_id)
             .select_from(I.join(R, R.c.item_id == I.c.id)).where(I.c.campaign_id == run.id))
    by_code: dict[str, dict[str, Any]] = {}
    by_ref: dict[str, dict[str, Any]] = {}
    for r in conn.execute(query):
        item = dict(r._mapping)
        by_code[r.code] = item
        if r.external_ref:
            by_ref[r.external_ref] = item
    if by_code:
        notes = latest_progress(conn, None, run.id)
        secrets: dict[int, dict[str, str]] = {}
        for s in conn.execute(select(SECRETS.c.item_id, SECRETS.c.field, SECRETS.c.value)
                              .select_from(SECRETS.join(I, I.c.id == SECRETS.c.item_id))
                              .where(I.c.campaign_id == run.id)):
            secrets.setdefault(s.item_id, {})[s.field] = s.value
        imported = _imported_values(conn, run)
        for item in by_code.values():
            item["progress"] = notes.get(item["id"])
            item["secrets"] = secrets.get(item["id"], {})
            item["imported"] = imported.get(item["id"])
    return {"code": by_code, "ref": by_ref}


def _imported_values(conn: Connection, run: Run) -> dict[int, dict[str, Any]]:
    """What each item's row said when it was last imported (see ``fingerprint``)."""
    out: dict[int, dict[str, Any]] = {}
    query = (select(E.c.item_id, E.c.payload)
             .where(E.c.campaign_id == run.id, E.c.item_id.is_not(None),
                    E.c.trigger.in_(["add", "edit", "import", "progress"]))
             .order_by(E.c.id))
    for item_id, payload in conn.execute(query):
        if not payload:
            continue
        origin = payload.get("import")
        values = origin.get("values") if isinstance(origin, dict) else payload.get("values")
        if values is not None:
            out[item_id] = values
    return out


def _match(parsed: list[Parsed], existing: dict[str, Any]) -> tuple[list[Parsed],
                                                                   list[tuple[Parsed, Any]]]:
    """Rows for new items, and rows of items already here: by item code, else unit and 序号."""
    fresh, matched = [], []
    for p in parsed:
        item = existing["code"].get(p.code) if p.code else None
        if item is None:
            item = existing["ref"].get(p.key)
        if item is None:
            fresh.append(p)
        else:
            matched.append((p, item))
    return fresh, matched


_ITEM_COLUMNS = ("title", "description", "category", "source")
_RECT_COLUMNS = ("measures", "target", "department", "deadline", "original_deadline")


def fingerprint(p: Parsed, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """What a row said, kept in its import event, so that importing again can tell a cell the
    office changed from one changed in Rectify since (confidential values are never kept)."""
    out = {name: _iso(value) for name, value in p.values.items() if name not in hidden}
    out["unit"] = p.unit.id
    if p.pair is not None:
        out["state"] = "/".join(p.pair)
    return out


def _diff(run: Run, p: Parsed, item: Mapping[str, Any],
          names: Mapping[int, str]) -> dict[str, tuple[Any, Any]]:
    """What the row says differently from the item (cells left empty say nothing).

    A cell the file still gives as it was last imported is no difference: the item has been
    worked on since (a plan, a new deadline from the supervision office), and the file is
    merely older.  Only cells the office changed, or items never imported, are compared.
    """
    v = p.values
    base = item.get("imported") or {}
    current: dict[str, tuple[Any, Any]] = {}
    for name in _ITEM_COLUMNS + _RECT_COLUMNS + ("closed_on", "progress"):
        if name in v:
            current[name] = (item[name], v[name])
    current["unit"] = (item["unit_id"], p.unit.id)
    for name in ("leader", "person"):
        if name in v:
            current[name] = (item[f"{name}_id"], v[name])
    if p.pair is not None:
        current["state"] = ((item["state"], item["rect_state"]), p.pair)
    said = fingerprint(p, run.definition.confidential)
    diff = {name: (old, new) for name, (old, new) in current.items()
            if old != new and not (name in base and base[name] == said.get(name))}
    for name, value in p.secrets.items():
        if item["secrets"].get(name) != value:
            diff[name] = (None, None)  # never shown
    return diff


def _describe(run: Run, header: Header, name: str, old: Any, new: Any) -> str:
    col = next((c for c, f in header.fields.items() if f == name), None)
    what = header.texts[col] if col is not None else LABELS.get(name, name)
    if name in CONFIDENTIAL_FIELDS or name in run.definition.confidential:
        return f"{what} differs"
    if name == "state":
        return f"{what} {label(run.definition, *old)} → {label(run.definition, *new)}"
    if name in ("unit", "leader", "person"):
        return f"{what} changed"
    return f"{what} {_short(old)} → {_short(new)}"


def _short(value: Any) -> str:
    text = "(empty)" if value in (None, "") else str(value)
    return f"'{text[:30]}…'" if len(text) > 30 else f"'{text}'"


def _refusals(run: Run, actor: Actor, header: Header, sheet: str | None,
              fresh: list[Parsed], changed: list[tuple[Parsed, Any, Any]]) -> list[RowProblem]:
    """Rows that would put an item past its first states, when the actor may not."""
    d = run.definition
    first = (d.machines["item"].initial, d.machines["rectification"].initial)
    moving = [p for p in fresh if p.pair not in (None, first)]
    moving += [p for p, _, diff in changed if "state" in diff]
    if not moving or may_import_states(run, actor):
        return []
    roles = [r.key for r in d.roles.values() if r.overrides]
    return [RowProblem(
        header.where(sheet, p.row, "state"),
        f"importing an item as {label(d, *p.pair)} takes a role that may override "
        f"({', '.join(roles) or 'none defined'}); '{actor.key}' has none",
        f"leave 状态 empty to import as {label(d, *first)}, or import as an authorised person")
        for p in moving if p.pair is not None]


def _insert(conn: Connection, run: Run, actor: Actor, as_of: dt.date, path: str,
            sheet: str | None, rows: list[Parsed], default_source: str | None,
            allocator: _CodeAllocator) -> list[str]:
    """Bulk-insert new items, their rectifications, secrets, progress notes and events."""
    if not rows:
        return []
    d = run.definition
    item_m, rect_m = d.machines["item"], d.machines["rectification"]
    seqs, codes = allocator.assign(rows)
    stage = conn.execute(select(S.c.key).where(S.c.campaign_id == run.id, S.c.state == "open")
                         .order_by(S.c.position.desc())).scalars().first()
    stamp = now()
    file = os.path.basename(path)
    closing = closing_states(d)
    item_rows = []
    for i, p in enumerate(rows):
        v = p.values
        state = p.pair[0] if p.pair else item_m.initial
        closed = v.get("closed_on") or (as_of if state in closing else None)
        item_rows.append({
            "campaign_id": run.id, "code": codes[i], "seq": seqs[i], "title": v["title"],
            "description": v.get("description"), "unit_id": p.unit.id, "category": v["category"],
            "source": v.get("source") or default_source, "stage": stage,
            "found_on": v.get("found_on") or as_of, "closed_on": closed, "state": state,
            "version": 1, "entered_on": as_of, "reopen_count": 0, "typical": False,
            "external_ref": p.key})
    bulk_insert(conn, I, item_rows)
    ids: dict[str, int] = {}
    for start in range(0, len(codes), 500):
        ids.update(conn.execute(select(I.c.code, I.c.id).where(
            I.c.code.in_(codes[start:start + 500]))).all())
    rect_rows = []
    for i, p in enumerate(rows):
        v = p.values
        stamps = set(p.path.stamps) if p.path else set()
        deadline = v.get("deadline")
        rect_rows.append({
            "item_id": ids[codes[i]], "campaign_id": run.id,
            "state": p.pair[1] if p.pair else rect_m.initial, "version": 1, "entered_on": as_of,
            "measures": v.get("measures"), "target": v.get("target"),
            "department": v.get("department"), "leader_id": v.get("leader"),
            "person_id": v.get("person"), "deadline": deadline,
            "original_deadline": v.get("original_deadline") or deadline, "level_base": deadline,
            "level": None, "returns": 0,
            "submitted_on": as_of if ("rectification", "submitted_on") in stamps else None,
            "completed_on": as_of if ("rectification", "completed_on") in stamps else None})
    bulk_insert(conn, R, rect_rows)
    rect_ids: dict[int, int] = {}
    item_ids = list(ids.values())
    for start in range(0, len(item_ids), 500):
        rect_ids.update(conn.execute(select(R.c.item_id, R.c.id).where(
            R.c.item_id.in_(item_ids[start:start + 500]))).all())
    events: list[Entry] = []
    secrets: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for i, p in enumerate(rows):
        v, rect, code = item_rows[i], rect_rows[i], codes[i]
        item_id = ids[code]
        origin = {"file": file, "sheet": sheet, "row": p.row}
        added = ev.ItemAdded(
            v["title"], p.unit.code, v["category"], v["source"], rect_ids[item_id],
            rect["deadline"], sorted(p.secrets), measures=rect["measures"] or None,
            target=rect["target"] or None, department=rect["department"] or None,
            original_deadline=(rect["original_deadline"]
                               if rect["original_deadline"] != rect["deadline"] else None),
            origin=ev.Origin(file, sheet, p.row, fingerprint(p, d.confidential)))
        events.append(_event(run, code, item_id, "item", item_id, added, None, item_m.initial,
                             actor, as_of, None))
        if v["state"] != item_m.initial:
            events.append(_event(run, code, item_id, "item", item_id,
                                 ev.Imported(file, sheet, p.row, closed_on=v["closed_on"]),
                                 item_m.initial, v["state"], actor, as_of,
                                 f"imported from {file} row {p.row}", keep_none=("closed_on",)))
        if rect["state"] != rect_m.initial:
            events.append(_event(run, code, item_id, "rectification", rect_ids[item_id],
                                 ev.Imported(file, sheet, p.row, deadline=rect["deadline"]),
                                 rect_m.initial, rect["state"], actor, as_of,
                                 f"imported from {file} row {p.row}", keep_none=("deadline",)))
        for name, value in p.secrets.items():
            secrets.append({"item_id": item_id, "field": name, "value": value})
        if p.values.get("progress"):
            notes.append({"item_id": item_id, "business_date": as_of, "actor": actor.key,
                          "note": p.values["progress"], "recorded_at": stamp})
            events.append(_event(run, code, item_id, "record", item_id,
                                 ev.ProgressRecorded([], origin=ev.Origin(**origin)), None, None,
                                 actor, as_of, p.values["progress"]))
    ev.write(conn, events)
    bulk_insert(conn, SECRETS, secrets)
    bulk_insert(conn, PR, notes)
    return codes


class _CodeAllocator:
    """Item codes for new rows: the row's own 问题编号 when it is one of this campaign's form
    and still free (so a ledger re-imported into a fresh campaign keeps its codes), else the
    next free numbers."""

    def __init__(self, conn: Connection, run: Run) -> None:
        self.conn, self.run = conn, run
        self.prefix = f"{run.code_prefix}-{run.start_date.year}-"
        self.pattern = re.compile(re.escape(self.prefix) + r"(\d{4,})$")
        self.own = set(conn.execute(select(I.c.code).where(I.c.campaign_id == run.id)).scalars())
        self.used = set(conn.execute(select(I.c.seq).where(I.c.campaign_id == run.id)).scalars())
        self.others = conn.execute(select(I.c.id).where(
            I.c.code.like(self.prefix + "%"), I.c.campaign_id != run.id).limit(1)).first()

    def _taken(self, codes: list[str]) -> set[str]:
        found = {c for c in codes if c in self.own}
        if self.others is not None:
            for start in range(0, len(codes), 500):
                found.update(self.conn.execute(select(I.c.code).where(
                    I.c.code.in_(codes[start:start + 500]))).scalars())
        return found

    def assign(self, rows: list[Parsed]) -> tuple[list[int], list[str]]:
        wanted = {p.code: int(m.group(1)) for p in rows
                  if p.code and (m := self.pattern.match(p.code))}
        taken = self._taken(list(wanted))
        seqs: list[int | None] = []
        for p in rows:
            seq = wanted.get(p.code) if p.code else None
            if seq is None or seq in self.used or p.code in taken \
                    or f"{self.prefix}{seq:04d}" != p.code:
                seqs.append(None)
            else:
                self.used.add(seq)
                seqs.append(seq)
        nxt = max(self.used, default=0)
        out: list[int] = []
        for seq in seqs:
            if seq is None:
                nxt += 1
                seq = nxt
                self.used.add(seq)
            out.append(seq)
        codes = [f"{self.prefix}{seq:04d}" for seq in out]
        clash = self._taken([c for c, s in zip(codes, seqs, strict=True) if s is None])
        if clash:
            raise InvalidInput(f"item codes such as {sorted(clash)[0]} are already used by "
                               f"another campaign with code prefix {self.run.code_prefix} in "
                               f"{self.run.start_date.year}",
                               "import into a database of its own, or start the campaign from a "
                               "definition with another code_prefix")
        self.own.update(codes)
        return out, codes


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows with one executemany, converting values with the dialect's own bind
    processors once per column (SQLAlchemy's per-row parameter handling costs more than the
    database's work for a large import).  Every row has the keys of the first."""
    if not rows:
        return
    keys = list(rows[0])
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    procs = {k: table.c[k].type._cached_bind_processor(dialect) for k in keys}
    if compiled.positional and compiled.positiontup is not None:
        order = list(compiled.positiontup)
        convert = [(k, procs[k]) for k in order]
        data: list[Any] = [tuple(p(r[k]) if p else r[k] for k, p in convert) for r in rows]
    else:
        data = [{k: (procs[k](v) if procs[k] else v) for k, v in r.items()} for r in rows]
    conn.exec_driver_sql(compiled.string, data)


def _event(run: Run, code: str, item_id: int, machine: str, subject_id: int, payload: ev.Payload,
           src: str | None, dest: str | None, actor: Actor, as_of: dt.date, note: str | None,
           keep_none: tuple[str, ...] = ()) -> Entry:
    entry = ev.entry(run.key, payload, subject=code, actor=actor.key, day=as_of,
                     campaign_id=run.id, item_id=item_id, subject_id=subject_id, machine=machine,
                     from_state=src, to_state=dest, note=note)
    if keep_none:  # a state import names the date it took, even when there is none
        entry.payload = {**(entry.payload or {}), **{k: None for k in keep_none
                                                     if k not in (entry.payload or {})}}
    return entry


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _update(conn: Connection, run: Run, actor: Actor, as_of: dt.date, path: str,
            sheet: str | None, p: Parsed, item: Mapping[str, Any],
            diff: Mapping[str, tuple[Any, Any]]) -> None:
    """Take the file's values for one item (--update); every change is an event."""
    d = run.definition
    file = os.path.basename(path)
    origin = {"file": file, "sheet": sheet, "row": p.row}
    note = f"imported from {file} row {p.row}"
    stamp = now()
    item_vals: dict[str, Any] = {}
    rect_vals: dict[str, Any] = {}
    for name, (_, new) in diff.items():
        if name in _ITEM_COLUMNS:
            item_vals[name] = new
        elif name == "unit":
            item_vals["unit_id"] = new
        elif name in _RECT_COLUMNS:
            rect_vals[name] = new
            if name == "deadline":
                rect_vals["level_base"] = new
        elif name in ("leader", "person"):
            rect_vals[f"{name}_id"] = new
        elif name == "closed_on":
            item_vals["closed_on"] = new
    events: list[Entry] = []
    code = item["code"]
    if "state" in diff:
        (old_item, old_rect), (new_item, new_rect) = diff["state"]
        stamps = set(p.path.stamps) if p.path else set()
        if new_item != old_item:
            item_vals.update(state=new_item, entered_on=as_of)
            if new_item in closing_states(d):
                item_vals.setdefault("closed_on", p.values.get("closed_on") or as_of)
            else:
                item_vals["closed_on"] = None
            events.append(_event(run, code, item["id"], "item", item["id"],
                                 ev.Imported(file, sheet, p.row, closed_on=item_vals.get("closed_on")),
                                 old_item, new_item, actor, as_of, note, keep_none=("closed_on",)))
        if new_rect != old_rect:
            rect_vals.update(state=new_rect, entered_on=as_of)
            for name in ("submitted_on", "completed_on"):
                if ("rectification", name) in stamps:
                    rect_vals[name] = as_of
            events.append(_event(run, code, item["id"], "rectification", item["rect_id"],
                                 ev.Imported(file, sheet, p.row,
                                             deadline=rect_vals.get("deadline", item["deadline"])),
                                 old_rect, new_rect, actor, as_of, note, keep_none=("deadline",)))
    edited = {k: v for k, v in {**item_vals, **rect_vals}.items()
              if k not in ("state", "entered_on")}
    if edited or any(n in diff for n in CONFIDENTIAL_FIELDS):
        old = {k: _iso(item.get(k)) for k in edited if k in item}
        events.insert(0, _event(run, code, item["id"], "record", item["id"],
                                ev.Edited(old, edited, sorted(p.secrets), ev.Origin(**origin)),
                                None, None, actor, as_of, note))
    if item_vals:
        conn.execute(update(I).where(I.c.id == item["id"])
                     .values(version=item["version"] + 1, **item_vals))
    if rect_vals:
        conn.execute(update(R).where(R.c.id == item["rect_id"])
                     .values(version=item["rect_version"] + 1, **rect_vals))
    for name, value in p.secrets.items():
        if name in diff:
            res = conn.execute(update(SECRETS).where(SECRETS.c.item_id == item["id"],
                                                     SECRETS.c.field == name).values(value=value))
            if res.rowcount == 0:
                conn.execute(insert(SECRETS).values(item_id=item["id"], field=name, value=value))
    if "progress" in diff:
        new_note = diff["progress"][1]
        conn.execute(insert(PR).values(item_id=item["id"], business_date=as_of, actor=actor.key,
                                       note=new_note, recorded_at=stamp))
        events.append(_event(run, code, item["id"], "record", item["id"],
                             ev.ProgressRecorded([], origin=ev.Origin(**origin)), None, None,
                             actor, as_of, new_note))
    if events:
        first = dict(events[0].payload or {})
        values = fingerprint(p, d.confidential)
        if isinstance(first.get("import"), dict):
            first["import"] = {**first["import"], "values": values}
        else:
            first["values"] = values
        events[0].payload = first
        ev.write(conn, events)

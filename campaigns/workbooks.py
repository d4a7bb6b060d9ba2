"""Reading workbooks (.xlsx, .xlsm, .xls, .ods) as a stream of rows, with python-calamine.

calamine (Rust) reads a sheet many times faster than openpyxl, but gives a formula cell's
cached value and an error cell as empty text.  An import must refuse both ("paste as
values"), so for .xlsx the sheet's XML is scanned once for the few cells holding a formula
(``<f>``) or an error (``t="e"``); those cells read as ``Formula``/``ErrorValue`` as they
did before.  .xls and .ods keep calamine's cached values.  Merged ranges come from calamine
(.xlsx, .xls).  Files are checked before calamine sees them: size, a password-protected
(encrypted) workbook, a workbook of another kind than its name says, or something that is
not a workbook at all each get their own message.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.core.errors import InvalidInput, NotFound

from .i18n import _
from .tabular import MAX_BYTES, Sheet, check_file, size_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EXPANSION_LIMIT = 40  # a sheet may unpack to at most this many times the size limit
EXCEL = (".xlsx", ".xlsm")
FORMATS = (*EXCEL, ".xls", ".ods")
_REOPEN = "open and re-save it in Excel or WPS, or export CSV"
CALAMINE_EXTENSIONS = (".xls", ".ods")
WPS_EXTENSIONS = (".et", ".ett")


def refuse_et(path: str) -> InvalidInput:
    """The error for a WPS spreadsheet (.et): a format only WPS writes (WPS saves .xlsx too)."""
    return InvalidInput(
        _("{file} is a WPS spreadsheet (.et), which Rectify cannot read").format(
            file=os.path.basename(path)),
        _("open it in WPS and save it as an Excel workbook (文件 → 另存为 → .xlsx), "
          "then import the .xlsx"))


@dataclass(frozen=True)
class Merged:
    """A merged range: columns and rows, 1-based and inclusive."""

    min_col: int
    min_row: int
    max_col: int
    max_row: int

    def __str__(self) -> str:
        return (f"{column_letter(self.min_col)}{self.min_row}:"
                f"{column_letter(self.max_col)}{self.max_row}")


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


class Formula(str):
    """The text of a formula cell (``=...``): a string cell with the same text is a value."""


class ErrorValue(str):
    """An error cell (``#N/A``): a string cell with the same text is a value."""


def formula_or_error(value: Any) -> str | None:
    """'formula' or 'error' when a cell holds one instead of a value."""
    if isinstance(value, Formula):
        return "formula"
    if isinstance(value, ErrorValue):
        return "error"
    return None


def excel_date(value: Any) -> dt.date | None:
    """A date from an Excel serial number (as an unformatted date cell reads)."""
    from openpyxl.utils.datetime import from_excel

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not 1 <= value < 2958466:
        return None
    try:
        result = from_excel(value)
    except (ValueError, OverflowError):
        return None
    return result.date() if isinstance(result, dt.datetime) else result


# --- checking the file ----------------------------------------------------------------------------


def _kind(path: str, max_bytes: int) -> str:
    """The workbook's format ('.xlsx', '.xls', '.ods'), after checking the file is one."""
    check_file(path, max_bytes)
    ext = os.path.splitext(path)[1].lower()
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as fh:
            blob = fh.read(min(os.path.getsize(path), 4 * 1024 * 1024))
        if "EncryptionInfo".encode("utf-16-le") in blob:
            raise InvalidInput(f"{path} is password-protected (encrypted)",
                               "open it in Excel or WPS, remove the password "
                               "(文件 → 信息 → 保护工作簿), save, and import again")
        if ext != ".xls":
            raise InvalidInput(f"{path} is an old Excel 97-2003 (.xls) workbook",
                               _("save it as .xlsx (Excel workbook) or CSV and import that, "
                                 "or name it .xls"))
        return ".xls"
    if not head.startswith(ZIP_MAGIC):
        raise InvalidInput(f"{path} is not an Excel workbook (.xlsx)",
                           "save it from Excel or WPS as .xlsx, or as CSV")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            unpacked = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput(f"{path} is damaged: not a readable .xlsx workbook", _REOPEN) from None
    if unpacked > EXPANSION_LIMIT * max_bytes:
        raise InvalidInput(f"{path} unpacks to {size_text(unpacked)}, too large to import",
                           "split the workbook, or raise the limit with --max-size")
    if "xl/workbook.xml" in names:
        return ".xlsx"
    if "content.xml" in names and ext == ".ods":
        return ".ods"
    raise InvalidInput(f"{path} is a zip file but not an Excel workbook",
                       "save it from Excel or WPS as .xlsx")


# --- reading --------------------------------------------------------------------------------------


@contextmanager
def open_sheet(path: str, sheet: str | None = None, max_bytes: int = MAX_BYTES) -> Iterator[Sheet]:
    """The rows of ``sheet`` (name or 1-based number; default the first sheet) of a workbook.

    calamine reads the whole sheet when it is opened, so a damaged file is refused here,
    before the caller writes anything.
    """
    kind = _kind(path, max_bytes)
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(path)
    except pc.PasswordError:
        raise InvalidInput(f"{path} is password-protected (encrypted)",
                           _("open it in Excel or WPS, remove the password, save, and import "
                             "again")) from None
    except (pc.CalamineError, OSError, ValueError) as exc:
        raise InvalidInput(f"{path} is damaged: {exc}", _REOPEN) from None
    try:
        names = list(wb.sheet_names)
        name, index = _choose(names, sheet, path)
        try:
            ws = wb.get_sheet_by_index(index)
        except (pc.CalamineError, ValueError) as exc:
            raise InvalidInput(_("{path} is damaged in sheet '{sheet}': {error}").format(
                path=path, sheet=name, error=exc), _REOPEN) from None
        merged = [Merged(c0 + 1, r0 + 1, c1 + 1, r1 + 1)
                  for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or [])]
        special = _formulas_and_errors(path, index, name) if kind == ".xlsx" else {}
        end = ws.end
        total = max([end[0] + 1 if end else 0, *(r for r, _ in special)])
        yield Sheet(name, _rows(ws, special), total, list(dict.fromkeys(merged)), names)
    finally:
        wb.close()


def read_rows(path: str, sheet: str | None = None,
              max_bytes: int = MAX_BYTES) -> Iterator[tuple[int, Sequence[Any]]]:
    """(1-based row number, cell values) of a workbook's sheet, every row from the first.

    Empty cells read as ``''``; numbers as floats; date cells as ``date``/``datetime``; in an
    .xlsx, formula and error cells as ``Formula``/``ErrorValue``.
    """
    with open_sheet(path, sheet, max_bytes) as opened:
        yield from opened.rows


def _choose(names: list[str], sheet: str | None, path: str) -> tuple[str, int]:
    if not names:
        raise InvalidInput(f"{path} has no sheets", "save a workbook with the ledger in it")
    if sheet is None:
        return names[0], 0
    if sheet in names:
        return sheet, names.index(sheet)
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1], int(sheet) - 1
    raise NotFound(f"{path} has no sheet '{sheet}'",
                   f"sheets: {', '.join(names)} (give a name or a number from 1)")


def _rows(ws: Any, special: dict[tuple[int, int], str]) -> Iterator[tuple[int, Sequence[Any]]]:
    """Rows numbered from 1; calamine leaves out the empty columns left of the data."""
    start = ws.start
    pad = [""] * start[1] if start and start[1] else None
    by_row: dict[int, list[tuple[int, str]]] = {}
    for (r, c), value in special.items():
        by_row.setdefault(r, []).append((c, value))
    last = 0
    for number, cells in enumerate(ws.iter_rows(), start=1):
        if pad:
            cells = pad + cells
        if by_row and number in by_row:
            cells = _patch(cells, by_row.pop(number))
        last = number
        yield number, cells
    for extra in sorted(by_row):  # formula cells without a cached value, below the data
        for number in range(last + 1, extra):
            yield number, []
        last = extra
        yield extra, _patch([], by_row[extra])


def _patch(cells: list[Any], found: list[tuple[int, str]]) -> list[Any]:
    for col, value in found:
        while len(cells) <= col:
            cells.append("")
        cells[col] = value
    return cells


# --- formula and error cells of an .xlsx ----------------------------------------------------------

_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?)(/?)>")
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_F = re.compile(rb"\s*<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_V = re.compile(rb"\s*<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_SHARED = re.compile(rb'\bt="shared"')
_SI = re.compile(rb'\bsi="(\d+)"')
_SHEETS = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/?>")
_RELS = re.compile(rb"<Relationship\b[^>]*?/?>")


def _attr(tag: bytes, name: bytes) -> str | None:
    m = re.search(rb"\b" + name + rb'="([^"]*)"', tag)
    return html.unescape(m.group(1).decode("utf-8")) if m else None


def _sheet_member(zf: zipfile.ZipFile, index: int, name: str) -> str | None:
    """The zip member holding the ``index``-th sheet (found through the workbook's relations)."""
    try:
        book = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    rid = None
    for tag in _SHEETS.findall(book):
        if _attr(tag, b"name") == name:
            rid = _attr(tag, b"r:id") or _attr(tag, rb"\w+:id")
            break
    for tag in _RELS.findall(rels):
        if rid is not None and _attr(tag, b"Id") == rid:
            target = _attr(tag, b"Target") or ""
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    fallback = f"xl/worksheets/sheet{index + 1}.xml"
    return fallback if fallback in zf.namelist() else None


def _formulas_and_errors(path: str, index: int, name: str) -> dict[tuple[int, int], str]:
    """Formula and error cells of one sheet: (1-based row, 0-based column) → value, from one
    pass over its XML (a sheet without any costs one decompression and a byte search)."""
    found: dict[tuple[int, int], str] = {}
    shared: dict[bytes, tuple[str, str]] = {}  # si → (first cell, formula text)
    with zipfile.ZipFile(path) as zf:
        member = _sheet_member(zf, index, name)
        if member is None:
            return found
        try:
            src = zf.open(member)
        except KeyError:
            return found
        carry = b""
        with src:
            while True:
                chunk = src.read(1 << 20)
                data = carry + chunk
                if chunk:
                    cut = data.rfind(b"</c>") + 4 if b"</c>" in data else 0
                    if len(data) - cut > 1 << 22:  # one cell larger than 4 MB: no cell at all
                        cut = len(data)
                else:
                    cut = len(data)
                part = data[:cut]
                if b"<f" in part or b":f" in part or b't="e"' in part:
                    _scan_cells(part, found, shared)
                carry = data[cut:]
                if not chunk or b"</sheetData>" in part:
                    break
    return found


def _scan_cells(data: bytes, found: dict[tuple[int, int], str],
                shared: dict[bytes, tuple[str, str]]) -> None:
    end = data.find(b"</sheetData>")
    limit = end if end >= 0 else len(data)
    for m in _CELL.finditer(data, 0, limit):
        attrs = m.group(1)
        if m.group(2):
            continue  # <c .../>: an empty cell
        ref = _REF.search(attrs)
        if ref is None:
            continue
        row, col = int(ref.group(2)), _column_index(ref.group(1)) - 1
        f = _F.match(data, m.end())
        if f is not None:
            text = html.unescape(f.group(2).decode("utf-8")) if f.group(2) else ""
            coord = f"{ref.group(1).decode()}{row}"
            si = _SI.search(f.group(1))
            if _SHARED.search(f.group(1)) and si is not None:
                if text:
                    shared[si.group(1)] = (coord, text)
                elif si.group(1) in shared:
                    text = _translate(*shared[si.group(1)], coord)
            found[(row, col)] = Formula("=" + text)
        elif _ERROR_TYPE.search(attrs):
            v = _V.match(data, m.end())
            if v is not None:
                found[(row, col)] = ErrorValue(html.unescape(v.group(1).decode("utf-8")))


def _translate(origin: str, text: str, coord: str) -> str:
    """A shared formula as it reads in another cell (the text without its '=')."""
    from openpyxl.formula.translate import Translator

    translated: str = Translator("=" + text, origin=origin).translate_formula(coord)
    return translated[1:]

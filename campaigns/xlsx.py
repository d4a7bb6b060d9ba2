"""Excel workbooks: reading a sheet as a stream of rows, and writing ledgers offices open.

Reading uses openpyxl's read-only mode, so memory stays flat however long the sheet is;
merged ranges (which read-only mode does not report) are found by scanning the sheet's XML.
Files are checked before openpyxl sees them: size, a password-protected (encrypted) workbook,
an old .xls, or something that is not a workbook at all each get their own message.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.core.errors import InvalidInput, NotFound

from .i18n import _
from .safecells import as_text_cell
from .tabular import Sheet, check_file, size_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EXPANSION_LIMIT = 40  # a sheet may unpack to at most this many times the size limit
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_ROW = re.compile(rb"<(?:\w+:)?row[\s>]")


@dataclass(frozen=True)
class Merged:
    """A merged range: columns and rows, 1-based and inclusive."""

    min_col: int
    min_row: int
    max_col: int
    max_row: int

    def __str__(self) -> str:
        from openpyxl.utils import get_column_letter

        return (f"{get_column_letter(self.min_col)}{self.min_row}:"
                f"{get_column_letter(self.max_col)}{self.max_row}")


def _check_workbook(path: str, max_bytes: int) -> None:
    check_file(path, max_bytes)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as fh:
            blob = fh.read(min(os.path.getsize(path), 4 * 1024 * 1024))
        if "EncryptionInfo".encode("utf-16-le") in blob:
            raise InvalidInput(_("{path} is password-protected (encrypted)").format(path=path),
                               _("open it in Excel or WPS, remove the password (文件 → 信息 → "
                                 "保护工作簿), save, and import again"))
        raise InvalidInput(_("{path} is an old Excel 97-2003 (.xls) workbook").format(path=path),
                           _("save it as .xlsx (Excel workbook) or CSV and import that"))
    if not head.startswith(ZIP_MAGIC):
        raise InvalidInput(_("{path} is not an Excel workbook (.xlsx)").format(path=path),
                           _("save it from Excel or WPS as .xlsx, or as CSV"))
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                raise InvalidInput(_("{path} is a zip file but not an Excel workbook").format(path=path),
                                   _("save it from Excel or WPS as .xlsx"))
            unpacked = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput(_("{path} is damaged: not a readable .xlsx workbook").format(path=path),
                           _("open and re-save it in Excel or WPS, or export CSV")) from None
    if unpacked > EXPANSION_LIMIT * max_bytes:
        raise InvalidInput(_("{path} unpacks to {value}, too large to import").format(
            path=path, value=size_text(unpacked)),
                           _("split the workbook, or raise the limit with --max-size"))


@contextmanager
def open_sheet(path: str, sheet: str | None, max_bytes: int) -> Iterator[Sheet]:
    """Stream the rows of ``sheet`` (name or 1-based number; default the first sheet)."""
    _check_workbook(path, max_bytes)
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            wb = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise InvalidInput(_("{path} is damaged: {name__}: {exc}").format(
            path=path, name__=type(exc).__name__, exc=exc),
                           _("open and re-save it in Excel or WPS, or export CSV")) from None
    except Exception as exc:  # openpyxl raises many kinds on malformed XML
        raise InvalidInput(_("{path} cannot be read as a workbook: {exc}").format(path=path, exc=exc),
                           _("open and re-save it in Excel or WPS, or export CSV")) from None
    try:
        names = list(wb.sheetnames)
        ws = _choose(wb, names, sheet, path)
        merged, total = _scan(ws)
        ws.reset_dimensions()  # some writers record wrong dimensions; read every row there is
        yield Sheet(ws.title, _rows(ws, path), total, merged, names)
    finally:
        wb.close()


def _choose(wb: Any, names: list[str], sheet: str | None, path: str) -> Any:
    if not names:
        raise InvalidInput(_("{path} has no sheets").format(
            path=path), _("save a workbook with the ledger in it"))
    if sheet is None:
        return wb[names[0]]
    if sheet in names:
        return wb[sheet]
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return wb[names[int(sheet) - 1]]
    raise NotFound(_("{path} has no sheet '{sheet}'").format(path=path, sheet=sheet),
                   _("sheets: {names} (give a name or a number from 1)").format(names=', '.join(names)))


def _rows(ws: Any, path: str) -> Iterator[tuple[int, Sequence[Any]]]:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            for number, cells in enumerate(ws.iter_rows(), start=1):
                yield number, tuple(_value(c) for c in cells)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise InvalidInput(_("{path} is damaged part-way through sheet '{title}': {exc}").format(
            path=path, title=ws.title, exc=exc),
                           _("open and re-save it in Excel or WPS, or export CSV")) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("xml", "lxml", "zlib")) or "zlib" in str(exc):
            raise InvalidInput(_("{path} is damaged part-way through sheet '{title}': {exc}").format(
                path=path, title=ws.title, exc=exc),
                               _("open and re-save it in Excel or WPS, or export CSV")) from None
        raise


def _scan(ws: Any) -> tuple[list[Merged], int | None]:
    """Merged ranges and the number of rows of a read-only sheet, from a pass over its XML
    (read-only mode reports neither; merged ranges come after the cell data)."""
    from openpyxl.utils import column_index_from_string as col

    found: list[Merged] = []
    rows = 0
    try:
        src = ws.parent._archive.open(ws._worksheet_path)
    except (AttributeError, KeyError):
        return found, None
    carry = b""
    with src:
        while True:
            chunk = src.read(1 << 20)
            data = carry + chunk
            cut = len(data) if not chunk else max(0, len(data) - 512)
            rows += sum(1 for m in _ROW.finditer(data, 0, len(data)) if m.start() < cut)
            if b"mergeCell" in data:
                for m in _MERGE.finditer(data):
                    if m.start() >= cut:
                        break
                    c1, r1 = m.group(1), m.group(2)
                    c2, r2 = m.group(3) or c1, m.group(4) or r1
                    found.append(Merged(col(c1.decode()), int(r1), col(c2.decode()), int(r2)))
            if not chunk:
                break
            carry = data[cut:]
    return list(dict.fromkeys(found)), rows


class Formula(str):
    """The text of a formula cell (``=...``): a string cell with the same text is a value."""


class ErrorValue(str):
    """An error cell (``#N/A``): a string cell with the same text is a value."""


def _value(cell: Any) -> Any:
    """A cell's value, its type kept where a formula or an error would read as text."""
    kind = cell.data_type
    if kind == "f":  # an array formula reads as an object holding its text
        return Formula(str(getattr(cell.value, "text", cell.value)))
    if kind == "e" and isinstance(cell.value, str):
        return ErrorValue(cell.value)
    return cell.value


def formula_or_error(value: Any) -> str | None:
    """'formula' or 'error' when a cell holds one instead of a value."""
    if isinstance(value, Formula):
        return "formula"
    if isinstance(value, ErrorValue):
        return "error"
    return None


# --- writing ------------------------------------------------------------------------------------


@dataclass
class Column:
    header: str
    width: float = 12
    kind: str = "text"  # text | date | int | wrap


def write_table_sheet(wb: Any, title: str, caption: str, columns: Sequence[Column],
                      rows: Iterator[Sequence[Any]], subtitle: str | None = None) -> int:
    """A sheet with a merged caption row, a frozen header row, set widths and date cells.

    ``wb`` is a write-only workbook; returns the number of data rows written.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import MultiCellRange

    ws = wb.create_sheet(title)
    last = get_column_letter(len(columns))
    merges = [f"A1:{last}1"] + ([f"A2:{last}2"] if subtitle else [])
    ws.merged_cells = MultiCellRange(merges)
    header_row = 3 if subtitle else 2
    ws.freeze_panes = f"A{header_row + 1}"
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = c.width
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    cap = as_text_cell(WriteOnlyCell(ws, caption))
    cap.font = Font(name="宋体", size=16, bold=True)
    cap.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    ws.append([cap])
    if subtitle:
        sub = as_text_cell(WriteOnlyCell(ws, subtitle))
        sub.alignment = Alignment(horizontal="right")
        ws.append([sub])
    head = []
    for c in columns:
        cell = as_text_cell(WriteOnlyCell(ws, c.header))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        head.append(cell)
    ws.append(head)
    # one styled cell per kind of column; every data cell shares its style array (styling
    # each cell through openpyxl's descriptors costs more than writing it)
    protos = {}
    for kind, fmt, wrap in (("date", "yyyy-mm-dd", False), ("text", "General", False),
                            ("wrap", "General", True), ("int", "0", False)):
        proto = WriteOnlyCell(ws, None)
        proto.number_format = fmt
        proto.border = border
        proto.alignment = Alignment(vertical="top", wrap_text=wrap)
        protos[kind] = proto._style  # type: ignore[attr-defined]
    styles = [protos.get(c.kind, protos["text"]) for c in columns]
    n = 0
    for values in rows:
        out = []
        for style, v in zip(styles, values, strict=True):
            cell = WriteOnlyCell(ws, v)
            if isinstance(v, str):  # text stays text: never a formula (docs/security.md)
                cell.data_type = "s"
            cell._style = style  # type: ignore[attr-defined]
            out.append(cell)
        ws.append(out)
        n += 1
    if n:
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + n}"
    return n


def new_workbook() -> Any:
    from openpyxl import Workbook

    return Workbook(write_only=True)


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

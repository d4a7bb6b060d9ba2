"""Excel workbooks: the ledgers offices open, written with xlsxwriter; reading is
``campaigns.workbooks`` (re-exported here for the importer).

xlsxwriter in constant-memory mode writes each row to disk as it comes, so memory stays flat
however long the ledger, and it writes several times faster than openpyxl's write-only mode.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .workbooks import (
    excel_date as excel_date,  # the importer's names for them
    formula_or_error as formula_or_error,
    open_sheet as open_sheet,
    read_rows as read_rows,
)

# --- writing ------------------------------------------------------------------------------------


@dataclass
class Column:
    header: str
    width: float = 12
    kind: str = "text"  # text | date | int | wrap


def write_table_sheet(wb: Any, title: str, caption: str, columns: Sequence[Column],
                      rows: Iterator[Sequence[Any]], subtitle: str | None = None) -> int:
    """A sheet with a merged caption row, a frozen header row, set widths and date cells.

    ``wb`` is a workbook from ``new_workbook``; returns the number of data rows written.
    Text is written as string cells, never as a formula or a link (docs/security.md).
    """
    ws = wb.add_worksheet(title)
    last = len(columns) - 1
    header_row = 2 if subtitle else 1  # 0-based
    for i, c in enumerate(columns):  # stored as given (Excel's width is pixels / 7)
        ws.set_column_pixels(i, i, round(c.width * 7))
    ws.freeze_panes(header_row + 1, 0)
    border = {"border": 1, "border_color": "#999999"}
    ws.set_row(0, 30)
    fmt = wb.add_format({"font_name": "宋体", "font_size": 16, "bold": True, "align": "center",
                         "valign": "vcenter"})
    ws.merge_range(0, 0, 0, last, "", fmt)
    ws.write_string(0, 0, caption, fmt)
    if subtitle:
        fmt = wb.add_format({"align": "right"})
        ws.merge_range(1, 0, 1, last, "", fmt)
        ws.write_string(1, 0, subtitle, fmt)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "pattern": 1, "align": "center",
                          "valign": "vcenter", "text_wrap": True, **border})
    for i, c in enumerate(columns):
        ws.write_string(header_row, i, c.header, head)
    formats = {kind: cell_style(wb, {"num_format": fmt, "valign": "top", "text_wrap": wrap,
                                     **border})
               for kind, fmt, wrap in (("date", "yyyy-mm-dd", False), ("text", "General", False),
                                       ("wrap", "General", True), ("int", "0", False))}
    styles = [formats.get(c.kind, formats["text"]) for c in columns]
    # one writer per cell by type, looked up once per value type: xlsxwriter's ``write``
    # would read text starting with '=' as a formula and text like a URL as a link.  Each is
    # the method without the wrapper that reads "A1" cell names (a twentieth of a large
    # ledger's export), where xlsxwriter has one
    by_type: dict[type, Any] = {str: _direct(ws, "write_string"), int: _direct(ws, "write_number"),
                                float: _direct(ws, "write_number"),
                                bool: _direct(ws, "write_boolean"),
                                dt.date: _direct(ws, "write_datetime"),
                                dt.datetime: _direct(ws, "write_datetime"),
                                type(None): _direct(ws, "write_blank")}
    r = header_row
    for values in rows:
        r += 1
        for col, (style, v) in enumerate(zip(styles, values, strict=True)):
            write = by_type.get(type(v))
            if write is None:
                write = ws.write_string
                v = str(v)
            if v is None:
                write(r, col, None, style)
            else:
                write(r, col, v, style)
    n = r - header_row
    if n:
        ws.autofilter(header_row, 0, r, last)
    return n


def _direct(ws: Any, name: str) -> Any:
    """The worksheet's ``name`` method taking row and column numbers only: xlsxwriter keeps
    each public ``write_*`` as a wrapper, which converts "A1" names, around ``_write_*``."""
    return getattr(ws, "_" + name, None) or getattr(ws, name)


def cell_style(wb: Any, properties: dict[str, Any]) -> Any:
    """A format for the data cells, every one of which carries it, whose index xlsxwriter
    writes as text: it escapes each cell's style attribute by searching it as a string, and an
    integer index fails that search through an exception, a tenth of a large ledger's export.
    The workbook is the same, byte for byte."""
    fmt = wb.add_format(properties)
    fmt.__class__ = _text_index_format()
    return fmt


@functools.cache
def _text_index_format() -> type:
    from xlsxwriter.format import Format

    class TextIndexFormat(Format):  # type: ignore[misc]
        """``Format`` whose ``_get_xf_index`` (what xlsxwriter writes into a cell's ``s``
        attribute) is the index as text; the index itself stays a number."""

        _xf_text: str | None = None  # the index as text, once xlsxwriter has settled it

        def _get_xf_index(self) -> Any:
            if self._xf_text is not None:
                return self._xf_text
            index = super()._get_xf_index()
            if type(index) is not int or not index:
                return index
            if index == self.xf_index:  # its own for good (not a look-up of an equal format's)
                self._xf_text = str(index)
            return str(index)

    return TextIndexFormat


def new_workbook(path: str) -> Any:
    """A workbook written to ``path`` row by row (close it to finish the file)."""
    import xlsxwriter

    return xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False})

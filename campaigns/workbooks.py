"""Reading the workbooks that are not .xlsx: Excel 97-2003 (.xls) and OpenDocument (.ods).

python-calamine reads both (it is a binding of the Rust ``calamine`` crate, maintained, with
wheels for every platform); ``calamine_sheet`` is the one place it is called, so every reader
of these formats gets the same values, merged ranges and messages.  WPS's own ``.et`` format
is not read: WPS saves .xlsx as well, and ``refuse_et`` says so.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from engine.core.errors import InvalidInput, NotFound

from .i18n import _
from .tabular import Sheet, check_file

CALAMINE_EXTENSIONS = (".xls", ".ods")
WPS_EXTENSIONS = (".et", ".ett")


def refuse_et(path: str) -> InvalidInput:
    """The error for a WPS spreadsheet (.et): a format only WPS writes."""
    return InvalidInput(
        _("{file} is a WPS spreadsheet (.et), which Rectify cannot read").format(
            file=os.path.basename(path)),
        _("open it in WPS and save it as an Excel workbook (文件 → 另存为 → .xlsx), "
          "then import the .xlsx"))


@contextmanager
def calamine_sheet(path: str, sheet: str | None, max_bytes: int) -> Iterator[Sheet]:
    """Stream the rows of ``sheet`` (name or 1-based number; default the first) of an
    .xls or .ods workbook, with its merged ranges (1-based, as ``xlsx.Merged``)."""
    import python_calamine as pc

    from .xlsx import Merged

    check_file(path, max_bytes)
    damaged = _("open and re-save it in Excel, WPS or LibreOffice, or save it as .xlsx")
    try:
        wb = pc.CalamineWorkbook.from_path(path)
    except pc.PasswordError:
        raise InvalidInput(_("{file} is password-protected (encrypted)").format(file=path),
                           _("remove the password, save, and import again")) from None
    except Exception as exc:  # calamine raises its own kinds and plain ones on damage
        raise InvalidInput(_("{file} cannot be read as a workbook: {error}").format(
            file=path, error=exc), damaged) from None
    try:
        names = list(wb.sheet_names)
        name = _choose(names, sheet, path)
        try:
            ws = wb.get_sheet_by_name(name)
            rows = ws.to_python(skip_empty_area=False)
        except Exception as exc:
            raise InvalidInput(_("{file} is damaged in sheet '{sheet}': {error}").format(
                file=path, sheet=name, error=exc), damaged) from None
        merged = [Merged(c0 + 1, r0 + 1, c1 + 1, r1 + 1)
                  for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or [])]
        yield Sheet(name, _numbered(rows), len(rows), merged, names)
    finally:
        wb.close()


def _choose(names: list[str], sheet: str | None, path: str) -> str:
    if not names:
        raise InvalidInput(_("{file} has no sheets").format(file=path),
                           _("save a workbook with the ledger in it"))
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    raise NotFound(_("{file} has no sheet '{sheet}'").format(file=path, sheet=sheet),
                   _("sheets: {names} (give a name or a number from 1)").format(
                       names=", ".join(names)))


def _numbered(rows: list[list[Any]]) -> Iterator[tuple[int, Sequence[Any]]]:
    for number, cells in enumerate(rows, start=1):
        yield number, tuple(_value(c) for c in cells)


def _value(cell: Any) -> Any:
    """An empty cell as None (calamine gives ''); a whole-day datetime as a date."""
    if cell == "":
        return None
    if isinstance(cell, dt.datetime) and cell.time() == dt.time():
        return cell.date()
    return cell

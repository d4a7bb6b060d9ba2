"""Cell values as offices type them: text, and dates in their many spellings."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from campaigns.i18n import _
from engine.core.errors import InvalidInput


def cell_text(value: Any) -> str:
    if type(value) is str:  # most cells: the same as str(value).strip() below, sooner
        return value.strip()
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


_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YMD8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM_END = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?\s*(底|末|份)?$")
_MD = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_M_END = re.compile(r"^(\d{1,2})\s*月\s*(底|末)$")
_Y_END = re.compile(r"^(\d{4})\s*年\s*(底|末)$")
_BEFORE = re.compile(r"(之前|以前|前|止)$")


def cell_date(value: Any, start: dt.date, spreadsheet: bool) -> dt.date:
    """A date cell (see ``_cell_date``), in the years every other door accepts."""
    from ..dates import in_range

    return in_range(_cell_date(value, start, spreadsheet), f"'{cell_text(value)}'")


def _cell_date(value: Any, start: dt.date, spreadsheet: bool) -> dt.date:
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
        from ..xlsx import excel_date

        day = excel_date(value)
        if day is not None:
            return day
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
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
        raise InvalidInput(_("'{value}' is not a real date ({exc})").format(value=cell_text(value), exc=exc),
                           _("check the month's length")) from None
    raise InvalidInput(_("'{value}' is not a date").format(value=cell_text(value)),
                       _("write it as 2015-09-30, 2015/9/30 or 2015年9月30日"))


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _in_campaign_year(start: dt.date, month: int, day: int) -> dt.date:
    candidate = dt.date(start.year, month, day)
    return candidate if candidate >= start else dt.date(start.year + 1, month, day)


def iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value

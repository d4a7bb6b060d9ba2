"""When a plan item takes place, as a plan writes it: a day, a range, a month, 上旬/中旬/下旬,
a quarter or the whole year, always inside the plan's year."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from campaigns.i18n import _

_RANGE = re.compile(r"\s*(?:\.\.|~|～|至|到|—|--)\s*")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(?:(\d{4})-?Q([1-4])|(?:(\d{4})年)?第([一二三四1-4])季度)$", re.I)
_CN = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(?:(\d{1,2})[日号]|(上旬|中旬|下旬|底|初))?$")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4}
YEAR_WORDS = ("全年", "年内", "whole year")


class PeriodError(ValueError):
    """A period that cannot be read, or one outside the plan's year."""


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _one(text: str, year: int) -> tuple[dt.date, dt.date]:
    text = text.strip()
    try:
        if m := _ISO_DAY.match(text):
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            return day, day
        if m := _ISO_MONTH.match(text):
            y, mo = int(m[1]), int(m[2])
            return dt.date(y, mo, 1), dt.date(y, mo, _month_end(y, mo))
        if m := _QUARTER.match(text):
            y = int(m[1] or m[3] or year)
            q = int(m[2]) if m[2] else _NUMERALS.get(m[4]) or int(m[4])
            return dt.date(y, 3 * q - 2, 1), dt.date(y, 3 * q, _month_end(y, 3 * q))
        if m := _CN.match(text):
            y, mo = int(m[1] or year), int(m[2])
            end = _month_end(y, mo)
            if m[3]:
                day = dt.date(y, mo, int(m[3]))
                return day, day
            first, last = {"上旬": (1, 10), "初": (1, 10), "中旬": (11, 20), "下旬": (21, end),
                           "底": (21, end)}.get(m[4] or "", (1, end))
            return dt.date(y, mo, first), dt.date(y, mo, last)
    except ValueError as exc:  # 2020-02-30, month 13
        raise PeriodError(_("'{text}' is not a date: {exc}").format(text=text, exc=exc)) from None
    raise PeriodError(_("'{text}' is not a period this plan can read").format(text=text))


def parse_period(text: str, year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of ``text`` (e.g. ``3月上旬``, ``2020-05-11..2020-05-15``,
    ``2020-Q2``, ``全年``); raises PeriodError naming what is wrong."""
    text = str(text).strip()
    if not text:
        raise PeriodError(_('the period is empty'))
    if text in YEAR_WORDS:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    parts = _RANGE.split(text)
    if len(parts) > 2:
        raise PeriodError(_("'{text}' has more than one range").format(text=text))
    starts = _one(parts[0], year)[0]
    ends = _one(parts[-1], year)[1]
    if ends < starts:
        raise PeriodError(_("'{text}' ends before it starts").format(text=text))
    if starts.year != year or ends.year != year:
        raise PeriodError(_("'{text}' is not inside the plan's year {year}").format(text=text, year=year))
    return starts, ends


HINT = ("write a day (2020-05-12), a range (2020-05-11..2020-05-15), a month (2020-05 or 5月), "
        "5月上旬/中旬/下旬, a quarter (2020-Q2 or 第二季度) or 全年")

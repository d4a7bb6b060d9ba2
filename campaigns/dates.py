"""Business dates: parsing what users type, and "today" in the campaign's time zone."""

from __future__ import annotations

import datetime as dt
import re

from engine.core.errors import InvalidInput

from .i18n import _

_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def parse_date(text: str, what: str = "date") -> dt.date:
    """Accept the forms offices type (2015-09-30, 2015/9/30, 2015年9月30日)."""
    value = str(text).strip()
    for form in _FORMS:
        match = form.match(value)
        if match:
            try:
                day = dt.date(*(int(g) for g in match.groups()))
            except ValueError as exc:
                raise InvalidInput(_("{what} '{text}' is not a real date ({exc})").format(
                    what=what, text=text, exc=exc),
                                   _("check the month's length")) from None
            return in_range(day, what)
    raise InvalidInput(_("{what} '{text}' is not a date").format(
        what=what, text=text), _("write it as YYYY-MM-DD, e.g. 2015-09-30"))


FIRST_YEAR, LAST_YEAR = 1900, 2999  # deadlines and ladders count days past any date given


def in_range(day: dt.date, what: str = "date") -> dt.date:
    """``day``, if its year is one a campaign can run in; every door that takes a date uses
    this (options, imported cells, months), so arithmetic on it never leaves the calendar."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(_("{what} {value} is out of range").format(what=what, value=day.isoformat()),
                           _("give a date in the years {FIRST_YEAR} to {LAST_YEAR}").format(
                               FIRST_YEAR=FIRST_YEAR, LAST_YEAR=LAST_YEAR))
    return day


def today(timezone: str = "Asia/Shanghai") -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(timezone)).date()

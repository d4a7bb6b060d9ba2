"""Business dates: parsing what users type, and "today" in the campaign's time zone."""

from __future__ import annotations

import datetime as dt
import re

from engine.core.errors import InvalidInput

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
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError as exc:
                raise InvalidInput(f"{what} '{text}' is not a real date ({exc})",
                                   "check the month's length") from None
    raise InvalidInput(f"{what} '{text}' is not a date", "write it as YYYY-MM-DD, e.g. 2015-09-30")


def today(timezone: str = "Asia/Shanghai") -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(timezone)).date()

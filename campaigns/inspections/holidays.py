"""Holiday inspections scheduled from the working-day calendar (个个节日有督查, seed 003).

A statutory holiday is a run of days off that holds a weekday (an ordinary weekend holds
none) or a day the region's data names a holiday (2015's 中秋 fell on a Sunday and added no
day off): the campaign's calendar decides which days are off, so local ``days_off`` count too.
Its inspection falls ``inspections.holidays.ahead`` before the run's first day (``3 working
days``: the third working day before it).  The schedule is a view: for each holiday, the
inspections of the holiday method recorded from that day to the holiday's end, and whether
it is done, due or missed as of a day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from campaigns.i18n import _
from engine.core.calendar import calendar_for
from engine.core.errors import InvalidInput
from engine.core.spec import Duration

from ..runs import Run
from ..tables import INSPECTIONS as INS
from .settings import settings

COLUMNS = ("holiday", "starts", "ends", "inspect_on", "method", "theme", "inspections", "status")


def holiday_runs(run: Run, year: int) -> list[tuple[dt.date, dt.date]]:
    """The first and last day of each run of days off in ``year`` that holds a weekday or a
    named holiday."""
    cal = calendar_for(run.definition.calendar)
    day, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    runs: list[tuple[dt.date, dt.date]] = []
    start: dt.date | None = None
    weekday = False
    while day <= last + dt.timedelta(days=1):
        off = day <= last and not cal.is_working(day)
        if off:
            if start is None:
                start, weekday = day, False
            weekday = weekday or day.weekday() < 5 or _named(run, day)
        elif start is not None:
            if weekday:
                runs.append((start, day - dt.timedelta(days=1)))
            start = None
        day += dt.timedelta(days=1)
    return runs


def _named(run: Run, day: dt.date) -> bool:
    """Whether the region's data names ``day`` a holiday (a weekend day may be one)."""
    if run.definition.calendar.region != "cn":
        return False
    from chinese_calendar import get_holiday_detail

    try:
        return get_holiday_detail(day)[1] is not None
    except NotImplementedError:  # a year the data does not cover
        return False


def _name(run: Run, first: dt.date, end: dt.date) -> str:
    """The holiday's Chinese name from the region's data (节假日 when it has none)."""
    if run.definition.calendar.region == "cn":
        from chinese_calendar import get_holiday_detail
        from chinese_calendar.constants import Holiday

        day = first
        while day <= end:
            try:
                _on, name = get_holiday_detail(day)
            except NotImplementedError:  # a year the data does not cover
                break
            for h in Holiday:
                if name == h.value:
                    return str(h.chinese)
            day += dt.timedelta(days=1)
    return "节假日"


def holiday_schedule(conn: Connection, run: Run, year: int, as_of: dt.date) -> list[dict[str, Any]]:
    """Each holiday of ``year`` with the day its inspection is due and what was recorded."""
    how = settings(run.definition.sections)
    if not how.holidays:
        raise InvalidInput(_("campaign '{key}' schedules no holiday inspections").format(key=run.key),
                           _('add inspections.holidays.ahead (e.g. 3 working days) to its definition'))
    ahead = Duration.parse(str(how.holidays["ahead"]))
    method = str(how.holidays.get("method") or "节假日专项")
    theme = str(how.holidays.get("theme") or "前督查")
    cal = calendar_for(run.definition.calendar)
    done = conn.execute(select(INS.c.ref, INS.c.starts).where(
        INS.c.campaign_id == run.id, INS.c.method == method, INS.c.year == year)
        .order_by(INS.c.starts, INS.c.id)).all()
    rows = []
    for first, end in holiday_runs(run, year):
        due = cal.add(first, Duration(-abs(ahead.days), ahead.unit))
        refs = [r.ref for r in done if due <= r.starts <= end]
        status = "done" if refs else ("missed" if as_of > end else "due")
        name = _name(run, first, end)
        rows.append({"holiday": name, "starts": first.isoformat(), "ends": end.isoformat(),
                     "inspect_on": due.isoformat(), "method": method, "theme": name + theme,
                     "inspections": ", ".join(refs), "status": status})
    return rows

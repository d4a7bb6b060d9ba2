"""The working-day calendar: which days count, and counting them.

THE ONE COUNTING RULE: "N working days from D" does not count D.  The result of
``add(D, N working days)`` is the Nth working day *after* D (before D when N is
negative), and ``working_days_between(a, b)`` counts the working days in ``(a, b]``.
Both are the same rule, so ``working_days_between(d, add(d, n)) == n`` for ``n >= 0``.

Holidays and adjusted working days (调休) for region ``cn`` come from the
``chinesecalendar`` package, imported only when a working-day question is first
asked, because most commands never ask one and process start time matters.

Questions are answered from a per-year sorted list of working days (as date
ordinals) built once per year and searched with ``bisect``, so a sweep asking about
many (date, duration) pairs costs O(log n) each.
"""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from .errors import InvalidInput
from .spec import CalendarSpec, DayUnit, Duration
from .text import Text

OUTSIDE_HINT = Text(
    "set calendar.outside_known_years: weekends to count Monday-Friday only, or upgrade chinesecalendar"
)
REGIONS = ("cn", "none")


class CalendarError(InvalidInput):
    """A working-day question the calendar cannot answer truthfully (e.g. no holiday data)."""


class _YearUnknown(Exception):
    """A year the calendar has no table for; the public method that hit it says what it was doing.

    Raised bare and turned into a ``CalendarError`` only on the way out, so the hot
    paths never format a message they will not need.
    """

    def __init__(self, year: int, known: tuple[int, int] | None) -> None:
        super().__init__(year)
        self.year, self.known = year, known

    def error(self, why: str) -> CalendarError:
        if self.known is None:
            return CalendarError(
                Text("no year {year}, needed for {why}: beyond the dates this calendar can represent",
                     year=self.year, why=why)
            )
        first, last = self.known
        return CalendarError(
            Text("no holiday data for {year}, needed for {why}: the installed chinesecalendar "
                 "knows only the years {first}-{last}", year=self.year, why=why, first=first, last=last),
            OUTSIDE_HINT,
        )


@functools.cache
def calendar_for(spec: CalendarSpec) -> WorkCalendar:
    """The one calendar for ``spec``; cached so its per-year tables are built once per process."""
    return WorkCalendar(spec)


@functools.cache
def _cn_source() -> tuple[Callable[[dt.date], bool], int, int]:
    """``chinesecalendar``'s is_workday and the years it knows; imported here, on first need."""
    import chinese_calendar
    from chinese_calendar.constants import holidays

    years = [d.year for d in holidays]
    return chinese_calendar.is_workday, min(years), max(years)


def known_years(spec: CalendarSpec) -> tuple[int, int]:
    """The first and last year the region's holiday data covers (all years for region 'none')."""
    if spec.region == "cn":
        _, first, last = _cn_source()
        return first, last
    return dt.MINYEAR, dt.MAXYEAR


class WorkCalendar:
    """Answers working-day questions for one ``CalendarSpec``.

    Build it with ``calendar_for``; it holds lazily built per-year tables and is
    meant to live for the whole process.
    """

    def __init__(self, spec: CalendarSpec) -> None:
        if spec.region not in REGIONS:
            raise CalendarError(
                Text("unknown calendar region '{region}'", region=spec.region),
                Text("use one of: {names}", names=", ".join(REGIONS))
            )
        both = spec.days_off & spec.working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise CalendarError(
                Text("{listed} listed both as a day off and as a working day", listed=listed),
                Text("keep each date in only one of calendar.days_off and calendar.working_days"),
            )
        self.spec = spec
        self._days_off = frozenset(d.toordinal() for d in spec.days_off)
        self._extra_working = frozenset(d.toordinal() for d in spec.working_days)
        self._years: dict[int, list[int]] = {}  # year -> sorted ordinals of its working days

    def __repr__(self) -> str:
        return f"WorkCalendar(region={self.spec.region!r})"

    # -- which days count -------------------------------------------------------

    def is_working(self, d: dt.date) -> bool:
        """Whether people work on ``d``: local lists first, then the region's rule.

        A date listed locally is answered without holiday data, so a local list
        may decide a day even in a year the data does not cover.
        """
        n = d.toordinal()
        if n in self._days_off:
            return False
        if n in self._extra_working:
            return True
        try:
            table = self._year(d.year)
        except _YearUnknown as gap:
            raise gap.error(Text("deciding whether {value} is a working day", value=d.isoformat())) from None
        i = bisect_left(table, n)
        return i < len(table) and table[i] == n

    def _year(self, year: int) -> list[int]:
        """The sorted working-day ordinals of ``year``, built on first use."""
        table = self._years.get(year)
        if table is None:
            table = self._build_year(year)
            self._years[year] = table
        return table

    def _build_year(self, year: int) -> list[int]:
        if not dt.MINYEAR <= year <= dt.MAXYEAR:
            raise _YearUnknown(year, None)
        rule: Callable[[dt.date], bool] = self._weekday_rule
        if self.spec.region == "cn":
            is_workday, first, last = _cn_source()
            if first <= year <= last:
                rule = is_workday
            elif self.spec.outside_known_years != "weekends":
                raise _YearUnknown(year, (first, last))
        start = dt.date(year, 1, 1).toordinal()
        end = dt.date(year, 12, 31).toordinal()
        off, extra = self._days_off, self._extra_working
        return [
            n
            for n in range(start, end + 1)
            if n in extra or (n not in off and rule(dt.date.fromordinal(n)))
        ]

    @staticmethod
    def _weekday_rule(d: dt.date) -> bool:
        """Monday to Friday: region 'none', and the 'weekends' fallback outside known years."""
        return d.weekday() < 5

    # -- counting ---------------------------------------------------------------

    def add(self, d: dt.date, duration: Duration) -> dt.date:
        """The date ``duration`` after ``d`` (before it when negative).

        Working days follow the one counting rule: ``d`` itself is not counted, so
        +1 is the next working day after ``d`` and -1 the last one before it;
        0 is ``d`` itself, working day or not.
        """
        if duration.unit == "calendar":
            try:
                return d + dt.timedelta(days=duration.days)
            except OverflowError:
                raise CalendarError(
                    Text("{duration} from {value} is beyond the dates this calendar can represent",
                         duration=duration, value=d.isoformat())
                ) from None
        if duration.days == 0:
            return d
        try:
            return self._add_working(d.toordinal(), d.year, duration.days)
        except _YearUnknown as gap:
            raise gap.error(Text("counting {duration} from {value}", duration=duration,
                                 value=d.isoformat())) from None

    def _add_working(self, n: int, year: int, left: int) -> dt.date:
        """The ``left``-th working day after ordinal ``n`` (before it when negative), ``n`` in ``year``."""
        if left > 0:
            table = self._year(year)
            i = bisect_right(table, n)  # table[i:] are the working days after n
            while len(table) - i < left:
                left -= len(table) - i
                year += 1
                table, i = self._year(year), 0
            return dt.date.fromordinal(table[i + left - 1])
        left = -left
        table = self._year(year)
        i = bisect_left(table, n)  # table[:i] are the working days before n
        while i < left:
            left -= i
            year -= 1
            table = self._year(year)
            i = len(table)
        return dt.date.fromordinal(table[i - left])

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """The number of working days in ``(a, b]``: ``a`` excluded, ``b`` included.

        Negative (the count in ``(b, a]``) when ``b`` is before ``a``, so
        ``working_days_between(a, b) == -working_days_between(b, a)``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        try:
            ta, tb = self._year(a.year), self._year(b.year)
            after_a, upto_b = bisect_right(ta, a.toordinal()), bisect_right(tb, b.toordinal())
            if a.year == b.year:
                return upto_b - after_a
            between = sum(len(self._year(y)) for y in range(a.year + 1, b.year))
        except _YearUnknown as gap:
            raise gap.error(Text("counting working days from {value} to {value2}", value=a.isoformat(),
                                 value2=b.isoformat())) from None
        return len(ta) - after_a + between + upto_b

    def elapsed(self, since: dt.date, until: dt.date, unit: DayUnit) -> int:
        """Days passed from ``since`` to ``until`` in ``unit`` (``since`` not counted, ``until`` is)."""
        if unit == "calendar":
            return (until - since).days
        return self.working_days_between(since, until)

    def is_overdue(self, deadline: dt.date, as_of: dt.date) -> bool:
        """Late from the first day after the deadline, whatever kind of day that is."""
        return as_of > deadline

    def overdue_days(self, deadline: dt.date, as_of: dt.date, unit: DayUnit) -> int:
        """How many days in ``unit`` an item is past its deadline on ``as_of``; 0 when not overdue.

        In working days this is 0 on a holiday just after the deadline, although the
        item is already late (``is_overdue``): no working day has passed yet.  That
        keeps ``overdue_days(dl, x, unit) >= n`` exactly when ``x >= due_date(dl, +n unit)``.
        """
        return max(0, self.elapsed(deadline, as_of, unit))

    def due_date(self, deadline: dt.date, threshold: Duration) -> dt.date:
        """The date a threshold measured from a deadline is reached (negative: before it)."""
        return self.add(deadline, threshold)

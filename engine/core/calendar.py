"""The working-day calendar: which days count, and counting them.

THE ONE COUNTING RULE: "N working days from D" does not count D.  The result of
``add(D, N working days)`` is the Nth working day *after* D (before D when N is
negative), and ``working_days_between(a, b)`` counts the working days in ``(a, b]``.
Both are the same rule, so ``working_days_between(d, add(d, n)) == n`` for ``n >= 0``.

Whether a date is a working day is decided by the first source that knows it:

1. the definition's own ``days_off``/``working_days``;
2. the site's calendar data (``CalendarSpec.site``: imported State Council notices and
   regional holidays, injected by the store; a year with a notice counts Monday to Friday
   apart from the notice's days);
3. the ``chinesecalendar`` package (the years whose notices it ships);
4. for a year none of them knows, as ``outside_known_years`` says: ``provisional`` (the
   default) takes the statutory holidays the ``holidays`` package computes, lunar festivals
   included, with weekends, and marks the year provisional; ``weekends`` counts Monday to
   Friday; ``error`` refuses.

Both libraries are imported only when a working-day question is first asked, because most
commands never ask one and process start time matters.

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
from .spec import CalendarSpec, DayUnit, Definition, Duration, SiteDays
from .text import Text

OUTSIDE_HINT = Text(
    "import the year's holiday notice with 'rectify calendar import', set "
    "calendar.outside_known_years: provisional (statutory holidays, marked provisional) or "
    "weekends (Monday-Friday only), or upgrade chinesecalendar"
)
REGIONS = ("cn", "none")
PROVISIONAL_RANGE = (1950, 2100)  # the years the holidays package computes China's holidays for

# Where a year's days come from (``WorkCalendar.year_source``).
NOTICE, LIBRARY, PROVISIONAL, WEEKENDS, WEEKDAYS = (
    "notice", "chinesecalendar", "provisional", "weekends", "weekdays")


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


@functools.cache
def _statutory(year: int) -> frozenset[dt.date]:
    """China's statutory holidays of ``year`` as the ``holidays`` package computes them.

    It knows the lunar festivals of every year and the substitute days the law gives, but no
    notice's 调休 working weekend days: the reason such a year is provisional.
    """
    import holidays

    return frozenset(holidays.country_holidays("CN", years=year))


def _provisional_rule(off_by_law: frozenset[dt.date], d: dt.date) -> bool:
    """Monday to Friday, less the statutory holidays: a year no notice has come for."""
    return d.weekday() < 5 and d not in off_by_law


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
        site = spec.site if spec.region == "cn" else SiteDays()
        self._site = site
        # the definition's lists first, then the site's for the dates the definition leaves
        own_off = frozenset(d.toordinal() for d in spec.days_off)
        own_working = frozenset(d.toordinal() for d in spec.working_days)
        site_off = frozenset(d.toordinal() for d in site.days_off) - own_working
        site_working = frozenset(d.toordinal() for d in site.working_days) - own_off
        self._own = own_off | own_working
        self._days_off = own_off | (site_off - site_working)
        self._extra_working = own_working | site_working
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

    def year_source(self, year: int) -> str:
        """Where ``year``'s days come from, after the listed dates: ``notice`` (the site's),
        ``chinesecalendar``, ``provisional``, ``weekends`` (the fallback) or ``weekdays``
        (region 'none'); raises ``CalendarError`` for a year no source may answer."""
        try:
            return self._year_source(year)
        except _YearUnknown as gap:
            raise gap.error(f"the working days of {year}") from None

    def _year_source(self, year: int) -> str:
        if not dt.MINYEAR <= year <= dt.MAXYEAR:
            raise _YearUnknown(year, None)
        if self.spec.region != "cn":
            return WEEKDAYS
        if year in self._site.years:
            return NOTICE
        _, first, last = _cn_source()
        if first <= year <= last:
            return LIBRARY
        outside = self.spec.outside_known_years
        if outside == "weekends":
            return WEEKENDS
        if outside == "provisional" and PROVISIONAL_RANGE[0] <= year <= PROVISIONAL_RANGE[1]:
            return PROVISIONAL
        raise _YearUnknown(year, (first, last))

    def is_provisional(self, d: dt.date) -> bool:
        """Whether ``d`` falls in a year counted on provisional data (no notice for it yet).

        A date in such a year, and every date counted in working days across it, may move
        when the year's notice is imported.  A year no source may answer is not provisional.
        """
        try:
            return self._year_source(d.year) == PROVISIONAL
        except _YearUnknown:
            return False

    def provisional_between(self, a: dt.date, b: dt.date) -> list[int]:
        """The provisional years from ``a``'s to ``b``'s (either order)."""
        lo, hi = sorted((a.year, b.year))
        return [y for y in range(lo, hi + 1) if self.is_provisional(dt.date(y, 1, 1))]

    def day_source(self, d: dt.date) -> str:
        """Which source decides ``d``: ``definition``, ``site``, else the year's source."""
        n = d.toordinal()
        if n in self._own:
            return "definition"
        if n in self._days_off or n in self._extra_working:
            return "site"
        return self.year_source(d.year)

    def _build_year(self, year: int) -> list[int]:
        source = self._year_source(year)
        rule: Callable[[dt.date], bool] = self._weekday_rule
        if source == LIBRARY:
            rule = _cn_source()[0]
        elif source == PROVISIONAL:
            rule = functools.partial(_provisional_rule, _statutory(year))
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


def uncertain_years(definition: Definition, start: dt.date | None) -> dict[int, str]:
    """The years the stage windows reach whose working days are not known for certain:
    ``provisional`` (counted on statutory holidays until the year's notice comes) or
    ``unknown`` (no source may answer: working-day questions there fail).

    ``start`` None (a definition not yet started): only windows with absolute dates count.
    """
    years: set[int] = set()
    for stage in definition.stages:
        if start is None and (stage.start.date is None or stage.end.date is None):
            continue
        first, last = stage.window(start or dt.date.min)
        years.update(range(first.year, last.year + 1))
    cal = calendar_for(definition.calendar)
    out: dict[int, str] = {}
    for year in sorted(years):
        try:
            if cal.year_source(year) == PROVISIONAL:
                out[year] = PROVISIONAL
        except CalendarError:
            out[year] = "unknown"
    return out

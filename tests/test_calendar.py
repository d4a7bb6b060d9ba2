"""The working-day calendar against real Chinese holiday dates, and its counting rule."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from engine.core.calendar import CalendarError, WorkCalendar, calendar_for, known_years
from engine.core.errors import InvalidInput
from engine.core.spec import CalendarSpec, Duration

D = dt.date
CN = CalendarSpec()
WEEKDAYS = CalendarSpec(region="none")
FALLBACK = CalendarSpec(outside_known_years="weekends")
STRICT = CalendarSpec(outside_known_years="error")


def working(n: int) -> Duration:
    return Duration(n, "working")


def calendar(n: int) -> Duration:
    return Duration(n, "calendar")


@pytest.fixture
def cal() -> WorkCalendar:
    return calendar_for(CN)


def days(first: D, last: D) -> list[D]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# -- which days count ---------------------------------------------------------


def test_national_day_2015(cal: WorkCalendar) -> None:
    assert not any(cal.is_working(d) for d in days(D(2015, 10, 1), D(2015, 10, 7)))
    assert cal.is_working(D(2015, 9, 30))
    assert cal.is_working(D(2015, 10, 8))  # Thursday, back to work
    assert cal.is_working(D(2015, 10, 9))
    assert cal.is_working(D(2015, 10, 10))  # Saturday, adjusted working day (调休)
    assert not cal.is_working(D(2015, 10, 11))  # the Sunday after stays off


def test_mid_autumn_2015_falls_on_a_sunday(cal: WorkCalendar) -> None:
    assert not cal.is_working(D(2015, 9, 27))
    assert cal.is_working(D(2015, 9, 28))  # no day in lieu: Monday is an ordinary working day


def test_victory_day_2015_holidays_and_adjusted_sunday(cal: WorkCalendar) -> None:
    assert not cal.is_working(D(2015, 9, 3))  # Thursday, one-off 70th anniversary holiday
    assert not cal.is_working(D(2015, 9, 4))
    assert cal.is_working(D(2015, 9, 6))  # Sunday worked in exchange


def test_spring_festival_2015(cal: WorkCalendar) -> None:
    assert not any(cal.is_working(d) for d in days(D(2015, 2, 18), D(2015, 2, 24)))
    assert cal.is_working(D(2015, 2, 15))  # Sunday, adjusted working day
    assert cal.is_working(D(2015, 2, 28))  # Saturday, adjusted working day
    assert cal.is_working(D(2015, 2, 17))  # the eve is a normal Tuesday
    assert cal.is_working(D(2015, 2, 25))


def test_ordinary_weekend(cal: WorkCalendar) -> None:
    assert cal.is_working(D(2015, 11, 13))  # Friday
    assert not cal.is_working(D(2015, 11, 14))
    assert not cal.is_working(D(2015, 11, 15))
    assert cal.is_working(D(2015, 11, 16))  # Monday


def test_region_none_is_monday_to_friday() -> None:
    plain = calendar_for(WEEKDAYS)
    assert plain.is_working(D(2015, 10, 1))  # a Thursday, holiday or not
    assert not plain.is_working(D(2015, 10, 10))  # a Saturday, adjusted or not
    assert plain.is_working(D(1990, 1, 1)) and plain.is_working(D(2100, 1, 1))  # no year limits


# -- the counting rule --------------------------------------------------------


def test_n_working_days_from_d_does_not_count_d(cal: WorkCalendar) -> None:
    assert cal.add(D(2015, 9, 30), working(1)) == D(2015, 10, 8)
    assert cal.add(D(2015, 10, 8), working(1)) == D(2015, 10, 9)
    assert cal.add(D(2015, 10, 9), working(1)) == D(2015, 10, 10)  # the adjusted Saturday
    assert cal.add(D(2015, 10, 9), working(2)) == D(2015, 10, 12)
    assert cal.add(D(2015, 10, 3), working(1)) == D(2015, 10, 8)  # counting from a holiday
    assert cal.add(D(2015, 9, 30), working(3)) == D(2015, 10, 10)


def test_zero_working_days_is_the_day_itself(cal: WorkCalendar) -> None:
    assert cal.add(D(2015, 9, 30), working(0)) == D(2015, 9, 30)
    assert cal.add(D(2015, 10, 3), working(0)) == D(2015, 10, 3)  # even a holiday


def test_negative_working_days_count_backwards_the_same_way(cal: WorkCalendar) -> None:
    assert cal.add(D(2015, 10, 8), working(-1)) == D(2015, 9, 30)
    assert cal.add(D(2015, 10, 5), working(-1)) == D(2015, 9, 30)
    assert cal.add(D(2015, 10, 12), working(-1)) == D(2015, 10, 10)
    assert cal.add(D(2015, 10, 12), working(-3)) == D(2015, 10, 8)
    assert cal.add(D(2015, 9, 7), working(-1)) == D(2015, 9, 6)  # the adjusted Sunday
    assert cal.add(D(2015, 9, 7), working(-2)) == D(2015, 9, 2)


def test_calendar_days(cal: WorkCalendar) -> None:
    assert cal.add(D(2015, 9, 30), calendar(1)) == D(2015, 10, 1)
    assert cal.add(D(2015, 9, 30), calendar(-30)) == D(2015, 8, 31)
    assert cal.elapsed(D(2015, 9, 30), D(2015, 10, 8), "calendar") == 8


def test_counting_across_new_year(cal: WorkCalendar) -> None:
    # 2015-01-01..03 off, Sunday 2015-01-04 worked.
    assert cal.add(D(2014, 12, 31), working(1)) == D(2015, 1, 4)
    assert cal.add(D(2015, 1, 4), working(-1)) == D(2014, 12, 31)
    assert cal.working_days_between(D(2014, 12, 31), D(2015, 1, 5)) == 2
    assert cal.working_days_between(D(2014, 12, 1), D(2016, 1, 31)) == sum(
        cal.is_working(d) for d in days(D(2014, 12, 2), D(2016, 1, 31))
    )


def test_working_days_between_excludes_start_includes_end(cal: WorkCalendar) -> None:
    assert cal.working_days_between(D(2015, 9, 30), D(2015, 10, 8)) == 1
    assert cal.working_days_between(D(2015, 9, 30), D(2015, 10, 7)) == 0
    assert cal.working_days_between(D(2015, 9, 29), D(2015, 9, 30)) == 1
    assert cal.working_days_between(D(2015, 9, 30), D(2015, 9, 30)) == 0
    assert cal.working_days_between(D(2015, 9, 30), D(2015, 10, 12)) == 4


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (D(2015, 9, 30), D(2015, 10, 8)),
        (D(2015, 10, 3), D(2015, 10, 10)),
        (D(2015, 2, 14), D(2015, 3, 1)),
        (D(2014, 12, 31), D(2015, 1, 5)),
        (D(2015, 11, 14), D(2015, 11, 14)),
    ],
)
def test_working_days_between_is_antisymmetric(cal: WorkCalendar, a: D, b: D) -> None:
    assert cal.working_days_between(b, a) == -cal.working_days_between(a, b)
    assert cal.elapsed(b, a, "working") == -cal.elapsed(a, b, "working")


def test_overdue_from_the_first_day_after_the_deadline(cal: WorkCalendar) -> None:
    deadline = D(2015, 9, 30)
    assert cal.overdue_days(deadline, D(2015, 9, 29), "calendar") == 0
    assert cal.overdue_days(deadline, deadline, "calendar") == 0
    assert not cal.is_overdue(deadline, deadline)
    assert cal.is_overdue(deadline, D(2015, 10, 1))
    assert cal.overdue_days(deadline, D(2015, 10, 1), "calendar") == 1
    assert cal.overdue_days(deadline, D(2015, 10, 1), "working") == 0  # late, but no working day passed
    assert cal.overdue_days(deadline, D(2015, 10, 8), "working") == 1
    assert cal.overdue_days(deadline, D(2015, 10, 10), "working") == 3
    assert cal.overdue_days(deadline, D(2015, 9, 1), "working") == 0


def test_due_date_relative_to_a_deadline(cal: WorkCalendar) -> None:
    deadline = D(2015, 9, 30)
    assert cal.due_date(deadline, working(3)) == D(2015, 10, 10)
    assert cal.due_date(deadline, working(-1)) == D(2015, 9, 29)
    assert cal.due_date(deadline, calendar(7)) == D(2015, 10, 7)
    reached = cal.due_date(deadline, working(3))
    assert cal.overdue_days(deadline, reached, "working") == 3
    assert cal.overdue_days(deadline, reached - dt.timedelta(days=1), "working") == 2


# -- local overrides ----------------------------------------------------------


def test_local_day_off_overrides_the_library() -> None:
    cal = calendar_for(CalendarSpec(days_off=frozenset({D(2015, 10, 8)})))
    assert not cal.is_working(D(2015, 10, 8))
    assert cal.add(D(2015, 9, 30), working(1)) == D(2015, 10, 9)
    assert cal.working_days_between(D(2015, 9, 30), D(2015, 10, 9)) == 1


def test_local_working_day_overrides_the_library() -> None:
    cal = calendar_for(CalendarSpec(working_days=frozenset({D(2015, 10, 3)})))
    assert cal.is_working(D(2015, 10, 3))
    assert cal.add(D(2015, 9, 30), working(1)) == D(2015, 10, 3)
    assert cal.add(D(2015, 10, 8), working(-1)) == D(2015, 10, 3)


def test_local_overrides_apply_to_region_none() -> None:
    spec = CalendarSpec(region="none", days_off=frozenset({D(2015, 10, 1)}),
                        working_days=frozenset({D(2015, 10, 3)}))
    cal = calendar_for(spec)
    assert not cal.is_working(D(2015, 10, 1))
    assert cal.is_working(D(2015, 10, 3))
    assert cal.add(D(2015, 9, 30), working(1)) == D(2015, 10, 2)
    assert cal.add(D(2015, 10, 2), working(1)) == D(2015, 10, 3)


def test_a_date_both_off_and_working_is_refused() -> None:
    both = frozenset({D(2015, 10, 3)})
    with pytest.raises(CalendarError, match="2015-10-03"):
        calendar_for(CalendarSpec(days_off=both, working_days=both))


def test_unknown_region_is_refused() -> None:
    with pytest.raises(CalendarError, match="region 'xx'"):
        calendar_for(CalendarSpec(region="xx"))


# -- outside the years the holiday data covers --------------------------------


def test_outside_known_years_is_an_error_naming_date_and_range() -> None:
    cal = calendar_for(STRICT)
    first, last = known_years(CN)
    later = D(last + 4, 1, 7)
    with pytest.raises(CalendarError) as caught:
        cal.is_working(later)
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert later.isoformat() in error.message
    assert f"{first}-{last}" in error.message
    assert error.hint is not None and "outside_known_years: provisional" in error.hint
    assert "rectify calendar import" in error.hint
    assert "upgrade chinesecalendar" in error.hint
    with pytest.raises(CalendarError, match=f"{first - 1}"):
        cal.is_working(D(first - 1, 6, 1))


def test_counting_into_an_unknown_year_is_an_error() -> None:
    cal = calendar_for(STRICT)
    _, last = known_years(CN)
    start = D(last, 12, 20)
    with pytest.raises(CalendarError, match=f"{last + 1}.*{start.isoformat()}"):
        cal.add(start, working(30))
    with pytest.raises(CalendarError, match=str(last + 1)):
        cal.working_days_between(start, D(last + 1, 1, 10))
    assert cal.add(start, calendar(30)) == start + dt.timedelta(days=30)  # calendar days need no data


def test_weekends_fallback_outside_known_years() -> None:
    first, last = known_years(CN)
    cal = calendar_for(FALLBACK)
    monday = D(last + 1, 1, 1) + dt.timedelta(days=-D(last + 1, 1, 1).weekday() + 7)
    assert cal.is_working(monday)
    assert not cal.is_working(monday + dt.timedelta(days=5))  # Saturday
    assert cal.add(monday, working(5)) == monday + dt.timedelta(days=7)
    assert cal.add(monday, working(-1)) == monday - dt.timedelta(days=3)
    assert cal.is_working(D(first - 1, 1, 1)) == (D(first - 1, 1, 1).weekday() < 5)
    # Known years still use the holiday data.
    assert cal.add(D(2015, 9, 30), working(1)) == D(2015, 10, 8)
    assert cal.working_days_between(D(last, 12, 31), monday) == cal.working_days_between(
        D(last, 12, 31), monday - dt.timedelta(days=7)) + 5


def test_local_list_decides_a_date_outside_known_years() -> None:
    _, last = known_years(CN)
    day = D(last + 2, 5, 4)
    listed = calendar_for(CalendarSpec(days_off=frozenset({day})))
    assert not listed.is_working(day)


# -- the calendar object ------------------------------------------------------


def test_calendar_is_cached_per_spec() -> None:
    assert calendar_for(CalendarSpec()) is calendar_for(CN)
    assert calendar_for(WEEKDAYS) is not calendar_for(CN)


def test_chinesecalendar_is_imported_only_when_asked() -> None:
    code = (
        "import sys, datetime\n"
        "from engine.core.calendar import calendar_for\n"
        "from engine.core.spec import CalendarSpec\n"
        "cal = calendar_for(CalendarSpec())\n"
        "assert 'chinese_calendar' not in sys.modules, 'imported too early'\n"
        "cal.is_working(datetime.date(2015, 10, 1))\n"
        "assert 'chinese_calendar' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- properties ---------------------------------------------------------------

inside = st.dates(min_value=D(2005, 1, 1), max_value=D(2025, 6, 30))
steps = st.integers(min_value=-250, max_value=250)
ahead = st.integers(min_value=0, max_value=250)


@settings(deadline=None)
@given(d=inside, n=ahead)
def test_add_then_count_round_trips(d: D, n: int) -> None:
    cal = calendar_for(CN)
    result = cal.add(d, working(n))
    assert cal.working_days_between(d, result) == n
    assert cal.due_date(d, working(n)) == result


@settings(deadline=None)
@given(d=inside, n=steps)
def test_result_is_a_working_day_on_the_right_side(d: D, n: int) -> None:
    cal = calendar_for(CN)
    result = cal.add(d, working(n))
    if n == 0:
        assert result == d
    else:
        assert cal.is_working(result)
        assert (result > d) if n > 0 else (result < d)
        # Exactly |n| - 1 working days lie strictly between d and the result.
        lo, hi = sorted((d, result))
        assert sum(cal.is_working(x) for x in days(lo, hi)[1:-1]) == abs(n) - 1


@settings(deadline=None)
@given(d=inside, n=st.integers(min_value=1, max_value=250), x=inside)
def test_add_is_where_the_count_reaches_n(d: D, n: int, x: D) -> None:
    cal = calendar_for(CN)
    assert (cal.working_days_between(d, x) >= n) == (x >= cal.add(d, working(n)))


@settings(deadline=None)
@given(d1=inside, d2=inside, n1=steps, n2=steps)
def test_add_is_monotonic(d1: D, d2: D, n1: int, n2: int) -> None:
    cal = calendar_for(CN)
    d1, d2 = sorted((d1, d2))
    n1, n2 = sorted((n1, n2))
    assert cal.add(d1, working(n1)) <= cal.add(d2, working(n1))
    assert cal.add(d1, working(n1)) <= cal.add(d1, working(n2))


@settings(deadline=None)
@given(a=inside, b=inside, c=inside)
def test_counts_add_up_and_are_antisymmetric(a: D, b: D, c: D) -> None:
    cal = calendar_for(CN)
    assert cal.working_days_between(a, b) == -cal.working_days_between(b, a)
    assert cal.working_days_between(a, b) + cal.working_days_between(b, c) == cal.working_days_between(a, c)
    if a <= b:
        assert cal.working_days_between(a, b) == sum(cal.is_working(x) for x in days(a, b)[1:])

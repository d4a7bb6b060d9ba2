"""The order of the calendar's sources, as properties: the definition's own days, then the
site's (notices and regional holidays), then chinesecalendar, then provisional statutory
holidays computed by the holidays package for a year none of them knows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar
import holidays
import pytest
from hypothesis import assume, given, settings, strategies as st

from engine.core.calendar import CalendarError, calendar_for, known_years
from engine.core.spec import CalendarSpec, Duration, SiteDays

D = dt.date
FIRST, LAST = known_years(CalendarSpec())
known_days = st.dates(min_value=D(FIRST, 1, 1), max_value=D(LAST, 12, 31))
later_days = st.dates(min_value=D(LAST + 1, 1, 1), max_value=D(2100, 12, 31))
any_days = st.dates(min_value=D(FIRST, 1, 1), max_value=D(2100, 12, 31))


def site(off: Iterable[D] = (), working: Iterable[D] = (), years: Iterable[int] = ()) -> SiteDays:
    return SiteDays(frozenset(years), frozenset(off), frozenset(working))


@settings(deadline=None)
@given(d=any_days, own_off=st.booleans(), site_off=st.booleans(), notice=st.booleans())
def test_the_definitions_days_come_first(d: D, own_off: bool, site_off: bool, notice: bool) -> None:
    lists = {"days_off": frozenset({d})} if own_off else {"working_days": frozenset({d})}
    spec = CalendarSpec(**lists, outside_known_years="error",  # type: ignore[arg-type]
                        site=site({d} if site_off else set(), set() if site_off else {d},
                                  {d.year} if notice else set()))
    assert calendar_for(spec).is_working(d) is not own_off
    assert calendar_for(spec).day_source(d) == "definition"


@settings(deadline=None)
@given(d=any_days, off=st.booleans(), notice=st.booleans())
def test_the_sites_days_come_before_every_library(d: D, off: bool, notice: bool) -> None:
    spec = CalendarSpec(outside_known_years="error",
                        site=site({d} if off else set(), set() if off else {d},
                                  {d.year} if notice else set()))
    cal = calendar_for(spec)
    assert cal.is_working(d) is not off  # even in a year no library knows, with 'error'
    assert cal.day_source(d) == "site"


@settings(deadline=None)
@given(d=known_days, listed=st.sets(known_days, max_size=5))
def test_a_year_with_a_notice_counts_weekdays_besides_its_days(d: D, listed: set[D]) -> None:
    assume(d not in listed)
    cal = calendar_for(CalendarSpec(site=site(listed, set(), {d.year})))
    assert cal.is_working(d) is (d.weekday() < 5)  # chinesecalendar is not asked for that year
    assert cal.year_source(d.year) == "notice"
    assert not cal.is_provisional(d)


@settings(deadline=None)
@given(d=known_days, listed=st.sets(later_days, max_size=5))
def test_chinesecalendar_decides_the_years_it_knows(d: D, listed: set[D]) -> None:
    cal = calendar_for(CalendarSpec(site=site(listed, set(), {x.year for x in listed})))
    assert cal.is_working(d) is chinese_calendar.is_workday(d)
    assert not cal.is_provisional(d)


@settings(deadline=None)
@given(d=later_days)
def test_a_year_nobody_knows_is_provisional_statutory_holidays_and_weekends(d: D) -> None:
    cal = calendar_for(CalendarSpec())
    statutory = holidays.country_holidays("CN", years=d.year)
    assert cal.is_working(d) is (d.weekday() < 5 and d not in statutory)
    assert cal.is_provisional(d)
    assert not calendar_for(CalendarSpec(site=site(set(), set(), {d.year}))).is_provisional(d)
    weekends = calendar_for(CalendarSpec(outside_known_years="weekends"))
    assert weekends.is_working(d) is (d.weekday() < 5) and not weekends.is_provisional(d)
    with pytest.raises(CalendarError) as refused:
        calendar_for(CalendarSpec(outside_known_years="error")).is_working(d)
    assert refused.value.hint is not None and "rectify calendar import" in refused.value.hint


@settings(deadline=None)
@given(d=st.dates(min_value=D(LAST - 1, 1, 1), max_value=D(2099, 6, 30)), n=st.integers(0, 250),
       off=st.sets(later_days, max_size=6), working=st.sets(later_days, max_size=6))
def test_counting_keeps_its_rule_across_every_source(d: D, n: int, off: set[D], working: set[D]) -> None:
    cal = calendar_for(CalendarSpec(site=site(off - working, working - off)))
    assert cal.working_days_between(d, cal.add(d, Duration(n, "working"))) == n


@given(d=known_days)
def test_region_none_takes_no_site_data(d: D) -> None:
    cal = calendar_for(CalendarSpec(region="none", site=site({d}, set(), {d.year})))
    assert cal.is_working(d) is (d.weekday() < 5)


def test_the_provisional_spring_festival_of_2027() -> None:
    if LAST >= 2027:
        pytest.skip("chinesecalendar knows 2027")
    cal = calendar_for(CalendarSpec())
    assert [d.day for d in (D(2027, 2, 1) + dt.timedelta(days=i) for i in range(14))
            if not cal.is_working(d) and d.weekday() < 5] == [5, 8, 9, 10]

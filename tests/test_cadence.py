"""Spans and schedules: one syntax in Chinese and English, due dates on the working-day calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from engine.core.cadence import (
    DAY_UNITS,
    CadenceError,
    Period,
    Span,
    parse_period,
    parse_schedule,
    parse_span,
    period_of,
)
from engine.core.calendar import calendar_for
from engine.core.loader import loads
from engine.core.spec import CalendarSpec, DateRef, Duration

CAL = calendar_for(CalendarSpec())
D = dt.date


# -- spans ---------------------------------------------------------------------


@pytest.mark.parametrize("text, span", [
    ("15个工作日", Span(15, "working")), ("10个自然日", Span(10, "calendar")),
    ("2周", Span(2, "week")), ("3个月", Span(3, "month")), ("1个季度", Span(1, "quarter")),
    ("1年", Span(1, "year")), ("+2w", Span(2, "week")), ("-3 calendar days", Span(-3, "calendar")),
    ("10 working days", Span(10, "working")), ("1 working day", Span(1, "working")),
    ("+1m", Span(1, "month")), ("+30d", Span(30, "calendar")), ("2 weeks", Span(2, "week")),
    ("5wd", Span(5, "working")), ("  -3   working   days ", Span(-3, "working")),
])
def test_spans_in_either_language(text: str, span: Span) -> None:
    assert parse_span(text) == span


@pytest.mark.parametrize("text, words", [
    ("15日", "does not say which days count"), ("3天", "does not say which days count"),
    ("10 days", "does not say which days count"), ("two weeks", "is not a span"),
    ("1234567 working days", "too long"), ("", "is not a span"), ("15个工作", "is not a span"),
])
def test_bad_spans_say_what_was_wrong(text: str, words: str) -> None:
    with pytest.raises(CadenceError) as caught:
        parse_span(text)
    assert words in caught.value.message and caught.value.hint


def test_a_duration_is_days_and_a_month_is_not() -> None:
    assert Duration.parse("2周") == Duration(14, "calendar")
    assert Duration.parse("15个工作日") == Duration(15, "working")
    assert Duration.parse("10 working days") == Duration(10, "working")
    with pytest.raises(ValueError, match="months, which cannot be used here"):
        Duration.parse("3个月")
    assert Duration(15, "working").zh() == "15个工作日"
    assert Duration(-3, "calendar").zh() == "-3个自然日"


def test_printed_day_counts_never_say_a_bare_day() -> None:
    for unit in ("working", "calendar"):
        text = Span(7, unit).zh()  # type: ignore[arg-type]
        assert text.endswith(("工作日", "自然日")), text


@given(st.integers(-99999, 99999), st.sampled_from(["working", "calendar", "week", "month",
                                                    "quarter", "year"]))
def test_a_span_reads_back_in_both_languages(amount: int, unit: str) -> None:
    span = Span(amount, unit)  # type: ignore[arg-type]
    assert parse_span(span.zh()) == span
    assert parse_span(span.en()) == span


@settings(max_examples=60)
@given(st.dates(D(2005, 1, 1), D(2024, 12, 31)), st.integers(0, 300))
def test_working_spans_follow_the_calendar_counting_rule(day: dt.date, n: int) -> None:
    after = parse_span(f"{n}个工作日").add(CAL, day)
    assert CAL.working_days_between(day, after) == n
    assert after == CAL.add(day, Duration(n, "working"))


def test_stage_offsets_share_the_syntax() -> None:
    start = D(2015, 1, 31)
    assert DateRef(offset="+1m").resolve(start, end_of_period=True) == D(2015, 2, 27)
    assert DateRef(offset="+1个月").resolve(start, end_of_period=True) == D(2015, 2, 27)
    assert DateRef(offset="+2周").resolve(start) == DateRef(offset="+2w").resolve(start) == D(2015, 2, 14)
    assert DateRef(offset="+1q").resolve(D(2015, 7, 1), end_of_period=True) == D(2015, 9, 30)
    assert DateRef(offset="+1y").resolve(D(2015, 7, 1)) == D(2016, 7, 1)
    with pytest.raises(CadenceError, match="working days, which cannot be used here"):
        DateRef(offset="+5个工作日").resolve(start)


# -- schedules: the phrases ----------------------------------------------------


@pytest.mark.parametrize("zh, en", [
    ("每日", "daily"), ("每周一", "weekly on Monday"), ("每月底前", "monthly by the last working day"),
    ("每月5日前", "monthly by day 5"), ("次月5日前", "monthly by day 5 of the next month"),
    ("每月上旬", "monthly in the first ten days"), ("每月中旬", "monthly in the middle ten days"),
    ("每月下旬", "monthly in the last ten days"), ("每季度末", "quarterly"),
    ("每半年", "half-yearly"), ("每年", "yearly"), ("3月底前", "yearly by the end of March"),
    ("10月上旬", "yearly in early October"), ("12月上旬", "yearly by December 10"),
    ("2011年10月10日前", "once on 2011-10-10"), ("下周五", "weekly on Friday of the next week"),
])
def test_schedules_in_either_language(zh: str, en: str) -> None:
    assert parse_schedule(zh) == parse_schedule(en)
    assert parse_schedule(parse_schedule(zh).en()) == parse_schedule(zh)


@pytest.mark.parametrize("text, words", [
    ("每月32日前", "day 32"), ("2月30日前", "has 29 days"), ("每周八", "is not a schedule"),
    ("weekly on Funday", "is not a schedule"), ("monthly", None), ("每两周", "is not a schedule"),
    ("2015年2月30日前", "does not exist"), ("quarterly by day 5 of month 4", "month 4"),
])
def test_bad_schedules_say_what_was_wrong(text: str, words: str | None) -> None:
    if words is None:
        assert parse_schedule(text).frequency == "monthly"
        return
    with pytest.raises(CadenceError) as caught:
        parse_schedule(text)
    assert words in caught.value.message and caught.value.hint


# -- schedules on holiday boundaries (chinesecalendar's real 2015) -------------


def due(text: str, key: str, on_days_off: str = "next") -> dt.date:
    schedule = parse_schedule(text, on_days_off)  # type: ignore[arg-type]
    return schedule.due(schedule.period(key), CAL)


def test_spring_festival_2015() -> None:
    # 2015-02-18..24 off; Sunday 2015-02-15 and Saturday 2015-02-28 worked (调休)
    assert due("每月中旬", "2015-02") == D(2015, 2, 25), "the 20th is a holiday: next working day"
    assert due("每月中旬", "2015-02", "before") == D(2015, 2, 17)
    assert due("每月中旬", "2015-02", "keep") == D(2015, 2, 20)
    assert due("每月底前", "2015-02") == D(2015, 2, 28), "a 调休 Saturday is the last working day"
    assert due("monthly on the last day", "2015-02") == D(2015, 2, 28)
    assert due("每周一", "2015-W09") == D(2015, 2, 25), "Monday 23 February is a holiday"
    assert due("weekly on Sunday", "2015-W07") == D(2015, 2, 15), "a 调休 Sunday is worked"
    daily = parse_schedule("每日").periods(D(2015, 2, 14), D(2015, 2, 28), CAL)
    assert [p.key for p in daily][:2] == ["2015-02-15", "2015-02-16"]
    assert "2015-02-18" not in {p.key for p in daily} and "2015-02-28" in {p.key for p in daily}


def test_national_day_2015() -> None:
    # 2015-10-01..07 off; Saturday 2015-10-10 worked (调休)
    assert due("10月上旬", "2015") == D(2015, 10, 10), "a 调休 Saturday is a working day"
    assert due("每月5日前", "2015-10") == D(2015, 10, 8)
    assert due("每月5日前", "2015-10", "before") == D(2015, 9, 30)
    assert due("次月5日前", "2015-09") == D(2015, 10, 8)
    assert due("每周一", "2015-W41") == D(2015, 10, 8)
    assert due("每季度末", "2015-Q3") == D(2015, 9, 30)
    assert due("每季度末", "2015-Q4") == D(2015, 12, 31)
    assert due("once on 2015-10-01", "2015") == D(2015, 10, 8)


def test_seed_schedules_2015() -> None:
    assert due("每月底前", "2015-09") == D(2015, 9, 30)
    assert due("每月底前", "2015-10") == D(2015, 10, 30), "31 October 2015 is a Saturday"
    assert due("3月底前", "2015") == D(2015, 3, 31)
    assert due("12月上旬", "2015") == D(2015, 12, 10)
    assert due("每半年", "2015-H1") == D(2015, 6, 30)
    assert due("每年", "2015") == D(2015, 12, 31)
    assert due("2011年10月10日前", "2011") == D(2011, 10, 10)


def test_periods_and_their_keys() -> None:
    assert period_of("week", D(2015, 9, 16)).key == "2015-W38"
    assert parse_period("quarter", "2015-Q3") == Period(D(2015, 7, 1), D(2015, 9, 30), "quarter")
    assert parse_period("half", "2015-h2").start == D(2015, 7, 1)
    with pytest.raises(CadenceError, match="is not a month"):
        parse_period("month", "2015-13")
    monthly = parse_schedule("每月底前").periods(D(2015, 7, 1), D(2015, 12, 31), CAL)
    assert [p.key for p in monthly] == [f"2015-{m:02d}" for m in range(7, 13)]


SCHEDULES = ["每日", "每周一", "每周五", "下周一", "每月底前", "每月5日前", "次月5日前", "每月上旬",
             "每月中旬", "每月下旬", "monthly on the last day", "每季度末", "quarterly by day 10 of "
             "month 1 of the next quarter", "每半年", "每年", "3月底前", "10月上旬", "12月上旬"]


@settings(max_examples=150)
@given(st.sampled_from(SCHEDULES), st.sampled_from(["next", "keep", "before"]),
       st.dates(D(2005, 1, 1), D(2024, 6, 30)))
def test_due_dates_are_working_days_in_order_and_near_their_period(
        text: str, on_days_off: str, day: dt.date) -> None:
    schedule = parse_schedule(text, on_days_off)  # type: ignore[arg-type]
    periods = schedule.periods(day, day + dt.timedelta(days=100), CAL)
    dues = [schedule.due(p, CAL) for p in periods]
    assert dues == sorted(dues), "a later period is never due earlier"
    for period, when in zip(periods, dues, strict=True):
        if on_days_off != "keep" or schedule.anchor == "last_working" \
                and schedule.frequency not in ("daily", "weekly"):
            assert CAL.is_working(when), (period.key, when)
        after = period.next() if schedule.next_period else period
        slack = dt.timedelta(days=12)  # the longest run of days off in a year (Spring Festival)
        assert after.start - slack <= when <= after.end + slack, (period.key, when)
        if on_days_off == "next" and not schedule.next_period:
            assert when >= period.start


@given(st.sampled_from(SCHEDULES))
def test_a_schedule_reads_back_from_its_english(text: str) -> None:
    schedule = parse_schedule(text)
    assert parse_schedule(schedule.en()) == schedule


def test_day_units_are_what_durations_take() -> None:
    assert DAY_UNITS == ("working", "calendar", "week")


def test_validate_locates_bad_phrases() -> None:
    text = (Path(__file__).parent.parent / "definitions/wgbw-2015.yaml").read_text("utf-8")
    bad = text.replace("default_limit: 20 working days", "default_limit: 20 日")
    from engine.core.errors import DefinitionInvalid

    with pytest.raises(DefinitionInvalid) as caught:
        loads(bad, "wgbw.yaml")
    (problem,) = caught.value.problems
    line = next(i for i, x in enumerate(bad.splitlines(), 1) if "20 日" in x)
    assert (problem.location.file, problem.location.line) == ("wgbw.yaml", line)
    assert "does not say which days count" in problem.message and "工作日" in (problem.hint or "")
    good = text.replace("default_limit: 20 working days", "default_limit: 20个工作日")
    assert loads(good, "wgbw.yaml").deadlines.default_limit == Duration(20, "working")

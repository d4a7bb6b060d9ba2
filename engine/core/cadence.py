"""Spans of time and recurring schedules, in one syntax for Chinese and English phrases.

A *span* is an amount with its unit: working days, calendar days, weeks, months, quarters or
years (``15个工作日``, ``10 calendar days``, ``2周``, ``+2w``, ``+1m``).  Thresholds and limits
that count days (``Duration``) take the day-convertible spans; stage boundaries take offsets
in calendar units.  Both read their text here, so there is one syntax.

A *schedule* says when something recurs and when each occurrence is due: daily (every
working day), weekly on a weekday, monthly on a day or by the last working day, in the first,
middle or last ten days of a month (上旬/中旬/下旬: due the 10th, the 20th, the month's end),
quarterly, half-yearly, yearly, or once on a date.  Each period (a day, an ISO week, a month,
a quarter, a half-year, a year) has a key (``2015-09-14``, ``2015-W38``, ``2015-09``,
``2015-Q3``, ``2015-H2``, ``2015``) and one due date on the working-day calendar.

Month ends (月底, 月末, 下旬, "the end of", "the last working day") are the month's last
working day, so a due date never leaves its month.  Any other due date that falls on a day
off moves to the next working day (``next``), or stays (``keep``), or moves to the working
day before it (``before``), as the schedule says.

Pure: no I/O; the calendar is passed in.
"""

from __future__ import annotations

import calendar as _monthcal
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .calendar import WorkCalendar
    from .spec import Duration

SpanUnit = Literal["working", "calendar", "week", "month", "quarter", "year"]
PeriodKind = Literal["day", "week", "month", "quarter", "half", "year"]
DaysOff = Literal["next", "keep", "before"]
DAYS_OFF: tuple[DaysOff, ...] = ("next", "keep", "before")
ONE_DAY = dt.timedelta(days=1)

# The words of each unit, longest first within a language so that a regex alternation takes
# the whole word.  A bare 日/天/"days" is not a unit: it does not say which days count.
_UNIT_WORDS: dict[SpanUnit, tuple[str, ...]] = {
    "working": ("working days", "working day", "个工作日", "工作日", "wd"),
    "calendar": ("calendar days", "calendar day", "个自然日", "自然日", "d"),
    "week": ("weeks", "week", "个星期", "星期", "周", "w"),
    "month": ("months", "month", "个月", "月", "m"),
    "quarter": ("quarters", "quarter", "个季度", "季度", "q"),
    "year": ("years", "year", "年", "y"),
}
_WORD_UNIT = {w: u for u, words in _UNIT_WORDS.items() for w in words}
_ALL_WORDS = sorted(_WORD_UNIT, key=len, reverse=True)
DAY_UNITS: tuple[SpanUnit, ...] = ("working", "calendar", "week")
CALENDAR_UNITS: tuple[SpanUnit, ...] = ("calendar", "week", "month", "quarter", "year")
_ZH = {"working": "个工作日", "calendar": "个自然日", "week": "周", "month": "个月",
       "quarter": "个季度", "year": "年"}
_EN = {"working": "working day", "calendar": "calendar day", "week": "week", "month": "month",
       "quarter": "quarter", "year": "year"}


def _words_regex(units: tuple[SpanUnit, ...]) -> str:
    """The unit words as an alternation, longest first; a space in a word is any run of spaces."""
    words = sorted((w for u in units for w in _UNIT_WORDS[u]), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


def span_pattern(units: tuple[SpanUnit, ...], signed: bool = False, digits: int = 5) -> str:
    """The JSON Schema pattern of spans in ``units`` (``signed``: a leading + or - required)."""
    sign = r"[+-]" if signed else r"[+-]?"
    return rf"^\s*{sign}\s*\d{{1,{digits}}}\s*(?:{_words_regex(units)})\s*$"


_SPAN = re.compile(rf"^\s*([+-]?)\s*(\d{{1,5}})\s*({_words_regex(tuple(_UNIT_WORDS))})\s*$")


class CadenceError(ValueError):
    """A phrase that is not a span or a schedule: what was wrong and how to write it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


SPAN_HINT = ("write a number and its unit, e.g. 15个工作日, 10个自然日, 2周, 3个月, "
             "'10 working days', '3 calendar days', '2 weeks', +2w, +1m")


@dataclass(frozen=True)
class Span:
    """A signed amount of one unit; working days count on the calendar, the rest do not."""

    amount: int
    unit: SpanUnit

    def add(self, cal: WorkCalendar | None, day: dt.date) -> dt.date:
        """``day`` moved by this span; months keep the day of the month, clamped to its length.

        Working days need ``cal`` and follow its counting rule (``day`` itself not counted).
        """
        if self.unit == "working":
            if cal is None:
                raise ValueError("counting working days needs a calendar")
            return cal.add(day, self.duration())
        if self.unit in ("calendar", "week"):
            return day + dt.timedelta(days=self.amount * (7 if self.unit == "week" else 1))
        months = self.amount * {"month": 1, "quarter": 3, "year": 12}[self.unit]
        return add_months(day, months)

    def duration(self) -> Duration:
        """The same span as a ``Duration`` of days; only working days, calendar days and weeks."""
        from .spec import Duration

        if self.unit == "working":
            return Duration(self.amount, "working")
        if self.unit == "calendar":
            return Duration(self.amount, "calendar")
        if self.unit == "week":
            return Duration(self.amount * 7, "calendar")
        raise CadenceError(f"{self.en()} is not a fixed number of days",
                           "write working days, calendar days or weeks here, "
                           "e.g. 15个工作日 or '2 weeks'")

    def zh(self) -> str:
        """In Chinese: a day count always says 工作日 or 自然日, never a bare 日."""
        return f"{self.amount}{_ZH[self.unit]}"

    def en(self) -> str:
        word = _EN[self.unit]
        return f"{self.amount} {word}{'' if abs(self.amount) == 1 else 's'}"

    def __str__(self) -> str:
        return self.en()


@functools.lru_cache(maxsize=1024)
def parse_span(text: str, units: tuple[SpanUnit, ...] | None = None) -> Span:
    """A span from its phrase in either language, e.g. ``15个工作日``, ``-3 calendar days``, ``+2w``."""
    match = _SPAN.match(str(text))
    if not match:
        bare = re.match(r"^\s*[+-]?\s*\d+\s*(?:个)?(日|天|days?)\s*$", str(text))
        if bare:
            raise CadenceError(f"'{text}' does not say which days count",
                               "write 工作日 (working days) or 自然日 (calendar days), e.g. "
                               "15个工作日, '10 calendar days'")
        if re.match(r"^\s*[+-]?\s*\d{6,}", str(text)):
            raise CadenceError(f"'{text}' is too long a span", "write at most 99999 of a unit")
        raise CadenceError(f"'{text}' is not a span of time", SPAN_HINT)
    sign, number, word = match.groups()
    unit = _WORD_UNIT[re.sub(r"\s+", " ", word)]
    span = Span(-int(number) if sign == "-" else int(number), unit)
    if units is not None and unit not in units:
        allowed = ", ".join(_EN[u] + "s" for u in units)
        raise CadenceError(f"'{text}' counts {_EN[unit]}s, which cannot be used here",
                           f"write one of: {allowed}")
    return span


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise CadenceError(f"{months} months from {day.isoformat()} is beyond the calendar",
                           "use a smaller offset")
    return dt.date(year, month, min(day.day, days_in_month(year, month)))


def days_in_month(year: int, month: int) -> int:
    return _monthcal.monthrange(year, month)[1]


# -- periods ------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """One period of a schedule: its first and last day and its key."""

    start: dt.date
    end: dt.date
    kind: PeriodKind

    @property
    def key(self) -> str:
        s = self.start
        if self.kind == "day":
            return s.isoformat()
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{s.year}-H{1 if s.month <= 6 else 2}"
        return str(s.year)

    def next(self) -> Period:
        return period_of(self.kind, self.end + ONE_DAY)

    def __str__(self) -> str:
        return self.key


_MONTHS_IN = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    """The period of ``kind`` that holds ``day``."""
    if kind == "day":
        return Period(day, day, kind)
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=6), kind)
    size = _MONTHS_IN[kind]
    first_month = (day.month - 1) // size * size + 1
    start = dt.date(day.year, first_month, 1)
    last_month = first_month + size - 1
    return Period(start, dt.date(day.year, last_month, days_in_month(day.year, last_month)), kind)


_PERIOD_FORMS: dict[PeriodKind, tuple[re.Pattern[str], str]] = {
    "day": (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "2015-09-14"),
    "week": (re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE), "2015-W38"),
    "month": (re.compile(r"^(\d{4})-(\d{1,2})$"), "2015-09"),
    "quarter": (re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE), "2015-Q3"),
    "half": (re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE), "2015-H2"),
    "year": (re.compile(r"^(\d{4})$"), "2015"),
}


def parse_period(kind: PeriodKind, text: str) -> Period:
    """A period of ``kind`` from its key, e.g. ``2015-09`` for a month."""
    pattern, example = _PERIOD_FORMS[kind]
    match = pattern.match(str(text).strip())
    try:
        if match:
            nums = [int(g) for g in match.groups()]
            if kind == "day":
                return period_of(kind, dt.date(nums[0], nums[1], nums[2]))
            if kind == "week":
                return period_of(kind, dt.date.fromisocalendar(nums[0], nums[1], 1))
            if kind == "month":
                return period_of(kind, dt.date(nums[0], nums[1], 1))
            if kind in ("quarter", "half"):
                return period_of(kind, dt.date(nums[0], (nums[1] - 1) * _MONTHS_IN[kind] + 1, 1))
            return period_of(kind, dt.date(nums[0], 1, 1))
    except ValueError:
        pass
    raise CadenceError(f"'{text}' is not a {_PERIOD_WORD[kind]}", f"write it like {example}")


_PERIOD_WORD = {"day": "day", "week": "week", "month": "month", "quarter": "quarter",
                "half": "half-year", "year": "year"}


# -- schedules ----------------------------------------------------------------

Anchor = Literal["day", "last_working", "last_day"]
Frequency = Literal["daily", "weekly", "monthly", "quarterly", "half-yearly", "yearly", "once"]
_PERIOD_OF: dict[Frequency, PeriodKind] = {
    "daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter",
    "half-yearly": "half", "yearly": "year", "once": "year"}
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")
_TENTHS_ZH = {"上旬": 10, "中旬": 20, "下旬": 0}  # 0: the month's end
_TENTHS_EN = {"early": 10, "first ten days": 10, "mid": 20, "middle ten days": 20,
              "late": 0, "last ten days": 0}


@dataclass(frozen=True)
class Schedule:
    """When a recurring (or one-off) obligation falls due, period by period.

    ``month``: for quarterly, half-yearly and yearly schedules, the month of the period the
    due date is in (1-based within the period; 0: its last month).  ``day`` with ``anchor``
    'day': the day of that month (clamped to its length).  ``next_period``: due in the period
    after the one it is about (次月5日前: September's is due on 5 October).
    """

    frequency: Frequency
    anchor: Anchor = "last_working"
    day: int = 0
    weekday: int = 0
    month: int = 0
    next_period: bool = False
    on: dt.date | None = None  # once
    on_days_off: DaysOff = "next"

    @property
    def period_kind(self) -> PeriodKind:
        return _PERIOD_OF[self.frequency]

    def periods(self, start: dt.date, end: dt.date, cal: WorkCalendar) -> list[Period]:
        """The periods that overlap ``[start, end]``; a daily schedule's are its working days,
        a one-off's the one period of its date (when it lies in the window)."""
        if self.frequency == "once":
            assert self.on is not None
            return [period_of("year", self.on)] if start <= self.on <= end else []
        out: list[Period] = []
        period = period_of(self.period_kind, start)
        while period.start <= end:
            if self.frequency != "daily" or cal.is_working(period.start):
                out.append(period)
            period = period.next()
        return out

    def period(self, key: str) -> Period:
        """The period a key names, e.g. ``2015-09``."""
        return parse_period(self.period_kind, key)

    def due(self, period: Period, cal: WorkCalendar) -> dt.date:
        """The due date of ``period`` on ``cal``."""
        if self.frequency == "once":
            assert self.on is not None
            return self._moved(self.on, cal)
        if self.frequency == "daily":
            return self._moved(period.start, cal)
        if self.frequency == "weekly":
            base = period.start + (dt.timedelta(days=7) if self.next_period else dt.timedelta(0))
            return self._moved(base + dt.timedelta(days=self.weekday), cal)
        size = _MONTHS_IN[period.kind]
        first = add_months(period.start, size) if self.next_period else period.start
        month = add_months(first, (self.month or size) - 1)
        return self._in_month(month.year, month.month, cal)

    def _in_month(self, year: int, month: int, cal: WorkCalendar) -> dt.date:
        last = dt.date(year, month, days_in_month(year, month))
        if self.anchor == "last_working":
            return last if cal.is_working(last) else cal.add(last, _working(-1))
        if self.anchor == "last_day":
            return self._moved(last, cal)
        return self._moved(dt.date(year, month, min(self.day, last.day)), cal)

    def _moved(self, day: dt.date, cal: WorkCalendar) -> dt.date:
        if self.on_days_off == "keep" or cal.is_working(day):
            return day
        return cal.add(day, _working(1 if self.on_days_off == "next" else -1))

    def en(self) -> str:
        """The schedule in canonical English (``parse_schedule`` reads it back)."""
        if self.frequency == "once":
            assert self.on is not None
            return f"once on {self.on.isoformat()}"
        if self.frequency == "daily":
            return "daily"
        nxt = " of the next " + {"weekly": "week", "monthly": "month", "quarterly": "quarter",
                                 "half-yearly": "half-year", "yearly": "year"}[self.frequency] \
            if self.next_period else ""
        if self.frequency == "weekly":
            return f"weekly on {WEEKDAYS_EN[self.weekday].capitalize()}{nxt}"
        when = {"last_working": "by the last working day", "last_day": "on the last day",
                "day": f"by day {self.day}"}[self.anchor]
        of_month = ""
        if self.frequency != "monthly" and self.month:
            of_month = f" of month {self.month}"
        return f"{self.frequency} {when}{of_month}{nxt}"

    def zh(self) -> str:
        """The schedule in Chinese (``parse_schedule`` reads back all but a quarter's or a
        half-year's month and day, and the last calendar day); a due date moved off a day off
        says so, counting 工作日."""
        return self._zh_when() + {"next": "", "keep": "（遇休息日不顺延）",
                                  "before": "（遇休息日提前至前一个工作日）"}[self.on_days_off]

    def _zh_when(self) -> str:
        if self.frequency == "once":
            assert self.on is not None
            return f"{self.on.year}年{self.on.month}月{self.on.day}日前"
        if self.frequency == "daily":
            return "每日"
        if self.frequency == "weekly":
            return f"{'下' if self.next_period else '每'}周{'一二三四五六日'[self.weekday]}"
        when = {"last_working": "底前", "last_day": "末日", "day": f"{self.day}日前"}[self.anchor]
        if self.frequency == "monthly":
            return f"{'次月' if self.next_period else '每月'}{when}"
        if self.frequency == "yearly":
            prefix = "次年" if self.next_period else "每年"
            if self.month:
                return f"{prefix}{self.month}月{when}"
            return prefix + ("末" if self.anchor == "last_working" else f"12月{when}")
        prefix = {"quarterly": "季度", "half-yearly": "半年"}[self.frequency]
        prefix = ("次" if self.next_period else "每") + prefix
        if not self.month and self.anchor == "last_working":
            return f"{prefix}末"
        return f"{prefix}第{self.month or _MONTHS_IN[self.period_kind]}个月{when}"

    def __str__(self) -> str:
        return self.en()


def _working(n: int) -> Duration:
    from .spec import Duration

    return Duration(n, "working")


SCHEDULE_HINT = ("write e.g. 每日, 每周一, 每月底前, 每月5日前, 次月5日前, 每月上旬, 每季度末, 每半年, "
                 "每年, 3月底前, 10月上旬, 2011年10月10日前, or 'daily', 'weekly on Monday', "
                 "'monthly by the last working day', 'monthly by day 5', 'quarterly', "
                 "'yearly by March 31', 'once on 2011-10-10'")


def parse_schedule(text: str, on_days_off: DaysOff = "next") -> Schedule:
    """A schedule from its phrase in either language (see ``SCHEDULE_HINT``)."""
    raw = str(text)
    phrase = re.sub(r"\s+", " ", raw.strip()).lower().rstrip("。.")
    for reader in (_zh, _en):
        try:
            found = reader(phrase)
        except ValueError as exc:  # a date that does not exist, a day past 31
            raise CadenceError(f"'{raw}' names a day that does not exist ({exc})",
                               "check the month and day") from None
        if found is not None:
            return _checked(found, raw, on_days_off)
    raise CadenceError(f"'{raw}' is not a schedule", SCHEDULE_HINT)


def _checked(s: Schedule, raw: str, on_days_off: DaysOff) -> Schedule:
    in_month = s.frequency in ("monthly", "quarterly", "half-yearly", "yearly")
    if in_month and s.anchor == "day" and not 1 <= s.day <= 31:
        raise CadenceError(f"'{raw}' names day {s.day} of a month", "write a day from 1 to 31")
    size = {"quarterly": 3, "half-yearly": 6, "yearly": 12}.get(s.frequency, 1)
    if s.month and not 1 <= s.month <= size:
        raise CadenceError(f"'{raw}' names month {s.month} of a {s.frequency} period",
                           f"write a month from 1 to {size}")
    if s.anchor == "day" and s.month and s.frequency == "yearly" and \
            s.day > days_in_month(2000, s.month):
        raise CadenceError(f"'{raw}' names day {s.day} of a month that has "
                           f"{days_in_month(2000, s.month)} days", "check the month and day")
    return Schedule(s.frequency, s.anchor, s.day, s.weekday, s.month, s.next_period, s.on,
                    on_days_off)


_END_ZH = r"(?:底|末)(?:前)?"
_DAY_ZH = r"(\d{1,2})(?:日|号)(?:前|之前)?"


def _zh(p: str) -> Schedule | None:
    p = p.replace(" ", "")
    if p in ("每日", "每天", "每个工作日", "日"):
        return Schedule("daily")
    if m := re.fullmatch(r"(每|下)周([一二三四五六日天])(?:前)?", p):
        return Schedule("weekly", "day", weekday=_WEEKDAYS_ZH[m.group(2)],
                        next_period=m.group(1) == "下")
    if m := re.fullmatch(r"(每月|次月)(?:" + _END_ZH + r"|(上旬|中旬|下旬)|" + _DAY_ZH + ")", p):
        nxt = m.group(1) == "次月"
        if m.group(2):
            return _tenth(Schedule("monthly", next_period=nxt), _TENTHS_ZH[m.group(2)])
        if m.group(3):
            return Schedule("monthly", "day", day=int(m.group(3)), next_period=nxt)
        return Schedule("monthly", next_period=nxt)
    if p in ("每月",):
        return Schedule("monthly")
    if re.fullmatch(r"每季(?:度)?(?:" + _END_ZH + ")?", p):
        return Schedule("quarterly")
    if re.fullmatch(r"每半年(?:" + _END_ZH + ")?", p):
        return Schedule("half-yearly")
    if re.fullmatch(r"(?:每年|年)(?:" + _END_ZH + ")?", p):
        return Schedule("yearly")
    if m := re.fullmatch(r"(?:每年)?(\d{1,2})月(?:" + _END_ZH + r"|(上旬|中旬|下旬)|" + _DAY_ZH + ")",
                         p):
        month = int(m.group(1))
        if m.group(2):
            return _tenth(Schedule("yearly", month=month), _TENTHS_ZH[m.group(2)])
        if m.group(3):
            return Schedule("yearly", "day", day=int(m.group(3)), month=month)
        return Schedule("yearly", month=month)
    if m := re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:前|之前)?", p):
        return Schedule("once", "day", on=dt.date(*(int(g) for g in m.groups())))
    return None


def _tenth(s: Schedule, day: int) -> Schedule:
    if day == 0:
        return s  # 下旬 ends with the month: its last working day
    return Schedule(s.frequency, "day", day=day, month=s.month, next_period=s.next_period)


_NEXT_EN = r"(?: of the next (?:week|month|quarter|half-year|year))?"
_WHEN_EN = (r"(?:(?:by|on) the last working day|by the end(?: of the month)?|(on the last day)"
            r"|(?:by|on) (?:day |the )?(\d{1,2})(?:st|nd|rd|th)?)")


def _en(p: str) -> Schedule | None:
    if p in ("daily", "every day", "every working day"):
        return Schedule("daily")
    if m := re.fullmatch(r"(?:weekly|every week) (?:on|by) (\w+?)s?(" + _NEXT_EN + ")", p):
        if m.group(1) not in WEEKDAYS_EN:
            return None
        return Schedule("weekly", "day", weekday=WEEKDAYS_EN.index(m.group(1)),
                        next_period=bool(m.group(2)))
    if m := re.fullmatch(r"(monthly|quarterly|half-yearly|yearly)(?: " + _WHEN_EN
                         + r")?(?: of month (\d{1,2}))?(" + _NEXT_EN + ")", p):
        freq: Frequency = m.group(1)  # type: ignore[assignment]
        month = int(m.group(4)) if m.group(4) else 0
        nxt = bool(m.group(5))
        if m.group(2):
            return Schedule(freq, "last_day", month=month, next_period=nxt)
        if m.group(3):
            return Schedule(freq, "day", day=int(m.group(3)), month=month, next_period=nxt)
        return Schedule(freq, month=month, next_period=nxt)
    if m := re.fullmatch(r"monthly in the (first ten days|middle ten days|last ten days)"
                         r"|monthly (early|mid|late) in the month", p):
        return _tenth(Schedule("monthly"), _TENTHS_EN[m.group(1) or m.group(2)])
    months = "|".join(_MONTHS_EN)
    if m := re.fullmatch(rf"yearly (?:by|on) ({months}) (\d{{1,2}})", p):
        return Schedule("yearly", "day", day=int(m.group(2)), month=_MONTHS_EN.index(m.group(1)) + 1)
    if m := re.fullmatch(rf"yearly by the end of ({months})", p):
        return Schedule("yearly", month=_MONTHS_EN.index(m.group(1)) + 1)
    if m := re.fullmatch(rf"yearly in (early|mid|late) ({months})", p):
        return _tenth(Schedule("yearly", month=_MONTHS_EN.index(m.group(2)) + 1),
                      _TENTHS_EN[m.group(1)])
    if m := re.fullmatch(r"(?:once )?(?:on |by )?(\d{4})-(\d{1,2})-(\d{1,2})", p):
        return Schedule("once", "day", on=dt.date(*(int(g) for g in m.groups())))
    return None

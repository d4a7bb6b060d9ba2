"""Periodic documents, rebuilt from the event log for any past period.

* the weekly circular (周通报): the week's new, closed and overdue items, the units named for
  overdue work (点名通报), and the typical cases;
* the monthly bulletin (月简报): the same for a month, with the stages' progress;
* the month-end sorting (月末通报分类汇总): every item the month's weekly circulars named and
  every escalation notice issued in the month, counted by category and by unit.

Each is the campaign as ``campaigns.reducer`` replays it at the period's last day (or the
business date, for a period still running), so a circular for September reads the same in
December.  A week runs Monday to Sunday; the month's weekly circulars are those of the weeks
that end in it.  Fields the definition marks confidential are shown only to an entitled reader.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from engine.core.errors import InvalidInput

from .confidential import hidden
from .context import Scope
from .docwriter import Document, Section
from .i18n import _
from .ledger import unit_names
from .reducer import ItemAt, campaign_at
from .report import STAGE_HEAD, STAGE_STATES, month_end, parse_month
from .sealed import open_items
from .standing import Overdue, closing_states, label
from .tables import NOTICES as N, RECTIFICATIONS as R
from .wording import STAGE_KINDS

ONE_DAY = dt.timedelta(days=1)
KINDS = ("weekly", "monthly", "sorting")
LIST_LIMIT = 200  # items listed per section; counts are always complete


@dataclass(frozen=True)
class Period:
    """A week (Monday to Sunday) or a calendar month."""

    kind: str  # "week" or "month"
    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first.year}年{self.first.month}月"
        return (f"{self.first.isocalendar()[0]}年{self.short}（{self.first.month}月{self.first.day}日至"
                f"{self.last.month}月{self.last.day}日）")

    @property
    def short(self) -> str:
        return f"第{self.first.isocalendar()[1]}周" if self.kind == "week" else self.label


def parse_week(text: str) -> Period:
    """'2015-W37' (ISO week) or any date in the week ('2015-09-09')."""
    raw = str(text).strip()
    iso = re.match(r"^(\d{4})-?W(\d{1,2})$", raw, re.IGNORECASE)
    try:
        if iso:
            first = dt.date.fromisocalendar(int(iso.group(1)), int(iso.group(2)), 1)
        else:
            day = dt.date.fromisoformat(raw)
            first = day - dt.timedelta(days=day.weekday())
    except ValueError:
        raise InvalidInput(_("--week '{text}' is not a week").format(text=text),
                           _("write it as an ISO week (2015-W37) or a date in the week "
                             "(2015-09-09)")) from None
    return Period("week", first, first + dt.timedelta(days=6))


def month_period(text: str) -> Period:
    first = parse_month(text)
    return Period("month", first, month_end(first))


def weeks_ending_in(month: Period) -> list[Period]:
    """The weeks whose Sunday falls in ``month``: the weekly circulars it sorts."""
    sunday = month.first + dt.timedelta(days=(6 - month.first.weekday()) % 7)
    out = []
    while sunday <= month.last:
        out.append(Period("week", sunday - dt.timedelta(days=6), sunday))
        sunday += dt.timedelta(days=7)
    return out


@dataclass
class Named:
    """A unit named in a circular: its items overdue at the period's end or escalated in it,
    and its items new and closed in it."""

    unit: str
    overdue: int = 0
    escalated: int = 0
    new: int = 0
    closed: int = 0


@dataclass
class Digest:
    """One period of the campaign as the log tells it."""

    scope: Scope
    period: Period
    as_of: dt.date  # the day shown: the period's last, or the business date if earlier
    total: int = 0
    closed_total: int = 0
    new: list[ItemAt] = field(default_factory=list)
    closed: list[ItemAt] = field(default_factory=list)
    overdue: list[ItemAt] = field(default_factory=list)
    escalated: dict[int, str] = field(default_factory=dict)  # item id → highest level issued
    escalated_items: list[ItemAt] = field(default_factory=list)
    typical: list[ItemAt] = field(default_factory=list)
    named: list[Named] = field(default_factory=list)
    notices: Counter[str] = field(default_factory=Counter)  # issued in the period, by level
    stages: list[list[Any]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()

    @property
    def partial(self) -> bool:
        return self.as_of < self.period.last

    @property
    def called_out(self) -> list[ItemAt]:
        """The items behind the naming: overdue at the end, or escalated during the period."""
        return self.overdue + [it for it in self.escalated_items if it not in self.overdue]


def digest(scope: Scope, period: Period) -> Digest:
    """The period as it stood at its end (or at the scope's date, if that comes first)."""
    run = scope.run
    if period.last < run.start_date:
        raise InvalidInput(_("{period} is before campaign '{campaign}' started ({start})").format(
            period=period.label, campaign=run.key, start=run.start_date),
                           _("give a period of the campaign"))
    if period.first > scope.as_of:
        raise InvalidInput(_("{period} has not begun (business date {day})").format(
            period=period.label, day=scope.as_of),
                           _("give this period or an earlier one, or a later --as-of"))
    as_of = min(period.last, scope.as_of)
    d = run.definition
    out = Digest(scope, period, as_of, names=unit_names(scope.tree), hidden=hidden(run, scope.actor))
    at = campaign_at(scope.conn, run, as_of)
    closing, late = closing_states(d), Overdue(d)
    out.notices, out.escalated = _notices(scope, period.first, as_of)
    units: dict[int, Named] = {}

    def named(it: ItemAt) -> Named:
        line = units.get(it.unit_id)
        if line is None:
            line = units[it.unit_id] = Named(out.names.get(it.unit_id, "?"))
        return line

    for it in open_items(scope.conn, run, scope.actor, at.items):
        out.total += 1
        if it.state in closing:
            out.closed_total += 1
            if it.closed_on and period.first <= it.closed_on <= as_of:
                out.closed.append(it)
                named(it).closed += 1
        if period.first <= it.found_on <= as_of:
            out.new.append(it)
            named(it).new += 1
        if late(it.deadline, it.rect_state, as_of):
            out.overdue.append(it)
            named(it).overdue += 1
        if it.id in out.escalated:
            out.escalated_items.append(it)
            named(it).escalated += 1
        if it.typical and (period.first <= it.found_on <= as_of or it in out.closed):
            out.typical.append(it)
    out.overdue.sort(key=lambda it: (it.deadline or as_of, it.seq))
    out.named = sorted((u for u in units.values() if u.overdue or u.escalated),
                       key=lambda u: (-u.overdue - u.escalated, u.unit))
    out.stages = [[s.title, STAGE_KINDS.get(s.kind, s.kind), f"{s.start} 至 {s.end}",
                   STAGE_STATES.get(s.state, s.state), s.opened_on or "", s.closed_on or ""]
                  for s in at.stages]
    return out


def _notices(scope: Scope, first: dt.date, last: dt.date) -> tuple[Counter[str], dict[int, str]]:
    """Escalation notices issued from ``first`` to ``last``: how many of each level (by its
    title, in the ladder's order), and each item's highest level among those issued after its
    deadline had passed (a reminder before the deadline names nobody)."""
    from .tables import ITEMS as I

    d = scope.run.definition
    titles = {lv.key: lv.title for lv in d.ladder.levels} if d.ladder else {}
    rank = {key: i for i, key in enumerate(titles)}
    rows = scope.conn.execute(
        select(N.c.level, R.c.item_id, N.c.days_overdue)
        .select_from(N.join(R, R.c.id == N.c.rectification_id).join(I, I.c.id == R.c.item_id))
        .where(N.c.campaign_id == scope.run.id, N.c.issued_on >= first, N.c.issued_on <= last))
    counts: Counter[str] = Counter()
    highest: dict[int, str] = {}
    for level, item_id, late in rows:
        counts[level] += 1
        if not late:
            continue
        if item_id not in highest or rank.get(level, -1) > rank.get(highest[item_id], -1):
            highest[item_id] = level
    ordered = [*titles, *sorted(set(counts) - set(titles))]  # the ladder's order
    return (Counter({titles.get(k, k): counts[k] for k in ordered if counts[k]}),
            {i: titles.get(level, level) for i, level in highest.items()})


# --- the documents ------------------------------------------------------------------------------


def _shows(dg: Digest, name: str) -> bool:
    return name not in dg.hidden


def _item_table(dg: Digest, items: list[ItemAt], *, with_deadline: bool = True,
                measures: bool = False) -> tuple[list[str], list[list[Any]], str]:
    d = dg.scope.run.definition
    cats = d.sections.get("categories") or {}
    cols: list[tuple[str, Any]] = [("问题编号", lambda it: it.code),
                                   ("责任单位", lambda it: dg.names.get(it.unit_id, ""))]
    if _shows(dg, "title"):
        cols.append(("问题", lambda it: it.title))
    if _shows(dg, "category"):
        cols.append(("类别", lambda it: cats.get(it.category, it.category)))
    if with_deadline and _shows(dg, "deadline"):
        cols.append(("整改时限", lambda it: it.deadline.isoformat() if it.deadline else ""))
    cols.append(("状态", lambda it: label(d, it.state, it.rect_state)))
    if measures and _shows(dg, "measures"):
        cols.append(("整改措施", lambda it: it.measures or ""))
    rows = [[get(it) for _, get in cols] for it in items[:LIST_LIMIT]]
    more = (f"另有 {len(items) - LIST_LIMIT} 条未列出（见台账）。"
            if len(items) > LIST_LIMIT else "")
    return [name for name, _ in cols], rows, more


def _overview(dg: Digest, noun: str) -> str:
    rate = dg.closed_total / dg.total if dg.total else 0.0
    issued = "，".join(f"{k} {v} 件" for k, v in dg.notices.items()) or "无"
    return (f"{noun}新发现问题 {len(dg.new)} 条，整改销号 {len(dg.closed)} 条；截至"
            f"{dg.as_of.month}月{dg.as_of.day}日，问题总数 {dg.total} 条，累计销号 "
            f"{dg.closed_total} 条，销号率 {rate:.1%}，逾期未完成 {len(dg.overdue)} 条。"
            f"{noun}下发督办：{issued}。")


def _named_section(dg: Digest, number: str) -> Section:
    heading = f"{number}、点名通报"
    if not dg.named:
        return Section(heading, ["本期无逾期未完成整改或被督办的单位。"])
    lines = ["对以下整改逾期或被督办的单位予以点名通报，请主要负责人亲自过问，限期整改到位："]
    rows = [[i + 1, u.unit, u.overdue, u.escalated, u.new, u.closed]
            for i, u in enumerate(dg.named)]
    head, items, more = _item_table(dg, dg.called_out)
    head.append("本期督办")
    for row, it in zip(items, dg.called_out, strict=False):
        row.append(dg.escalated.get(it.id, ""))
    return Section(heading, lines, ["序号", "单位", "逾期未完成", "本期被督办", "本期新增", "本期销号"],
                   rows, [Section("逾期或被督办的问题", [more] if more else [], head, items)])


def _typical_section(dg: Digest, number: str) -> Section:
    if not dg.typical:
        return Section(f"{number}、典型问题", ["本期无典型问题。"])
    head, rows, more = _item_table(dg, dg.typical, measures=True)
    return Section(f"{number}、典型问题", [more] if more else [], head, rows)


def _list_section(dg: Digest, heading: str, items: list[ItemAt]) -> Section:
    head, rows, more = _item_table(dg, items)
    return Section(heading, [more] if more else [], head, rows)


def _shown(*lists: list[ItemAt]) -> int:
    return sum(min(len(items), LIST_LIMIT) for items in lists)


def _issuer(scope: Scope) -> str:
    """The office that issues the campaign's documents (the definition's ``notices.issuer``)."""
    from .notice_docs import Settings

    return Settings.of(scope.run).issuer


def _subtitle(dg: Digest) -> str:
    day = dg.as_of
    return f"截至{day.year}年{day.month}月{day.day}日" + ("（本期尚未结束）" if dg.partial else "")


def weekly(dg: Digest) -> Document:
    """周通报."""
    title = f"{dg.scope.run.definition.title}工作周通报"
    return Document(title, f"{dg.period.label}　{_subtitle(dg)}", [
        Section("一、总体情况", [_overview(dg, "本周")]),
        _named_section(dg, "二"),
        _typical_section(dg, "三"),
        _list_section(dg, "四、本周新发现的问题", dg.new),
        _list_section(dg, "五、本周整改销号的问题", dg.closed),
    ], _issuer(dg.scope), dg.as_of, _shown(dg.called_out, dg.typical, dg.new, dg.closed))


def monthly(dg: Digest) -> Document:
    """月简报."""
    title = f"{dg.scope.run.definition.title}工作简报"
    return Document(title, f"{dg.period.label}　{_subtitle(dg)}", [
        Section("一、总体情况", [_overview(dg, "本月")]),
        Section("二、阶段进展", [], STAGE_HEAD, dg.stages),
        _named_section(dg, "三"),
        _typical_section(dg, "四"),
    ], _issuer(dg.scope), dg.as_of, _shown(dg.called_out, dg.typical))


@dataclass
class Tally:
    """One category or unit in the month-end sorting."""

    named: int = 0  # times its items were named in the month's weekly circulars
    items: set[str] = field(default_factory=set)  # the distinct items named
    notices: Counter[str] = field(default_factory=Counter)


def sorting(scope: Scope, month: Period) -> Document:
    """月末通报分类汇总: the month's circulars counted by category and by unit."""
    run = scope.run
    if month.first > scope.as_of:
        raise InvalidInput(_("{period} has not begun (business date {day})").format(
            period=month.label, day=scope.as_of),
                           _("give this period or an earlier one, or a later --as-of"))
    cats = run.definition.sections.get("categories") or {}
    names = unit_names(scope.tree)
    by_cat: dict[str, Tally] = {}
    by_unit: dict[str, Tally] = {}
    weeks = [w for w in weeks_ending_in(month) if w.last >= run.start_date and w.first <= scope.as_of]
    for week in weeks:
        for it in digest(scope, week).called_out:
            for key, tallies in ((cats.get(it.category, it.category), by_cat),
                                 (names.get(it.unit_id, "?"), by_unit)):
                tally = tallies.setdefault(key, Tally())
                tally.named += 1
                tally.items.add(it.code)
    last = min(month.last, scope.as_of)
    levels = ({lv.key: lv.title for lv in run.definition.ladder.levels}
              if run.definition.ladder else {})
    from .tables import ITEMS as I

    rows = scope.conn.execute(
        select(N.c.level, I.c.category, I.c.unit_id)
        .select_from(N.join(R, R.c.id == N.c.rectification_id).join(I, I.c.id == R.c.item_id))
        .where(N.c.campaign_id == run.id, N.c.issued_on >= month.first, N.c.issued_on <= last))
    for level, category, unit_id in rows:
        title = levels.get(level, level)
        by_cat.setdefault(cats.get(category, category), Tally()).notices[title] += 1
        by_unit.setdefault(names.get(unit_id, "?"), Tally()).notices[title] += 1
    shown = [lv.title for lv in run.definition.ladder.levels] if run.definition.ladder else []
    head = ["序号", "{}", "周通报点名（次）", "涉及问题（条）", *shown, "合计"]

    def table(tallies: dict[str, Tally]) -> list[list[Any]]:
        ordered = sorted(tallies.items(), key=lambda kv: (-(kv[1].named + sum(kv[1].notices.values())),
                                                          kv[0]))
        return [[i + 1, key, t.named, len(t.items), *(t.notices.get(s, 0) for s in shown),
                 t.named + sum(t.notices.values())] for i, (key, t) in enumerate(ordered)]

    week_list = "、".join(w.short for w in weeks) or "无"
    issued = sum(sum(t.notices.values()) for t in by_cat.values())
    intro = (f"本月周通报 {len(weeks)} 期（{week_list}），督办通知 {issued} 件，"
             "按问题类别和责任单位分类汇总如下。")
    day = last
    return Document(f"{run.definition.title}{month.label}通报分类汇总",
                    f"截至{day.year}年{day.month}月{day.day}日", [
                        Section("一、总体情况", [intro]),
                        Section("二、按问题类别", [], [h.format("问题类别") for h in head],
                                table(by_cat)),
                        Section("三、按责任单位", [], [h.format("责任单位") for h in head],
                                table(by_unit)),
                    ], _issuer(scope), day)


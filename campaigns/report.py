"""The monthly report (月报): the campaign as it stood at a month's end, in Markdown or HTML.

Everything is the campaign at the end of the month's last day (or of the business date, for the
month in progress) as ``campaigns.reducer`` replays it, so a report for September reads the same
in December.
Sections: overview, stage progress, items new / closed / overdue in the month, escalation
notices issued, units ranked by overdue items and closure rate, typical cases, and (HTML) the
stage and lifecycle diagrams.  Reporters' identities and fields the definition marks
confidential never appear.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.io.store import Prepared

from .audit import Head, Stream, head
from .confidential import hidden, record_read
from .context import Scope
from .htmlkit import bar_chart, esc, page, stacked_bar, table
from .i18n import _
from .ledger import unit_names
from .reducer import ItemAt, bulk, campaign_at
from .runs import Run
from .safecells import md_text
from .standing import Overdue, closing_states, label, label_order
from .tables import ITEMS as I, NOTICES as N, RECTIFICATIONS as R
from .units import UnitTree
from .wording import STAGE_KINDS

LIST_LIMIT = 100  # items listed per section; counts are always complete
STAGE_STATES = {"pending": "未开始", "open": "进行中", "closed": "已结束"}
# The canonical stage kinds in the words of the plans (DOMAIN: 宣传动员 → 自查整改 → 监督检查 →
# 建章立制); a definition's own kinds are shown as written.


def parse_month(text: str) -> dt.date:
    """'2015-09', '2015/9', '2015年9月' → the first day of that month."""
    match = re.match(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$", str(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(_("--month '{text}' is not a month").format(
            text=text), _("write it as YYYY-MM, e.g. 2015-09"))
    from .dates import in_range

    return in_range(dt.date(int(match.group(1)), int(match.group(2)), 1), "--month")


def month_end(first: dt.date) -> dt.date:
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@dataclass
class UnitLine:
    name: str
    items: int = 0
    closed: int = 0
    overdue: int = 0
    new: int = 0
    closed_in_month: int = 0

    @property
    def rate(self) -> float:
        return self.closed / self.items if self.items else 0.0


@dataclass
class MonthReport:
    run: Run
    first: dt.date
    last: dt.date
    as_of: dt.date  # the day the campaign is shown as of
    partial: bool  # the month is still running
    total: int = 0
    by_state: list[tuple[str, int]] = field(default_factory=list)
    closed: int = 0
    overdue: int = 0
    stages: list[dict[str, Any]] = field(default_factory=list)
    new_items: list[ItemAt] = field(default_factory=list)
    closed_items: list[ItemAt] = field(default_factory=list)
    overdue_items: list[ItemAt] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)  # the first LIST_LIMIT issued
    notice_count: int = 0  # every notice issued in the month
    units: list[UnitLine] = field(default_factory=list)
    typical: list[ItemAt] = field(default_factory=list)
    unit_names: dict[int, str] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    head: Head | None = None  # the event log's chain head as of ``as_of`` (rectify audit)
    hidden: frozenset[str] = frozenset()  # fields this reader may not see (campaigns.confidential)
    unit: str = ""  # the unit whose subtree the report covers ('' for the whole campaign)
    # the registers (campaigns.accountability, campaigns.mechanisms), when the definition keeps them
    accountability: Any = None  # the cumulative Tally
    accountability_month: Any = None  # the Tally of cases decided in the month
    cases: list[dict[str, Any]] = field(default_factory=list)  # names only where allowed
    mechanisms: list[dict[str, Any]] | None = None
    commitments: list[dict[str, Any]] | None = None  # campaigns.commitments, when kept
    commitment_line: str = ""
    assessment: list[Any] | None = None  # campaigns.assessment.Result by peer group
    bottom_notices: list[dict[str, Any]] = field(default_factory=list)  # 末位 notices this month
    assessment_people: list[Any] | None = None  # the people's results, when rated
    run_people_title: str = ""  # the people's assessment's title

    @property
    def rate(self) -> float:
        return self.closed / self.total if self.total else 0.0

    @property
    def title(self) -> str:
        where = f"（{self.unit}）" if self.unit else ""
        return f"{self.run.definition.title}{where} {self.first.year}年{self.first.month}月工作月报"

    @property
    def subtitle(self) -> str:
        when = f"截至 {self.as_of.year}年{self.as_of.month}月{self.as_of.day}日"
        return when + ("（本月尚未结束）" if self.partial else "")


@bulk()  # tens of thousands of notices and sort keys: collecting while building them is waste
def build(scope: Scope, first: dt.date) -> MonthReport:
    """The report for the month starting ``first``, as the campaign stood at its end (or at
    the scope's date, if that comes first)."""
    conn, run, today = scope.conn, scope.run, scope.as_of
    last = month_end(first)
    if last < run.start_date:
        raise InvalidInput(_("{first:%Y-%m} is before campaign '{key}' started ({start_date})").format(
            first=first, key=run.key, start_date=run.start_date), _("give a month of the campaign"))
    if first > today:
        raise InvalidInput(_("{first:%Y-%m} has not begun (business date {today})").format(
            first=first, today=today),
                           _("give this month or an earlier one, or a later --as-of"))
    as_of = min(last, today)
    tree = scope.tree if as_of == today else UnitTree.at(conn, as_of)  # names as of then
    d = run.definition
    rep = MonthReport(run, first, last, as_of, partial=as_of < last, unit_names=unit_names(tree),
                      hidden=hidden(run, scope.actor))
    at = campaign_at(conn, run, as_of)
    from .sealed import open_items

    items = open_items(conn, run, scope.actor, scope.within(at.items))
    closing = closing_states(d)
    is_late = Overdue(d)
    order = label_order(d)
    by_state: Counter[str] = Counter()
    units: dict[int, UnitLine] = {}
    item_counts: Counter[str] = Counter()
    rect_counts: Counter[str] = Counter()
    labels: dict[tuple[str, str], str] = {}
    for it in items:
        rep.total += 1
        pair = (it.state, it.rect_state)
        if pair not in labels:
            labels[pair] = label(d, *pair)
        by_state[labels[pair]] += 1
        item_counts[it.state] += 1
        rect_counts[it.rect_state] += 1
        line = units.get(it.unit_id)
        if line is None:
            line = units[it.unit_id] = UnitLine(rep.unit_names.get(it.unit_id, "?"))
        line.items += 1
        if it.state in closing:
            rep.closed += 1
            line.closed += 1
            if it.closed_on and first <= it.closed_on <= as_of:
                rep.closed_items.append(it)
                line.closed_in_month += 1
        if first <= it.found_on <= as_of:
            rep.new_items.append(it)
            line.new += 1
        if is_late(it.deadline, it.rect_state, as_of):
            rep.overdue += 1
            line.overdue += 1
            rep.overdue_items.append(it)
        if it.typical:
            rep.typical.append(it)
    rep.by_state = sorted(by_state.items(), key=lambda kv: order.index(kv[0])
                          if kv[0] in order else len(order))
    rep.counts = {"item": dict(item_counts), "rectification": dict(rect_counts)}
    rep.units = sorted(units.values(), key=lambda u: (-u.overdue, u.rate, u.name))
    rep.overdue_items.sort(key=lambda it: (it.deadline or as_of, it.seq))
    rep.stages = [st.as_dict() for st in at.stages]
    rep.notices, rep.notice_count = _notices(conn, run, rep, {it.id: it for it in items},
                                             scope.unit_ids)
    rep.unit = scope.unit_name
    rep.head = head(conn, Stream(run.key, run.id), as_of)
    _registers(replace(scope, as_of=as_of), rep)
    return rep


def _registers(scope: Scope, rep: MonthReport) -> None:
    """The accountability cases and long-term mechanisms as of the report's day."""
    from . import accountability as acc
    from .mechanisms import MACHINE, rows

    run = scope.run
    if run.definition.sections.get("accountability"):
        cases = acc.cases_at(scope.conn, run, scope.as_of)
        rep.accountability = acc.tally(run, cases)
        rep.accountability_month = acc.tally(run, cases, rep.first)
        rep.cases = acc.rows(scope, cases, withdrawn=False)
    if MACHINE in run.definition.machines:
        rep.mechanisms = rows(scope)
    from . import commitments as com

    if com.kept(run):
        found = com.commitments_at(scope.conn, run, scope.as_of)
        rep.commitments = com.rows(scope, found)
        rep.commitment_line = com.summary_line(com.tally(run, found, scope.as_of))
    from .assessment import current

    rep.assessment = current(scope.conn, run, scope.as_of, scope.tree, scope.unit_ids)
    rep.assessment_people = current(scope.conn, run, scope.as_of, scope.tree, scope.unit_ids,
                                    people=True)
    rep.run_people_title = str(((run.definition.sections.get("assessment") or {})
                                .get("people") or {}).get("title") or "")
    from .i18n import speaking
    from .office_notices import ASSESSMENT, list_office_notices

    inside = scope.unit_ids
    with speaking("zh_CN"):  # a report's words are Chinese
        rep.bottom_notices = [
            n for n in list_office_notices(scope.conn, run, scope.tree, kinds={ASSESSMENT},
                                           since=rep.first, until=scope.as_of)
            if inside is None or scope.tree.by_code[n["unit_code"]].id in inside]


CASE_HEAD = {"id": "编号", "outcome": "问责方式", "on": "决定日期", "items": "涉及问题",
             "people": "问责对象", "person_times": "人次", "units": "问责单位"}
MECHANISM_HEAD = {"id": "编号", "title": "制度名称", "kind": "类别", "state": "状态",
                  "document_number": "文号", "in_force_on": "施行日期", "categories": "针对问题类别"}


def _case_table(rep: MonthReport) -> tuple[list[str], list[list[Any]]]:
    keys = [k for k in CASE_HEAD if not rep.cases or k in rep.cases[0]]
    return [CASE_HEAD[k] for k in keys], [[c.get(k, "") for k in keys] for c in rep.cases]


def _mechanism_table(rep: MonthReport) -> tuple[list[str], list[list[Any]]]:
    return (list(MECHANISM_HEAD.values()),
            [[m[k] for k in MECHANISM_HEAD] for m in rep.mechanisms or ()])


COMMITMENT_HEAD = {"id": "编号", "title": "承诺事项", "kind": "类别", "unit": "责任单位",
                   "person": "责任人", "due_on": "完成时限", "state": "兑现情况",
                   "on_time": "按时跟踪", "late": "逾期跟踪", "missing": "缺报"}


def _commitment_table(rep: MonthReport) -> tuple[list[str], list[list[Any]]]:
    return (list(COMMITMENT_HEAD.values()),
            [[c[k] for k in COMMITMENT_HEAD] for c in rep.commitments or ()])


def _register_lines(rep: MonthReport) -> list[str]:
    from .accountability import summary_line

    lines = [f"累计{summary_line(rep.accountability)}",
             f"本月{summary_line(rep.accountability_month)}"]
    if rep.cases and "people" not in rep.cases[0]:
        lines.append("问责对象姓名按规定不公开。")
    return lines


def _notices(conn: Connection, run: Run, rep: MonthReport, items: dict[int, ItemAt],
             unit_ids: frozenset[int] | None = None) -> tuple[list[dict[str, Any]], int]:
    """The month's notices as listed (the first LIST_LIMIT), and how many there are in all;
    with ``unit_ids``, only those of items in those units."""
    d = run.definition
    levels = {lv.key: lv.title for lv in d.ladder.levels} if d.ladder else {}
    days: dict[Any, Any] = {}  # each stored date decoded once (a month has thirty)

    def day(value: Any) -> Any:
        if type(value) is not str:
            return value
        found = days.get(value)
        if found is None:
            found = days[value] = dt.date.fromisoformat(value)
        return found

    month = {"run": run.id, "first": rep.first, "last": rep.as_of}
    if unit_ids is None:
        count = _COUNT.rows(conn, month)[0][0]
        rows = list(_NOTICES.stream(conn, month)) if count else []
    else:  # one unit's: the items it holds are known, the month's notices read by item
        inside = sorted(items)
        count, rows = 0, []
        for lo in range(0, len(inside), 500):
            part = _MONTH + (R.c.item_id.in_(inside[lo:lo + 500]),)
            count += conn.execute(select(func.count()).select_from(
                N.join(R, R.c.id == N.c.rectification_id)).where(*part), month).scalar_one()
            rows += conn.execute(
                select(N.c.level, N.c.issued_on, N.c.deadline, N.c.days_overdue, N.c.new_deadline,
                       N.c.action, R.c.item_id, N.c.id)
                .select_from(N.join(R, R.c.id == N.c.rectification_id))
                .where(*part).order_by(N.c.issued_on, N.c.id).limit(LIST_LIMIT), month).all()
        rows = [tuple(r[:7]) for r in sorted(rows, key=lambda r: (r[1], r[7]))[:LIST_LIMIT]]
    # each item's code and unit from the campaign already read (joining the items table for
    # them would double the read); an item the replay does not hold is read by itself
    known = {i: (it.code, it.unit_id) for i, it in items.items()}
    missing = sorted({row[6] for row in rows if row[6] not in known})
    for lo in range(0, len(missing), 500):
        known.update((r.id, (r.code, r.unit_id)) for r in conn.execute(
            select(I.c.id, I.c.code, I.c.unit_id).where(I.c.id.in_(missing[lo:lo + 500]))))
    names = rep.unit_names
    out = []
    for level, issued, deadline, overdue, new_deadline, action, item_id in rows:
        code, unit_id = known[item_id]
        out.append({"issued_on": day(issued), "code": code, "unit": names.get(unit_id, ""),
                    "level": levels.get(level, level), "deadline": day(deadline),
                    "days_overdue": overdue, "new_deadline": day(new_deadline),
                    "action": action or ""})
    return out, count


# The month's notices, as the driver gives them: only those listed are read (a month of a large
# campaign has tens of thousands), and counted from the index.
_MONTH = (N.c.campaign_id == bindparam("run"), N.c.issued_on >= bindparam("first", type_=Date),
          N.c.issued_on <= bindparam("last", type_=Date))
_NOTICES = Prepared(
    select(N.c.level, N.c.issued_on, N.c.deadline, N.c.days_overdue, N.c.new_deadline,
           N.c.action, R.c.item_id)
    .select_from(N.join(R, R.c.id == N.c.rectification_id))
    .where(*_MONTH).order_by(N.c.issued_on, N.c.id).limit(LIST_LIMIT))
_COUNT = Prepared(select(func.count()).select_from(N).where(*_MONTH))


# --- writing ------------------------------------------------------------------------------------


def _cats(rep: MonthReport) -> dict[str, str]:
    return rep.run.definition.sections.get("categories") or {}


def _shows(rep: MonthReport, name: str) -> bool:
    return name not in rep.hidden


def _item_columns(rep: MonthReport, with_measures: bool = False) -> list[tuple[str, Any]]:
    d = rep.run.definition
    cats = _cats(rep)
    cols: list[tuple[str, Any]] = [
        ("问题编号", lambda it: it.code),
        ("单位", lambda it: rep.unit_names.get(it.unit_id, "")),
    ]
    if _shows(rep, "title"):
        cols.append(("问题描述", lambda it: it.title))
    if _shows(rep, "category"):
        cols.append(("问题类别", lambda it: cats.get(it.category, it.category)))
    if _shows(rep, "deadline"):
        cols.append(("整改时限", lambda it: _dated(rep, it.deadline)))
    cols.append(("状态", lambda it: label(d, it.state, it.rect_state)))
    if with_measures:
        if _shows(rep, "measures"):
            cols.append(("整改措施", lambda it: it.measures or ""))
        if _shows(rep, "progress"):
            cols.append(("整改进展", lambda it: it.progress or ""))
    return cols


def _rows(items: list[ItemAt], cols: list[tuple[str, Any]]) -> list[list[Any]]:
    return [[get(it) for _, get in cols] for it in items[:LIST_LIMIT]]


def _more(items: list[Any], count: int | None = None) -> str:
    """The line under a list cut at LIST_LIMIT; ``count``: how many there are, if not listed."""
    total = len(items) if count is None else count
    return f"另有 {total - LIST_LIMIT} 条未列出（见台账）。" if total > LIST_LIMIT else ""


def _stage_rows(rep: MonthReport) -> list[list[Any]]:
    return [[s["title"], STAGE_KINDS.get(s["kind"], s["kind"]), f"{s['start']} 至 {s['end']}",
             STAGE_STATES.get(s["state"], s["state"]), s["opened_on"] or "", s["closed_on"] or ""]
            for s in rep.stages]


STAGE_HEAD = ["阶段", "类型", "时间安排", "状态", "开始日期", "结束日期"]
NOTICE_HEAD = ["下发日期", "问题编号", "单位", "督办等级", "原定时限", "逾期自然日数", "新时限", "要求"]
UNIT_HEAD = ["排名", "单位", "问题数", "本月新增", "已销号", "本月销号", "销号率", "逾期"]


def _notice_rows(rep: MonthReport) -> list[list[Any]]:
    return [[n["issued_on"], n["code"], n["unit"], n["level"], _dated(rep, n["deadline"]),
             n["days_overdue"], _dated(rep, n["new_deadline"]), n["action"]]
            for n in rep.notices[:LIST_LIMIT]]


def _dated(rep: MonthReport, day: dt.date | str | None) -> str:
    """A deadline cell, marked （暂定） in a year the campaign counts on provisional data."""
    from .notice_render import PROVISIONAL
    from .provisional import is_provisional

    if not day:
        return ""
    value = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return value.isoformat() + (PROVISIONAL if is_provisional(rep.run.definition, value) else "")


def _provisional_note(rep: MonthReport) -> str:
    """The legend of the （暂定） mark, when the report shows a date so marked; else ''."""
    from .notice_render import PROVISIONAL_NOTE
    from .provisional import is_provisional

    d = rep.run.definition
    items = [*rep.new_items, *rep.closed_items, *rep.overdue_items, *rep.typical]
    days = [it.deadline for it in items] + [
        dt.date.fromisoformat(v) if isinstance(v, str) else v
        for n in rep.notices for v in (n.get("deadline"), n.get("new_deadline")) if v]
    return PROVISIONAL_NOTE if any(is_provisional(d, x) for x in days) else ""


def _unit_rows(rep: MonthReport) -> list[list[Any]]:
    return [[i + 1, u.name, u.items, u.new, u.closed, u.closed_in_month, f"{u.rate:.1%}", u.overdue]
            for i, u in enumerate(rep.units)]


def _overview(rep: MonthReport) -> list[str]:
    return [f"问题总数 {rep.total} 条，已销号 {rep.closed} 条，销号率 {rep.rate:.1%}，"
            f"逾期未完成 {rep.overdue} 条。",
            f"本月新增 {len(rep.new_items)} 条，本月销号 {len(rep.closed_items)} 条，"
            f"本月下发督办 {rep.notice_count} 件。",
            "按状态：" + "，".join(f"{k} {v} 条" for k, v in rep.by_state) if rep.by_state
            else "按状态：（无）"]


def to_markdown(rep: MonthReport, diagram_note: str = "") -> str:
    out = [f"# {md_text(rep.title)}", "", md_text(rep.subtitle), "", "## 一、总体情况", ""]
    out += [f"- {md_text(line)}" for line in _overview(rep)]
    out += ["", "## 二、阶段进展", "", *_md_table(STAGE_HEAD, _stage_rows(rep))]
    cols = _item_columns(rep)
    for heading, items in (("三、本月新增问题", rep.new_items), ("四、本月销号问题", rep.closed_items),
                           ("五、逾期未完成问题", rep.overdue_items)):
        out += ["", f"## {heading}（{len(items)} 条）", ""]
        out += _md_table([h for h, _ in cols], _rows(items, cols))
        if _more(items):
            out += ["", _more(items)]
    out += ["", f"## 六、本月督办情况（{rep.notice_count} 件）", ""]
    if rep.notices:
        out += _md_table(NOTICE_HEAD, _notice_rows(rep))
        if _more(rep.notices, rep.notice_count):
            out += ["", _more(rep.notices, rep.notice_count)]
    else:
        out += ["本月未下发督办通知（未运行时钟 `rectify tick`，或没有逾期事项）。"]
    out += ["", "## 七、各单位排名（按逾期数、销号率）", "", *_md_table(UNIT_HEAD, _unit_rows(rep))]
    tcols = _item_columns(rep, with_measures=True)
    out += ["", f"## 八、典型案例（{len(rep.typical)} 件）", ""]
    out += _md_table([h for h, _ in tcols], _rows(rep.typical, tcols)) if rep.typical \
        else ["本月无典型案例（用 `rectify item edit CODE --typical` 标记）。"]
    if rep.accountability is not None:
        out += ["", f"## 九、问责情况（{rep.accountability.cases} 起，"
                    f"{rep.accountability.person_times} 人次）", ""]
        out += [f"- {md_text(line)}" for line in _register_lines(rep)]
        if rep.cases:
            head_, rows_ = _case_table(rep)
            out += ["", *_md_table(head_, rows_)]
    if rep.mechanisms is not None:
        in_force = sum(1 for m in rep.mechanisms if m["in_force_on"])
        out += ["", f"## 十、长效机制（{len(rep.mechanisms)} 项，已施行 {in_force} 项）", ""]
        out += _md_table(*_mechanism_table(rep)) if rep.mechanisms else \
            ["尚未建立长效机制（用 `rectify mechanism add` 登记）。"]
    if rep.commitments is not None:
        out += ["", f"## 十一、公开承诺（{len(rep.commitments)} 项）", "",
                f"- {md_text(rep.commitment_line)}"]
        if rep.commitments:
            out += ["", *_md_table(*_commitment_table(rep))]
    if rep.assessment:
        number = "十二" if rep.commitments else "十一"  # after 公开承诺 when the campaign has them
        out += ["", f"## {number}、考核结果（{rep.assessment[0].period.key}，截至 {rep.as_of}）"]
        for res in rep.assessment:
            out += ["", f"### {md_text(res.group.title)}", ""]
            out += _md_table(["名次", "单位", *(c.title for c in res.columns)],
                             [[r.rank if r.rank is not None else "—", rep.unit_names.get(
                                 r.unit.id, r.unit.title),
                               *("" if r.values.get(c.key) is None else f"{r.values[c.key]:.2f}"
                                 for c in res.columns)] for r in res.rows])
    if rep.assessment_people:
        from .assessment_report import label

        names = "person" not in rep.hidden
        people_title = rep.run_people_title or "人员考核结果"
        out += ["", f"### {md_text(people_title)}（{rep.assessment_people[0].period.key}）"]
        for res in rep.assessment_people:
            out += ["", f"#### {md_text(res.group.title)}", ""]
            out += _md_table(["名次", "人员", *(c.title for c in res.columns)],
                             [[r.rank if r.rank is not None else "—",
                               md_text(label(r, lambda u: rep.unit_names.get(u.id, u.title),
                                             names)),
                               *("" if r.values.get(c.key) is None else f"{r.values[c.key]:.2f}"
                                 for c in res.columns)] for r in res.rows])
    if rep.bottom_notices:  # names are never in a notice's words, nor here
        out += ["", f"### 本月末位处理通知（{len(rep.bottom_notices)} 份）", ""]
        out += _md_table(*_bottom_table(rep))
    if diagram_note:
        out += ["", f"> {diagram_note}"]
    if _provisional_note(rep):
        out += ["", f"> {_provisional_note(rep)}"]
    out += ["", f"> {_head_line(rep)}"]
    return "\n".join(out) + "\n"


def _bottom_table(rep: MonthReport) -> tuple[list[str], list[list[Any]]]:
    """The month's notices of confirmed bottom-rule proposals: day, addressee, step, words."""
    return (["下发日期", "考核期", "送达单位", "处理", "通知内容"],
            [[n["issued_on"], n["code"], n["to"], n["level_title"], n["action"]]
             for n in rep.bottom_notices])


def _head_line(rep: MonthReport) -> str:
    """The chain head the report was built on, for checking with ``rectify audit verify --expect``."""
    if rep.head is None:
        return f"事件记录链头（截至 {rep.as_of.isoformat()}）：无"
    return (f"事件记录链头（截至 {rep.as_of.isoformat()}）：第 {rep.head.seq} 条，"
            f"SHA-256 {rep.head.hash}")


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["（无）"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return lines


def _md_cell(value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else ("" if value is None else str(value))
    text = md_text(text)  # user text never becomes HTML (docs/security.md)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def to_html(rep: MonthReport, figures: list[tuple[str, str]], diagram_note: str) -> str:
    body = ['<section><h2>一、总体情况</h2>', "<div class=kpis>"]
    for name, value in (("问题总数", rep.total), ("已销号", rep.closed),
                        ("销号率", f"{rep.rate:.1%}"), ("逾期未完成", rep.overdue),
                        ("本月新增", len(rep.new_items)), ("本月销号", len(rep.closed_items))):
        body.append(f"<div class=kpi>{esc(name)}<b>{esc(value)}</b></div>")
    body.append("</div>")
    body.append(stacked_bar("按状态", rep.by_state))
    body.append("</section>")
    body.append(f"<section><h2>二、阶段进展</h2>{table(STAGE_HEAD, _stage_rows(rep))}</section>")
    cols = _item_columns(rep)
    for heading, items in (("三、本月新增问题", rep.new_items), ("四、本月销号问题", rep.closed_items),
                           ("五、逾期未完成问题", rep.overdue_items)):
        body.append(f"<section><h2>{esc(heading)}（{len(items)} 条）</h2>"
                    f"{table([h for h, _ in cols], _rows(items, cols))}"
                    f"<p class=muted>{esc(_more(items))}</p></section>")
    notices = table(NOTICE_HEAD, _notice_rows(rep), numeric=(5,)) if rep.notices else \
        "<p class=muted>本月未下发督办通知（未运行时钟 rectify tick，或没有逾期事项）。</p>"
    body.append(f"<section><h2>六、本月督办情况（{rep.notice_count} 件）</h2>{notices}</section>")
    top = rep.units[:15]
    charts = ('<div class="charts">'
              + bar_chart("逾期数（前15个单位）", [(u.name, u.overdue) for u in top])
              + bar_chart("销号率", [(u.name, round(100 * u.rate, 1)) for u in top],
                          color="#059669", suffix="%", max_value=100)
              + "</div>")
    body.append(f"<section><h2>七、各单位排名（按逾期数、销号率）</h2>{charts}"
                f"{table(UNIT_HEAD, _unit_rows(rep), numeric=(0, 2, 3, 4, 5, 6, 7))}</section>")
    tcols = _item_columns(rep, with_measures=True)
    typical = table([h for h, _ in tcols], _rows(rep.typical, tcols)) if rep.typical else \
        "<p class=muted>本月无典型案例（用 rectify item edit CODE --typical 标记）。</p>"
    body.append(f"<section><h2>八、典型案例（{len(rep.typical)} 件）</h2>{typical}</section>")
    if _provisional_note(rep):
        from html import escape

        body.append(f"<p class=muted>{escape(_provisional_note(rep))}</p>")
    if rep.accountability is not None:
        head_, rows_ = _case_table(rep)
        lines = "".join(f"<p>{esc(line)}</p>" for line in _register_lines(rep))
        body.append(f"<section><h2>九、问责情况（{rep.accountability.cases} 起，"
                    f"{rep.accountability.person_times} 人次）</h2>{lines}"
                    f"{table(head_, rows_) if rows_ else ''}</section>")
    if rep.mechanisms is not None:
        in_force = sum(1 for m in rep.mechanisms if m["in_force_on"])
        mech = table(*_mechanism_table(rep)) if rep.mechanisms else \
            "<p class=muted>尚未建立长效机制（用 rectify mechanism add 登记）。</p>"
        body.append(f"<section><h2>十、长效机制（{len(rep.mechanisms)} 项，已施行 {in_force} 项）"
                    f"</h2>{mech}</section>")
    if rep.commitments is not None:
        com = table(*_commitment_table(rep), numeric=(0, 7, 8, 9)) if rep.commitments else ""
        body.append(f"<section><h2>十一、公开承诺（{len(rep.commitments)} 项）</h2>"
                    f"<p>{esc(rep.commitment_line)}</p>{com}</section>")
    if rep.assessment:
        from .assessment_report import html_section

        body.append(html_section(rep.assessment,
                                 lambda u: rep.unit_names.get(u.id, u.title)))
    if rep.assessment_people:
        from .assessment_report import html_section as people_section

        body.append(people_section(rep.assessment_people,
                                   lambda u: rep.unit_names.get(u.id, u.title),
                                   "person" not in rep.hidden,
                                   rep.run_people_title or "人员考核结果"))
    if rep.bottom_notices:
        body.append(f"<section><h3>本月末位处理通知（{len(rep.bottom_notices)} 份）</h3>"
                    f"{table(*_bottom_table(rep))}</section>")
    body.append(diagram_section(figures, diagram_note))
    return page(rep.title, rep.subtitle, "\n".join(body),
                f"由 rectify 根据事件记录生成 · 数据截至 {rep.as_of.isoformat()} · {_head_line(rep)}")


def diagram_section(figures: list[tuple[str, str]], note: str) -> str:
    parts = ["<section><h2>图示</h2>"]
    for title, svg in figures:
        parts.append(f'<h3>{esc(title)}</h3><div class="diagram">{svg}</div>')
    if note:
        parts.append(f"<p class=muted>{esc(note)}</p>")
    parts.append("</section>")
    return "".join(parts)


def write_report(scope: Scope, first: dt.date, path: str) -> str:
    """Write the report to ``path`` (.md or .html); returns a note for the user, or ''."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".md", ".markdown", ".html", ".htm"):
        raise InvalidInput(_("cannot write a report to '{value}'").format(value=os.path.basename(path)),
                           _("name the output FILE.md or FILE.html"))
    rep = build(scope, first)
    if ext in (".md", ".markdown"):
        text = to_markdown(rep)
        note = ""
    else:
        from .htmlkit import diagrams

        # always drawn from the month's own figures, so the page never changes afterwards
        figures, note = diagrams(replace(scope, as_of=rep.as_of), True, rep.counts)
        text = to_html(rep, figures, note)
    _write(path, text)
    shown = ["title", "measures", "progress"]
    from .accountability import FIELD, public

    names = rep.cases and "people" in rep.cases[0] and not public(scope.run)
    record_read(scope, "report", shown, items=len(rep.typical) + len(rep.new_items)
                + len(rep.closed_items) + len(rep.overdue_items) + len(rep.cases),
                month=f"{first:%Y-%m}", also=[FIELD] if names else [])
    return note


def _write(path: str, text: str) -> None:
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)

"""Reading a yearly inspection plan file (YAML or CSV) into plain data, every problem located.

The file is read whole and checked before any unit is looked up: its shape, periods, methods,
teams (fixed members, fixed targets), the cap on its items and the units' visit budgets.  Unit
codes are resolved against the site's tree afterwards (campaigns.inspections.plans), with the
same locations.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaigns.i18n import _
from engine.core.errors import InvalidInput, Location, Problem
from engine.core.yamlsource import Document, load_file

from .periods import HINT as PERIOD_HINT, PeriodError, parse_period
from .settings import DEFAULT_METHODS

_LIST = re.compile(r"\s*[;；、,，]\s*")


class PlanInvalid(InvalidInput):
    """A plan file with located problems; all of them are reported, none of the plan is kept."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the plan; nothing was loaded",
                         "fix the file and load it again")

    def format(self, show: Callable[[Any], str] = str) -> str:
        return "\n".join(p.format(show) for p in self.problems)


@dataclass
class PlanItem:
    ref: str
    title: str
    period: str
    starts: Any  # dt.date
    ends: Any
    organiser: str
    participants: list[str]
    method: str
    scope: str
    team: str | None
    targets: list[str]  # unit codes or names, as written
    where: Location  # the item, for problems found later
    targets_at: Location


@dataclass
class Plan:
    """A plan file's content."""

    file: str
    sha256: str
    year: int
    title: str
    cap: int | None
    visit_budget: int | None  # every unit's, unless ``budgets`` names it
    budgets: dict[str, tuple[int, Location]]  # unit as written -> visits, where
    teams: list[dict[str, Any]]
    items: list[PlanItem] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(v) for v in value if _text(v)]
    return [t for t in _LIST.split(_text(value)) if t]


class _Checker:
    """Collects problems against one file's locations."""

    def __init__(self, locate: Any) -> None:
        self.locate = locate
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, where: Any, hint: str | None = None) -> None:
        loc = where if isinstance(where, Location) else self.locate(where)
        self.problems.append(Problem(code, message, loc, hint))


def read_plan(path: str, *, year: int | None = None, cap: int | None = None,
              budgets: Mapping[str, int] | None = None) -> Plan:
    """The plan in ``path`` (``.csv``: one item a row, the year, cap and budgets given here;
    otherwise YAML with ``plan:``, ``teams:``, ``budgets:`` and ``items:``)."""
    if path.lower().endswith(".csv"):
        if year is None:
            raise InvalidInput(_("{path}: a CSV plan does not say its year")
                               .format(path=path), _('give --year'))
        return _read_csv(path, year, cap, dict(budgets or {}))
    doc, problems = load_file(path)
    if doc is None or problems:
        raise PlanInvalid(problems)
    return _read_yaml(doc, path, year, cap, dict(budgets or {}))


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _read_yaml(doc: Document, path: str, year: int | None, cap: int | None,
               extra: dict[str, int]) -> Plan:
    c = _Checker(doc.locate)
    data = doc.data if isinstance(doc.data, dict) else {}
    if not isinstance(doc.data, dict):
        c.add("not-a-plan", _('a plan file is a mapping with plan:, teams:, budgets: and items:'), ())
        raise PlanInvalid(c.problems)
    for key in data:
        if key not in ("plan", "teams", "budgets", "items"):
            c.add("unknown-key", _("unknown key '{key}'").format(key=key), (key,),
                  _('a plan has plan:, teams:, budgets: and items:'))
    raw_head = data.get("plan")
    head: dict[str, Any] = raw_head if isinstance(raw_head, dict) else {}
    if not isinstance(data.get("plan"), dict):
        c.add("missing-plan", _("the plan needs 'plan:' with its year and title"), ("plan",))
    for key in head:
        if key not in ("year", "title", "cap", "visit_budget", "methods"):
            c.add("unknown-key", _("unknown key 'plan.{key}'").format(key=key), ("plan", key),
                  _('plan: takes year, title, cap, visit_budget and methods'))
    plan_year = _int(c, head.get("year"), ("plan", "year"), "plan.year", 2000, 2100)
    if year is not None and plan_year is not None and plan_year != year:
        c.add("wrong-year", _("the file's plan is for {plan_year}, not {year}")
                            .format(plan_year=plan_year, year=year), ("plan", "year"))
    title = _text(head.get("title"))
    if head and not title:
        c.add("missing-title", _('the plan needs a title'), ("plan", "title"),
              _('e.g. 民勤县2020年督查检查考核工作计划'))
    file_cap = _int(c, head.get("cap"), ("plan", "cap"), "plan.cap", 1, 10000, optional=True)
    budget = _int(c, head.get("visit_budget"), ("plan", "visit_budget"), "plan.visit_budget", 0,
                  10000, optional=True)
    methods = list(DEFAULT_METHODS)
    if head.get("methods") is not None:
        methods = _names(head.get("methods"))
        if not methods:
            c.add("no-methods", _('plan.methods lists no method'), ("plan", "methods"))
    budgets: dict[str, tuple[int, Location]] = {}
    raw_budgets = data.get("budgets") or {}
    if not isinstance(raw_budgets, dict):
        c.add("bad-budgets", _('budgets: maps unit codes to visits a year'), ("budgets",),
              _('e.g. budgets: {xc-01: 6}'))
        raw_budgets = {}
    for unit, visits in raw_budgets.items():
        n = _int(c, visits, ("budgets", unit), f"the budget of '{unit}'", 0, 10000)
        if n is not None:
            budgets[str(unit)] = (n, doc.locate(("budgets", unit)))
    for unit, n in extra.items():
        budgets[unit] = (n, Location(path, None, None, f"--budget {unit}"))
    teams = _teams(c, data.get("teams"))
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        c.add("no-items", _('the plan lists no items'), ("items",), _('add items: with one entry each'))
        raw_items = []
    items: list[PlanItem] = []
    for i, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            c.add("bad-item", _('an item is a mapping (ref, title, period, ...)'), ("items", i))
            continue
        for key in raw:
            if key not in ITEM_KEYS:
                c.add("unknown-key", _("unknown key '{key}' in a plan item")
                                     .format(key=key), ("items", i, key),
                      _("an item takes {value}").format(value=', '.join(ITEM_KEYS)))
        item = _item(c, {k: raw.get(k) for k in ITEM_KEYS}, plan_year or year or 0,
                     lambda key, i=i: doc.locate(("items", i, key)) if key else
                     doc.locate(("items", i)), methods)
        if item is not None:
            items.append(item)
    plan = Plan(path, _digest(path), plan_year or 0, title, cap if cap is not None else file_cap,
                budget, budgets, teams, items)
    _check_plan(c, plan, doc.locate(("plan", "cap")) if cap is None else
                Location(path, None, None, "--cap"))
    if c.problems:
        raise PlanInvalid(c.problems)
    return plan


ITEM_KEYS = ("ref", "title", "period", "organiser", "participants", "method", "scope", "team",
             "targets")
CSV_COLUMNS: Mapping[str, str] = {
    "ref": "ref", "序号": "ref", "编号": "ref",
    "title": "title", "名称": "title", "事项": "title", "项目": "title",
    "period": "period", "时间": "period", "开展时间": "period",
    "organiser": "organiser", "组织实施单位": "organiser", "组织单位": "organiser",
    "participants": "participants", "参加单位": "participants",
    "method": "method", "开展方式": "method", "方式": "method",
    "scope": "scope", "对象范围": "scope", "范围": "scope",
    "team": "team", "督查组": "team",
    "targets": "targets", "对象": "targets", "对象单位": "targets",
}


def _int(c: _Checker, value: Any, where: Any, what: str, low: int, high: int,
         optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        c.add("not-a-number", _("{what} must be a whole number, not '{value}'")
                              .format(what=what, value=value), where)
        return None
    if not low <= n <= high:
        c.add("out-of-range", _("{what} must be between {low} and {high}, not {n}")
                              .format(what=what, low=low, high=high, n=n), where)
        return None
    return n


def _teams(c: _Checker, raw: Any) -> list[dict[str, Any]]:
    """Fixed teams: each member in one team only (seed 004: 27 people in 9 groups)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        c.add("bad-teams", _('teams: is a list of {key, title, members, targets}'), ("teams",))
        return []
    teams: list[dict[str, Any]] = []
    seen_keys: set[str] = set()
    member_of: dict[str, str] = {}
    for i, team in enumerate(raw):
        if not isinstance(team, dict):
            c.add("bad-team", _('a team is a mapping {key, title, members, targets}'), ("teams", i))
            continue
        key = _text(team.get("key"))
        if not key:
            c.add("missing-key", _('a team needs a key'), ("teams", i), _('e.g. key: g1'))
            continue
        if key in seen_keys:
            c.add("duplicate-team", _("team '{key}' is listed twice").format(key=key), ("teams", i, "key"))
        seen_keys.add(key)
        members = _names(team.get("members"))
        if not members:
            c.add("no-members", _("team '{key}' has no members").format(key=key), ("teams", i, "members"))
        for m in members:
            if m in member_of and member_of[m] != key:
                c.add("member-in-two-teams",
                      _("'{m}' is in team '{other}' and in team '{key}'").format(
                          m=m, other=member_of[m], key=key),
                      ("teams", i, "members"), _("teams are fixed: one team a person"))
            member_of.setdefault(m, key)
        teams.append({"key": key, "title": _text(team.get("title")) or key, "members": members,
                      "targets": _names(team.get("targets")),
                      "targets_at": c.locate(("teams", i, "targets"))})
    return teams


def _item(c: _Checker, raw: Mapping[str, Any], year: int, at: Any,
          methods: Sequence[str]) -> PlanItem | None:
    ref, title = _text(raw.get("ref")), _text(raw.get("title"))
    ok = True
    for key, value in (("ref", ref), ("title", title), ("period", _text(raw.get("period"))),
                       ("organiser", _text(raw.get("organiser"))),
                       ("method", _text(raw.get("method")))):
        if not value:
            c.add("missing-field", _("a plan item needs its {key}").format(key=key), at(key) if key in raw and
                  raw.get(key) is not None else at(None))
            ok = False
    if len(ref) > 32:
        c.add("ref-too-long", _("item number '{value}' is longer than 32 characters")
                              .format(value=ref[:40]), at("ref"))
        ok = False
    method = _text(raw.get("method"))
    if method and method not in methods:
        c.add("unknown-method", _("unknown method '{method}'").format(method=method), at("method"),
              _("methods: {value}").format(value=', '.join(methods)))
        ok = False
    starts = ends = None
    if _text(raw.get("period")) and year:
        try:
            starts, ends = parse_period(_text(raw.get("period")), year)
        except PeriodError as exc:
            c.add("bad-period", str(exc), at("period"), PERIOD_HINT)
            ok = False
    if not ok or starts is None:
        return None
    return PlanItem(ref, title, _text(raw.get("period")), starts, ends,
                    _text(raw.get("organiser")), _names(raw.get("participants")), method,
                    _text(raw.get("scope")), _text(raw.get("team")) or None,
                    _names(raw.get("targets")), at(None), at("targets"))


def _check_plan(c: _Checker, plan: Plan, cap_at: Location) -> None:
    """Numbers unique, teams known, targets within the team's, the cap kept (the budgets are
    checked once units are known: campaigns.inspections.plans)."""
    teams = {t["key"]: t for t in plan.teams}
    refs: set[str] = set()
    for item in plan.items:
        if item.ref in refs:
            c.add("duplicate-ref", _("item number '{ref}' is used twice").format(ref=item.ref), item.where)
        refs.add(item.ref)
        team = teams.get(item.team or "") if item.team else None
        if item.team and team is None:
            c.add("unknown-team",
                  _("item {ref} names team '{team}', which the plan does not list").format(
                      ref=item.ref, team=item.team),
                  item.where, _("teams: {teams}").format(teams=", ".join(teams) or "-"))
        if team is not None:
            if not item.targets:
                item.targets = list(team["targets"])
            outside = [u for u in item.targets if team["targets"] and u not in team["targets"]]
            if outside:
                c.add("target-not-the-teams",
                      _("item {ref} sends team '{key}' to {units}, not among its fixed "
                        "targets").format(ref=item.ref, key=team["key"], units=", ".join(outside)),
                      item.targets_at,
                      _('teams have fixed targets (不得随意增减): change the team or its targets'))
        if not item.targets:
            c.add("no-targets", _("item {ref} names no target unit").format(ref=item.ref), item.targets_at,
                  _('give targets: (unit codes) or a team with targets'))
    if plan.cap is not None and len(plan.items) > plan.cap:
        over = plan.items[plan.cap]
        c.add("over-cap",
              _("the plan has {count} items, more than its cap of {cap}; item {ref} is the first "
                "beyond it").format(count=len(plan.items), cap=plan.cap, ref=over.ref),
              over.where,
              _('merge or drop items (合并同类项), or raise plan.cap if it was approved'))
        c.add("over-cap", _("the cap of {cap} items is exceeded").format(cap=plan.cap), cap_at)


def over_budget(items: Sequence[PlanItem], budgets: Mapping[str, int],
                default: int | None) -> list[Problem]:
    """The items that send a unit more often than its budget (``items``' targets and
    ``budgets`` by unit code), each located at the item that exceeds it."""
    problems: list[Problem] = []
    counts: dict[str, int] = {}
    for item in items:
        for unit in dict.fromkeys(item.targets):
            counts[unit] = counts.get(unit, 0) + 1
            limit = budgets.get(unit, default)
            if limit is not None and counts[unit] == limit + 1:
                problems.append(Problem(
                    "over-budget",
                    _("unit '{unit}' would be visited {count} times by item {ref}, more than its "
                      "budget of {limit} visits a year").format(unit=unit, count=limit + 1,
                                                                ref=item.ref, limit=limit),
                    item.targets_at, _('take the unit out of an item, or raise its budget')))
    return problems


def _read_csv(path: str, year: int, cap: int | None, extra: dict[str, int]) -> Plan:
    from ..tabular import read_csv

    rows = read_csv(path, CSV_COLUMNS, ("ref", "title", "period", "organiser", "method"))
    c = _Checker(lambda p: Location(path, None, None, str(p)))
    items: list[PlanItem] = []
    for row in rows:
        def at(key: str | None, row: Any = row) -> Location:
            column = row.columns.get(key or "ref", "")
            return Location(path, row.number, None, f"row {row.number}" +
                            (f", {column}" if key and column else ""))
        item = _item(c, {k: row.values.get(k) for k in ITEM_KEYS}, year, at, DEFAULT_METHODS)
        if item is not None:
            items.append(item)
    if not rows:
        c.add("no-items", _('the plan lists no items'), Location(path, 1, None, "row 1"))
    budgets = {u: (n, Location(path, None, None, f"--budget {u}")) for u, n in extra.items()}
    plan = Plan(path, _digest(path), year, os.path.basename(path), cap, None, budgets, [], items)
    _check_plan(c, plan, Location(path, None, None, "--cap"))
    if c.problems:
        raise PlanInvalid(c.problems)
    return plan

"""The ``filings`` section: what units file on a rhythm (报送事项), when, to whom, and its ladder.

Each filing names who files (units of some kinds, or the units of people holding a role), a
schedule (engine.core.cadence: ``每月底前``, ``weekly on Monday``...), whether a document is
required, and the office role that accepts or returns it.  One occurrence per unit and period
moves through the definition's ``filing`` machine, whose triggers ``file``, ``accept-filing``
and ``return-filing`` the commands fire.  Missing and late filings climb the section's own
ladder, measured from each occurrence's due date, with notices, like rectifications.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.core.cadence import DAYS_OFF, CadenceError, DaysOff, Schedule, parse_schedule
from engine.core.errors import Problem
from engine.core.schema import DURATION, KEY, TEXT
from engine.core.spec import Duration, LadderSpec, LevelSpec

MACHINE = "filing"
# The figures a filing may carry, each counted for the filing unit and the units under it over
# the period from the record (campaigns.filing_figures): key → its title in reports.
FIGURES = {
    "found": "新发现问题",  # items found in the period
    "closed": "已销号",  # items closed (销号) in the period
    "total": "问题总数",  # items recorded by the period's end
    "open": "未办结",  # items not closed at the period's end
    "overdue": "逾期未整改",  # items overdue at the period's end
    "typical": "典型问题",  # items marked typical by the period's end
    "cases": "问责案件",  # accountability cases decided in the period
}
FILE, ACCEPT, RETURN = "file", "accept-filing", "return-filing"
TRIGGERS = (FILE, ACCEPT, RETURN)

LEVEL = {"type": "object", "additionalProperties": False, "required": ["key", "title", "at"],
         "properties": {"key": KEY, "title": TEXT, "at": DURATION, "action": {"type": "string"}}}
FILINGS_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["items"],
    "description": "what units file on a rhythm (报送事项): see docs/definitions.md, filings",
    "properties": {
        "ladder": {
            "type": "object", "additionalProperties": False, "required": ["levels"],
            "description": "the ladder missing and late filings climb, measured from the due date",
            "properties": {
                "applies_in": {"type": "array", "items": KEY, "minItems": 1},
                "hold_states": {"type": "array", "items": KEY},
                "stop_states": {"type": "array", "items": KEY},
                "levels": {"type": "array", "minItems": 1, "items": LEVEL},
            },
        },
        "items": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "title", "schedule", "office"],
            "properties": {
                "key": KEY,
                "title": TEXT,
                "schedule": {"type": "string", "minLength": 1,
                             "description": "when it is due, e.g. 每月底前, 每周一, 3月底前, "
                                            "'weekly on Monday', 'monthly by day 5'"},
                "on_days_off": {"enum": list(DAYS_OFF),
                                "description": "a due date on a day off: next (default), keep, "
                                               "before"},
                "units": {"type": "array", "items": TEXT, "minItems": 1,
                          "description": "the kinds of unit that file it"},
                "role": {**KEY, "description": "or: the units of the people holding this role"},
                "document": {"type": "boolean", "description": "a document must be attached "
                                                              "(default: true)"},
                "office": {**KEY, "description": "the role that accepts or returns it"},
                "to": {**TEXT, "description": "who receives it, e.g. 县委组织部（干部监督科）"},
                "figures": {"type": "array", "minItems": 1, "uniqueItems": True,
                            "items": {"enum": list(FIGURES)},
                            "description": "figures filed with it, counted from the record "
                                           f"for the unit and the period: {', '.join(FIGURES)}"},
                "rollup": {
                    "type": "object", "additionalProperties": False, "required": ["from"],
                    "description": "made from the accepted filings of the units under the "
                                   "filer: their figures summed, their documents bundled",
                    "properties": {
                        "from": {**KEY, "description": "the filing rolled up"},
                        "campaigns": {"type": "array", "minItems": 1, "uniqueItems": True,
                                      "items": KEY,
                                      "description": "read it in these campaigns of the same "
                                                     "database (default: this campaign)"},
                    },
                },
                "description": {"type": "string"},
            },
        }},
    },
}


@dataclass(frozen=True)
class FilingSpec:
    key: str
    title: str
    schedule: Schedule
    office: str
    kinds: tuple[str, ...] = ()
    role: str | None = None
    document: bool = True
    to: str | None = None
    figures: tuple[str, ...] = ()
    rollup_from: str | None = None
    rollup_campaigns: tuple[str, ...] = ()  # empty: this campaign


@dataclass(frozen=True)
class FilingsSpec:
    items: tuple[FilingSpec, ...]
    ladder: LadderSpec | None = None

    def get(self, key: str) -> FilingSpec | None:
        return next((f for f in self.items if f.key == key), None)


def build(raw: Mapping[str, Any]) -> FilingsSpec:
    items = tuple(FilingSpec(
        f["key"], f["title"], parse_schedule(f["schedule"], _days_off(f.get("on_days_off"))),
        f["office"], tuple(f.get("units") or ()), f.get("role"), bool(f.get("document", True)),
        f.get("to"), tuple(f.get("figures") or ()), (f.get("rollup") or {}).get("from"),
        tuple((f.get("rollup") or {}).get("campaigns") or ())) for f in raw["items"])
    lad = raw.get("ladder")
    ladder = LadderSpec(
        MACHINE, tuple(LevelSpec(lv["key"], lv["title"], Duration.parse(lv["at"]),
                                 lv.get("action", "")) for lv in lad["levels"]),
        stop_states=frozenset(lad.get("stop_states", [])),
        hold_states=frozenset(lad.get("hold_states", [])),
        applies_in=frozenset(lad["applies_in"]) if "applies_in" in lad else None,
    ) if lad else None
    return FilingsSpec(items, ladder)


def _days_off(value: Any) -> DaysOff:
    for choice in DAYS_OFF:
        if value == choice:
            return choice
    return "next"


def check(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    """Located problems: schedules, who files, the office, the machine and the ladder."""
    machines = ctx.data.get("machines")
    machine = machines.get(MACHINE) if isinstance(machines, dict) else None
    roles = ctx.data.get("roles") if isinstance(ctx.data.get("roles"), dict) else {}
    if not isinstance(machine, dict):
        ctx.add("missing-machine", f"filings move through a machine '{MACHINE}', which is not "
                "defined", ("filings",), "add machines: filing: with the triggers "
                f"{', '.join(TRIGGERS)} (docs/definitions.md, filings)")
        states: list[str] = []
    else:
        states = [str(s.get("key")) for s in machine.get("states") or [] if isinstance(s, dict)]
        have = {t.get("trigger") for t in machine.get("transitions") or [] if isinstance(t, dict)}
        for trigger in TRIGGERS:
            if trigger not in have:
                ctx.add("missing-trigger", f"machine '{MACHINE}' has no trigger '{trigger}', "
                        "which the filing commands fire", ("machines", MACHINE),
                        f"add a transition with trigger: {trigger}")
    seen: set[str] = set()
    for i, f in enumerate(raw.get("items") or []):
        where = ("filings", "items", i)
        if f["key"] in seen:
            ctx.add("duplicate-key", f"filing '{f['key']}' listed twice", (*where, "key"))
        seen.add(f["key"])
        try:
            parse_schedule(f["schedule"])
        except CadenceError as exc:
            ctx.add("bad-schedule", exc.message, (*where, "schedule"), exc.hint)
        if ("units" in f) == ("role" in f):
            ctx.add("who-files", f"filing '{f['key']}' needs either units (kinds of unit) or "
                    "role, not both or neither", where, "write units: [township] or role: unit-head")
        for part in ("role", "office"):
            name = f.get(part)
            if name is not None and roles and name not in roles:
                ctx.add("unknown-role", f"filing '{f['key']}' names unknown role '{name}'",
                        (*where, part), f"roles: {', '.join(roles)}")
        office = roles.get(f["office"]) if isinstance(roles.get(f["office"]), dict) else None
        if office is not None:
            lacking = [t for t in (ACCEPT, RETURN) if t not in (office.get("triggers") or [])]
            if lacking:
                ctx.add("office-cannot-accept", f"office role '{f['office']}' may not fire "
                        f"{', '.join(lacking)}", (*where, "office"),
                        f"add {', '.join(lacking)} to roles.{f['office']}.triggers")
    _check_rollups(ctx, raw.get("items") or [])
    _check_ladder(ctx, raw.get("ladder"), states)
    return ()


def _check_rollups(ctx: Any, items: list[Any]) -> None:
    """A roll-up of this campaign's own filing names one that exists, with periods alike."""
    by_key = {f["key"]: f for f in items if isinstance(f, dict)}
    for i, f in enumerate(items):
        rollup = f.get("rollup") if isinstance(f, dict) else None
        if not isinstance(rollup, dict) or rollup.get("campaigns"):
            continue  # another campaign's filing is looked up when the roll-up is made
        where = ("filings", "items", i, "rollup", "from")
        source = by_key.get(rollup.get("from"))
        if source is None or source is f:
            ctx.add("unknown-filing", f"filing '{f['key']}' rolls up '{rollup.get('from')}', "
                    "which is not another filing of this definition", where,
                    f"filings: {', '.join(k for k in by_key if k != f['key'])}; or name "
                    "rollup.campaigns to read another campaign's")
            continue
        try:
            mine, theirs = (parse_schedule(x["schedule"]).period_kind for x in (f, source))
        except CadenceError:
            continue  # the schedule's own problem is reported
        if mine != theirs:
            ctx.add("rollup-period", f"filing '{f['key']}' is filed per {mine} but rolls up "
                    f"'{source['key']}', filed per {theirs}", where,
                    "roll up a filing with the same periods (monthly into monthly)")


def _check_ladder(ctx: Any, ladder: Any, states: list[str]) -> None:
    if not isinstance(ladder, dict):
        return
    for part in ("applies_in", "hold_states", "stop_states"):
        for j, key in enumerate(ladder.get(part) or []):
            if states and key not in states:
                ctx.add("unknown-state", f"filings.ladder.{part} names undefined state '{key}'",
                        ("filings", "ladder", part, j), f"states of '{MACHINE}': {', '.join(states)}")
    own = ctx.data.get("escalation")
    taken = {lv.get("key") for lv in (own.get("levels") or []) if isinstance(lv, dict)
             and isinstance(lv.get("key"), str)} if isinstance(own, dict) else set()
    levels = ladder.get("levels") or []
    previous: Duration | None = None
    for j, lv in enumerate(levels if isinstance(levels, list) else []):
        if not (isinstance(lv, dict) and isinstance(lv.get("key"), str)
                and isinstance(lv.get("at"), str)):
            continue  # the schema has said what is wrong with it
        try:
            at = Duration.parse(lv["at"])
        except ValueError:
            continue  # a malformed span: the schema's located error stands
        if lv["key"] in taken:
            ctx.add("duplicate-level", f"filing level '{lv['key']}' is also a level of the "
                    "escalation ladder", ("filings", "ladder", "levels", j, "key"),
                    "give the filings' levels their own keys, e.g. filing-urge")
        if previous is not None and _days(at) <= _days(previous):
            ctx.add("ladder-order", f"level '{lv['key']}' ({lv['at']}) does not come after the "
                    "one before it", ("filings", "ladder", "levels", j, "at"),
                    "list levels mildest first, each later")
        previous = at


def _days(d: Duration) -> float:
    return d.days * (7 / 5 if d.unit == "working" else 1)

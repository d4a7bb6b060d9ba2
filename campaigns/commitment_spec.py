"""The ``commitments`` section: public commitments (公开承诺), when they are published, how they
are tracked, and the commitments a definition itself names.

``publish`` is a schedule (engine.core.cadence): a commitment's publication (晒承诺) is due on
the due date of the period its start falls in (``3月底前``: by 31 March of the year; seed 000's
月初晒承诺 is ``每月5日前``).  ``tracking`` lists the check-ins, each a schedule whose periods
between a commitment's start and completion dates are occurrences with a due date (seed 002:
一天一跟踪、一周一点评、一月一调度、一季一总结、一年一兑现); the one marked ``review`` is met by
the commitment's fulfilment review rather than by a check-in.  ``list`` names commitments with
their dates, added to a campaign with ``rectify commitment add --from KEY``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.core.cadence import CadenceError, Schedule, parse_schedule
from engine.core.errors import Problem
from engine.core.schema import DATE, KEY, TEXT

MACHINE = "commitment"
TRIGGERS = ("publish-commitment", "fulfil", "fulfil-partly", "break")
DEFAULT_KINDS = {"fixed": "固定任务", "dynamic": "动态任务"}

_KIND = {"type": "object", "additionalProperties": False, "required": ["key", "title"],
         "properties": {"key": KEY, "title": TEXT, "description": {"type": "string"}}}
SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["tracking"],
    "description": "public commitments (公开承诺): publication, tracking cadence, and the "
                   "commitments the definition names (docs/definitions.md, commitments)",
    "properties": {
        "publish": {"type": "string", "minLength": 1,
                    "description": "when commitments are published (晒承诺), a schedule: each "
                                   "is due by the due date of the period its start is in, "
                                   "e.g. 3月底前, 每月5日前"},
        "kinds": {"type": "array", "minItems": 1, "items": _KIND,
                  "description": "default: fixed 固定任务, dynamic 动态任务"},
        "tracking": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "title", "schedule"],
            "properties": {
                "key": KEY, "title": TEXT,
                "schedule": {"type": "string", "minLength": 1,
                             "description": "when a check-in is due, e.g. 每日, 每周五, 每月底前"},
                "review": {"type": "boolean",
                           "description": "met by the fulfilment review (一年一兑现), not a "
                                          "check-in; at most one"},
            },
        }},
        "list": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "title", "start", "due"],
            "properties": {
                "key": KEY, "title": TEXT, "kind": KEY, "start": DATE, "due": DATE,
                "unit": {"type": "string", "minLength": 1,
                         "description": "the responsible unit's code, when the definition knows it"},
                "description": {"type": "string"},
            },
        }},
    },
}


@dataclass(frozen=True)
class Check:
    """One tracking schedule of commitments."""

    key: str
    title: str
    schedule: Schedule
    review: bool = False


@dataclass(frozen=True)
class Listed:
    """A commitment the definition names."""

    key: str
    title: str
    kind: str
    start: dt.date
    due: dt.date
    unit: str | None = None


@dataclass(frozen=True)
class CommitmentsSpec:
    kinds: dict[str, str]
    tracking: tuple[Check, ...]
    publish: Schedule | None = None
    listed: tuple[Listed, ...] = ()

    def check(self, key: str) -> Check | None:
        return next((c for c in self.tracking if c.key == key), None)

    def listed_one(self, key: str) -> Listed | None:
        return next((c for c in self.listed if c.key == key), None)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def build(raw: Mapping[str, Any]) -> CommitmentsSpec:
    kinds = {k["key"]: k["title"] for k in raw.get("kinds") or ()} or dict(DEFAULT_KINDS)
    first = next(iter(kinds))
    return CommitmentsSpec(
        kinds,
        tuple(Check(c["key"], c["title"], parse_schedule(c["schedule"]), bool(c.get("review")))
              for c in raw["tracking"]),
        parse_schedule(raw["publish"]) if raw.get("publish") else None,
        tuple(Listed(c["key"], c["title"], c.get("kind") or first, _date(c["start"]),
                     _date(c["due"]), c.get("unit")) for c in raw.get("list") or ()))


def check(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    """Located problems: schedules, unique keys, one review, the machine, the listed dates."""
    machines = ctx.data.get("machines")
    has_machine = ctx.data.get("lifecycle") == "standard" or (
        isinstance(machines, dict) and MACHINE in machines)
    if not has_machine:
        ctx.add("missing-machine", f"commitments move through a machine '{MACHINE}', which is "
                "not defined", ("commitments",), "write 'lifecycle: standard' or add "
                f"machines: {MACHINE}: (docs/definitions.md, commitments)")
    roles = ctx.data.get("roles") if isinstance(ctx.data.get("roles"), dict) else {}
    for trigger in TRIGGERS:
        if roles and not any(isinstance(r, dict) and isinstance(r.get("triggers"), list)
                             and trigger in r["triggers"] for r in roles.values()):
            ctx.add("no-role-fires", f"no role lists '{trigger}', which the commitments "
                    "commands fire", ("commitments",),
                    f"add {trigger} to the triggers of the office's role")
    if raw.get("publish"):
        try:
            parse_schedule(raw["publish"])
        except CadenceError as exc:
            ctx.add("bad-schedule", exc.message, ("commitments", "publish"), exc.hint)
    kinds = [k["key"] for k in raw.get("kinds") or ()] or list(DEFAULT_KINDS)
    for part in ("kinds", "tracking", "list"):
        seen: set[str] = set()
        for i, entry in enumerate(raw.get(part) or ()):
            if entry["key"] in seen:
                ctx.add("duplicate-key", f"commitments.{part} '{entry['key']}' listed twice",
                        ("commitments", part, i, "key"))
            seen.add(entry["key"])
    reviews = [i for i, c in enumerate(raw.get("tracking") or ()) if c.get("review")]
    for i in reviews[1:]:
        ctx.add("two-reviews", "only one tracking schedule is met by the fulfilment review",
                ("commitments", "tracking", i, "review"), "keep review: true on one of them")
    for i, c in enumerate(raw.get("tracking") or ()):
        try:
            parse_schedule(c["schedule"])
        except CadenceError as exc:
            ctx.add("bad-schedule", exc.message, ("commitments", "tracking", i, "schedule"),
                    exc.hint)
    for i, c in enumerate(raw.get("list") or ()):
        where = ("commitments", "list", i)
        if c.get("kind") and c["kind"] not in kinds:
            ctx.add("unknown-kind", f"commitment '{c['key']}' has unknown kind '{c['kind']}'",
                    (*where, "kind"), f"kinds: {', '.join(kinds)}")
        try:
            start, due = _date(c["start"]), _date(c["due"])
        except ValueError:
            continue  # the schema reports a date that does not exist
        if due < start:
            ctx.add("due-before-start", f"commitment '{c['key']}' is due ({due}) before it "
                    f"starts ({start})", (*where, "due"), "the completion date comes last")
    return ()

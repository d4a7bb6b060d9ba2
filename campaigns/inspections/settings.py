"""The definition's ``inspections:`` section: the methods a campaign's inspections use and
whether a unit's head is told of each finding on the day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.core.errors import Problem
from engine.core.schema import DURATION, KEY, TEXT

DEFAULT_METHODS = ("明察", "暗访", "节假日专项", "随机抽查")
"""Open and unannounced visits, a holiday's special theme, and spot checks (seeds 003, 004)."""

SCHEMA = {
    "type": "object", "additionalProperties": False,
    "description": "inspections (督查检查) whose findings become this campaign's items",
    "properties": {
        "methods": {"type": "array", "minItems": 1, "uniqueItems": True, "items": TEXT,
                    "description": "how inspections are made (default: "
                                   f"{', '.join(DEFAULT_METHODS)})"},
        "notify_unit_head": {"type": "boolean",
                             "description": "tell the unit's head of each finding on the day "
                                            "it is found (an office notice; default false)"},
        "unit_head_role": {**KEY, "description": "the role its head holds in the unit (the "
                                                 "notice names them; default: the unit alone)"},
        "holidays": {
            "type": "object", "additionalProperties": False, "required": ["ahead"],
            "description": "an inspection before each statutory holiday (个个节日有督查)",
            "properties": {
                "ahead": {**DURATION, "description": "how long before the holiday's first day, "
                                                     "e.g. 3 working days"},
                "method": {**TEXT, "description": "default: 节假日专项"},
                "theme": {**TEXT, "description": "put after the holiday's name, e.g. "
                                                 "前作风督查 (default: 前督查)"},
            },
        },
    },
}


@dataclass(frozen=True)
class Settings:
    methods: tuple[str, ...]
    notify_unit_head: bool
    unit_head_role: str | None
    holidays: Mapping[str, Any] | None


def settings(sections: Mapping[str, Any]) -> Settings:
    """The campaign's inspection settings, with the defaults filled in."""
    raw = sections.get("inspections") or {}
    return Settings(tuple(raw.get("methods") or DEFAULT_METHODS),
                    bool(raw.get("notify_unit_head", False)), raw.get("unit_head_role"),
                    raw.get("holidays"))


def check(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    """A head's role must be one of the definition's roles."""
    role = raw.get("unit_head_role")
    roles = ctx.data.get("roles")
    known = set(roles) if isinstance(roles, dict) else set()
    if isinstance(role, str) and role not in known:
        ctx.add("unknown-role", f"inspections.unit_head_role '{role}' is not a role of this "
                "definition", ("inspections", "unit_head_role"),
                f"roles: {', '.join(sorted(known)) or 'none'}")
    methods = raw.get("methods")
    holidays = raw.get("holidays")
    method = holidays.get("method") if isinstance(holidays, dict) else None
    allowed = methods if isinstance(methods, list) else list(DEFAULT_METHODS)
    if isinstance(method, str) and method not in allowed:
        ctx.add("unknown-method", f"inspections.holidays.method '{method}' is not one of the "
                "methods", ("inspections", "holidays", "method"), f"methods: {', '.join(allowed)}")
    return ()

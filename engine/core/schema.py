"""The JSON Schema of the definition format, assembled from the engine's and plugins' sections.

This one model drives both the validator and ``rectify schema``; nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .registry import Registry
from .spec import DATE_PATTERN, DURATION_PATTERN, OFFSET_PATTERN

KEY = {"type": "string", "pattern": r"^[a-z][a-z0-9_-]*$", "maxLength": 64,
       "description": "lower-case key: letters, digits, '-' or '_'"}
TEXT = {"type": "string", "minLength": 1}
DATE = {"type": "string", "pattern": DATE_PATTERN, "description": "a date, YYYY-MM-DD"}
DURATION = {"type": "string", "pattern": DURATION_PATTERN,
            "description": "signed days with their unit: working days, calendar days or weeks, "
                           "e.g. '10 working days', '-3 calendar days', 15个工作日, 10个自然日, "
                           "2周, +2w (docs/definitions.md, Spans and schedules)"}
CALL = {
    "description": "a guard or action: its name, or {name: {param: value}}",
    "oneOf": [
        {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        {"type": "object", "minProperties": 1, "maxProperties": 1,
         "additionalProperties": {"type": ["object", "null"]}},
    ],
}
CALLS = {"type": "array", "items": {"$ref": "#/$defs/call"}}
DATE_REF = {
    "description": "an absolute date (2015-07-01) or a signed offset from the run's start in "
                   "calendar units (+0d, +2w, +1m, +1q, +1y, +2周, +3个月)",
    "oneOf": [DATE, {"type": "string", "pattern": OFFSET_PATTERN}],
}


def _obj(props: Mapping[str, Any], required: tuple[str, ...] = (), desc: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": dict(props),
                           "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if desc:
        out["description"] = desc
    return out


STATE = _obj({"key": KEY, "title": TEXT, "done": {"type": "boolean"}}, ("key",),
             "a state; a done state counts as finished but may still have exits")
TRANSITION = _obj({
    "trigger": KEY,
    "title": TEXT,
    "source": {"description": "state key, list of keys, or '*' for every state",
               "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                               "minItems": 1}]},
    "dest": KEY,
    "guards": CALLS,
    "actions": CALLS,
}, ("trigger",))
MACHINE = _obj({
    "title": TEXT,
    "initial": KEY,
    "states": {"type": "array", "items": {"$ref": "#/$defs/state"}},
    "transitions": {"type": "array", "items": {"$ref": "#/$defs/transition"}},
    "remove": {"type": "array", "items": {"type": "string"},
               "description": "state keys or triggers of the preset to drop"},
}, desc="a state machine; with a lifecycle preset, entries override the preset's by key")

ENGINE_SECTIONS: dict[str, dict[str, Any]] = {
    "format": {"const": 1, "description": "version of the definition format"},
    "lifecycle": {"type": "string", "description": "name of a lifecycle preset from a plugin"},
    "machines": {"type": "object", "propertyNames": KEY,
                 "additionalProperties": {"$ref": "#/$defs/machine"}},
    "stages": {"type": "array", "minItems": 1, "items": _obj({
        "key": KEY, "kind": KEY, "title": TEXT,
        "start": DATE_REF, "end": DATE_REF,
        "entry": CALLS, "exit": CALLS,
        "description": {"type": "string"},
    }, ("key", "kind", "title", "start", "end"))},
    "roles": {"type": "object", "propertyNames": KEY, "additionalProperties": _obj({
        "title": TEXT,
        "triggers": {"type": "array", "items": {"type": "string"}},
        "confidential": {"type": "boolean", "description": "may see confidential fields"},
        "overrides": {"type": "boolean", "description": "may force a refused stage guard"},
        "side": {**KEY, "description": "the side of the separation of duties it acts for "
                                       "(the sides a plugin names; default: the plugin's choice)"},
        "edits": {"type": "array", "items": {"type": "string"},
                  "description": "the fields it may correct (default: its side's fields)"},
    }, ("title",))},
    "confidential": {"type": "array", "items": {"type": "string"},
                     "description": "fields never shown to roles without 'confidential: true'"},
    "calendar": _obj({
        "region": {"enum": ["cn", "none"]},
        "timezone": TEXT,
        "days_off": {"type": "array", "items": DATE},
        "working_days": {"type": "array", "items": DATE},
        "outside_known_years": {"enum": ["provisional", "error", "weekends"]},
    }),
    "deadlines": {**_obj({"default_limit": DURATION}),
                  "patternProperties": {"^after_[a-z][a-z0-9_]*$": DURATION,
                                        "^[a-z][a-z0-9_]*_within$": DURATION},
                  "description": "time limits: default_limit, after_<name> limits that "
                                 "transitions setting a new deadline default to, and <name>_within "
                                 "limits to answer within (reminders.within)"},
    "escalation": _obj({
        "machine": KEY,
        "applies_in": {"type": "array", "items": KEY,
                       "description": "the states the ladder climbs in (default: every state "
                                      "neither done, stop nor hold)"},
        "stop_states": {"type": "array", "items": KEY},
        "hold_states": {"type": "array", "items": KEY},
        "levels": {"type": "array", "minItems": 1, "items": _obj({
            "key": KEY, "title": TEXT, "at": DURATION, "action": {"type": "string"},
            "new_deadline": DURATION,
            "guards": {**CALLS, "description": "the level is reached only when these hold: "
                                                "compare on a field of the subject"},
        }, ("key", "title", "at"))},
    }, ("machine", "levels")),
    "reminders": _obj({
        "machine": KEY,
        "states": {"type": "array", "items": KEY, "minItems": 1,
                   "description": "the states that wait for an answer (default: the initial one)"},
        "within": {**KEY, "description": "a <name>_within limit of the deadlines section "
                                         "(default: confirm_within)"},
        "to": {"type": "array", "items": KEY, "minItems": 1,
               "description": "the roles that must answer (default: those that may fire a "
                              "trigger out of the states)"},
        "levels": {"type": "array", "minItems": 1, "items": _obj({
            "key": KEY, "title": TEXT, "at": DURATION, "action": {"type": "string"},
        }, ("key", "title", "at"))},
    }, ("machine", "levels"), "reminders to answer a subject waiting past its time to answer"),
    "timers": {"type": "array", "items": _obj({
        "key": KEY, "machine": KEY, "trigger": KEY, "state": KEY,
        "after": DURATION, "from": {"enum": ["state", "deadline"]}, "guards": CALLS,
    }, ("key", "machine", "trigger", "after"))},
}
ENGINE_REQUIRED = ("format", "stages")


def build_schema(registry: Registry) -> dict[str, Any]:
    """The complete JSON Schema (draft 2020-12) for definitions with these plugins."""
    properties: dict[str, Any] = dict(ENGINE_SECTIONS)
    required = list(ENGINE_REQUIRED)
    for plugin in registry.plugins.values():
        for section in plugin.sections:
            properties[section.name] = dict(section.schema)
            if section.required:
                required.append(section.name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rectify.invalid/definition.schema.json",
        "title": "Rectify definition",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "$defs": {"call": CALL, "state": STATE, "transition": TRANSITION, "machine": MACHINE},
    }

"""Checks a definition in layers and reports every problem found, each located.

Layers: YAML (engine.core.yamlsource), then the JSON Schema, then meaning: references between
states, triggers, guards and stages, reachability, dates and thresholds.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .plugins import ActionDef, GuardDef
from .registry import Registry
from .spec import Duration, split_call
from .text import Text, joined
from .yamlsource import Document, Path


@dataclass
class CheckContext:
    """What a section checker needs: the document for locations and the merged data."""

    doc: Document
    registry: Registry
    data: Mapping[str, Any]
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, path: Path, hint: str | None = None) -> None:
        self.problems.append(Problem(code, message, self.doc.locate(path), hint))

    def check_calls(self, calls: Any, kind: str, path: Path, machine: str | None = None) -> None:
        """Each call's name and parameters; with ``machine``, the fields and values it names."""
        for i, call in enumerate(calls or ()):
            name, params = split_call(call)
            known = self.registry.guards if kind == "guard" else self.registry.actions
            target = known.get(name)
            if target is None:
                self.add(f"unknown-{kind}", Text("unknown {kind} '{name}'", kind=kind, name=name), (*path, i),
                         self.registry.suggest(name, kind))
                continue
            bad = False
            for pname, value in params.items():
                spec = target.params.get(pname)
                if spec is None:
                    close = difflib.get_close_matches(pname, list(target.params), n=1)
                    hint = (Text("did you mean '{name}'?", name=close[0]) if close else
                            Text("'{name}' takes: {params}", name=name,
                                 params=", ".join(target.params) or Text("no parameters")))
                    self.add("unknown-param", Text("{kind} '{name}' has no parameter "
                                                   "'{pname}'", kind=kind, name=name, pname=pname),
                             (*path, i, name, pname), hint)
                elif not isinstance(value, spec.type) or isinstance(value, bool) and not any(
                        t in (bool, object) for t in _as_tuple(spec.type)):
                    self.add("bad-param", Text("parameter '{pname}' of {kind} '{name}' must be {value}, not "
                                               "{name__}", pname=pname, kind=kind, name=name,
                                               value=_type_name(spec.type), name__=type(value).__name__),
                             (*path, i, name, pname))
                    bad = True
                elif spec.choices and value not in spec.choices:
                    self.add("bad-param", Text("parameter '{pname}' of {kind} '{name}' cannot be "
                                               "{value!r}", pname=pname, kind=kind, name=name, value=value),
                             (*path, i, name, pname),
                             Text("write one of {names} (quoted in YAML, e.g. {pname}: "
                                  "'{value}')", names=', '.join(map(str, spec.choices)), pname=pname,
                                  value=spec.choices[-1]))
                    bad = True
            for pname, spec in target.params.items():
                if spec.required and pname not in params:
                    self.add("missing-param", Text("{kind} '{name}' needs parameter "
                                                   "'{pname}'", kind=kind, name=name, pname=pname),
                             (*path, i), Text("write {{{name}: {{{pname}: ...}}}}", name=name, pname=pname))
                    bad = True
            if not bad:
                self._check_targets(kind, name, target, params, (*path, i, name), machine)

    def _check_targets(self, kind: str, name: str, target: GuardDef | ActionDef,
                       params: Mapping[str, Any], path: Path, machine: str | None) -> None:
        """The values a command must supply exist; the field exists and takes what is written."""
        supplied = self.registry.params
        written: tuple[type, ...] | None = None
        if isinstance(target, ActionDef) and target.writes is not None:
            written = (target.writes,)
        named_field: tuple[str, str] | None = None
        for pname, spec in target.params.items():
            value = params.get(pname)
            if spec.refers == "param" and value is not None:
                if value in supplied:
                    written = _as_tuple(supplied[value])
                else:
                    self.add("unknown-supplied", Text("{kind} '{name}' names '{value}', which no command "
                                                      "supplies", kind=kind, name=name, value=value),
                             (*path, pname),
                             _did_you_mean(value, sorted(supplied), Text("commands supply")))
                    return
            elif spec.refers == "value":
                written = (type(value),)  # None when absent: the field is cleared
            elif spec.refers == "field" and value is not None:
                named_field = (pname, value)
        if isinstance(target, ActionDef) and target.sets and machine is not None:
            fields = self.registry.fields(machine)
            for missing in [f for f in target.sets if f not in fields]:
                self.add("unknown-field", Text("{kind} '{name}' sets '{missing}', which is not a field of "
                                               "machine '{machine}'", kind=kind, name=name, missing=missing,
                                               machine=machine), path,
                         Text("use it on the machine the escalation ladder runs on"))
        default = params.get("default")
        if isinstance(default, str) and default != "default_limit" and not default.startswith("after_"):
            self.add("bad-param", Text("'{default}' cannot be a limit of the deadlines "
                                       "section", default=default),
                     (*path, "default"), Text("name default_limit or an after_<name> limit, e.g. "
                                              "after_return"))
        if isinstance(target, GuardDef) and named_field is not None:
            self._check_read(name, named_field, params, path, machine)
            return
        if named_field is None or machine is None:
            return
        pname, field_name = named_field
        fields = self.registry.fields(machine)
        if field_name not in fields:
            self.add("unknown-field", Text("{kind} '{name}' sets '{field_name}', which is not a field of "
                                           "machine '{machine}'", kind=kind, name=name, field_name=field_name,
                                           machine=machine), (*path, pname),
                     _did_you_mean(field_name, sorted(fields), Text("fields an action may set")))
        elif written is not None and not all(_fits(w, fields[field_name]) for w in written):
            holds = _as_tuple(fields[field_name])
            if written == (type(None),):
                what, hint = Text("clears"), Text(
                    "give the value to set: {set_field: {field: ..., value: ...}}")
            else:
                what, hint = Text("writes {type} into", type=_type_name(written)), None
            if dt.date in holds and dt.date not in written:
                hint = Text("a date is stamped (stamp_date) or copied from what a command supplies "
                            "(copy_param)")
            self.add("field-type", Text("{kind} '{name}' {what} '{field_name}', which holds "
                                        "{value}", kind=kind, name=name, what=what, field_name=field_name,
                                        value=_type_name(holds)), (*path, pname), hint)

    def _check_read(self, name: str, named_field: tuple[str, str], params: Mapping[str, Any],
                    path: Path, machine: str | None) -> None:
        """A guard that reads a field: the field exists, and the value it is compared with
        is of the field's type (a date written YYYY-MM-DD) and can be ordered if need be."""
        pname, field_name = named_field
        if machine is None:
            self.add("no-subject", Text("guard '{name}' reads the field '{field_name}' of a subject, and a "
                                        "stage has none", name=name, field_name=field_name), (*path, pname),
                     Text("use it on a transition or a timer of the machine that has the field"))
            return
        fields = self.registry.fields(machine)
        if field_name not in fields:
            self.add("unknown-field", Text("guard '{name}' reads '{field_name}', which is not a field of "
                                           "machine '{machine}'", name=name, field_name=field_name,
                                           machine=machine), (*path, pname),
                     _did_you_mean(field_name, sorted(fields),
                                   Text("fields of '{machine}'", machine=machine)))
            return
        holds = _as_tuple(fields[field_name])
        value = params.get("value")
        if value is None:
            if type(None) not in holds:
                self.add("missing-param", Text("'{field_name}' is never empty: guard '{name}' needs the "
                                               "value it is compared with", field_name=field_name, name=name),
                         (*path, "value") if "value" in params
                         else path, Text("write {{{name}: {{..., value: ...}}}}", name=name))
            elif params.get("op") not in ("==", "!="):
                self.add("bad-param", Text("an empty '{field_name}' is neither less nor more than "
                                           "anything", field_name=field_name), (*path, "op"), Text("compare "
                                                                                                   "with == "
                              "or != to test for empty"))
            return
        if isinstance(value, str) and dt.date in holds:
            check_date(self, value, (*path, "value"))
        elif not _fits(type(value), fields[field_name]):
            self.add("field-type", Text("guard '{name}' compares '{field_name}', which holds {value}, with "
                                        "{value2} {value3!r}", name=name, field_name=field_name,
                                        value=_type_name(holds),
                     value2=_type_name(type(value)), value3=value),
                     (*path, "value"), "write the value unquoted, e.g. value: 2"
                     if int in holds and isinstance(value, str) else None)


def _fits(value_type: type, field_type: type | tuple[type, ...]) -> bool:
    """A bool is no int here: YAML's ``yes`` is not a count."""
    return any(value_type is f or issubclass(value_type, f) and value_type is not bool
               for f in _as_tuple(field_type))


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_name(t: type | tuple[type, ...]) -> str:
    return " or ".join("empty" if x is type(None) else x.__name__ for x in _as_tuple(t))


def schema_problems(doc: Document, data: Mapping[str, Any], schema: Mapping[str, Any],
                    ) -> tuple[list[Problem], set[str]]:
    """Every schema violation, located; also the top-level sections that had one."""
    validator = _validator_class()(schema)
    problems: list[Problem] = []
    bad_sections: set[str] = set()
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = _written_path(doc, data, tuple(error.absolute_path))
        if path:
            bad_sections.add(str(path[0]))
        problems.extend(_translate(doc, error, path))
    return problems, bad_sections


@functools.cache
def _validator_class() -> Any:
    """JSON Schema's validator with ``$`` meaning the end of the text.

    Python's ``re.search`` lets ``^key$`` match "key\\n"; a key with a trailing newline would
    pass and then be stored, shown and looked up as a different key.
    """
    import re

    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterable[Any]:
        if not validator.is_type(instance, "string"):
            return
        anchored = patrn[:-1] + r"\Z" if patrn.endswith("$") and not patrn.endswith(r"\$") \
            else patrn
        if not re.search(anchored, instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    return validators.extend(Draft202012Validator, {"pattern": pattern})  # type: ignore[no-untyped-call]


def _written_path(doc: Document, data: Mapping[str, Any], path: Path) -> Path:
    """Merging a preset renumbers a machine's entries: map back to the entry the user wrote."""
    if len(path) < 4 or path[0] != "machines" or path[2] not in ("states", "transitions") \
            or not isinstance(path[3], int) or "lifecycle" not in doc.data:
        return path
    ident = "key" if path[2] == "states" else "trigger"
    try:
        merged = data["machines"][path[1]][path[2]][path[3]]
        written = doc.data["machines"][path[1]][path[2]]
    except (KeyError, IndexError, TypeError):
        return path[:2]
    for i, entry in enumerate(written if isinstance(written, list) else ()):
        if isinstance(entry, dict) and isinstance(merged, dict) and \
                entry.get(ident) == merged.get(ident):
            return (*path[:3], i, *path[4:])
    return path[:3]


def _translate(doc: Document, error: Any, path: Path) -> Iterable[Problem]:
    where = "/".join(map(str, path)) or Text("top level")
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        for extra in error.instance:
            if extra in allowed:
                continue
            close = difflib.get_close_matches(extra, allowed, n=1)
            hint = Text("did you mean '{name}'?", name=close[0]) if close else \
                Text("allowed: {names}", names=", ".join(allowed))
            yield Problem("unknown-key", Text("unknown key '{extra}'", extra=extra),
                          doc.locate((*path, extra)), hint)
        return
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield Problem("missing-key", Text("missing required key '{missing}' in "
                                          "{where}", missing=missing, where=where),
                      doc.locate(path), Text("see docs/definitions.md for the section's keys"))
        return
    if error.validator == "oneOf" and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
        message = _schema_message(best)
    else:
        message = _schema_message(error)
    schema_desc = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" or error.validator == "oneOf":
        message = Text("{value} is not valid here", value=_short(error.instance))
        span = _span_problem(error)
        if span is not None:
            yield Problem("schema", span[0], doc.locate(path), span[1])
            return
    # a description is a plugin's own English sentence: shown translated where it has one
    yield Problem("schema", message, doc.locate(path),
                  Text(schema_desc) if isinstance(schema_desc, str) else schema_desc)


_TYPE_WORDS = {"string": Text("text"), "integer": Text("a whole number"),
               "number": Text("a number"), "boolean": Text("true or false"),
               "array": Text("a list"), "object": Text("a mapping"), "null": Text("empty")}


def _schema_message(error: Any) -> str:
    """JSON Schema's complaint in our own words, as a ``Text`` a plugin can translate (the
    library's sentences are English only); an unforeseen kind keeps the library's words."""
    value, expected = _short(error.instance), error.validator_value
    kind = error.validator
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        return Text("{value} is not {expected}", value=value,
                    expected=joined([_TYPE_WORDS.get(w) or str(w) for w in wanted], " / "))
    if kind == "enum":
        return Text("{value} is not one of: {allowed}", value=value,
                    allowed=", ".join(map(str, expected)))
    if kind == "const":
        return Text("{value} must be {expected}", value=value, expected=_short(expected))
    if kind in ("minItems", "minLength", "minProperties"):
        return Text("{value} is too short: at least {n} needed", value=value, n=expected)
    if kind in ("maxItems", "maxLength", "maxProperties"):
        return Text("{value} is too long: at most {n} allowed", value=value, n=expected)
    if kind == "uniqueItems":
        return Text("{value} lists the same entry twice", value=value)
    if kind in ("minimum", "exclusiveMinimum"):
        return Text("{value} is below the smallest allowed value {n}", value=value, n=expected)
    if kind in ("maximum", "exclusiveMaximum"):
        return Text("{value} is above the largest allowed value {n}", value=value, n=expected)
    if kind in ("anyOf", "oneOf", "not", "if", "then", "else"):
        return Text("{value} is not valid here", value=value)
    return str(error.message)


def _span_problem(error: Any) -> tuple[str, str] | None:
    """What is wrong with a duration or offset the schema refused, in the span parser's words."""
    from .cadence import CALENDAR_UNITS, DAY_UNITS, CadenceError, parse_span
    from .spec import DURATION_PATTERN, OFFSET_PATTERN

    patterns = [error.schema.get("pattern")] if isinstance(error.schema, dict) else []
    patterns += [e.schema.get("pattern") for e in error.context or () if isinstance(e.schema, dict)]
    if not isinstance(error.instance, str) or not ({DURATION_PATTERN, OFFSET_PATTERN} & set(patterns)):
        return None
    units = DAY_UNITS if DURATION_PATTERN in patterns else CALENDAR_UNITS
    if OFFSET_PATTERN in patterns and error.instance.strip()[:1] not in "+-":
        return (f"{_short(error.instance)} is neither a date nor an offset",
                "write a date (2015-07-01) or a signed offset in calendar units (+2w, +1m, +2周)")
    try:
        parse_span(error.instance, units)
    except CadenceError as exc:
        return exc.message, exc.hint
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_date(ctx: CheckContext, text: Any, path: Path) -> dt.date | None:
    try:
        year, month, day = (int(x) for x in str(text).split("-"))
        return dt.date(year, month, day)
    except ValueError as exc:
        ctx.add("bad-date", Text("'{text}' is not a real date ({exc})", text=text, exc=exc), path,
                Text("check the month's length; dates are YYYY-MM-DD"))
        return None


def check_engine(ctx: CheckContext, bad: set[str]) -> None:
    """Meaning checks for the engine's own sections (skipping those with schema errors)."""
    data = ctx.data
    machines = data.get("machines") or {}
    if "machines" not in bad:
        _check_machines(ctx, machines)
    good_machines = {} if "machines" in bad else machines
    if "stages" not in bad:
        _check_stages(ctx, data.get("stages") or [])
    if "roles" not in bad:
        _check_roles(ctx, data.get("roles") or {}, good_machines)
    if "calendar" not in bad:
        _check_timezone(ctx, (data.get("calendar") or {}).get("timezone"))
        for listing in ("days_off", "working_days"):
            for i, text in enumerate((data.get("calendar") or {}).get(listing, [])):
                check_date(ctx, text, ("calendar", listing, i))
    if "escalation" not in bad and data.get("escalation"):
        _check_ladder(ctx, data["escalation"], good_machines)
    if "timers" not in bad:
        _check_timers(ctx, data.get("timers") or [], good_machines)
    if "reminders" not in bad and data.get("reminders"):
        _check_reminders(ctx, data["reminders"], good_machines,
                         {} if "deadlines" in bad else data.get("deadlines") or {},
                         None if "roles" in bad else data.get("roles"))
    if "deadlines" not in bad:
        _check_limits(ctx, data.get("deadlines") or {}, good_machines)


def _check_timezone(ctx: CheckContext, name: Any) -> None:
    """A time zone of the tz database: every later command without --as-of needs it."""
    if not isinstance(name, str):
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ok = len(name) <= 64 and "\0" not in name and ZoneInfo(name) is not None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        ok = False
    if not ok:
        ctx.add("bad-timezone", Text("{value} is not a time zone of the tz database", value=_short(name)),
                ("calendar", "timezone"), Text("write a zone such as Asia/Shanghai or UTC"))


def _check_limits(ctx: CheckContext, limits: Mapping[str, Any], machines: Mapping[str, Any]) -> None:
    """Limits are positive, and each after_<name> limit is a default some transition uses."""
    used = {split_call(c)[1].get("default") for m in machines.values() if isinstance(m, dict)
            for t in m.get("transitions") or [] if isinstance(t, dict)
            for part in ("guards", "actions") for c in t.get(part) or []}
    reminders = ctx.data.get("reminders")
    if isinstance(reminders, dict):
        used.add(reminders.get("within", "confirm_within"))
    for key, text in limits.items():
        if Duration.parse(text).days <= 0:
            what = "the default time limit" if key == "default_limit" else f"limit '{key}'"
            ctx.add("bad-limit", Text("{what} must be positive", what=what), ("deadlines", key))
        elif key != "default_limit" and machines and key not in used:
            named = sorted(u for u in used if isinstance(u, str) and u != "default_limit")
            ctx.add("unused-limit", Text("no transition defaults to limit '{key}'", key=key),
                    ("deadlines", key), _did_you_mean(key, named, Text("transitions default to"))
                    if named else f"reminders use it with reminders: {{within: {key}, ...}}"
                    if key.endswith("_within") else "a transition uses it with "
                    f"{{restart_ladder: {{default: {key}}}}}")


def _machine_path(ctx: CheckContext, name: str, part: str, key: str) -> Path:
    """Point at the entry in the user's file if they wrote it, else at the machine."""
    raw = (ctx.doc.data.get("machines") or {}).get(name) or {}
    for i, entry in enumerate(raw.get(part) or []):
        if isinstance(entry, dict) and key in (entry.get("key"), entry.get("trigger")):
            return ("machines", name, part, i)
    return ("machines", name) if name in (ctx.doc.data.get("machines") or {}) else ("lifecycle",)


def _check_removals(ctx: CheckContext) -> None:
    """Every name in a ``remove:`` list must exist in the preset it removes from."""
    presets = {k: v for p in ctx.registry.plugins.values() for k, v in p.presets.items()}
    preset = presets.get(ctx.doc.data.get("lifecycle")) if isinstance(
        ctx.doc.data.get("lifecycle"), str) else None
    own = ctx.doc.data.get("machines")
    if not preset or not isinstance(own, dict):
        return
    for name, override in own.items():
        removes = override.get("remove") if isinstance(override, dict) else None
        base = preset.get(name) or {}
        known = [s["key"] for s in base.get("states", [])] + \
            [t["trigger"] for t in base.get("transitions", [])]
        for i, entry in enumerate(removes if isinstance(removes, list) else []):
            if isinstance(entry, str) and entry not in known:
                ctx.add("unknown-remove", Text("'{entry}' is not a state or trigger of the preset machine "
                                               "'{name}'", entry=entry, name=name),
                        ("machines", name, "remove", i),
                        _did_you_mean(entry, known))


def _check_machines(ctx: CheckContext, machines: Mapping[str, Any]) -> None:
    _check_removals(ctx)
    if not machines:
        ctx.add("no-machines", Text("no state machines defined"), ("machines",),
                Text("write 'lifecycle: <preset>' or a 'machines:' section"))
    owner: dict[str, str] = {}
    for name, m in machines.items():
        states = [s["key"] for s in m.get("states", [])]
        keys = set(states)
        for key in {k for k in states if states.count(k) > 1}:
            ctx.add("duplicate-state", Text("state '{key}' defined twice in machine "
                                            "'{name}'", key=key, name=name),
                    _machine_path(ctx, name, "states", key))
        initial = m.get("initial")
        if initial is None:
            ctx.add("missing-key", Text("machine '{name}' has no initial "
                                        "state", name=name), ("machines", name))
        elif initial not in keys:
            ctx.add("unknown-state", Text("initial state '{initial}' of machine '{name}' is not "
                                          "defined", initial=initial, name=name),
                    ("machines", name, "initial"), _did_you_mean(initial, states))
        edges: dict[str, set[str]] = {k: set() for k in keys}
        for t in m.get("transitions", []):
            trig = t["trigger"]
            tpath = _machine_path(ctx, name, "transitions", trig)
            if trig in owner:
                other = _machine_path(ctx, owner[trig], "transitions", trig)
                ctx.add("duplicate-trigger", Text("trigger '{trig}' is used by machines '{value}' and "
                                                  "'{name}'", trig=trig, value=owner[trig], name=name),
                        tpath if len(tpath) > len(other) else other,
                        Text("trigger names are unique across machines; rename one"))
            owner[trig] = name
            dest = t.get("dest")
            if dest is None:
                ctx.add("missing-key", Text("transition '{trig}' has no dest", trig=trig), tpath)
            elif dest not in keys:
                ctx.add("unknown-state", Text("transition '{trig}' goes to undefined state "
                                              "'{dest}'", trig=trig, dest=dest),
                        tpath, _did_you_mean(dest, states))
            sources = t.get("source", "*")
            srcs = states if sources == "*" else ([sources] if isinstance(sources, str) else sources)
            for src in srcs:
                if src not in keys:
                    ctx.add("unknown-state", Text("transition '{trig}' starts from undefined state "
                                                  "'{src}'", trig=trig, src=src),
                            tpath, _did_you_mean(src, states))
                elif dest in keys:
                    edges[src].add(dest)
            ctx.check_calls(t.get("guards"), "guard", (*tpath, "guards"), name)
            ctx.check_calls(t.get("actions"), "action", (*tpath, "actions"), name)
        _check_fired_triggers(ctx, name, m, machines)
        if initial in keys:
            _check_reachability(ctx, name, m, initial, edges)


def _check_reachability(ctx: CheckContext, name: str, m: Mapping[str, Any], initial: str,
                        edges: Mapping[str, set[str]]) -> None:
    seen, todo = {initial}, [initial]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for s in m.get("states", []):
        if s["key"] not in seen:
            ctx.add("unreachable-state", Text("state '{key}' of machine '{name}' cannot be reached from "
                                              "'{initial}'", key=s['key'], name=name, initial=initial),
                    _machine_path(ctx, name, "states", s["key"]),
                    Text("add a transition into it, or remove it"))
    if not any(s.get("done") and s["key"] in seen for s in m.get("states", [])):
        ctx.add("no-done-state", Text("machine '{name}' can never finish: no done state is "
                                      "reachable", name=name),
                ("machines", name) if name in (ctx.doc.data.get("machines") or {}) else
                ("lifecycle",), Text("mark a final state with 'done: true'"))


def _did_you_mean(name: str, known: list[str], listing: str | None = None) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return Text("did you mean '{name}'?", name=close[0])
    return Text("{listing}: {names}", listing=listing or Text("defined"),
                names=", ".join(known) or Text("none"))


def _check_stages(ctx: CheckContext, stages: list[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for i, st in enumerate(stages):
        if st["key"] in seen:
            ctx.add("duplicate-stage", Text("stage '{key}' defined twice", key=st['key']),
                    ("stages", i, "key"))
        seen.add(st["key"])
        start, end = st["start"], st["end"]
        both_dates = not start.startswith(("+", "-")) and not end.strip().startswith(("+", "-"))
        d1 = check_date(ctx, start, ("stages", i, "start")) if not start.startswith(("+", "-")) \
            else None
        d2 = check_date(ctx, end, ("stages", i, "end")) if not end.startswith(("+", "-")) else None
        if not both_dates and start.startswith(("+", "-")) and end.startswith(("+", "-")):
            from .cadence import CadenceError
            from .spec import DateRef

            probe = dt.date(2001, 1, 1)
            try:
                d1 = DateRef(offset=start).resolve(probe)
                d2 = DateRef(offset=end).resolve(probe, end_of_period=True)
            except CadenceError as exc:
                ctx.add("bad-offset", f"stage '{st['key']}': {exc.message}", ("stages", i),
                        exc.hint)
                continue
            both_dates = True
        if both_dates and d1 and d2 and d2 < d1:
            ctx.add("bad-window", Text("stage '{key}' ends ({d2}) before it starts "
                                       "({d1})", key=st['key'], d2=d2, d1=d1),
                    ("stages", i, "end"), Text("swap the dates or fix the typo"))
        ctx.check_calls(st.get("entry"), "guard", ("stages", i, "entry"))
        ctx.check_calls(st.get("exit"), "guard", ("stages", i, "exit"))


def _check_roles(ctx: CheckContext, roles: Mapping[str, Any], machines: Mapping[str, Any]) -> None:
    triggers = [t["trigger"] for m in machines.values() for t in m.get("transitions", [])]
    sides = {k: v for p in ctx.registry.plugins.values() for k, v in p.sides.items()}
    for key, role in roles.items():
        side = role.get("side")
        if side is not None and side not in sides:
            ctx.add("unknown-side", Text("role '{key}' acts for unknown side '{side}'", key=key, side=side),
                    ("roles", key, "side"), Text("sides: {value}",
                                                 value=', '.join(sides) or 'none are defined'))
        for i, trig in enumerate(role.get("triggers", [])):
            if machines and trig not in triggers:
                ctx.add("unknown-trigger", Text("role '{key}' may fire unknown trigger "
                                                "'{trig}'", key=key, trig=trig),
                        ("roles", key, "triggers", i), _did_you_mean(trig, triggers))


def _duration_days(text: str) -> float:
    d = Duration.parse(text)
    return d.days * (7 / 5 if d.unit == "working" else 1)


def _check_ladder(ctx: CheckContext, ladder: Mapping[str, Any], machines: Mapping[str, Any]) -> None:
    name = ladder["machine"]
    if machines and name not in machines:
        ctx.add("unknown-machine", Text("escalation runs on unknown machine '{name}'", name=name),
                ("escalation", "machine"), _did_you_mean(name, list(machines)))
        return
    states = [s["key"] for s in (machines.get(name) or {}).get("states", [])]
    done = {s["key"] for s in (machines.get(name) or {}).get("states", []) if s.get("done")}
    waits = {"stop_states": set(ladder.get("stop_states", [])),
             "hold_states": set(ladder.get("hold_states", [])), "done states": done}
    for part in ("applies_in", "stop_states", "hold_states"):
        for i, key in enumerate(ladder.get(part, [])):
            if states and key not in states:
                ctx.add("unknown-state", Text("{part} names undefined state '{key}'", part=part, key=key),
                        ("escalation", part, i), _did_you_mean(key, states))
            elif part == "applies_in" and (other := [w for w, ks in waits.items() if key in ks]):
                ctx.add("ladder-states-overlap", Text("the ladder cannot both climb and wait in '{key}' "
                                                      "(applies_in and {value})", key=key, value=other[0]),
                        ("escalation", part, i),
                        Text("remove '{key}' from one of the lists", key=key))
    levels = ladder["levels"]
    keys = [lv["key"] for lv in levels]
    for i, lv in enumerate(levels):
        if keys.count(lv["key"]) > 1 and keys.index(lv["key"]) != i:
            ctx.add("duplicate-level", Text("escalation level '{key}' defined twice", key=lv['key']),
                    ("escalation", "levels", i, "key"))
        if i and _duration_days(lv["at"]) <= _duration_days(levels[i - 1]["at"]):
            ctx.add("ladder-order", Text("level '{key}' ({at}) does not come after '{key2}' "
                                         "({at2})", key=lv['key'], at=lv['at'], key2=levels[i - 1]['key'],
                                         at2=levels[i - 1]['at']),
                    ("escalation", "levels", i, "at"), Text("list levels mildest first, each later"))
        if lv.get("new_deadline") and Duration.parse(lv["new_deadline"]).days <= 0:
            ctx.add("bad-limit", Text("a new deadline must lie in the future"),
                    ("escalation", "levels", i, "new_deadline"))
        _check_rung_guards(ctx, lv.get("guards") or [], ("escalation", "levels", i, "guards"),
                           name if name in machines else None, f"level '{lv['key']}'")


def _check_rung_guards(ctx: CheckContext, guards: list[Any], path: Path, machine: str | None,
                       what: str) -> None:
    """A clock rung takes only guards it can decide over a whole table in SQL (``compare``)."""
    from .rungs import RUNG_GUARDS

    allowed = ", ".join(RUNG_GUARDS)
    for j, call in enumerate(guards):
        name, _ = split_call(call)
        if name in ctx.registry.guards and name not in RUNG_GUARDS:
            ctx.add("rung-guard", Text("{what} cannot take guard '{name}': the clock decides a rung for "
                                       "every subject at once, so a rung takes only "
                                       "{allowed}", what=what, name=name, allowed=allowed),
                    (*path, j), Text("test a field of the subject, e.g. {compare: {field: returns, op: '>=', "
                                     "value: 1}}; a condition that needs more belongs on a transition or a "
                                     "timer"))
    if machine is not None:
        ctx.check_calls(guards, "guard", path, machine)


def _check_reminders(ctx: CheckContext, rem: Mapping[str, Any], machines: Mapping[str, Any],
                     limits: Mapping[str, Any], roles: Mapping[str, Any] | None) -> None:
    """Reminders wait in real, unfinished states, count from a limit that exists, and come on
    or after the day the answer was due, each later than the one before, to roles that exist."""
    name = rem["machine"]
    if machines and name not in machines:
        ctx.add("unknown-machine", Text("reminders run on unknown machine '{name}'", name=name),
                ("reminders", "machine"), _did_you_mean(name, list(machines)))
    m = machines.get(name) or {}
    states = [s["key"] for s in m.get("states", [])]
    done = {s["key"] for s in m.get("states", []) if s.get("done")}
    for i, key in enumerate(rem.get("states", [])):
        if states and key not in states:
            ctx.add("unknown-state", Text("reminders wait in undefined state '{key}'", key=key),
                    ("reminders", "states", i), _did_you_mean(key, states))
        elif key in done:
            ctx.add("reminder-state", Text("'{key}' is a done state: nothing there waits for an "
                                           "answer", key=key), ("reminders", "states", i),
                    Text("name the state that waits, e.g. reported"))
    within = rem.get("within", "confirm_within")
    if within not in limits:
        ctx.add("unknown-limit", Text("reminders count from deadlines.{within}, which is not "
                                      "given", within=within),
                ("reminders", "within") if "within" in rem else ("reminders",),
                Text("add to the deadlines section: {within}: 3 working days", within=within))
    for i, key in enumerate(rem.get("to", [])):
        if roles is not None and key not in roles:
            ctx.add("unknown-role", Text("reminders go to unknown role "
                                         "'{key}'", key=key), ("reminders", "to", i),
                    _did_you_mean(key, list(roles)))
    levels = rem["levels"]
    keys = [lv["key"] for lv in levels]
    for i, lv in enumerate(levels):
        if keys.index(lv["key"]) != i:
            ctx.add("duplicate-level", Text("reminder '{key}' defined twice", key=lv['key']),
                    ("reminders", "levels", i, "key"))
        if Duration.parse(lv["at"]).days < 0:
            ctx.add("bad-limit", Text("reminder '{key}' comes before the answer is due", key=lv['key']),
                    ("reminders", "levels", i, "at"), Text("a reminder is sent on or after the day the "
                                                           "answer was due: write 0 working days or more"))
        elif i and _duration_days(lv["at"]) <= _duration_days(levels[i - 1]["at"]):
            ctx.add("ladder-order", Text("reminder '{key}' ({at}) does not come after '{key2}' "
                                         "({at2})", key=lv['key'], at=lv['at'], key2=levels[i - 1]['key'],
                                         at2=levels[i - 1]['at']),
                    ("reminders", "levels", i, "at"), Text("list reminders earliest first, each later"))


def _check_timers(ctx: CheckContext, timers: list[Mapping[str, Any]],
                  machines: Mapping[str, Any]) -> None:
    keys: set[str] = set()
    for i, tm in enumerate(timers):
        path = ("timers", i)
        if tm["key"] in keys:
            ctx.add("duplicate-timer", Text("timer '{key}' defined twice", key=tm['key']), (*path, "key"))
        keys.add(tm["key"])
        m = machines.get(tm["machine"])
        if m is None:
            if machines:
                ctx.add("unknown-machine", Text("timer '{key}' names unknown machine "
                                                "'{machine}'", key=tm['key'], machine=tm['machine']),
                        (*path, "machine"), _did_you_mean(tm["machine"], list(machines)))
            continue
        transitions = {t["trigger"]: t for t in m.get("transitions", [])}
        states = {s["key"]: s for s in m.get("states", [])}
        t = transitions.get(tm["trigger"])
        if t is None:
            ctx.add("unknown-trigger", Text("timer '{key}' fires unknown trigger "
                                            "'{trigger}'", key=tm['key'], trigger=tm['trigger']),
                    (*path, "trigger"),
                    _did_you_mean(tm["trigger"], list(transitions)))
        origin = tm.get("from", "state")
        if origin == "state":
            state = tm.get("state")
            if state is None:
                ctx.add("missing-key", Text("timer '{key}' counts from a state but names "
                                            "none", key=tm['key']),
                        path, Text("add 'state: <key>' or 'from: deadline'"))
            elif state not in states:
                ctx.add("unknown-state", Text("timer '{key}' watches undefined state "
                                              "'{state}'", key=tm['key'], state=state),
                        (*path, "state"), _did_you_mean(state, list(states)))
            else:
                exits = [x for x in m.get("transitions", [])
                         if x.get("source", "*") == "*" or state in _as_list(x.get("source"))]
                if not exits:
                    ctx.add("timer-on-terminal", Text("timer '{key}' watches state '{state}', which has no "
                                                      "exits", key=tm['key'], state=state), (*path, "state"))
                elif t is not None and t.get("source", "*") != "*" and \
                        state not in _as_list(t.get("source")):
                    ctx.add("timer-trigger-source", Text("trigger '{trigger}' cannot fire from state "
                                                         "'{state}'", trigger=tm['trigger'], state=state),
                            (*path, "trigger"))
        if Duration.parse(tm["after"]).days < 0 and origin == "state":
            ctx.add("bad-limit", Text("a state's duration cannot be negative"), (*path, "after"))
        ctx.check_calls(tm.get("guards"), "guard", (*path, "guards"), tm["machine"])


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _check_fired_triggers(ctx: CheckContext, name: str, m: Mapping[str, Any],
                          machines: Mapping[str, Any]) -> None:
    """A ``fire`` action must name a trigger some machine defines."""
    known = [t["trigger"] for mm in machines.values() for t in mm.get("transitions", [])]
    for t in m.get("transitions", []):
        for i, call in enumerate(t.get("actions") or ()):
            action, params = split_call(call)
            target = params.get("trigger")
            if action == "fire" and isinstance(target, str) and target not in known:
                ctx.add("unknown-trigger", Text("transition '{trigger}' fires unknown trigger "
                                                "'{target}'", trigger=t['trigger'], target=target),
                        (*_machine_path(ctx, name, "transitions", t["trigger"]), "actions", i),
                        _did_you_mean(target, known))

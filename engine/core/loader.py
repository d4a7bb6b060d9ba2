"""Turns definition files into ``Definition`` objects, or a complete list of located problems."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import DefinitionInvalid, Location, Problem
from .registry import Registry, default_registry
from .spec import (
    CalendarSpec,
    CallRef,
    DateRef,
    DeadlineSpec,
    Definition,
    Duration,
    LadderSpec,
    LevelSpec,
    MachineSpec,
    ReminderSpec,
    RoleSpec,
    StageSpec,
    StateSpec,
    TimerSpec,
    TransitionSpec,
    split_call,
)
from .text import Text

if TYPE_CHECKING:
    from .yamlsource import Document


def load(path: str, registry: Registry | None = None) -> Definition:
    """Load and fully validate one file; raises ``DefinitionInvalid`` with every problem."""
    from .yamlsource import load_file

    doc, problems = load_file(path)
    return _finish(doc, problems, registry or default_registry())


def loads(text: str, file: str = "<input>", registry: Registry | None = None) -> Definition:
    from .yamlsource import load_text

    doc, problems = load_text(text, file)
    return _finish(doc, problems, registry or default_registry())


def check(path: str, registry: Registry | None = None) -> list[Problem]:
    """All problems in a file (empty when it is valid)."""
    try:
        load(path, registry)
    except DefinitionInvalid as exc:
        return exc.problems
    return []


def _finish(doc: Document | None, problems: list[Problem], registry: Registry) -> Definition:
    if doc is None:
        raise DefinitionInvalid(problems)
    if not isinstance(doc.data, dict):
        problems.append(Problem("not-a-mapping", Text("a definition must be a mapping of sections"),
                                Location(doc.file, 1, 1), Text("start from docs/tutorial.md")))
        raise DefinitionInvalid(problems)
    data = _apply_preset(doc, registry, problems)
    from .schema import build_schema
    from .validate import CheckContext, check_engine, schema_problems

    found, bad = schema_problems(doc, data, build_schema(registry))
    problems.extend(found)
    ctx = CheckContext(doc, registry, data)
    check_engine(ctx, bad)
    for plugin in registry.plugins.values():
        for section in plugin.sections:
            if section.check and section.name in data and section.name not in bad:
                ctx.problems.extend(section.check(data[section.name], ctx) or ())
    problems.extend(ctx.problems)
    if problems:
        raise DefinitionInvalid(_dedupe(problems))
    definition = build(data, registry, source_text=_source_text(doc))
    if not definition.notes:
        return definition
    # the upgrades' notes, located in the file as written
    return dataclasses.replace(definition, notes=tuple(
        Problem(p.code, p.message, doc.locate(_path_of(p.location.path)), p.hint)
        for p in definition.notes))


def _path_of(dotted: str | None) -> tuple[str | int, ...]:
    """A path as ``format_path`` printed it, back as keys and indexes."""
    import re

    return tuple(int(part) if part.isdigit() else part
                 for part in re.findall(r"[^.\[\]]+", dotted or ""))


def _source_text(doc: Document) -> str:
    return doc.text


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        key = (p.code, p.message, p.location.line, p.location.column)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return sorted(out, key=lambda p: (p.location.line or 0, p.location.column or 0))


def _apply_preset(doc: Document, registry: Registry, problems: list[Problem]) -> dict[str, Any]:
    """Merge a lifecycle preset with the definition's own ``machines`` overrides."""
    data: dict[str, Any] = copy.deepcopy(doc.data)
    name = data.get("lifecycle")
    if name is None:
        return data
    presets = {k: v for p in registry.plugins.values() for k, v in p.presets.items()}
    if not isinstance(name, str) or name not in presets:
        problems.append(Problem("unknown-lifecycle", Text("unknown lifecycle '{name}'", name=name),
                                doc.locate(("lifecycle",)),
                                Text("known lifecycles: {value}",
                                     value=", ".join(sorted(presets)) or Text("none"))))
        return data
    merged = copy.deepcopy(dict(presets[name]))
    own = data.get("machines")
    if own is not None and not isinstance(own, dict):
        return data  # not a mapping: left as written, for the schema to report
    for mname, override in (own or {}).items():
        merged[mname] = merge_machine(merged.get(mname, {}), override) \
            if isinstance(override, dict) else override
    data["machines"] = merged
    ladder = data.get("escalation")
    defaults = next((p.escalation_defaults[name] for p in registry.plugins.values()
                     if name in p.escalation_defaults), None)
    if isinstance(ladder, dict) and defaults and ladder.get("machine") == defaults.get("machine"):
        data["escalation"] = {**{k: copy.deepcopy(v) for k, v in defaults.items()
                                 if k not in ladder}, **ladder}
    return data


def merge_machine(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Override a preset machine: states by key, transitions by trigger, ``remove`` drops."""
    out = {k: v for k, v in base.items()}
    for key, value in override.items():  # title, initial, remove, and typos for the schema
        if key not in ("states", "transitions"):
            out[key] = value
    raw_remove = override.get("remove")
    remove = {r for r in raw_remove if isinstance(r, str)} if isinstance(raw_remove, list) else set()
    for part, ident in (("states", "key"), ("transitions", "trigger")):
        entries = [e for e in base.get(part, []) if e.get(ident) not in remove]
        index = {e.get(ident): i for i, e in enumerate(entries)}
        extra = override.get(part)
        if extra is not None and not isinstance(extra, list):
            out[part] = extra  # not a list: left as written, for the schema to report
            continue
        for entry in extra or []:
            if isinstance(entry, dict) and isinstance(entry.get(ident), str) and \
                    entry[ident] in index:
                entries[index[entry[ident]]] = {**entries[index[entry[ident]]], **entry}
            else:
                entries.append(entry)
        out[part] = entries
    return out


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _calls(raw: Any) -> tuple[CallRef, ...]:
    out = []
    for call in raw or ():
        name, params = split_call(call)
        out.append(CallRef(name, tuple(sorted(params.items()))))
    return tuple(out)


def _date(text: str) -> dt.date:
    year, month, day = (int(x) for x in text.split("-"))
    return dt.date(year, month, day)


def _dateref(text: str) -> DateRef:
    text = str(text).strip()
    return DateRef(offset=text) if text.startswith(("+", "-")) else DateRef(date=_date(text))


def upgraded(data: Mapping[str, Any], registry: Registry) -> tuple[Mapping[str, Any],
                                                                    list[Problem]]:
    """The data with the plugins' upgrades applied (a copy when one applies), and their notes."""
    notes: list[Problem] = []
    for plugin in registry.plugins.values():
        found = plugin.upgrade(data) if plugin.upgrade is not None else None
        if found is not None:
            from .yamlsource import format_path

            data, upgrades = found
            notes += [Problem(u.code, u.message, Location(path=format_path(u.path)), u.hint)
                      for u in upgrades]
    return data, notes


def build(data: Mapping[str, Any], registry: Registry, source_text: str = "") -> Definition:
    """Build typed objects from already-valid merged data (also used for stored snapshots),
    after the plugins' upgrades of obsolete forms (the same rule for both)."""
    data, notes = upgraded(data, registry)
    machines = {name: _machine(name, m) for name, m in (data.get("machines") or {}).items()}
    sections: dict[str, Any] = {}
    key, title = "", ""
    for plugin in registry.plugins.values():
        for section in plugin.sections:
            if section.name in data:
                raw = data[section.name]
                sections[section.name] = section.build(raw) if section.build else raw
        if plugin.identify and not key:
            key, title = plugin.identify(data)
    cal = data.get("calendar") or {}
    ladder = data.get("escalation")
    return Definition(
        key=key,
        title=title,
        source_text=source_text,
        stages=tuple(StageSpec(s["key"], s["kind"], s["title"], _dateref(s["start"]),
                               _dateref(s["end"]), _calls(s.get("entry")), _calls(s.get("exit")))
                     for s in data.get("stages") or ()),
        machines=machines,
        roles={k: RoleSpec(k, r["title"], frozenset(r.get("triggers", [])),
                           bool(r.get("confidential")), bool(r.get("overrides")),
                           r.get("side") or _default_side(registry, r),
                           frozenset(r["edits"]) if "edits" in r else None)
               for k, r in (data.get("roles") or {}).items()},
        confidential=frozenset(data.get("confidential") or ()),
        calendar=CalendarSpec(
            region=cal.get("region", "cn"),
            days_off=frozenset(_date(d) for d in cal.get("days_off", [])),
            working_days=frozenset(_date(d) for d in cal.get("working_days", [])),
            outside_known_years=cal.get("outside_known_years", "provisional"),
            timezone=cal.get("timezone", "Asia/Shanghai"),
        ),
        deadlines=_deadlines(data.get("deadlines") or {}),
        ladder=LadderSpec(
            machine=ladder["machine"],
            levels=tuple(LevelSpec(lv["key"], lv["title"], Duration.parse(lv["at"]),
                                   lv.get("action", ""), _duration(lv.get("new_deadline")),
                                   _calls(lv.get("guards")))
                         for lv in ladder["levels"]),
            stop_states=frozenset(ladder.get("stop_states", [])),
            hold_states=frozenset(ladder.get("hold_states", [])),
            applies_in=frozenset(ladder["applies_in"]) if "applies_in" in ladder else None,
        ) if ladder else None,
        timers=tuple(TimerSpec(t["key"], t["machine"], t["trigger"], Duration.parse(t["after"]),
                               t.get("state"), t.get("from", "state") == "deadline",
                               _calls(t.get("guards")))
                     for t in data.get("timers") or ()),
        sections=sections,
        lifecycle=data.get("lifecycle"),
        duties={t: d for p in registry.plugins.values() for t, d in p.duties.items()},
        reminders=_reminders(data, machines),
        notes=tuple(notes),
    )


def _default_side(registry: Registry, role: Mapping[str, Any]) -> str:
    """The side a plugin gives a role that names none ("" without such a plugin)."""
    for plugin in registry.plugins.values():
        if plugin.role_side is not None:
            return plugin.role_side(role)
    return ""


def _reminders(data: Mapping[str, Any], machines: Mapping[str, MachineSpec]) -> ReminderSpec | None:
    """The reminders section with its defaults: the machine's initial state, the limit
    ``confirm_within``, and the roles that may fire a trigger out of those states."""
    raw = data.get("reminders")
    if not raw:
        return None
    machine = machines[raw["machine"]]
    states = frozenset(raw.get("states") or [machine.initial])
    within = Duration.parse((data.get("deadlines") or {})[raw.get("within", "confirm_within")])
    answers = {t.trigger for t in machine.transitions if states & set(t.sources)}
    to = raw.get("to") or [k for k, r in (data.get("roles") or {}).items()
                           if answers & set(r.get("triggers", []))]
    return ReminderSpec(machine.name, states, within,
                        tuple(LevelSpec(lv["key"], lv["title"], Duration.parse(lv["at"]),
                                        lv.get("action", "")) for lv in raw["levels"]),
                        tuple(to))


def _deadlines(raw: Mapping[str, Any]) -> DeadlineSpec:
    return DeadlineSpec(_duration(raw.get("default_limit")),
                        {k: Duration.parse(v) for k, v in raw.items() if k != "default_limit"})


def _duration(text: str | None) -> Duration | None:
    return Duration.parse(text) if text else None


def _machine(name: str, m: Mapping[str, Any]) -> MachineSpec:
    states = tuple(StateSpec(s["key"], s.get("title", s["key"]), bool(s.get("done")))
                   for s in m.get("states", []))
    keys = tuple(s.key for s in states)
    transitions = []
    for t in m.get("transitions", []):
        src = t.get("source", "*")
        sources = keys if src == "*" else ((src,) if isinstance(src, str) else tuple(src))
        transitions.append(TransitionSpec(t["trigger"], sources, t["dest"], t.get("title", ""),
                                          _calls(t.get("guards")), _calls(t.get("actions"))))
    return MachineSpec(name, m.get("title", name), m["initial"], states, tuple(transitions))


def normalized(path_or_text: str, registry: Registry | None = None, *, is_text: bool = False,
               ) -> tuple[dict[str, Any], Definition]:
    """The merged data (preset applied) and the definition; the data is what a store keeps."""
    from .yamlsource import load_file, load_text

    registry = registry or default_registry()
    doc, problems = load_text(path_or_text, "<input>") if is_text else load_file(path_or_text)
    definition = _finish(doc, problems, registry)
    assert doc is not None
    return _apply_preset(doc, registry, []), definition

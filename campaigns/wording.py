"""States, triggers and stage phases as a Chinese reader names them: the definition's titles.

The definition gives every state and trigger a key (``closed``, ``verify``) and a title in the
office's words (已销号, 核实销号).  English output keeps the keys, which are what a command
takes; in Chinese the titles are shown wherever a person reads them (tables, refusals, notices,
diagrams).  JSON and CSV keep the keys: they are for programs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.core.spec import Definition

from .i18n import N_, _, translating

# the words of listings that are the program's own, not a definition's (campaign and batch status)
STATUS = {"running": N_("running"), "concluded": N_("concluded"), "standing": N_("standing"),
          "undone": N_("undone"), "partly undone": N_("partly undone"), "tick": N_("tick"),
          "command": N_("command"), "import": N_("import"), "stage": N_("stage move")}


def status_rows(items: Sequence[Mapping[str, Any]], columns: Iterable[str]) -> list[dict[str, Any]]:
    """Rows with the program's own status words translated in ``columns``, when translating."""
    return rows(items, {c: {k: _(v) for k, v in STATUS.items()} for c in columns})


# a stage's kind in the plans' own words (宣传动员…), shown when translating; the keys are the
# kinds the shipped presets use, a definition's own kinds stay as written
STAGE_KINDS = {"mobilize": "宣传动员", "self-inspect": "自查整改", "supervise": "监督检查",
               "institutionalize": "建章立制", "rectify": "集中整治", "conclude": "总结提高"}


# the kinds of notice (campaigns.office_notices.KINDS) as a listing shows them
NOTICE_KINDS = {"escalation": N_("escalation notice"), "stage": N_("stage notice"),
                "reminder": N_("reminder notice"), "inspection": N_("inspection notice"),
                "assessment": N_("assessment notice")}


def notice_kinds() -> dict[str, str]:
    """Notice kind → its words in the reader's language."""
    return {k: _(v) for k, v in NOTICE_KINDS.items()}


# the phases of a stage (campaigns.lifecycle), in the words of docs/cli.md and the dashboard
STAGE_PHASES = {"pending": N_("not yet open"), "open": N_("open"), "closed": N_("closed")}


def state_titles(definition: Definition, machines: Iterable[str] | None = None) -> dict[str, str]:
    """State key → title for ``machines`` (all of them by default)."""
    names = list(machines) if machines is not None else list(definition.machines)
    return {s.key: s.title or s.key for m in names if m in definition.machines
            for s in definition.machines[m].states}


def trigger_titles(definition: Definition) -> dict[str, str]:
    """Trigger key → title, over every machine."""
    return {t.trigger: t.title or t.trigger for m in definition.machines.values()
            for t in m.transitions}


def state(definition: Definition, key: str | None, machine: str | None = None) -> str:
    """A state as shown: its title when translating, else its key."""
    if not key or not translating():
        return key or ""
    return state_titles(definition, [machine] if machine else None).get(key, key)


def trigger(definition: Definition, key: str) -> str:
    """A trigger as shown: its title when translating, else its key."""
    if not translating():
        return key
    return trigger_titles(definition).get(key, key)


def phase(key: str) -> str:
    """A stage's phase (pending, open, closed) as shown."""
    return _(STAGE_PHASES[key]) if key in STAGE_PHASES and translating() else key


def rows(items: Sequence[Mapping[str, Any]], values: Mapping[str, Mapping[str, str]]
         ) -> list[dict[str, Any]]:
    """Table rows with the values of some columns shown by title (``values``: column → key →
    title), when translating; unchanged otherwise."""
    if not translating():
        return [dict(r) for r in items]
    return [{k: (values[k].get(v, v) if k in values and isinstance(v, str) else v)
             for k, v in r.items()} for r in items]


# the program's own steps an item's history holds beside the definition's triggers
# (campaigns.events), and the records that are no machine of the definition
BUILTIN_TRIGGERS = {"add": N_("registered"), "progress": N_("progress reported"),
                    "edit": N_("edited"), "move": N_("moved to another unit"),
                    "escalate": N_("escalated"), "remind": N_("reminded"), "undo": N_("undone"),
                    "seal": N_("sealed"), "recount": N_("deadline recounted"),
                    "import": N_("imported"), "inspection-notice": N_("inspection notice"),
                    "read": N_("read")}
BUILTIN_MACHINES = {"record": N_("record"), "document": N_("document")}


def columns(definition: Definition) -> dict[str, dict[str, str]]:
    """The usual columns of listings that hold states and triggers, with their titles."""
    states = state_titles(definition)
    # a definition's own state wins over a stage's phase of the same key ("closed": 已销号)
    return {"state": {**{k: _(v) for k, v in STAGE_PHASES.items()}, **states},
            "rectification": state_titles(definition, ["rectification"]),
            "from": states, "to": states,
            "trigger": {**{k: _(v) for k, v in BUILTIN_TRIGGERS.items()},
                        **trigger_titles(definition)},
            "status": {k: _(v) for k, v in STAGE_PHASES.items()}}


_REMEMBERED: list[int] = [0]


def remember(definition: Definition) -> None:
    """Messages from now on name this definition's states and triggers by their titles (when
    translating): the campaign a command works on."""
    from . import i18n

    if _REMEMBERED[0] == id(definition):
        return
    _REMEMBERED[0] = id(definition)
    states = state_titles(definition)
    triggers = trigger_titles(definition)
    i18n.use_words({"state": states, "source": states, "dest": states, "to": states,
                    "from": states, "trigger": triggers, "follow": triggers})

"""Transitions in words: which ones happen by themselves, and what their guards ask for.

A transition is *automatic* when the definition gives it a cause (another transition's ``fire``
action, or a timer) and no role may fire it by hand.  Listings and diagrams say so instead of
leaving "no role may fire it" to read as "it never happens".
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import Registry
from .spec import CallRef, Definition, TimerSpec

FIRE_ACTION = "fire"  # the built-in action that fires a follow-up trigger


@dataclass(frozen=True)
class Cause:
    """What fires a trigger without anyone asking: another trigger, or a timer."""

    trigger: str | None = None  # this trigger's ``fire`` action fires it
    timer: TimerSpec | None = None

    def __str__(self) -> str:
        if self.timer is not None:
            t = self.timer
            since = "past the deadline" if t.from_deadline else f"in {t.state}"
            return f"{t.after} {since} (timer {t.key})"
        return f"when '{self.trigger}' fires"


def causes(definition: Definition) -> dict[str, tuple[Cause, ...]]:
    """Per trigger, every cause the definition gives it, in the definition's order."""
    found: dict[str, list[Cause]] = {}
    for machine in definition.machines.values():
        for t in machine.transitions:
            for call in t.actions:
                fired = call.kwargs.get("trigger") if call.name == FIRE_ACTION else None
                if isinstance(fired, str):
                    cause = Cause(trigger=t.trigger)
                    if cause not in found.setdefault(fired, []):
                        found[fired].append(cause)
    for timer in definition.timers:
        found.setdefault(timer.trigger, []).append(Cause(timer=timer))
    return {trigger: tuple(listed) for trigger, listed in found.items()}


def by_hand(definition: Definition, trigger: str) -> bool:
    """Whether a person may fire ``trigger`` (a definition without roles lets anyone)."""
    return not definition.roles or any(trigger in r.triggers for r in definition.roles.values())


@dataclass(frozen=True)
class Firing:
    """How a trigger comes to fire: by hand, by its causes, or both."""

    causes: tuple[Cause, ...]
    by_hand: bool

    @property
    def automatic(self) -> bool:
        """Only its causes fire it: nobody is expected to."""
        return bool(self.causes) and not self.by_hand

    def __str__(self) -> str:
        if not self.causes:
            return ""
        fired_by = [f"'{c.trigger}'" for c in self.causes if c.trigger is not None]
        parts = [f"when {' or '.join(fired_by)} fires"] if fired_by else []
        parts += [str(c) for c in self.causes if c.timer is not None]
        when = "; or ".join(parts)
        return f"automatic, {when}" if self.automatic else f"also automatic, {when}"


def firings(definition: Definition) -> dict[str, Firing]:
    """Every trigger of the definition with how it fires."""
    found = causes(definition)
    return {t.trigger: Firing(found.get(t.trigger, ()), by_hand(definition, t.trigger))
            for machine in definition.machines.values() for t in machine.transitions}


def guard_title(registry: Registry, call: CallRef, definition: Definition | None = None) -> str:
    """What ``call`` asks for, in words: its plugin's title, else the call as written.

    With ``definition``, a parameter naming one of its machines is shown by the machine's
    title, as a reader names it (not its key).
    """
    guard = registry.guards.get(call.name)
    params = dict(call.kwargs)
    if definition is not None and isinstance(params.get("machine"), str) \
            and params["machine"] in definition.machines:
        params["machine"] = definition.machines[params["machine"]].title or params["machine"]
    return (guard.describe(params) if guard else "") or str(call)

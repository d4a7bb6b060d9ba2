"""Runs triggers on subjects against shared, model-less ``transitions`` machines.

One ``Machine`` per machine spec is built once per definition and shared by every subject:
a machine per subject costs ~0.5 ms and ~22 KiB, and ``add_model`` grows quadratically and
resets state.  Guards are evaluated here, before the machine moves, so a refusal can say
which guard refused and why; ``transitions`` then performs the move itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import Refused
from .registry import Registry, default_registry
from .spec import CallRef, Definition, MachineSpec, StageSpec, TransitionSpec

SYSTEM_ACTOR = "system"


class Figures(Protocol):
    """Statistics a guard may need from the store; the store implements it."""

    def count(self, machine: str, states: frozenset[str] | None = None,
              stage: str | None = None) -> int: ...

    def figure(self, name: str) -> int:
        """A named figure a plugin's store defines, e.g. open items not marked long-term."""
        ...


@dataclass(frozen=True)
class Actor:
    """Who fires a trigger: a person key, the roles they hold, and plugin-defined attributes."""

    key: str
    roles: frozenset[str] = frozenset()
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_system(self) -> bool:
        return self.key == SYSTEM_ACTOR


@dataclass
class Context:
    """Everything a guard or action may look at, and the changes actions make."""

    definition: Definition
    actor: Actor
    as_of: dt.date
    subject: Any = None
    machine: MachineSpec | None = None
    transition: TransitionSpec | None = None
    stage: StageSpec | None = None
    run: Any = None  # the running instance of the definition, as the store gives it
    figures: Figures | None = None
    note: str | None = None
    record: Any = None  # the whole record the subject belongs to (all its machines)
    follow_up: bool = False  # fired as a consequence of another trigger: no role check
    params: Mapping[str, Any] = field(default_factory=dict)  # caller-supplied, e.g. a deadline
    changes: dict[str, Any] = field(default_factory=dict)
    follow_ups: list[str] = field(default_factory=list)

    def set(self, field_name: str, value: Any) -> None:
        """Record a change an action makes; the store writes it with the state change."""
        self.changes[field_name] = value
        if self.subject is not None and hasattr(self.subject, field_name):
            setattr(self.subject, field_name, value)

    def calendar(self) -> Any:
        from .calendar import calendar_for

        return calendar_for(self.definition.calendar)


@dataclass(frozen=True)
class Refusal:
    """Why a trigger may not fire: 'state', 'role', or the guard that refused."""

    reason: str
    by: str

    def __str__(self) -> str:
        return f"{self.reason} [{self.by}]"


@dataclass
class Outcome:
    """The result of firing (or asking about) one trigger."""

    trigger: str
    machine: str
    source: str
    dest: str | None
    refusals: list[Refusal] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    follow_ups: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusals

    def raise_if_refused(self, subject_name: str = "", hint: str | None = None) -> None:
        if self.refusals:
            where = f" on {subject_name}" if subject_name else ""
            raise Refused(f"'{self.trigger}'{where} refused: "
                          + "; ".join(str(r) for r in self.refusals), hint)


class Runtime:
    """The executable form of a definition: shared machines plus resolved guards and actions."""

    def __init__(self, definition: Definition, registry: Registry | None = None) -> None:
        self.definition = definition
        self.registry = registry or default_registry()
        self._machines: dict[str, Any] = {}

    def machine(self, name: str) -> Any:
        """The shared ``transitions.Machine`` for ``name``, built on first use."""
        if name not in self._machines:
            from transitions import Machine

            spec = self.definition.machines[name]
            self._machines[name] = Machine(
                model=None,
                states=[s.key for s in spec.states],
                transitions=[{"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                             for t in spec.transitions],
                initial=spec.initial,
                auto_transitions=False,
                ignore_invalid_triggers=False,
            )
        return self._machines[name]

    def check(self, ctx: Context, trigger: str, extra_guards: tuple[CallRef, ...] = ()) -> Outcome:
        """Would ``trigger`` fire on ``ctx.subject`` now?  Collects every reason it would not.

        ``extra_guards`` are checked besides the transition's own (a timer's guards)."""
        spec = self.definition.machine_of(trigger)
        if spec is None:
            raise Refused(f"unknown trigger '{trigger}'", _suggest_trigger(self.definition, trigger))
        transition = spec.transition(trigger)
        assert transition is not None
        state = ctx.subject.state
        outcome = Outcome(trigger, spec.name, state, transition.dest)
        if state not in transition.sources:
            outcome.refusals.append(Refusal(
                f"not allowed from state '{state}' (only from {', '.join(transition.sources)})",
                "state"))
            return outcome
        if not ctx.follow_up and not self._role_allows(ctx.actor, trigger):
            allowed = [r.key for r in self.definition.roles.values() if trigger in r.triggers]
            outcome.refusals.append(Refusal(
                f"actor '{ctx.actor.key}' holds no role that may fire it "
                f"(roles that may: {', '.join(allowed) or 'none'})", "role"))
        ctx.machine, ctx.transition = spec, transition
        outcome.refusals.extend(self.run_guards(ctx, extra_guards + transition.guards))
        return outcome

    def fire(self, ctx: Context, trigger: str, extra_guards: tuple[CallRef, ...] = ()) -> Outcome:
        """Check, then move the subject and run the transition's actions."""
        outcome = self.check(ctx, trigger, extra_guards)
        if not outcome.ok:
            return outcome
        machine = self.machine(outcome.machine)
        machine.events[trigger].trigger(ctx.subject)
        assert ctx.transition is not None
        for call in ctx.transition.actions:
            self.registry.actions[call.name].fn(ctx, **call.kwargs)
        outcome.changes = dict(ctx.changes)
        outcome.follow_ups = list(ctx.follow_ups)
        return outcome

    def run_guards(self, ctx: Context, guards: tuple[CallRef, ...]) -> list[Refusal]:
        refusals = []
        for call in guards:
            reason = self.registry.guards[call.name].fn(ctx, **call.kwargs)
            if reason:
                refusals.append(Refusal(reason, str(call)))
        return refusals

    def triggers(self, machine: str) -> list[str]:
        return [t.trigger for t in self.definition.machines[machine].transitions]

    def _role_allows(self, actor: Actor, trigger: str) -> bool:
        if actor.is_system or not self.definition.roles:
            return True
        return any(trigger in self.definition.roles[r].triggers
                   for r in actor.roles if r in self.definition.roles)


def _suggest_trigger(definition: Definition, trigger: str) -> str:
    import difflib

    known = [t.trigger for m in definition.machines.values() for t in m.transitions]
    close = difflib.get_close_matches(trigger, known, n=1)
    return f"did you mean '{close[0]}'?" if close else f"known triggers: {', '.join(known)}"


GuardFn = Callable[..., str | None]

"""Runs triggers on subjects against shared, model-less ``transitions`` machines.

One ``Machine`` per machine spec is built once per definition and shared by every subject:
a machine per subject costs ~0.5 ms and ~22 KiB, and ``add_model`` grows quadratically and
resets state.  The machine carries the semantics: the role check and the guards are its
transitions' conditions, the actions their ``after`` callbacks, the possible triggers its
events.  A subject is passed to ``Event.trigger`` as the model of one call, with the
``Context`` and a list the conditions record their refusals into (``send_event=True``), so
no subject is ever attached to the machine.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from .errors import Refused
from .registry import Registry, default_registry
from .spec import CallRef, Definition, MachineSpec, RoleSpec, StageSpec, TransitionSpec
from .text import Text

if TYPE_CHECKING:  # imported when the first machine is built: ~6 ms a short command need not pay
    from transitions import EventData, Machine

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

    def text(self) -> Text:
        """The refusal as a translatable message."""
        return Text("{reason} [{by}]", reason=self.reason, by=self.by)


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
            raise Refused(refused(self.trigger, subject_name, [r.text() for r in self.refusals]), hint)


@functools.cache
def _classes() -> tuple[type[Machine], type[EventData]]:
    """The machine class whose transitions collect refusals, and transitions' ``EventData``."""
    from transitions import Event, EventData, Machine, State, Transition

    class _State(State):
        """A state whose name is a plain attribute and whose entry and exit cost nothing
        when no callback is attached (ours attach none; the debug logging is skipped too):
        a bulk advance enters and leaves a state per item."""

        name: str = ""  # shadows ``State.name``, a property looked up on every fire

        def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
            super().__init__(name, *args, **kwargs)
            self.name = self._name.name if isinstance(self._name, Enum) else self._name

        def enter(self, event_data: EventData) -> None:
            if self.on_enter:
                event_data.machine.callbacks(self.on_enter, event_data)

        def exit(self, event_data: EventData) -> None:
            if self.on_exit:
                event_data.machine.callbacks(self.on_exit, event_data)

    class _Branch(Transition):
        """One transition of a machine spec from one source state, carrying that spec.

        ``transitions`` stops at the first condition that fails; a refusal here names every
        reason, so all conditions are evaluated.  A condition added through the ``transitions``
        API without recording a reason is named by its function.
        """

        def __init__(self, source: str, dest: str, conditions: Any = None, unless: Any = None,
                     before: Any = None, after: Any = None, prepare: Any = None,
                     spec: TransitionSpec | None = None) -> None:
            super().__init__(source, dest, conditions, unless, before, after, prepare)
            self.spec = spec  # None for a transition added through the transitions API

        def admits(self, event_data: EventData) -> bool:
            """Do all conditions hold?  Each that does not leaves a refusal in the event data."""
            refusals: list[Refusal] = event_data.kwargs["refusals"]
            admitted = True
            for condition in self.conditions:
                before = len(refusals)
                if not condition.check(event_data):
                    admitted = False
                    if len(refusals) == before:
                        name = getattr(condition.func, "__name__", str(condition.func))
                        refusals.append(Refusal(
                            f"condition '{name}' {'does not hold' if condition.target else 'holds'}",
                            name))
            return admitted

        _eval_conditions = admits  # what ``Transition.execute`` calls

        def execute(self, event_data: EventData) -> bool:
            """``Transition.execute``, its callback lists in the same order, empty ones and the
            debug logging skipped: it runs once per item of a bulk advance."""
            machine = event_data.machine
            if self.prepare:
                machine.callbacks(self.prepare, event_data)
            if not self.admits(event_data):
                return False
            if machine.before_state_change or self.before:
                machine.callbacks([*machine.before_state_change, *self.before], event_data)
            if self.dest:  # None: an internal transition, no change of state
                self._change_state(event_data)
            if self.after or machine.after_state_change:
                machine.callbacks([*self.after, *machine.after_state_change], event_data)
            return True

        def _change_state(self, event_data: EventData) -> None:
            machine = event_data.machine
            states = machine.states
            states[self.source].exit(event_data)
            dest = states[self.dest]  # type: ignore[index]  # set: see execute
            setattr(event_data.model, machine.model_attribute, dest.value)
            event_data.state = dest
            dest.enter(event_data)
            if dest.final:
                machine.callbacks(machine.on_final, event_data)

    class _Event(Event):
        """``Event._trigger`` without the debug logging when the machine has no event-wide
        callbacks (ours have none; with some, the library's own path runs)."""

        def _trigger(self, event_data: EventData) -> bool:
            machine = self.machine
            if machine.prepare_event or machine.finalize_event or machine.on_exception:
                return bool(super()._trigger(event_data))
            event_data.state = state = machine.get_model_state(event_data.model)
            if self._is_valid_source(state):
                for branch in self.transitions[state.name]:
                    event_data.transition = branch
                    if branch.execute(event_data):
                        event_data.result = True
                        break
            return bool(event_data.result)

    class _Machine(Machine):
        """A shared, model-less machine whose transitions are ``_Branch``es."""

        transition_cls = _Branch
        state_cls = _State
        event_cls = _Event

    return _Machine, EventData


Callback = Callable[["EventData"], Any]


class Runtime:
    """The executable form of a definition: one shared ``transitions`` machine per machine spec."""

    def __init__(self, definition: Definition, registry: Registry | None = None) -> None:
        self.definition = definition
        self.registry = registry or default_registry()
        self._machines: dict[str, Machine] = {}

    def machine(self, name: str) -> Machine:
        """The shared machine for ``name``, built on first use."""
        machine = self._machines.get(name)
        if machine is None:
            machine = self._machines[name] = self._build(self.definition.machines[name])
        return machine

    def _build(self, spec: MachineSpec) -> Machine:
        machine = _classes()[0](model=None, states=[s.key for s in spec.states],
                                initial=spec.initial, auto_transitions=False,
                                ignore_invalid_triggers=False, send_event=True)
        prepare = _prepare(spec)
        for t in spec.transitions:
            conditions: list[str | Callable[..., bool | None]] = [self._role_condition(t.trigger)]
            conditions += [self._guard_condition(call) for call in self.guards_of(t)]
            machine.add_transition(t.trigger, list(t.sources), t.dest, conditions=conditions,
                                   prepare=[prepare], spec=t,
                                   after=[self._action_callback(call) for call in t.actions])
        return machine

    def check(self, ctx: Context, trigger: str) -> Outcome:
        """Would ``trigger`` fire on ``ctx.subject`` now?  Collects every reason it would not."""
        outcome, machine, branches = self._start(ctx, trigger)
        if not branches:
            return outcome
        refusals: list[Refusal] = []
        event = machine.events[trigger]
        data = _classes()[1](machine.get_state(outcome.source), event, machine, ctx.subject, (),
                             {"ctx": ctx, "refusals": refusals})
        for branch in branches:  # as transitions' own ``may_<trigger>``, without a model
            data.transition = branch
            machine.callbacks(branch.prepare, data)
            if branch.admits(data):
                outcome.dest = branch.dest
                return outcome
        outcome.refusals = refusals
        return outcome

    def fire(self, ctx: Context, trigger: str) -> Outcome:
        """Move the subject if every condition holds, running the actions; else every refusal."""
        outcome, machine, branches = self._start(ctx, trigger)
        if not branches:
            return outcome
        refusals: list[Refusal] = []
        if machine.events[trigger].trigger(ctx.subject, ctx=ctx, refusals=refusals):
            outcome.dest = ctx.subject.state
            outcome.changes = dict(ctx.changes)
            outcome.follow_ups = list(ctx.follow_ups)
        else:
            outcome.refusals = refusals
        return outcome

    def possible(self, ctx: Context, machine: str) -> list[Outcome]:
        """Each trigger the machine offers from the subject's state, checked now."""
        return [self.check(ctx, trigger)
                for trigger in self.machine(machine).get_triggers(ctx.subject.state)]

    def _start(self, ctx: Context, trigger: str) -> tuple[Outcome, Machine, list[Any]]:
        """The outcome to fill, the machine, and the branches leaving the subject's state."""
        spec = self.definition.machine_of(trigger)
        if spec is None:
            raise Refused(Text("unknown trigger '{trigger}'", trigger=trigger),
                          _suggest_trigger(self.definition, trigger))
        machine = self.machine(spec.name)
        state = ctx.subject.state
        by_source = machine.events[trigger].transitions
        branches = by_source[state] if state in by_source else []
        first = branches[0] if branches else next(iter(by_source.values()))[0]
        outcome = Outcome(trigger, spec.name, state, first.dest)
        if not branches:
            sources = ", ".join(by_source)
            outcome.refusals.append(Refusal(
                Text("not allowed from state '{state}' (only from {sources})", state=state,
                     sources=sources), "state"))
        return outcome, machine, branches

    def run_guards(self, ctx: Context, guards: tuple[CallRef, ...]) -> list[Refusal]:
        """Guards outside any machine (stage entry and exit, timers), each reason collected."""
        refusals = []
        for call in guards:
            reason = self.registry.guards[call.name].fn(ctx, **call.kwargs)
            if reason:
                refusals.append(Refusal(reason, str(call)))
        return refusals

    def triggers(self, machine: str) -> list[str]:
        return list(self.machine(machine).events)

    def guards_of(self, transition: TransitionSpec) -> tuple[CallRef, ...]:
        """The transition's own guards, then the duties' guards it does not already name."""
        duty = self.definition.duties.get(transition.trigger)
        if duty is None:
            return transition.guards
        named = {call.name for call in transition.guards}
        return transition.guards + tuple(CallRef(g) for g in duty.guards
                                         if g not in named and g in self.registry.guards)

    def may_fire(self, role: RoleSpec, trigger: str) -> bool:
        """Whether ``role`` lists ``trigger`` and acts for a side the trigger's duty accepts."""
        duty = self.definition.duties.get(trigger)
        return trigger in role.triggers and (duty is None or not duty.sides
                                             or role.side in duty.sides)

    def _role_condition(self, trigger: str) -> Callable[[EventData], bool]:
        definition = self.definition
        allowed = [r.key for r in definition.roles.values() if self.may_fire(r, trigger)]
        duty = definition.duties.get(trigger)
        sides = ", ".join(sorted(duty.sides)) if duty and duty.sides else ""

        def role_allows(event: EventData) -> bool:
            ctx: Context = event.kwargs["ctx"]
            actor = ctx.actor
            if ctx.follow_up or actor.is_system or not definition.roles or any(
                    r in allowed for r in actor.roles):
                return True
            listing = [r for r in sorted(actor.roles)
                       if r in definition.roles and trigger in definition.roles[r].triggers]
            may = ", ".join(allowed) or Text("none")
            reason = (Text("actor '{actor}' lists it only in role(s) acting for another side "
                           "({roles}); it needs a role of side {sides} (roles that may: {may})",
                           actor=actor.key, roles=", ".join(listing), sides=sides, may=may)
                      if listing and sides else
                      Text("actor '{actor}' holds no role that may fire it (roles that may: {may})",
                           actor=actor.key, may=may))
            event.kwargs["refusals"].append(Refusal(reason, "role"))
            return False
        return role_allows

    def _guard_condition(self, call: CallRef) -> Callable[[EventData], bool]:
        fn, kwargs, by = self.registry.guards[call.name].fn, call.kwargs, str(call)

        def guard(event: EventData) -> bool:
            reason = fn(event.kwargs["ctx"], **kwargs)
            if reason:
                event.kwargs["refusals"].append(Refusal(reason, by))
                return False
            return True
        guard.__name__ = call.name
        return guard

    def _action_callback(self, call: CallRef) -> Callback:
        fn, kwargs = self.registry.actions[call.name].fn, call.kwargs

        def action(event: EventData) -> None:
            fn(event.kwargs["ctx"], **kwargs)
        action.__name__ = call.name
        return action


def _prepare(spec: MachineSpec) -> Callback:
    def prepare(event: EventData) -> None:
        """Tell guards and actions which transition they serve."""
        ctx: Context = event.kwargs["ctx"]
        ctx.machine, ctx.transition = spec, getattr(event.transition, "spec", None)
    return prepare


def _suggest_trigger(definition: Definition, trigger: str) -> str:
    import difflib

    known = [t.trigger for m in definition.machines.values() for t in m.transitions]
    close = difflib.get_close_matches(trigger, known, n=1)
    if close:
        return Text("did you mean '{name}'?", name=close[0])  # the key: what a command takes
    return Text("known triggers: {triggers}", triggers=", ".join(known))


def refused(trigger: str, subject_name: str, reasons: list[Text]) -> Text:
    """"'close' on X refused: reason [guard]; reason [role]" as a translatable message."""
    if subject_name:
        return Text("'{trigger}' on {subject} refused: {reasons}", trigger=trigger,
                    subject=subject_name, reasons=reasons)
    return Text("'{trigger}' refused: {reasons}", trigger=trigger, reasons=reasons)


GuardFn = Callable[..., str | None]

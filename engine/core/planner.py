"""The one place that decides what a change does: refusals, or every move it makes.

Every path that changes a subject's state asks the planner: commands, plans, imports, timers,
stage opening and closing.  Given a definition's runtime, a snapshot of the subject (all the
machines of its record), a request (trigger, actor, business date, parameters) and read-only
figures, it returns either every refusal with its reason or the full list of moves, the
trigger's own first and then each follow-up it fired (verify → close), with the versions the
writer must find.  It reads and writes nothing: the caller's snapshot is left as it was, and
the moved copy is returned for a caller that plans several changes on one record in a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import Refused
from .machines import Actor, Context, Figures, Outcome, Refusal, Runtime, refused
from .moves import Move
from .spec import CallRef, Definition, StageSpec
from .text import Text


class Snapshot(Protocol):
    """A subject's record as read in the caller's transaction: one subject per machine."""

    def subject(self, machine: str) -> Any:
        """The subject ``machine`` moves: it has ``id``, ``state``, ``version`` and its fields."""
        ...

    def copy(self) -> Snapshot:
        """A working copy whose subjects the planner may move without touching the original."""
        ...


@dataclass(frozen=True)
class Request:
    """What a caller asks for: fire ``trigger`` as ``actor`` on business date ``as_of``."""

    trigger: str
    actor: Actor
    as_of: dt.date
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None
    # Field values the caller supplies with the trigger (a plan's measures and deadline):
    # written with its move and seen by its guards and actions; an action may override them.
    changes: Mapping[str, Any] = field(default_factory=dict)
    guards: tuple[CallRef, ...] = ()  # checked besides the transition's own (a timer's guards)
    rule: str | None = None  # the definition rule that fired it, for the clock and stages
    event_values: Mapping[str, Any] = field(default_factory=dict)  # a plugin's event columns
    stream: str = ""  # the event log (hash chain) the moves' events join
    subject_key: str | None = None  # the record's stable key, hashed instead of row ids


@dataclass
class Plan:
    """The planner's answer: refusals (nothing may happen) or the moves, in order."""

    trigger: str
    refusals: list[Refusal] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)  # one per move, the trigger's first
    after: Any = None  # the snapshot as the moves leave it

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def outcome(self) -> Outcome | None:
        return self.outcomes[0] if self.outcomes else None

    def reasons(self) -> str:
        return "; ".join(str(r) for r in self.refusals)

    def raise_if_refused(self, subject_name: str = "", hint: str | None = None) -> None:
        if self.refusals:
            raise Refused(refused(self.trigger, subject_name, [r.text() for r in self.refusals]),
                          hint)


def plan(runtime: Runtime, snapshot: Snapshot, request: Request, *, run: Any = None,
         figures: Figures | None = None) -> Plan:
    """Decide ``request`` on ``snapshot``: every refusal, or the moves with their follow-ups.

    A follow-up is checked like the trigger (state and guards) but not against the actor's
    roles: the rule that fires it is the definition's, not the actor's choice.  A refused
    follow-up refuses the whole request, so a change never half happens.
    """
    definition = runtime.definition
    work = snapshot.copy()
    result = Plan(request.trigger, after=work)
    versions: dict[tuple[str, int], int] = {}
    queue: list[tuple[str, bool]] = [(request.trigger, False)]
    while queue:
        name, follow = queue.pop(0)
        spec = definition.machine_of(name)
        if spec is None:  # raises with a suggestion
            runtime.check(Context(definition, request.actor, request.as_of), name)
            raise AssertionError("unreachable")  # pragma: no cover
        subject = work.subject(spec.name)
        first = not result.moves
        given = dict(request.changes) if first else {}
        for key, value in given.items():
            if hasattr(subject, key):
                setattr(subject, key, value)
        ctx = Context(definition, request.actor, request.as_of, subject=subject, run=run,
                      record=work, figures=figures, note=request.note, params=request.params,
                      follow_up=follow)
        before = subject.state
        # a timer's own guards decide before its transition's (they are outside any machine)
        blocked = runtime.run_guards(ctx, request.guards) if first and request.guards else []
        if blocked:
            outcome = Outcome(name, spec.name, before, None, refusals=blocked)
        else:
            outcome = runtime.fire(ctx, name)
        outcome.source = before
        if not outcome.ok:
            if follow:
                result.refusals = [Refusal(Text(
                    "'{trigger}' needs '{follow}', which was refused: {reasons}",
                    trigger=request.trigger, follow=name,
                    reasons=[r.text() for r in outcome.refusals]), "follow-up")]
            else:
                result.refusals = outcome.refusals
            result.moves, result.outcomes = [], [outcome] if not follow else []
            return result
        moved = (spec.name, int(subject.id))
        version = versions.get(moved, subject.version)
        versions[moved] = version + 1
        changes = {**given, **outcome.changes}
        outcome.changes = changes
        result.outcomes.append(outcome)
        result.moves.append(Move(
            subject.id, version, spec.name, name, before, outcome.dest or before,
            request.actor.key, request.as_of, changes=changes,
            event_values=dict(request.event_values), note=request.note,
            payload=jsonable(changes) or None, rule=request.rule, stream=request.stream,
            subject_key=request.subject_key))
        queue.extend((f, True) for f in outcome.follow_ups)
    for (machine, _id), version in versions.items():
        work.subject(machine).version = version
    return result


@dataclass(frozen=True)
class Placement:
    """One subject put straight into a state: what a ledger records of where it stands."""

    machine: str
    subject_id: int
    version: int
    from_state: str
    to_state: str
    changes: Mapping[str, Any] = field(default_factory=dict)  # what the way there would stamp
    payload: Mapping[str, Any] | None = None


def plan_placement(definition: Definition, placements: list[Placement], request: Request) -> Plan:
    """Moves that put subjects into states without firing their machines' triggers.

    For an import of records kept elsewhere (a ledger says where an item stands, not how it
    got there): one move per subject whose state differs, under ``request.trigger``.  Only an
    actor whose role may override (or the system) may place a subject past where it starts,
    and only into a state its machine has.
    """
    return plan_placements(definition, [(placements, request)])[0]


def plan_placements(definition: Definition,
                    records: Sequence[tuple[Sequence[Placement], Request]]) -> list[Plan]:
    """``plan_placement`` for many records at once (the rows of an imported ledger), one plan
    each: the machines' states and each actor's right to place are looked up once."""
    states = {name: frozenset(s.key for s in spec.states)
              for name, spec in definition.machines.items()}
    may: dict[int, bool] = {}
    plans: list[Plan] = []
    for placements, request in records:
        result = Plan(request.trigger)
        plans.append(result)
        moving = [p for p in placements if p.to_state != p.from_state]
        if not moving:
            continue
        for p in moving:
            if p.to_state not in states.get(p.machine, ()):
                result.refusals.append(Refusal(Text(
                    "'{machine}' has no state '{state}'", machine=p.machine, state=p.to_state),
                    "state"))
        actor = request.actor
        allowed = may.get(id(actor))
        if allowed is None:
            allowed = may[id(actor)] = actor.is_system or any(
                definition.roles[r].overrides for r in actor.roles if r in definition.roles)
        if not allowed:
            roles = [r.key for r in definition.roles.values() if r.overrides]
            result.refusals.append(Refusal(Text(
                "actor '{actor}' holds no role that may place a subject in a later state "
                "(roles that may: {may})", actor=actor.key, may=", ".join(roles) or Text("none")),
                "role"))
        if result.refusals:
            continue
        result.moves = [Move(p.subject_id, p.version, p.machine, request.trigger, p.from_state,
                             p.to_state, actor.key, request.as_of, changes=dict(p.changes),
                             event_values=dict(request.event_values), note=request.note,
                             payload=p.payload, rule=request.rule, stream=request.stream,
                             subject_key=request.subject_key) for p in moving]
    return plans


@dataclass(frozen=True)
class Reversal:
    """One subject put back as it was before some of its events: what an undo asks for."""

    machine: str
    subject_id: int
    version: int
    from_state: str  # where it stands now
    to_state: str  # where it stood before the events undone
    changes: Mapping[str, Any] = field(default_factory=dict)  # each field's value before them
    payload: Mapping[str, Any] | None = None
    subject_key: str | None = None


UNDO = "undo"


def plan_undo(definition: Definition, reversals: list[Reversal], request: Request) -> Plan:
    """Compensating moves that reverse recorded changes, one per subject, never an edit of them.

    Only an actor whose role may override may undo (the system never does: an undo is a
    person's decision, recorded with their note), and only into a state the machine has.
    """
    result = Plan(UNDO)
    actor = request.actor
    if actor.is_system or not any(
            definition.roles[r].overrides for r in actor.roles if r in definition.roles):
        may = [r.key for r in definition.roles.values() if r.overrides]
        result.refusals.append(Refusal(Text(
            "actor '{actor}' holds no role that may undo a recorded change "
            "(roles that may: {may})", actor=actor.key, may=", ".join(may) or Text("none")), "role"))
    if not (request.note and request.note.strip()):
        result.refusals.append(Refusal(Text("an undo needs a reason: give --note"), "note"))
    for r in reversals:
        spec = definition.machines.get(r.machine)
        states = ({s.key for s in spec.states} if spec is not None
                  else {*STAGE_STATES["open"], *STAGE_STATES["close"]} if r.machine == STAGE_MACHINE
                  else None)
        if states is not None and r.to_state not in states:
            result.refusals.append(Refusal(Text("'{machine}' has no state '{state}'", machine=r.machine,
                                                        state=r.to_state), "state"))
    if result.refusals:
        return result
    result.moves = [Move(r.subject_id, r.version, r.machine, UNDO, r.from_state, r.to_state,
                         actor.key, request.as_of, changes=dict(r.changes),
                         event_values=dict(request.event_values), note=request.note,
                         payload=r.payload, stream=request.stream,
                         subject_key=r.subject_key or request.subject_key) for r in reversals]
    return result


STAGE_MACHINE = "stage"
STAGE_STATES = {"open": ("pending", "open"), "close": ("open", "closed")}


def plan_stage(runtime: Runtime, stage: StageSpec, subject: Any, verb: str, actor: Actor,
               as_of: dt.date, *, force: bool = False, run: Any = None,
               figures: Figures | None = None, rule: str | None = None,
               event_values: Mapping[str, Any] | None = None, stream: str = "") -> Plan:
    """Open or close one stage: its entry or exit guards decide, unless ``force`` overrides.

    ``subject`` is the stored stage (``id``, ``state``, ``version``).  A forced change is
    still a move; the guards it overrode are written into its payload.
    """
    source, dest = STAGE_STATES[verb]
    result = Plan(verb)
    if subject.state != source:
        result.refusals = [Refusal(Text("stage '{stage}' is {state}, not {source}", stage=stage.key,
                                        state=subject.state, source=source), "state")]
        return result
    ctx = Context(runtime.definition, actor, as_of, run=run, figures=figures, stage=stage)
    refusals = runtime.run_guards(ctx, stage.entry if verb == "open" else stage.exit)
    if refusals and not force:
        result.refusals = refusals
        return result
    date_field = "opened_on" if verb == "open" else "closed_on"
    payload: dict[str, Any] = {"stage": stage.key}
    if refusals:
        payload["overridden"] = [str(r) for r in refusals]
    result.moves.append(Move(subject.id, subject.version, STAGE_MACHINE, verb, source, dest,
                             actor.key, as_of, changes={date_field: as_of},
                             event_values=dict(event_values or {}), payload=payload, rule=rule, stream=stream,
                             subject_key=stage.key))
    return result


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Changes as an event payload: dates as ISO strings."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}

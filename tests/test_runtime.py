"""The runtime: shared model-less machines, refusals with reasons, guards, actions, follow-ups."""

from __future__ import annotations

import datetime as dt
import functools
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from transitions import Machine

from engine.core.errors import Refused
from engine.core.loader import load
from engine.core.machines import SYSTEM_ACTOR, Actor, Context, Outcome, Refusal, Runtime
from engine.core.spec import CallRef, Definition

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = sorted(glob.glob(str(ROOT / "definitions" / "*.yaml")))
IDS = [os.path.basename(p) for p in DEFINITIONS]
AS_OF = dt.date(2015, 9, 15)
SYSTEM = Actor(SYSTEM_ACTOR)


@functools.cache
def definition(path: str) -> Definition:
    return load(path)


@functools.cache
def runtime(path: str) -> Runtime:
    return Runtime(definition(path))


def standard(path: str) -> bool:
    return {"item", "rectification"} <= set(definition(path).machines)


STANDARD = [p for p in DEFINITIONS if standard(p)]
STANDARD_IDS = [os.path.basename(p) for p in STANDARD]


# --------------------------------------------------------------------------- plain subjects


@dataclass
class ItemSubject:
    state: str
    closed_on: dt.date | None = None
    reopen_count: int = 0


@dataclass
class RectSubject:
    state: str
    deadline: dt.date | None = None
    returns: int = 0
    submitted_on: dt.date | None = None
    completed_on: dt.date | None = None


@dataclass
class Record:
    unit_path: str
    item: ItemSubject
    rectification: RectSubject
    extra: dict[str, Any] = field(default_factory=dict)

    def subject(self, machine: str) -> Any:
        return getattr(self, machine) if machine in ("item", "rectification") else self.extra[machine]


def record(d: Definition, item: str | None = None, rect: str | None = None,
           unit_path: str = "/county/finance") -> Record:
    rec = Record(unit_path, ItemSubject(item or d.machines["item"].initial),
                 RectSubject(rect or d.machines["rectification"].initial))
    for name, spec in d.machines.items():
        if name not in ("item", "rectification"):
            rec.extra[name] = SimpleNamespace(state=spec.initial)
    return rec


def role_for(d: Definition, trigger: str) -> str:
    return next(r.key for r in d.roles.values() if trigger in r.triggers)


def person(d: Definition, *triggers: str, unit_path: str = "/county/supervision") -> Actor:
    roles = frozenset(role_for(d, t) for t in triggers)
    return Actor("someone", roles, {"unit_path": unit_path})


def ctx_for(d: Definition, rec: Record, trigger: str, actor: Actor = SYSTEM, **kw: Any) -> Context:
    machine = d.machine_of(trigger)
    assert machine is not None, trigger
    return Context(d, actor, kw.pop("as_of", AS_OF), subject=rec.subject(machine.name), record=rec, **kw)


def fire(path: str, rec: Record, trigger: str, actor: Actor = SYSTEM, **kw: Any) -> Outcome:
    d = definition(path)
    return runtime(path).fire(ctx_for(d, rec, trigger, actor, **kw), trigger)


def fire_all(path: str, rec: Record, trigger: str, actor: Actor = SYSTEM, **kw: Any
             ) -> list[Outcome]:
    """Fire a trigger, then its follow-ups (no role check), as the store does."""
    out = [fire(path, rec, trigger, actor, **kw)]
    queue = list(out[0].follow_ups) if out[0].ok else []
    while queue:
        name = queue.pop(0)
        step = fire(path, rec, name, actor, follow_up=True, **kw)
        out.append(step)
        if step.ok:
            queue.extend(step.follow_ups)
    return out


def includes(changes: dict[str, Any], expected: dict[str, Any]) -> bool:
    """The expected changes were made (the lifecycle may make more, e.g. escalation bookkeeping)."""
    return {k: changes.get(k, "<missing>") for k in expected} == expected


def by(outcome: Outcome) -> dict[str, str]:
    return {r.by: r.reason for r in outcome.refusals}


# --------------------------------------------------------------------------- shared machines


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_one_model_less_machine_per_spec_shared_by_all_subjects(path: str) -> None:
    d = definition(path)
    rt = Runtime(d)
    for name, spec in d.machines.items():
        machine = rt.machine(name)
        assert isinstance(machine, Machine)
        assert machine is rt.machine(name)
        assert machine.models == []
        assert set(machine.states) == {s.key for s in spec.states}
        assert set(machine.events) == {t.trigger for t in spec.transitions}
        assert machine.initial == spec.initial
        trigger = next(t for t in spec.transitions if spec.initial in t.sources)
        subjects = [SimpleNamespace(state=spec.initial) for _ in range(50)]
        for subject in subjects:
            ctx = Context(d, SYSTEM, AS_OF, subject=subject, record=None, follow_up=True)
            assert rt.check(ctx, trigger.trigger).ok and subject.state == spec.initial
            # the machine's calling convention: the subject is the model of this one call
            assert machine.events[trigger.trigger].trigger(subject, ctx=ctx, refusals=[])
            assert subject.state == trigger.dest
        assert rt.machine(name) is machine and machine.models == []
    assert [rt.machine(n) for n in d.machines] == [rt.machine(n) for n in d.machines]


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_firing_moves_a_plain_objects_state(path: str) -> None:
    d = definition(path)
    rec = record(d)
    item_machine = runtime(path).machine("item")
    outcome = fire(path, rec, "confirm")
    assert outcome.ok and isinstance(outcome, Outcome)
    assert (outcome.machine, outcome.source, outcome.dest) == ("item", "reported", "confirmed")
    assert rec.item.state == "confirmed"
    subject = SimpleNamespace(state="reported")
    outcome = runtime(path).fire(Context(d, SYSTEM, AS_OF, subject=subject, record=rec), "confirm")
    assert outcome.ok and subject.state == "confirmed"
    assert runtime(path).machine("item") is item_machine and item_machine.models == []
    assert not hasattr(subject, "trigger") and not hasattr(subject, "to_confirmed")


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_check_does_not_move(path: str) -> None:
    d = definition(path)
    rec = record(d)
    outcome = runtime(path).check(ctx_for(d, rec, "confirm"), "confirm")
    assert outcome.ok and rec.item.state == "reported"


# --------------------------------------------------------------------------- the machine decides


def _confirm_ctx(d: Definition, note: str | None = None) -> tuple[Context, ItemSubject]:
    subject = ItemSubject("reported")
    return Context(d, SYSTEM, AS_OF, subject=subject, record=record(d), note=note), subject


@pytest.mark.parametrize("path", STANDARD[:1], ids=STANDARD_IDS[:1])
def test_conditions_and_callbacks_added_to_the_machine_take_effect(path: str) -> None:
    """Only a transitions machine evaluates an ``unless`` or runs a callback added to it."""
    from transitions.core import Condition

    d = definition(path)
    rt = Runtime(d)  # a machine of its own: this one is changed
    machine = rt.machine("item")
    (branch,) = machine.get_transitions("confirm", source="reported")

    def frozen(event: Any) -> bool:
        return bool(event.kwargs["ctx"].note == "frozen")
    branch.conditions.append(Condition(frozen, target=False))
    seen: list[str] = []
    machine.events["confirm"].add_callback("after", lambda event: seen.append(event.model.state))

    ctx, subject = _confirm_ctx(d, note="frozen")
    assert by(rt.check(ctx, "confirm")) == {"frozen": "condition 'frozen' holds"}
    outcome = rt.fire(ctx, "confirm")
    assert not outcome.ok and subject.state == "reported" and seen == []
    ctx, subject = _confirm_ctx(d)
    outcome = rt.fire(ctx, "confirm")
    assert outcome.ok and subject.state == "confirmed" and seen == ["confirmed"]


@pytest.mark.parametrize("path", STANDARD[:1], ids=STANDARD_IDS[:1])
def test_every_callback_kind_added_to_the_machine_runs_in_the_librarys_order(path: str) -> None:
    """The shared machines skip empty callback lists for speed, never a callback given."""
    d = definition(path)
    rt = Runtime(d)  # a machine of its own: this one is changed
    machine = rt.machine("item")
    (branch,) = machine.get_transitions("confirm", source="reported")
    seen: list[str] = []

    def log(what: str) -> Any:
        return lambda event: seen.append(f"{what}:{event.model.state}")
    machine.prepare_event.append(log("prepare_event"))
    branch.before.append(log("before"))
    machine.before_state_change.append(log("before_state_change"))
    machine.get_state("reported").on_exit.append(log("exit"))
    machine.get_state("confirmed").on_enter.append(log("enter"))
    machine.after_state_change.append(log("after_state_change"))
    machine.finalize_event.append(log("finalize"))
    assert machine.get_state("confirmed").name == "confirmed"

    ctx, subject = _confirm_ctx(d)
    assert rt.fire(ctx, "confirm").ok and subject.state == "confirmed"
    assert seen == ["prepare_event:reported", "before_state_change:reported", "before:reported",
                    "exit:reported", "enter:confirmed", "after_state_change:confirmed",
                    "finalize:confirmed"]


@pytest.mark.parametrize("path", STANDARD[:1], ids=STANDARD_IDS[:1])
def test_branches_of_one_trigger_are_chosen_by_their_conditions(path: str) -> None:
    """Two transitions for one trigger: the machine takes the first whose conditions hold."""
    from transitions.core import Condition

    d = definition(path)
    rt = Runtime(d)
    machine = rt.machine("item")
    (confirm,) = machine.get_transitions("confirm", source="reported")

    def false_alarm(event: Any) -> bool:
        return bool(event.kwargs["ctx"].note == "false alarm")
    confirm.conditions.append(Condition(false_alarm, target=False))
    machine.add_transition("confirm", "reported", "dismissed",
                           spec=confirm.spec)  # type: ignore[attr-defined]
    ctx, subject = _confirm_ctx(d, note="false alarm")
    assert rt.check(ctx, "confirm").dest == "dismissed"
    outcome = rt.fire(ctx, "confirm")
    assert outcome.ok and outcome.dest == subject.state == "dismissed"
    ctx, subject = _confirm_ctx(d, note="ok")
    assert rt.fire(ctx, "confirm").dest == subject.state == "confirmed"


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_actions_run_as_callbacks_of_the_machine(path: str) -> None:
    """Removing a transition's ``after`` callbacks from the machine removes its actions."""
    d = definition(path)
    rt = Runtime(d)
    rec = record(d, "confirmed", "in_progress")
    ctx = Context(d, SYSTEM, AS_OF, subject=rec.rectification, record=rec)
    assert rt.check(ctx, "submit").ok
    (branch,) = rt.machine("rectification").get_transitions("submit", source="in_progress")
    submit = d.machines["rectification"].transition("submit")
    assert submit is not None and submit.actions
    assert [getattr(f, "__name__", "") for f in branch.after] == [c.name for c in submit.actions]
    branch.after.clear()
    outcome = rt.fire(ctx, "submit")
    assert outcome.ok and outcome.changes == {} and rec.rectification.submitted_on is None


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_possible_triggers_come_from_the_machine(path: str) -> None:
    d = definition(path)
    rt = Runtime(d)
    for name, spec in d.machines.items():
        for state in spec.states:
            ctx = Context(d, SYSTEM, AS_OF, subject=SimpleNamespace(state=state.key), note="n",
                          follow_up=True)
            offered = [o.trigger for o in rt.possible(ctx, name)]
            assert offered == [t.trigger for t in spec.transitions if state.key in t.sources]
    # a transition added to the machine is offered, and fires
    name, spec = next(iter(d.machines.items()))
    dead_end = next((s.key for s in spec.states
                     if not any(s.key in t.sources for t in spec.transitions)), None)
    assert dead_end is not None
    first = spec.transitions[0]
    rt.machine(name).add_transition(first.trigger, dead_end, spec.initial, spec=first)
    ctx = Context(d, SYSTEM, AS_OF, subject=SimpleNamespace(state=dead_end), follow_up=True)
    assert [o.trigger for o in rt.possible(ctx, name)] == [first.trigger]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_trigger_from_the_wrong_state_is_refused_naming_the_state(path: str) -> None:
    d = definition(path)
    rec = record(d)
    outcome = fire(path, rec, "close")
    assert not outcome.ok
    (refusal,) = outcome.refusals
    assert refusal.by == "state"
    assert "'reported'" in refusal.reason and "confirmed" in refusal.reason
    assert rec.item.state == "reported"
    with pytest.raises(Refused, match="'close'.*refused.*'reported'"):
        outcome.raise_if_refused("X-1")


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_role_permissions(path: str) -> None:
    d = definition(path)
    rec = record(d)
    allowed = person(d, "confirm", unit_path=rec.unit_path)  # a unit head confirms its own
    assert fire(path, rec, "confirm", allowed).ok
    # a role that may not fire 'verify'
    lacking = next(r.key for r in d.roles.values() if "verify" not in r.triggers)
    rec = record(d, "confirmed", "submitted")
    outcome = fire(path, rec, "verify", Actor("clerk", frozenset({lacking}), {"unit_path": "/x"}))
    assert list(by(outcome)) == ["role"]
    reason = by(outcome)["role"]
    assert "'clerk'" in reason and role_for(d, "verify") in reason
    assert rec.rectification.state == "submitted"
    # no roles at all, or roles the definition does not know
    for actor in (Actor("nobody"), Actor("stranger", frozenset({"no-such-role"}))):
        assert "role" in by(fire(path, record(d), "confirm", actor))
    # consequences fired by the engine are not checked against roles
    rec = record(d, "confirmed", "verified")
    assert fire(path, rec, "close", Actor("nobody"), follow_up=True).ok


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_unknown_trigger_is_refused_with_a_suggestion(path: str) -> None:
    d = definition(path)
    rec = record(d)
    with pytest.raises(Refused) as info:
        runtime(path).fire(ctx_for(d, rec, "confirm"), "confrim")
    assert "unknown trigger 'confrim'" in info.value.message
    assert info.value.hint == "did you mean 'confirm'?"
    with pytest.raises(Refused) as info:
        runtime(path).check(ctx_for(d, rec, "confirm"), "zzzzzz")
    assert "known triggers" in (info.value.hint or "")
    assert rec.item.state == "reported"


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_every_refusal_is_collected(path: str) -> None:
    d = definition(path)
    rec = record(d, "closed", "verified")
    same_unit = Actor("insider", frozenset({role_for(d, "plan")}), {"unit_path": rec.unit_path})
    assert "reopen" not in d.roles[role_for(d, "plan")].triggers
    outcome = fire(path, rec, "reopen", same_unit)
    assert set(by(outcome)) == {"role", "note_required", "actor_not_in_unit"}
    assert rec.item.state == "closed"
    with pytest.raises(Refused) as info:
        outcome.raise_if_refused("X-1")
    assert all(str(r) in info.value.message for r in outcome.refusals)


# --------------------------------------------------------------------------- guards


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
@pytest.mark.parametrize("note, ok", [(None, False), ("", False), ("   \n", False), ("重复", True)])
def test_note_required(path: str, note: str | None, ok: bool) -> None:
    d = definition(path)
    rec = record(d)
    outcome = fire(path, rec, "dismiss", person(d, "dismiss"), note=note)
    assert outcome.ok is ok
    if not ok:
        assert "note" in by(outcome)["note_required"]
        assert rec.item.state == "reported"
    else:
        assert rec.item.state == "dismissed" and "cancel" in outcome.follow_ups


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
@pytest.mark.parametrize("actor_unit, ok", [
    ("/county/finance", False),  # the item's own unit
    ("/county/finance/office", False),  # under it
    ("/county/finance/office/desk", False),
    ("/county/financial", True),  # a sibling whose name merely starts the same
    ("/county", True),  # the unit above
    ("/county/supervision", True),
    ("", True),  # no unit known
])
def test_actor_not_in_unit(path: str, actor_unit: str, ok: bool) -> None:
    d = definition(path)
    rec = record(d, "confirmed", "submitted", unit_path="/county/finance")
    actor = person(d, "verify", unit_path=actor_unit)
    outcome = fire(path, rec, "verify", actor)
    assert outcome.ok is ok, outcome.refusals
    if not ok:
        assert list(by(outcome)) == ["actor_not_in_unit"]
        assert "'someone'" in by(outcome)["actor_not_in_unit"]
    # the system is never a member of a unit
    rec = record(d, "confirmed", "submitted", unit_path="/county/finance")
    assert fire(path, rec, "verify", Actor(SYSTEM_ACTOR, attrs={"unit_path": actor_unit})).ok


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_rectification_done(path: str) -> None:
    d = definition(path)
    actor = person(d, "verify")
    rec = record(d, "confirmed", "in_progress")
    outcome = fire(path, rec, "close", actor, follow_up=True)
    assert "'in_progress'" in by(outcome)["rectification_done"]
    assert rec.item.state == "confirmed"
    for done in sorted(d.machines["rectification"].done_states):
        rec = record(d, "confirmed", done)
        assert fire(path, rec, "close", actor, follow_up=True).ok
        assert rec.item.state == "closed"
    ctx = Context(d, actor, AS_OF, subject=ItemSubject("confirmed"), record=None, follow_up=True)
    outcome = runtime(path).check(ctx, "close")
    assert "no rectification" in by(outcome)["rectification_done"]


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_item_confirmed_before_planning(path: str) -> None:
    d = definition(path)
    rec = record(d)
    assert "confirm" in by(fire(path, rec, "plan"))["item_confirmed"]
    rec.item.state = "confirmed"
    assert fire(path, rec, "plan").ok and rec.rectification.state == "in_progress"


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_param_required_and_copy_param(path: str) -> None:
    d = definition(path)
    rec = record(d, "confirmed", "extension_requested")
    outcome = fire(path, rec, "approve-extension")
    assert "'deadline'" in by(outcome)["param_required(name=deadline)"]
    new = dt.date(2015, 10, 30)
    outcome = fire(path, rec, "approve-extension", params={"deadline": new})
    assert outcome.ok and includes(outcome.changes, {"deadline": new})
    assert rec.rectification.deadline == new and rec.rectification.state == "in_progress"


class Figures:
    """An in-memory stand-in for the store's statistics (engine.core.machines.Figures)."""

    def __init__(self, subjects: dict[str, list[tuple[str, str | None]]],
                 named: dict[str, int] | None = None) -> None:
        self.subjects = subjects  # machine -> [(state, stage)]
        self.named = named or {}

    def count(self, machine: str, states: frozenset[str] | None = None,
              stage: str | None = None) -> int:
        return sum(1 for state, st_key in self.subjects.get(machine, [])
                   if (states is None or state in states) and (stage is None or st_key == stage))

    def figure(self, name: str) -> int:
        return self.named[name]


def share_guard(machine: str, share: float, stage: bool = False) -> CallRef:
    params: tuple[tuple[str, Any], ...] = (("machine", machine), ("share", share))
    return CallRef("min_done_share", params + ((("stage", True),) if stage else ()))


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_min_done_share(path: str) -> None:
    d = definition(path)
    rt = runtime(path)
    done = sorted(d.machines["item"].done_states)[0]
    nine_of_ten = Figures({"item": [(done, "a")] * 9 + [("confirmed", "b")]})
    ctx = Context(d, SYSTEM, AS_OF, figures=nine_of_ten)
    assert rt.run_guards(ctx, (share_guard("item", 0.9),)) == []
    (refusal,) = rt.run_guards(ctx, (share_guard("item", 0.95),))
    assert isinstance(refusal, Refusal) and refusal.by.startswith("min_done_share(")
    assert "9 of 10" in refusal.reason and "95%" in refusal.reason
    # counted within the stage only
    ctx.stage = next(s for s in d.stages)
    by_stage = Figures({"item": [(done, ctx.stage.key), ("confirmed", ctx.stage.key),
                                 (done, "other"), (done, "other")]})
    ctx.figures = by_stage
    assert rt.run_guards(ctx, (share_guard("item", 0.6),)) == []
    (refusal,) = rt.run_guards(ctx, (share_guard("item", 0.6, stage=True),))
    assert "1 of 2" in refusal.reason
    # nothing to count, or no statistics at all: no objection
    ctx.figures = Figures({})
    assert rt.run_guards(ctx, (share_guard("item", 1.0),)) == []
    ctx.figures = None
    assert rt.run_guards(ctx, (share_guard("item", 1.0),)) == []


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_stage_exit_guards_as_written(path: str) -> None:
    """The stage gates a definition writes refuse with reasons on the figures they are given."""
    d = definition(path)
    rt = runtime(path)
    run = SimpleNamespace(start_date=dt.date(2015, 7, 1))
    for stage in d.stages:
        if not stage.exit:
            continue
        _, end = stage.window(run.start_date)
        ctx = Context(d, SYSTEM, end, stage=stage, run=run,
                      figures=Figures({m: [("nowhere", None)] for m in d.machines},
                                      {"open_not_long_term": 3,
                                       "categories_without_mechanism": 2}))
        refusals = rt.run_guards(ctx, stage.exit)
        assert len(refusals) == len(stage.exit), (stage.key, refusals)
        assert all(r.reason for r in refusals)
        done = {m: [(sorted(spec.done_states)[0], None)] for m, spec in d.machines.items()}
        ctx = Context(d, SYSTEM, end + dt.timedelta(days=1), stage=stage, run=run,
                      figures=Figures(done, {"open_not_long_term": 0,
                                             "categories_without_mechanism": 0}))
        assert rt.run_guards(ctx, stage.exit) == []


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_stage_window_guards(path: str) -> None:
    d = definition(path)
    rt = runtime(path)
    run = SimpleNamespace(start_date=dt.date(2015, 7, 1))
    stage = d.stages[-1]
    start, end = stage.window(run.start_date)
    opens = (CallRef("within_stage_window"),)
    closes = (CallRef("window_ended"),)
    before = Context(d, SYSTEM, start - dt.timedelta(days=1), stage=stage, run=run)
    (refusal,) = rt.run_guards(before, opens)
    assert str(start) in refusal.reason and stage.key in refusal.reason
    assert rt.run_guards(Context(d, SYSTEM, start, stage=stage, run=run), opens) == []
    (refusal,) = rt.run_guards(Context(d, SYSTEM, end, stage=stage, run=run), closes)
    assert str(end) in refusal.reason
    after = Context(d, SYSTEM, end + dt.timedelta(days=1), stage=stage, run=run)
    assert rt.run_guards(after, closes) == []


# --------------------------------------------------------------------------- actions


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_actions_record_changes_and_follow_ups(path: str) -> None:
    d = definition(path)
    rec = record(d, "confirmed", "in_progress")
    submitted = fire(path, rec, "submit", as_of=dt.date(2015, 9, 1))
    assert includes(submitted.changes, {"submitted_on": dt.date(2015, 9, 1)})
    assert rec.rectification.submitted_on == dt.date(2015, 9, 1)
    # verifying stamps the date and fires 'close' on the item
    steps = fire_all(path, rec, "verify", person(d, "verify"))
    assert [s.trigger for s in steps][:2] == ["verify", "close"]
    assert all(s.ok for s in steps)
    assert includes(steps[0].changes, {"completed_on": AS_OF}) and "close" in steps[0].follow_ups
    assert includes(steps[1].changes, {"closed_on": AS_OF}) and steps[1].machine == "item"
    assert (rec.item.state, rec.rectification.state) == ("closed", "verified")
    assert rec.item.closed_on == AS_OF and rec.rectification.completed_on == AS_OF
    # reopening counts, clears the closing date and puts the rectification back to work
    steps = fire_all(path, rec, "reopen", person(d, "reopen"), note="回头看发现反弹")
    assert [s.trigger for s in steps][:2] == ["reopen", "rework"] and all(s.ok for s in steps)
    assert includes(steps[0].changes, {"reopen_count": 1, "closed_on": None})
    assert includes(steps[1].changes, {"completed_on": None})
    assert (rec.item.state, rec.rectification.state) == ("confirmed", "in_progress")
    assert rec.item.reopen_count == 1 and rec.item.closed_on is None
    # a return increments its counter each time
    for count in (1, 2):
        assert fire(path, rec, "submit").ok
        returned = fire(path, rec, "return", person(d, "return"), note="不达标")
        assert includes(returned.changes, {"returns": count}) and rec.rectification.returns == count


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_changes_are_recorded_even_for_subjects_without_the_field(path: str) -> None:
    d = definition(path)
    subject = SimpleNamespace(state="in_progress")
    rec = record(d, "confirmed", "in_progress")
    ctx = Context(d, SYSTEM, AS_OF, subject=subject, record=rec)
    outcome = runtime(path).fire(ctx, "submit")
    assert includes(outcome.changes, {"submitted_on": AS_OF})
    assert not hasattr(subject, "submitted_on")


@pytest.mark.parametrize("path", STANDARD, ids=STANDARD_IDS)
def test_dismissing_cancels_the_rectification(path: str) -> None:
    d = definition(path)
    rec = record(d)
    steps = fire_all(path, rec, "dismiss", person(d, "dismiss"), note="不属实")
    assert [s.trigger for s in steps][:2] == ["dismiss", "cancel"] and all(s.ok for s in steps)
    assert (rec.item.state, rec.rectification.state) == ("dismissed", "cancelled")


# --------------------------------------------------------------------------- random walks


def _permissive(d: Definition) -> Actor:
    return Actor("auditor", frozenset(d.roles), {"unit_path": "/elsewhere"})


def _params(d: Definition) -> dict[str, Any]:
    names = {call.kwargs["name"] for m in d.machines.values() for t in m.transitions
             for call in t.guards if call.name == "param_required"}
    return {name: dt.date(2015, 12, 31) for name in names}


def _fresh(d: Definition) -> Record:
    return record(d) if {"item", "rectification"} <= set(d.machines) else Record(
        "/county/finance", ItemSubject(""), RectSubject(""),
        {n: SimpleNamespace(state=m.initial) for n, m in d.machines.items()})


def _states(d: Definition, rec: Record) -> dict[str, str]:
    return {name: rec.subject(name).state for name in d.machines}


class RandomWalk(RuleBasedStateMachine):
    """Random triggers by a permissive person or the system, notes always given."""

    @initialize(path=st.sampled_from(DEFINITIONS))
    def start(self, path: str) -> None:
        self.path = path
        self.d = definition(path)
        self.rt = runtime(path)
        self.machines = {name: self.rt.machine(name) for name in self.d.machines}
        self.rec = _fresh(self.d)
        self.history: list[tuple[str, bool, str]] = []  # (trigger, follow-up, actor key)
        self.triggers = sorted(t.trigger for m in self.d.machines.values() for t in m.transitions)
        self.actors = {SYSTEM.key: SYSTEM, "auditor": _permissive(self.d)}
        self.params = _params(self.d)

    def _fire(self, trigger: str, actor: Actor, follow_up: bool) -> Outcome:
        machine = self.d.machine_of(trigger)
        assert machine is not None
        ctx = Context(self.d, actor, AS_OF, subject=self.rec.subject(machine.name),
                      record=self.rec, note="理由", params=self.params, follow_up=follow_up)
        return self.rt.fire(ctx, trigger)

    @rule(data=st.data(), system=st.booleans())
    def fire_one(self, data: st.DataObject, system: bool) -> None:
        enabled = [t for t in self.triggers if self.rec.subject(self.d.machine_of(t).name).state
                   in self.d.machine_of(t).transition(t).sources]
        pool = data.draw(st.sampled_from([enabled or self.triggers, self.triggers]), label="pool")
        trigger = data.draw(st.sampled_from(pool), label="trigger")
        actor = SYSTEM if system else self.actors["auditor"]
        before = _states(self.d, self.rec)
        queue = [(trigger, False)]
        while queue:
            name, follow = queue.pop(0)
            outcome = self._fire(name, actor, follow)
            if not outcome.ok:
                assert all(r.reason for r in outcome.refusals)
                if not follow:
                    assert _states(self.d, self.rec) == before, "a refusal moves nothing"
                continue
            self.history.append((name, follow, actor.key))
            queue.extend((f, True) for f in outcome.follow_ups)

    @invariant()
    def only_declared_states(self) -> None:
        for name, spec in self.d.machines.items():
            assert self.rec.subject(name).state in {s.key for s in spec.states}

    @invariant()
    def machines_stay_shared_and_model_less(self) -> None:
        for name, machine in self.machines.items():
            assert self.rt.machine(name) is machine
            assert machine.models == []

    @invariant()
    def replaying_the_history_gives_the_same_states(self) -> None:
        rec = _fresh(self.d)
        saved, self.rec = self.rec, rec
        try:
            for trigger, follow, actor in self.history:
                assert self._fire(trigger, self.actors[actor], follow).ok, trigger
        finally:
            self.rec = saved
        assert _states(self.d, rec) == _states(self.d, self.rec)
        assert (rec.item, rec.rectification) == (self.rec.item, self.rec.rectification)


RandomWalk.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
TestRandomWalk = RandomWalk.TestCase

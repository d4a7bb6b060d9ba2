"""engine.core.explain: which steps are automatic and what fires them; guard titles in words."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.core.explain import Cause, Firing, firings, guard_title
from engine.core.loader import load
from engine.core.plugins import GuardDef
from engine.core.registry import Registry, default_registry
from engine.core.spec import CallRef

ROOT = Path(__file__).resolve().parent.parent
WGBW = ROOT / "definitions" / "wgbw-2015.yaml"
ZUOFENG = ROOT / "definitions" / "zuofeng-2009.yaml"


def test_steps_fired_by_actions_and_no_role_are_automatic() -> None:
    found = firings(load(str(WGBW)))
    assert str(found["close"]) == "automatic, when 'verify' fires"
    assert str(found["cancel"]) == "automatic, when 'dismiss' or 'merge' fires"
    assert str(found["rework"]) == "automatic, when 'reopen' fires"
    assert found["verify"] == Firing((), by_hand=True) and str(found["verify"]) == ""
    assert {t for t, f in found.items() if f.automatic} == {"close", "cancel", "rework"}


def test_a_timer_step_names_its_wait_and_its_timer() -> None:
    deemed = firings(load(str(ZUOFENG)))["deem-approved"]
    assert deemed.automatic
    assert str(deemed) == ("automatic, 5 working days in extension_requested "
                           "(timer silence-is-consent)")


def test_a_step_a_role_also_fires_is_not_automatic() -> None:
    definition = load(str(WGBW))
    roles = dict(definition.roles)
    head = roles["unit-head"]
    roles["unit-head"] = dataclasses.replace(head, triggers=head.triggers | {"close"})
    found = firings(dataclasses.replace(definition, roles=roles))
    assert not found["close"].automatic
    assert str(found["close"]) == "also automatic, when 'verify' fires"
    # without roles anyone may fire anything: nothing is only automatic
    assert not any(f.automatic for f in firings(dataclasses.replace(definition, roles={})).values())


def test_a_deadline_timer_says_past_the_deadline() -> None:
    timer = load(str(ZUOFENG)).timers[0]
    cause = Cause(timer=dataclasses.replace(timer, state=None, from_deadline=True))
    assert str(cause) == "5 working days past the deadline (timer silence-is-consent)"


def test_guard_titles_fill_in_parameters_and_fall_back_to_the_call() -> None:
    registry = default_registry()
    assert guard_title(registry, CallRef("note_required")) == "需填写说明"
    assert guard_title(registry, CallRef("param_required", (("name", "deadline"),))) == \
        "需提供参数 deadline"
    assert guard_title(registry, CallRef("min_done_share", (("machine", "item"), ("share", 0.9)))) \
        == "item完成比例不低于 90%"
    bare = Registry()
    bare.add_guards([GuardDef("plain", lambda ctx: None, "no title"),
                     GuardDef("odd", lambda ctx: None, "a field it lacks", title="需 {missing}")])
    assert guard_title(bare, CallRef("plain", (("n", 2),))) == "plain(n=2)"
    assert guard_title(bare, CallRef("odd")) == "需 {missing}"
    assert guard_title(bare, CallRef("unknown")) == "unknown"

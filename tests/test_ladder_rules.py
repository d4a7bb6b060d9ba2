"""Where the ladder applies, and the new deadline of work that starts again (return, 回头看).

Seed 001's definition (wgbw-2015) on real SQLite files through the CLI.  Dates are worked out by
hand on the 2015-2016 calendar: 1-7 October 2015 and 1-3 January 2016 are holidays.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from clock_fixtures import WGBW, Rectify, add_planned, setup_campaign, tick_daily

from engine.core.errors import DefinitionInvalid
from engine.core.loader import loads


@pytest.fixture
def r(tmp_path: os.PathLike[str]) -> Rectify:
    rectify = Rectify(os.path.join(str(tmp_path), "ladder.db"))
    setup_campaign(rectify)
    return rectify


def _add(r: Rectify, found: str, deadline: str) -> str:
    return r.ok("item", "add", "wgbw-2015", "--title", "群众举报：窗口推诿", "--unit", "fin",
                "--category", "passive-attitude", "--source", "public-report", "--deadline",
                deadline, "--actor", "sup", "--as-of", found).strip().splitlines()[-1]


def test_reports_awaiting_confirmation_never_escalate(r: Rectify) -> None:
    waiting = _add(r, "2015-08-03", "2015-08-31")  # 待核实 with a deadline
    confirmed = _add(r, "2015-08-03", "2015-08-31")
    r.ok("item", "advance", "confirm", confirmed, "--actor", "sup", "--as-of", "2015-08-04")
    tick_daily(r, "2015-08-03", "2015-12-31")
    assert r.notices() == []  # neither the unconfirmed report nor the unplanned rectification
    for code, state in ((waiting, "reported"), (confirmed, "confirmed")):
        detail = r.json("item", "show", code, "--as-of", "2015-12-31")
        assert (detail["state"], detail["rectification"], detail["escalation"]) == \
            (state, "pending", "")
    # once under way the ladder applies: planned with a deadline of 2016-01-13
    r.ok("item", "rectify", confirmed, "--measures", "限时办结", "--deadline", "2016-01-13",
         "--actor", "boss", "--as-of", "2015-12-31")
    r.ok("tick", "wgbw-2015", "--as-of", "2016-01-08")
    assert r.notices() == [("2016-01-08", "reminder", confirmed, "2016-01-13", "0", "")]


def test_reopening_starts_the_ladder_again_from_the_new_deadline(r: Rectify) -> None:
    """回头看 months after the deadline: no same-day 提醒 and 督办, no days overdue from 2015."""
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("item", "advance", "submit", code, "--actor", "boss", "--as-of", "2015-09-10")
    r.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-09-14")
    tick_daily(r, "2015-09-14", "2015-12-14")
    r.ok("item", "advance", "reopen", code, "--note", "回头看发现问题反弹", "--actor", "sup",
         "--as-of", "2015-12-15")
    # no --deadline: deadlines.after_reopen, 20 working days from 12-15 (Dec 16-18, 21-25,
    # 28-31, Jan 4-8, 11-13; 1 January is a holiday)
    detail = r.json("item", "show", code)
    assert (detail["rectification"], detail["deadline"], detail["original_deadline"],
            detail["escalation"]) == ("in_progress", "2016-01-13", "2015-09-30", "")
    tick_daily(r, "2015-12-15", "2016-01-14")
    # 提醒 3 working days before 01-13 (12, 11, 8); 督办 on 01-14, 1 day overdue, new deadline
    # 10 working days later (15, 18-22, 25-28)
    assert r.notices() == [("2016-01-08", "reminder", code, "2016-01-13", "0", ""),
                           ("2016-01-14", "supervision", code, "2016-01-13", "1", "2016-01-28")]


def test_reopening_takes_the_deadline_given(r: Rectify) -> None:
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("item", "advance", "submit", code, "--actor", "boss", "--as-of", "2015-09-10")
    r.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-09-14")
    out = r.fails(1, "item", "advance", "reopen", code, "--note", "回头看", "--deadline",
                  "2015-12-01", "--actor", "sup", "--as-of", "2015-12-15")
    assert "'deadline' 2015-12-01 is before the business date 2015-12-15" in out
    r.ok("item", "advance", "reopen", code, "--note", "回头看", "--deadline", "2016-01-29",
         "--actor", "sup", "--as-of", "2015-12-15")
    assert r.json("item", "show", code)["deadline"] == "2016-01-29"
    r.ok("tick", "wgbw-2015", "--as-of", "2016-01-29")
    # the only step: 提醒 3 working days before 01-29 (28, 27, 26)
    assert r.notices() == [("2016-01-26", "reminder", code, "2016-01-29", "0", "")]


def test_returning_takes_the_deadline_given(r: Rectify) -> None:
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("item", "advance", "submit", code, "--actor", "boss", "--as-of", "2015-09-21")
    r.ok("item", "advance", "return", code, "--note", "佐证材料不全", "--deadline", "2015-10-30",
         "--actor", "sup", "--as-of", "2015-10-12")
    tick_daily(r, "2015-10-12", "2015-10-31")
    # 提醒 3 working days before 10-30 (29, 28, 27); 督办 the day after
    assert [(n[0], n[1], n[3]) for n in r.notices()] == [
        ("2015-10-27", "reminder", "2015-10-30"), ("2015-10-31", "supervision", "2015-10-30")]


def _without_limits(tmp_path: Path) -> str:
    text = Path(WGBW).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith(("  after_return:",
                                                                  "  after_reopen:"))]
    path = tmp_path / "no-limits.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_without_a_default_reopening_and_returning_need_a_deadline(tmp_path: Path) -> None:
    r = Rectify(str(tmp_path / "nolimits.db"))
    setup_campaign(r, _without_limits(tmp_path))
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("item", "advance", "submit", code, "--actor", "boss", "--as-of", "2015-09-21")
    before = r.snapshot()
    out = r.fails(1, "item", "advance", "return", code, "--note", "佐证材料不全", "--actor", "sup",
                  "--as-of", "2015-10-12")
    assert "a new deadline is required: give --deadline, or set deadlines.after_return" in out
    assert r.snapshot() == before  # refused: nothing changed
    r.ok("item", "advance", "return", code, "--note", "佐证材料不全", "--deadline", "2015-10-30",
         "--actor", "sup", "--as-of", "2015-10-12")
    r.ok("item", "advance", "submit", code, "--actor", "boss", "--as-of", "2015-10-20")
    r.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-10-21")
    out = r.fails(1, "item", "advance", "reopen", code, "--note", "回头看", "--actor", "sup",
                  "--as-of", "2015-12-15")
    assert "set deadlines.after_reopen" in out


# -- the definition ---------------------------------------------------------------------------


def _wgbw(replace: str = "", by: str = "") -> str:
    text = Path(WGBW).read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by)


def test_the_standard_lifecycle_climbs_only_in_progress_by_default() -> None:
    d = loads(_wgbw("  applies_in: [in_progress]\n", ""))
    assert d.ladder is not None and d.ladder.applies_in == frozenset({"in_progress"})
    own = loads(_wgbw("applies_in: [in_progress]", "applies_in: [in_progress, pending]"))
    assert own.ladder is not None and own.ladder.applies_in == frozenset({"in_progress", "pending"})


def test_a_state_where_the_ladder_both_climbs_and_waits_is_refused() -> None:
    with pytest.raises(DefinitionInvalid) as err:
        loads(_wgbw("applies_in: [in_progress]", "applies_in: [in_progress, submitted, verifed]"))
    found = {(p.code, p.message) for p in err.value.problems}
    assert ("ladder-states-overlap", "the ladder cannot both climb and wait in 'submitted' "
            "(applies_in and hold_states)") in found
    assert any(code == "unknown-state" and "verifed" in msg for code, msg in found)


def test_a_limit_no_transition_uses_is_refused() -> None:
    with pytest.raises(DefinitionInvalid) as err:
        loads(_wgbw("  after_return:", "  after_retrun:"))
    (problem,) = err.value.problems
    assert (problem.code, problem.message) == ("unused-limit",
                                               "no transition defaults to limit 'after_retrun'")
    assert "after_return" in (problem.hint or "")

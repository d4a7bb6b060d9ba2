"""``rectify tick``: the ladder on hand-computed 2015 dates, holds, extensions, timers, stages, errors.

Dates are worked out by hand on the 2015 calendar: 26-27 September is a weekend, 1-7 October the
National Day holiday, Saturday 10 October a working day in exchange (调休).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clock_fixtures import WGBW, ZUOFENG, Rectify, add_planned, setup_campaign, tick_daily


@pytest.fixture
def r(tmp_path: os.PathLike[str]) -> Rectify:
    rectify = Rectify(os.path.join(str(tmp_path), "clock.db"))
    setup_campaign(rectify)
    return rectify


# The ladder for one rectification planned with deadline 2015-09-30 (seed 001's levels):
# 提醒 3 working days before: 29th, 28th, (26-27 weekend) 25th  -> 2015-09-25
# 督办 1 calendar day after, a holiday                          -> 2015-10-01, new deadline
#      10 working days from 10-01: 8, 9, 10 (Sat), 12-16, 19, 20  -> 2015-10-20
# 通报 10 working days after the new deadline: Oct 21-23, 26-30, Nov 2, 3 -> 2015-11-03
# 问责 30 working days after it: 8 in October, 21 in November (2-30), Dec 1 -> 2015-12-01
LADDER = [
    ("2015-09-25", "reminder", "2015-09-30", "0", ""),
    ("2015-10-01", "supervision", "2015-09-30", "1", "2015-10-20"),
    ("2015-11-03", "circular", "2015-10-20", "14", ""),
    ("2015-12-01", "accountability", "2015-10-20", "42", ""),
]


def test_notices_on_the_expected_dates(r: Rectify) -> None:
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    tick_daily(r, "2015-09-01", "2015-12-31")
    assert r.notices() == [(d, level, code, dl, late, new) for d, level, dl, late, new in LADDER]
    detail = r.json("item", "show", code, "--as-of", "2015-12-31")
    assert (detail["deadline"], detail["original_deadline"], detail["escalation"]) == \
        ("2015-10-20", "2015-09-30", "accountability")
    clock = [h for h in detail["history"] if h["actor"] == "system"]
    assert [(h["date"], h["rule"], h["trigger"], h["from"], h["to"]) for h in clock] == [
        (d, f"escalation.{level}", "escalate", "in_progress", "in_progress") for d, level, *_ in LADDER]
    listed = r.json("item", "list", "wgbw-2015", "--escalation", "accountability")
    assert [row["code"] for row in listed] == [code]
    assert listed[0]["escalation"] == "accountability"
    (payload,) = r.sql("SELECT payload FROM events WHERE rule = 'escalation.supervision'")[0]
    assert json.loads(payload) == {"level": "supervision", "from_level": "reminder",
                                   "new_deadline": "2015-10-20"}


def test_the_day_before_each_step_nothing_happens(r: Rectify) -> None:
    add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("tick", "wgbw-2015", "--as-of", "2015-09-24")
    assert r.notices() == []
    for (day, *_), before in zip(LADDER, ("2015-09-24", "2015-09-30", "2015-11-02", "2015-11-30"),
                                 strict=True):
        r.ok("tick", "wgbw-2015", "--as-of", before)
        count = len(r.notices())
        r.ok("tick", "wgbw-2015", "--as-of", day)
        assert len(r.notices()) == count + 1


def test_catching_up_in_one_tick_equals_ticking_daily(tmp_path: os.PathLike[str]) -> None:
    daily, once = (Rectify(os.path.join(str(tmp_path), f"{n}.db")) for n in ("daily", "once"))
    for rectify in (daily, once):
        setup_campaign(rectify)
        add_planned(rectify, "wgbw-2015", "2015-08-03", "2015-09-30")
        add_planned(rectify, "wgbw-2015", "2015-08-03", "2015-10-30", title="作风漂浮", unit="tax",
                    head="taxboss")
    tick_daily(daily, "2015-07-01", "2015-12-31")
    out = once.ok("tick", "wgbw-2015", "--as-of", "2015-12-31")
    assert "2015-07-01 .. 2015-12-31" in out
    assert once.clock_events() == daily.clock_events()
    assert once.notices() == daily.notices()
    # in order: the log's business dates never go back
    dates = [d for d, *_ in once.clock_events()]
    assert dates == sorted(dates) and dates[0] == "2015-08-01"  # stages opened first


def test_ticking_twice_changes_nothing(r: Rectify) -> None:
    add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    first = r.json("tick", "wgbw-2015", "--as-of", "2015-10-15")
    assert first["changes"] == 6  # two stages open, two close after their windows, 提醒, 督办
    before = r.snapshot()
    again = r.json("tick", "wgbw-2015", "--as-of", "2015-10-15")
    assert again["changes"] == 0 and again["steps"] == []
    assert r.snapshot() == before
    assert "nothing due" in r.ok("tick", "wgbw-2015", "--as-of", "2015-10-15")


def test_dry_run_reports_and_writes_nothing(r: Rectify) -> None:
    add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    before = r.snapshot()
    dry = r.json("tick", "wgbw-2015", "--as-of", "2015-11-03", "--dry-run")
    assert r.snapshot() == before
    text = r.ok("tick", "wgbw-2015", "--as-of", "2015-11-03", "--dry-run")
    assert "dry run: nothing written" in text and "would change 7" in text
    real = r.json("tick", "wgbw-2015", "--as-of", "2015-11-03")
    assert {k: v for k, v in dry.items() if k != "dry_run"} == \
        {k: v for k, v in real.items() if k != "dry_run"}
    assert [(s["date"], s["rule"]) for s in real["steps"]] == [
        ("2015-08-01", "stages.mobilize"), ("2015-08-01", "stages.self-inspect"),
        ("2015-08-01", "stages.supervise"), ("2015-09-01", "stages.self-inspect"),
        ("2015-09-25", "escalation.reminder"), ("2015-10-01", "escalation.supervision"),
        ("2015-11-03", "escalation.circular")]
    assert real["steps"][5]["new_deadline"] == "2015-10-20"


def test_completing_stops_the_ladder(r: Rectify) -> None:
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    tick_daily(r, "2015-09-25", "2015-10-08")
    r.ok("item", "advance", "submit", code, "--actor", "boss", "--as-of", "2015-10-09")
    r.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-10-12")
    r.ok("tick", "wgbw-2015", "--as-of", "2015-12-31")
    assert [n[1] for n in r.notices()] == ["reminder", "supervision"]


def test_hold_pauses_and_a_return_restarts_from_the_new_deadline(r: Rectify) -> None:
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("item", "advance", "submit", code, "--actor", "boss", "--as-of", "2015-09-21")
    tick_daily(r, "2015-09-21", "2015-10-09")
    assert r.notices() == []  # waiting for verification: the ladder holds
    r.ok("item", "advance", "return", code, "--note", "佐证材料不全", "--actor", "sup",
         "--as-of", "2015-10-12")
    # returned without --deadline: deadlines.after_return, 10 working days from 10-12 (13-16,
    # 19-23, 26); the ladder starts again from it, so nothing is due on the day of the return
    detail = r.json("item", "show", code)
    assert (detail["deadline"], detail["original_deadline"], detail["escalation"]) == \
        ("2015-10-26", "2015-09-30", "")
    tick_daily(r, "2015-10-12", "2015-10-27")
    # 提醒 3 working days before 10-26 (23, 22, 21); 督办 on 10-27, 1 day overdue, new deadline
    # 10 working days later (28-30, Nov 2-6, 9, 10)
    assert r.notices() == [("2015-10-21", "reminder", code, "2015-10-26", "0", ""),
                           ("2015-10-27", "supervision", code, "2015-10-26", "1", "2015-11-10")]


def test_extension_approved_restarts_the_ladder_from_the_new_deadline(r: Rectify) -> None:
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    tick_daily(r, "2015-09-24", "2015-09-25")
    r.ok("item", "advance", "request-extension", code, "--note", "涉及多部门协调，需延期一个月",
         "--actor", "boss", "--as-of", "2015-09-28")
    tick_daily(r, "2015-09-28", "2015-10-07")
    assert [n[1] for n in r.notices()] == ["reminder"]  # no 督办 while the request waits
    r.ok("item", "advance", "approve-extension", code, "--deadline", "2015-10-30", "--actor", "lead",
         "--as-of", "2015-10-08")
    detail = r.json("item", "show", code)
    assert (detail["deadline"], detail["original_deadline"], detail["escalation"]) == \
        ("2015-10-30", "2015-09-30", "")
    tick_daily(r, "2015-10-08", "2015-11-16")
    # 提醒 3 working days before 10-30 (29, 28, 27); 督办 10-31, new deadline 10 working days
    # later (Nov 2-6, 9-13)
    assert r.notices() == [
        ("2015-09-25", "reminder", code, "2015-09-30", "0", ""),
        ("2015-10-27", "reminder", code, "2015-10-30", "0", ""),
        ("2015-10-31", "supervision", code, "2015-10-30", "1", "2015-11-13")]
    triggers = [h["trigger"] for h in r.json("item", "show", code)["history"]]
    assert triggers.count("request-extension") == triggers.count("approve-extension") == 1


def test_extension_refused_resumes_the_ladder(r: Rectify) -> None:
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("item", "advance", "request-extension", code, "--note", "需要延期", "--actor", "boss",
         "--as-of", "2015-09-22")
    tick_daily(r, "2015-09-22", "2015-10-07")
    assert r.notices() == []
    r.ok("item", "advance", "refuse-extension", code, "--note", "理由不充分", "--actor", "sup",
         "--as-of", "2015-10-08")
    r.ok("tick", "wgbw-2015", "--as-of", "2015-10-08")
    # 10 working days from 10-08: 9, 10 (Sat), 12-16, 19-21
    assert [n[1:2] + n[5:] for n in r.notices()] == [("reminder", ""), ("supervision", "2015-10-21")]
    assert r.json("item", "show", code)["deadline"] == "2015-10-21"


def test_silence_is_consent_timer(tmp_path: os.PathLike[str]) -> None:
    """zuofeng-2009's 限时办结、超时默许: an unanswered request is deemed approved after 5 working
    days, with the deadline it asked for; the ladder starts again from that deadline."""
    r = Rectify(os.path.join(str(tmp_path), "zf.db"))
    setup_campaign(r, ZUOFENG, "2009-02-01")
    code = add_planned(r, "zuofeng-2009", "2009-05-04", "2009-06-30")
    out = r.fails(1, "item", "advance", "request-extension", code, "--note", "需补充材料",
                  "--actor", "boss", "--as-of", "2009-06-22")
    assert "'deadline' is required" in out  # the deadline asked for is what silence grants
    r.ok("item", "advance", "request-extension", code, "--note", "需补充材料", "--deadline",
         "2009-07-31", "--actor", "boss", "--as-of", "2009-06-22")
    tick_daily(r, "2009-06-22", "2009-06-26", "zuofeng-2009")
    assert r.json("item", "show", code)["rectification"] == "extension_requested"
    r.ok("tick", "zuofeng-2009", "--as-of", "2009-06-29")  # 23-26 and 29: five working days
    detail = r.json("item", "show", code)
    assert (detail["rectification"], detail["deadline"], detail["original_deadline"],
            detail["escalation"]) == ("in_progress", "2009-07-31", "2009-06-30", "")
    clock = [(h["date"], h["trigger"], h["from"], h["to"], h["actor"], h["rule"])
             for h in detail["history"] if h["actor"] == "system"]
    # deemed approved, as the timer's rule and trigger say; nothing else is due: the reminder
    # against the old deadline (06-25) is not sent, the ladder counts from 07-31
    assert clock == [("2009-06-29", "deem-approved", "extension_requested", "in_progress", "system",
                      "timers.silence-is-consent")]
    (payload,) = r.sql("SELECT payload FROM events WHERE \"trigger\" = 'deem-approved'")[0]
    assert json.loads(payload) == {"deadline": "2009-07-31", "level_base": "2009-07-31",
                                   "level": None}
    tick_daily(r, "2009-06-29", "2009-08-01", "zuofeng-2009")
    # 提醒 3 working days before 07-31 (30, 29, 28); 督办 08-01, new deadline 10 working days
    # later (Aug 3-7, 10-14)
    assert r.notices("zuofeng-2009") == [
        ("2009-07-28", "reminder", code, "2009-07-31", "0", ""),
        ("2009-08-01", "supervision", code, "2009-07-31", "1", "2009-08-14")]


def _with_timers(tmp_path: os.PathLike[str], extra: str) -> str:
    with open(WGBW, encoding="utf-8") as fh:
        text = fh.read()
    path = os.path.join(str(tmp_path), "wgbw-timers.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text + extra)
    return path


def test_timer_with_guards_fires_through_the_machine(tmp_path: os.PathLike[str]) -> None:
    """A timer on a guarded transition loads only its due rows and runs their guards."""
    definition = _with_timers(tmp_path, """
timers:
  - key: silence-is-refusal
    machine: rectification
    state: extension_requested
    after: 3 working days
    trigger: refuse-extension
  - key: lapse
    machine: rectification
    from: deadline
    after: 20 working days
    trigger: defer
""")
    r = Rectify(os.path.join(str(tmp_path), "t.db"))
    setup_campaign(r, definition)
    asked = add_planned(r, "wgbw-2015", "2015-08-03", "2015-12-31")
    late = add_planned(r, "wgbw-2015", "2015-08-03", "2015-08-20", title="作风漂浮")
    r.ok("item", "advance", "request-extension", asked, "--note", "需要延期", "--actor", "boss",
         "--as-of", "2015-09-01")
    out = r.ok("tick", "wgbw-2015", "--as-of", "2015-10-12")
    history = r.json("item", "show", asked)["history"]
    refused = [h for h in history if h["rule"] == "timers.silence-is-refusal"]
    # 3 working days from 09-01: the 2nd, then (3-4 September were holidays for the victory
    # anniversary) Sunday the 6th, worked in exchange, and Monday the 7th
    assert [(h["date"], h["trigger"], h["to"], h["actor"]) for h in refused] == [
        ("2015-09-07", "refuse-extension", "in_progress", "system")]
    # 'late' got a new deadline from its 督办 (2015-09-07), 20 working days past on 10-10; but
    # 'defer' needs a note the clock cannot give: refused, reported, nothing written
    assert "not done: timers.lapse:" in out and "a reason is required" in out
    assert r.json("item", "show", late)["rectification"] == "in_progress"


def test_stages_open_when_their_window_begins(r: Rectify) -> None:
    r.ok("tick", "wgbw-2015", "--as-of", "2015-07-31")
    stages = {s["key"]: s["state"] for s in r.json("campaign", "status", "wgbw-2015")["stages"]}
    assert stages == {"mobilize": "open", "self-inspect": "pending", "supervise": "pending",
                      "institutionalize": "pending"}
    r.ok("tick", "wgbw-2015", "--as-of", "2015-08-01")
    status = r.json("campaign", "status", "wgbw-2015", "--as-of", "2015-08-01")
    assert [s["state"] for s in status["stages"]] == ["closed", "open", "open", "pending"]
    rows = r.sql("SELECT payload, actor, rule, business_date FROM events WHERE machine = 'stage' "
                 "ORDER BY id")
    assert [(json.loads(p), *rest) for p, *rest in rows] == [
        ({"stage": "mobilize"}, "system", "stages.mobilize", "2015-08-01"),
        ({"stage": "self-inspect"}, "system", "stages.self-inspect", "2015-08-01"),
        ({"stage": "supervise"}, "system", "stages.supervise", "2015-08-01")]


def test_self_inspection_closes_early_only_by_force_of_an_authorised_actor(r: Rectify) -> None:
    r.ok("tick", "wgbw-2015", "--as-of", "2015-08-14")
    out = r.fails(1, "campaign", "advance", "wgbw-2015", "--to", "institutionalize",
                  "--actor", "lead", "--as-of", "2015-08-15")
    assert "stage 'self-inspect' window is open until 2015-08-31" in out
    out = r.fails(1, "campaign", "advance", "wgbw-2015", "--to", "institutionalize", "--force",
                  "--actor", "sup", "--as-of", "2015-08-15")
    assert "may not force" in out
    out = r.ok("campaign", "advance", "wgbw-2015", "--to", "institutionalize", "--force",
               "--actor", "lead", "--as-of", "2015-08-15")
    assert "[forced]" in out
    payloads = [json.loads(x) for (x,) in r.sql(
        "SELECT payload FROM events WHERE machine = 'stage' AND \"trigger\" = 'close' AND actor = 'lead'")]
    closed = {p["stage"]: p.get("overridden") for p in payloads}
    assert "mobilize" not in closed  # the clock closed it the day after its window ended
    assert "window is open until 2015-08-31" in closed["self-inspect"][0]


# -- bad input ----------------------------------------------------------------------------------


def test_a_tick_before_the_start_is_refused(r: Rectify) -> None:
    before = r.snapshot()
    out = r.fails(1, "tick", "wgbw-2015", "--as-of", "2015-06-30")
    assert "Error: 2015-06-30 is before campaign 'wgbw-2015' started (2015-07-01)" in out
    assert r.snapshot() == before


def test_a_tick_before_the_last_tick_is_refused(r: Rectify) -> None:
    add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    r.ok("tick", "wgbw-2015", "--as-of", "2015-10-01")
    before = r.snapshot()
    out = r.fails(1, "tick", "wgbw-2015", "--as-of", "2015-09-30")
    assert "2015-09-30 is before the last tick of 'wgbw-2015' (2015-10-01)" in out
    assert "give --as-of 2015-10-01 or later" in out
    assert r.snapshot() == before


def test_other_bad_input(r: Rectify) -> None:
    assert "unknown campaign 'wgbw'" in r.fails(1, "tick", "wgbw", "--as-of", "2015-08-01")
    assert "give a CAMPAIGN or --all" in r.fails(2, "tick", "--as-of", "2015-08-01")
    assert "give a CAMPAIGN or --all" in r.fails(2, "tick", "wgbw-2015", "--all")
    assert "is not a date" in r.fails(1, "tick", "wgbw-2015", "--as-of", "2015-13-45x")
    out = r.fails(1, "item", "add", "wgbw-2015", "--title", "x", "--unit", "fin", "--category",
                  "passive-attitude", "--source", "inspection", "--deadline", "2015-07-31",
                  "--actor", "sup", "--as-of", "2015-08-03")
    assert "deadline 2015-07-31 is before the item was found (2015-08-03)" in out


def test_tick_all_ticks_every_running_campaign(r: Rectify, tmp_path: Path) -> None:
    r.ok("campaign", "start", ZUOFENG, "--start", "2015-07-01", "--key", "zf", "--actor", "lead")
    other = tmp_path / "other.yaml"  # item codes are unique in the database: its own prefix
    other.write_text(Path(WGBW).read_text(encoding="utf-8").replace("code_prefix: WGBW",
                                                                    "code_prefix: DONE"),
                     encoding="utf-8")
    r.ok("campaign", "start", str(other), "--start", "2015-07-01", "--key", "done", "--actor",
         "lead")
    for _ in range(4):  # three stages, then the conclusion
        r.ok("campaign", "advance", "done", "--force", "--actor", "lead", "--as-of", "2015-07-02")
    assert r.json("campaign", "status", "done")["status"].startswith("concluded")
    reports = r.json("tick", "--all", "--as-of", "2015-08-01")
    assert [x["campaign"] for x in reports] == ["wgbw-2015", "zf"]
    assert r.sql("SELECT c.key, t.ticked_to FROM ticks t JOIN campaigns c ON c.id = t.campaign_id "
                 "ORDER BY c.id") == [("wgbw-2015", "2015-08-01"), ("zf", "2015-08-01")]
    out = r.ok("tick", "done", "--as-of", "2015-08-01")
    assert "concluded on 2015-07-02; its clock has stopped" in out


def test_tick_all_reports_a_failing_campaign_and_goes_on(r: Rectify) -> None:
    r.ok("campaign", "start", ZUOFENG, "--start", "2015-09-01", "--key", "zf", "--actor", "lead")
    out = r.fails(1, "tick", "--all", "--as-of", "2015-08-15")
    assert "zf: 2015-08-15 is before campaign 'zf' started" in out
    assert r.sql("SELECT ticked_to FROM ticks") == [("2015-08-15",)]


def test_tick_on_postgresql(pg_db_url: str) -> None:
    r = Rectify(pg_db_url)
    setup_campaign(r)
    code = add_planned(r, "wgbw-2015", "2015-08-03", "2015-09-30")
    tick_daily(r, "2015-09-24", "2015-10-02")
    r.ok("tick", "wgbw-2015", "--as-of", "2015-12-31")
    assert r.notices() == [(d, level, code, dl, late, new) for d, level, dl, late, new in LADDER]
    assert r.json("tick", "wgbw-2015", "--as-of", "2015-12-31")["changes"] == 0
    assert r.sql("SELECT payload FROM events WHERE rule = 'escalation.supervision'") == [
        ({"level": "supervision", "from_level": "reminder", "new_deadline": "2015-10-20"},)]

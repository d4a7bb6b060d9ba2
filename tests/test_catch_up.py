"""One late tick writes what daily ticks write, even when items changed in between.

Two databases receive the same commands on the same business dates.  In one, the clock ticks
every day before that day's changes (as cron does, shortly after midnight); in the other it never
ticks until the end, so each change must first bring the items it touches up to its date.  The
event logs (every column but the id and the recording time), the notices and the tables must be
the same, and so must each command's exit code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest
from clock_fixtures import WGBW, ZUOFENG, Rectify, add_planned, setup_campaign

D = dt.date

# (date, item, command ...): 'A' .. 'F' are the items planned on 2015-07-20 below
WGBW_SCRIPT: list[tuple[str, str, tuple[str, ...]]] = [
    ("2015-09-21", "B", ("submit", "--actor", "taxboss")),  # waits in a hold state, not yet late
    ("2015-09-21", "E", ("submit", "--actor", "boss")),
    ("2015-09-28", "C", ("request-extension", "--note", "需协调", "--actor", "boss")),
    ("2015-10-01", "F", ("submit", "--actor", "boss")),  # 督办 is due this very day
    ("2015-10-08", "C", ("approve-extension", "--deadline", "2015-11-20", "--actor", "lead")),
    ("2015-10-09", "A", ("submit", "--actor", "boss")),  # late in a working state ...
    ("2015-10-12", "A", ("verify", "--actor", "sup")),  # ... and closed before any tick
    ("2015-10-12", "B", ("return", "--note", "材料不全", "--actor", "sup")),
    ("2015-10-12", "E", ("return", "--note", "材料不全", "--actor", "sup")),  # back to work ...
    ("2015-10-12", "E", ("submit", "--actor", "boss")),  # ... and waiting again, the same day
    ("2015-10-14", "F", ("return", "--note", "材料不全", "--actor", "sup")),
    ("2015-11-05", "D", ("submit", "--actor", "taxboss")),
    ("2015-11-10", "F", ("request-extension", "--note", "需协调", "--actor", "boss")),
    ("2015-11-30", "F", ("refuse-extension", "--actor", "sup")),
]
# an extension request on zuofeng-2009 names the deadline it asks for (silence grants it)
EXT = ("request-extension", "--note", "需补充材料", "--deadline")
PLANNED = {"A": ("fin", "2015-09-30"), "B": ("tax", "2015-09-30"), "C": ("fin", "2015-10-30"),
           "D": ("tax", "2015-10-30"), "E": ("fin", "2015-09-30"), "F": ("fin", "2015-09-30")}
TIMERS = """
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
"""


def days(first: str, last: str) -> list[str]:
    start, end = D.fromisoformat(first), D.fromisoformat(last)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def world(path: str, definition: str, campaign: str, start: str, found: str, daily: bool,
          script: list[tuple[str, str, tuple[str, ...]]], planned: dict[str, tuple[str, str]],
          end: str) -> tuple[Rectify, dict[str, str], list[int]]:
    """Run ``script``; with ``daily``, tick every day before its changes, else only at ``end``."""
    r = Rectify(path)
    setup_campaign(r, definition, start)
    codes = {key: add_planned(r, campaign, found, deadline, title=f"问题{key}", unit=unit,
                              head="boss" if unit == "fin" else "taxboss")
             for key, (unit, deadline) in planned.items()}
    exits = []
    for day in days(found, end) if daily else []:
        r.ok("tick", campaign, "--as-of", day)
        for when, key, (trigger, *args) in script:
            if when == day:
                exits.append(r.run("item", "advance", trigger, codes[key], *args, "--as-of", when).exit_code)
    for when, key, (trigger, *args) in script if not daily else []:
        exits.append(r.run("item", "advance", trigger, codes[key], *args, "--as-of", when).exit_code)
    if not daily:
        r.ok("tick", campaign, "--as-of", end)
    return r, codes, exits


def log(r: Rectify) -> dict[tuple[str, int], list[tuple[Any, ...]]]:
    """Each subject's events in order, without their id and recording time."""
    out: dict[tuple[str, int], list[tuple[Any, ...]]] = {}
    for row in r.sql("SELECT machine, subject_id, \"trigger\", from_state, to_state, actor, "
                     "business_date, note, payload, rule, campaign_id, item_id FROM events ORDER BY id"):
        payload = json.loads(row[8]) if isinstance(row[8], str) else row[8]  # PostgreSQL: decoded
        out.setdefault((row[0], row[1]), []).append((*row[:6], str(row[6]), row[7], payload, *row[9:]))
    return out


def notices(r: Rectify, campaign: str) -> list[dict[str, Any]]:
    return sorted(r.json("notices", campaign), key=lambda n: (n["issued_on"], n["code"], n["level"]))


def notice_events(r: Rectify) -> list[tuple[Any, ...]]:
    """Each notice with the event it points at (its subject, rule and date)."""
    return sorted(tuple(str(v) for v in row) for row in r.sql(
        "SELECT n.rectification_id, n.level, n.issued_on, n.deadline, n.days_overdue, "
        "n.new_deadline, n.action, e.subject_id, e.rule, e.business_date "
        "FROM notices n JOIN events e ON e.id = n.event_id"))


def tables(r: Rectify) -> dict[str, list[tuple[Any, ...]]]:
    return {t: r.sql(f"SELECT * FROM {t} ORDER BY id") for t in ("items", "rectifications", "stages")}


def clock_columns(r: Rectify) -> list[tuple[str, ...]]:
    return [tuple(str(v) for v in row) for row in r.sql(
        "SELECT id, state, version, entered_on, deadline, original_deadline, level, level_base "
        "FROM rectifications ORDER BY id")]


def assert_same(daily: Rectify, once: Rectify, campaign: str) -> None:
    assert log(once) == log(daily)
    assert sorted(e for es in log(once).values() for e in es) == \
        sorted(e for es in log(daily).values() for e in es)
    assert notices(once, campaign) == notices(daily, campaign)
    assert notice_events(once) == notice_events(daily)
    assert clock_columns(once) == clock_columns(daily)


def test_one_late_tick_writes_what_daily_ticks_write(tmp_path: os.PathLike[str]) -> None:
    args = (WGBW, "wgbw-2015", "2015-07-01", "2015-07-20")
    daily, codes, daily_exits = world(os.path.join(str(tmp_path), "daily.db"), *args, True,
                                      WGBW_SCRIPT, PLANNED, "2015-12-31")
    once, _, once_exits = world(os.path.join(str(tmp_path), "once.db"), *args, False,
                                WGBW_SCRIPT, PLANNED, "2015-12-31")
    assert once_exits == daily_exits == [0] * len(WGBW_SCRIPT)
    assert_same(daily, once, "wgbw-2015")
    assert tables(once) == tables(daily)
    mine = [(n["issued_on"], n["level"], n["new_deadline"]) for n in notices(once, "wgbw-2015")]
    # A was late while being fixed, then submitted and verified before the clock ticked: its
    # 提醒 and 督办 are there, on the days they fell due
    a = [(n["issued_on"], n["level"]) for n in notices(once, "wgbw-2015") if n["code"] == codes["A"]]
    assert a == [("2015-09-25", "reminder"), ("2015-10-01", "supervision")]
    # F's 督办 fell due the day it was submitted: the day's tick ran first
    assert ("2015-10-01", "supervision", "2015-10-20") in mine
    # E returned and resubmitted on 10-12 got nothing for the hours it was back at work
    e = [n for n in notices(once, "wgbw-2015") if n["code"] == codes["E"]]
    assert e == []
    # and the log of a change never runs ahead of the clock's steps before it
    history = [h["date"] for h in once.json("item", "show", codes["A"])["history"]]
    assert history == sorted(history)


@pytest.mark.parametrize("name", ["timers", "zuofeng"])
def test_timers_catch_up_too(tmp_path: os.PathLike[str], name: str) -> None:
    if name == "timers":  # a timer with guards (fired through the machine) and a refused one
        definition = os.path.join(str(tmp_path), "wgbw-timers.yaml")
        with open(WGBW, encoding="utf-8") as src, open(definition, "w", encoding="utf-8") as dst:
            dst.write(src.read() + TIMERS)
        args = (definition, "wgbw-2015", "2015-07-01", "2015-07-20")
        script, planned, end = WGBW_SCRIPT, PLANNED, "2015-12-31"
    else:  # zuofeng-2009: an unanswered request is deemed approved, with the deadline it asked for
        args = (ZUOFENG, "zuofeng-2009", "2009-02-01", "2009-05-04")
        planned = {"A": ("fin", "2009-06-30"), "B": ("fin", "2009-06-30"), "C": ("tax", "2009-07-10")}
        script = [("2009-06-22", "A", EXT + ("2009-07-20", "--actor", "boss")),
                  ("2009-06-22", "B", EXT + ("2009-07-20", "--actor", "boss")),
                  ("2009-07-06", "A", ("submit", "--actor", "boss")),
                  ("2009-07-02", "C", EXT + ("2009-07-24", "--actor", "taxboss")),
                  ("2009-07-09", "C", ("submit", "--actor", "taxboss"))]
        script.sort(key=lambda s: s[0])
        end = "2009-08-31"
    daily, _, daily_exits = world(os.path.join(str(tmp_path), "daily.db"), *args, True,
                                  script, planned, end)
    once, _, once_exits = world(os.path.join(str(tmp_path), "once.db"), *args, False,
                                script, planned, end)
    assert once_exits == daily_exits
    assert daily_exits.count(0) >= len(script) // 2
    assert_same(daily, once, args[1])
    assert tables(once) == tables(daily)
    rules = {e[9] for es in log(once).values() for e in es}
    assert {r for r in rules if r and r.startswith("timers.")}, "no timer fired: the test proves nothing"


def test_catching_up_on_postgresql(tmp_path: os.PathLike[str], pg_db_url: str) -> None:
    """The catch-up's writes (events, then notices linked to them) on a real PostgreSQL server."""
    args = (WGBW, "wgbw-2015", "2015-07-01", "2015-07-20")
    daily, _, daily_exits = world(os.path.join(str(tmp_path), "daily.db"), *args, True,
                                  WGBW_SCRIPT, PLANNED, "2015-12-31")
    once, _, once_exits = world(pg_db_url, *args, False, WGBW_SCRIPT, PLANNED, "2015-12-31")
    assert once_exits == daily_exits
    assert_same(daily, once, "wgbw-2015")


@pytest.mark.parametrize("day", ["2015-09-29", "2015-10-05", "2015-11-02"])
def test_a_bulk_change_catches_each_item_up_as_one_change_each_would(
        tmp_path: os.PathLike[str], day: str) -> None:
    """Items that look alike to the clock but for their deadline: the one owed a step gets it,
    though an item before it in the same command, owing nothing, was passed over quickly."""
    planned = {"C": ("fin", "2015-10-30"), "G": ("fin", "2015-10-30"), "A": ("fin", "2015-09-30"),
               "E": ("fin", "2015-09-30"), "H": ("fin", "2015-10-30")}
    worlds = []
    for bulk in (True, False):
        r, codes, _ = world(os.path.join(tmp_path, f"{bulk}.db"), WGBW, "wgbw-2015", "2015-07-01",
                            "2015-07-20", False, [], planned, "2015-07-20")
        order = [codes[k] for k in planned]
        for group in [order] if bulk else [[c] for c in order]:
            r.ok("item", "advance", "submit", *group, "--actor", "boss", "--as-of", day)
        worlds.append(r)
    assert_same(worlds[1], worlds[0], "wgbw-2015")
    assert clock_columns(worlds[0]) != [] and notices(worlds[0], "wgbw-2015") == \
        notices(worlds[1], "wgbw-2015")

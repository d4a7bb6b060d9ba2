"""Stages that close on their own, items attributed to a stage by one rule, and business dates
that may not run ahead of today: through the CLI on a real SQLite file.

wgbw-2015's windows overlap: 宣传动员 07-01..07-31, 自查整改 08-01..08-31, 监督检查
08-01..12-31 (its exit needs 90% of the items done), 建章立制 12-01..12-31.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from clock_fixtures import Rectify, add_planned, setup_campaign
from ledger_fixtures import write_csv

CAMPAIGN = "wgbw-2015"
WGBW = Path(__file__).parent.parent / "definitions" / "wgbw-2015.yaml"


@pytest.fixture
def r(tmp_path: Path) -> Rectify:
    rectify = Rectify(str(tmp_path / "r.db"))
    setup_campaign(rectify)
    return rectify


def stage_rows(r: Rectify, as_of: str) -> dict[str, dict[str, str]]:
    return {s["key"]: s for s in r.json("campaign", "status", CAMPAIGN, "--as-of", as_of)["stages"]}


def item_stages(r: Rectify) -> list[tuple[str, str]]:
    return [(str(d), s) for d, s in r.sql("SELECT found_on, stage FROM items ORDER BY seq")]


# --- stages close on their own ----------------------------------------------------------------


def test_the_clock_closes_a_stage_the_day_after_its_window(r: Rectify) -> None:
    r.ok("tick", CAMPAIGN, "--as-of", "2015-07-31")
    assert stage_rows(r, "2015-07-31")["mobilize"]["state"] == "open"
    out = r.ok("tick", CAMPAIGN, "--as-of", "2015-09-01")
    assert "closed mobilize (宣传动员)" in out and "closed self-inspect (自查整改)" in out
    rows = stage_rows(r, "2015-09-01")
    assert {k: (v["state"], v["closed_on"]) for k, v in rows.items()} == {
        "mobilize": ("closed", "2015-08-01"), "self-inspect": ("closed", "2015-09-01"),
        "supervise": ("open", ""), "institutionalize": ("pending", "")}
    assert r.sql("SELECT subject_key, actor, rule, business_date FROM events "
                 "WHERE machine = 'stage' AND \"trigger\" = 'close' ORDER BY id") == [
        ("mobilize", "system", "stages.mobilize", "2015-08-01"),
        ("self-inspect", "system", "stages.self-inspect", "2015-09-01")]
    assert all(v["overdue"] == "" for v in rows.values())


def test_a_refused_exit_guard_keeps_the_stage_open_and_says_why_once(r: Rectify) -> None:
    done_later = add_planned(r, CAMPAIGN, "2015-08-03", "2015-12-30")  # never done: 0% of 90%
    add_planned(r, CAMPAIGN, "2015-08-03", "2015-12-30", title="会议过多")
    out = r.ok("tick", CAMPAIGN, "--as-of", "2016-01-04")
    # the guard in the office's words, with its reason: not its internal form
    assert ("not done: stage 'supervise' (监督检查) stays open, overdue since 2016-01-01: "
            "问题完成比例不低于 90%: only 0 of 2 (0%) are done; 90% needed") in out
    assert "[min_done_share(" not in out and "[all_items_closed" not in out
    # said once: the daily ticks that follow repeat nothing while the reason stands
    for day in ("2016-01-05", "2016-01-06"):
        again = r.ok("tick", CAMPAIGN, "--as-of", day)
        assert "not done" not in again, again
    assert r.json("tick", CAMPAIGN, "--as-of", "2016-01-07", "--dry-run")["waiting"] == []
    assert r.sql("SELECT business_date, rule, actor FROM events WHERE \"trigger\" = 'overdue' "
                 "AND subject_key = 'supervise'") == [("2016-01-04", "stages.supervise", "system")]
    rows = stage_rows(r, "2016-01-06")
    assert (rows["supervise"]["state"], rows["supervise"]["overdue"]) == ("open", "since 2016-01-01")
    assert rows["supervise"]["why"] == "问题完成比例不低于 90%: only 0 of 2 (0%) are done; 90% needed"
    assert (rows["mobilize"]["overdue"], rows["mobilize"]["why"]) == ("", "")
    table = r.ok("campaign", "status", CAMPAIGN, "--as-of", "2016-01-06")
    assert "since 2016-01-01" in table and "only 0 of 2 (0%) are done" in table
    # the reason changes (one item closed): said again, once
    r.ok("item", "advance", "submit", done_later, "--actor", "boss", "--as-of", "2016-01-07")
    r.ok("item", "advance", "verify", done_later, "--actor", "sup", "--as-of", "2016-01-07")
    out = r.ok("tick", "wgbw-2015", "--as-of", "2016-01-08")
    assert "overdue since 2016-01-01: 问题完成比例不低于 90%: only 1 of 2 (50%) are done" in out
    assert "not done" not in r.ok("tick", "wgbw-2015", "--as-of", "2016-01-09")
    assert stage_rows(r, "2016-01-09")["supervise"]["why"].endswith("only 1 of 2 (50%) are done; "
                                                                    "90% needed")
    # no close event for a refusal; an authorised role may still force it
    assert r.sql("SELECT count(*) FROM events WHERE subject_key = 'supervise' AND \"trigger\" = 'close'") \
        == [(0,)]
    out = r.ok("campaign", "advance", CAMPAIGN, "--close", "supervise", "--force", "--actor", "lead",
               "--as-of", "2016-01-09")
    assert "closed supervise (监督检查) [forced]" in out
    assert stage_rows(r, "2016-01-09")["supervise"]["overdue"] == ""
    assert stage_rows(r, "2016-01-09")["supervise"]["opened_on"] == "2015-08-01"  # not the notice's


# --- an item's stage: the latest-starting window holding the day it was found -----------------


def test_item_add_takes_the_latest_starting_window(r: Rectify) -> None:
    r.ok("tick", CAMPAIGN, "--as-of", "2015-12-10")
    for day in ("2015-12-10", "2015-12-11"):
        r.ok("item", "add", CAMPAIGN, "--title", "会议过多", "--unit", "fin", "--category",
             "passive-attitude", "--source", "inspection", "--actor", "sup", "--as-of", day)
    # 监督检查 (from 08-01) and 建章立制 (from 12-01) both hold 12-10: the later start wins
    assert item_stages(r) == [("2015-12-10", "institutionalize"),
                              ("2015-12-11", "institutionalize")]


def test_item_import_uses_each_rows_found_date(r: Rectify, tmp_path: Path) -> None:
    r.ok("tick", CAMPAIGN, "--as-of", "2015-12-10")
    path = write_csv(tmp_path / "items.csv", [
        ["县财政局", "1", "宣传不到位", "工作态度不积极", "自查", "2015-07-15"],
        ["县财政局", "2", "审批拖延", "推诿扯皮不主动", "自查", "2015-08-15"],
        ["县财政局", "3", "制度缺失", "降低标准不尽责", "自查", "2015-12-05"],
        ["县财政局", "4", "会议过多", "工作态度不积极", "自查", ""],
    ], ["单位", "序号", "问题描述", "问题类别", "问题来源", "发现日期"])
    r.ok("item", "import", CAMPAIGN, str(path), "--actor", "sup", "--as-of", "2015-12-10")
    # 08-15: 自查整改 and 监督检查 both start on 08-01: the later in the definition
    assert item_stages(r) == [("2015-07-15", "mobilize"), ("2015-08-15", "supervise"),
                              ("2015-12-05", "institutionalize"), ("2015-12-10", "institutionalize")]


def test_a_date_outside_every_window_is_refused_with_the_windows(r: Rectify,
                                                                  tmp_path: Path) -> None:
    r.ok("tick", CAMPAIGN, "--as-of", "2016-01-05")
    before = r.snapshot()
    out = r.fails(1, "item", "add", CAMPAIGN, "--title", "会议过多", "--unit", "fin", "--category",
                  "passive-attitude", "--source", "inspection", "--actor", "sup",
                  "--as-of", "2016-01-05")
    assert "2016-01-05 is outside every stage's window" in out
    assert "mobilize 2015-07-01..2015-07-31" in out and "institutionalize 2015-12-01..2015-12-31" in out
    path = write_csv(tmp_path / "items.csv", [
        ["县财政局", "1", "宣传不到位", "工作态度不积极", "自查", "2015-07-15"],
        ["县财政局", "2", "会议过多", "工作态度不积极", "自查", "2016-01-04"],
    ], ["单位", "序号", "问题描述", "问题类别", "问题来源", "发现日期"])
    out = r.fails(1, "item", "import", CAMPAIGN, str(path), "--actor", "sup", "--as-of", "2016-01-05")
    assert "2016-01-04 is outside every stage's window" in out and "supervise 2015-08-01..2015-12-31" in out
    assert r.snapshot() == before and r.sql("SELECT count(*) FROM items") == [(0,)]


# --- business dates may not run ahead of today ------------------------------------------------


def relative(tmp_path: Path) -> str:
    """wgbw-2015 with windows measured from whatever day it starts, to run near today."""
    text = WGBW.read_text(encoding="utf-8").replace(
        "  timezone: Asia/Shanghai\n", "  timezone: Asia/Shanghai\n  outside_known_years: weekends\n")
    for old, new in (("start: 2015-07-01", "start: +0d"), ("end: 2015-07-31", "end: +1m"),
                     ("start: 2015-08-01", "start: +1m"), ("end: 2015-08-31", "end: +2m"),
                     ("end: 2015-12-31", "end: +6m"), ("start: 2015-12-01", "start: +5m")):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "relative.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_future_business_date_is_refused_unless_dry_run(tmp_path: Path) -> None:
    r = Rectify(str(tmp_path / "r.db"))
    today = dt.date.today()
    start = today - dt.timedelta(days=3)
    future = (today + dt.timedelta(days=40)).isoformat()
    setup_campaign(r, relative(tmp_path), start=start.isoformat())
    r.ok("item", "add", CAMPAIGN, "--title", "会议过多", "--unit", "fin", "--category",
         "passive-attitude", "--source", "inspection", "--actor", "sup", "--as-of", start.isoformat())
    before = r.snapshot()
    for command in (["item", "add", CAMPAIGN, "--title", "x", "--unit", "fin", "--category",
                     "passive-attitude", "--source", "inspection", "--actor", "sup"],
                    ["item", "advance", "confirm", f"WGBW-{start.year}-0001", "--actor", "sup"],
                    ["tick", CAMPAIGN],
                    ["campaign", "advance", CAMPAIGN, "--actor", "lead"]):
        out = r.fails(1, *command, "--as-of", future)
        assert f"{future} is after today" in out, out
        assert "replaying a past campaign" in out and "--dry-run" in out
    assert r.snapshot() == before
    report = r.json("tick", CAMPAIGN, "--as-of", future, "--dry-run")  # looking ahead is allowed
    assert report["dry_run"] is True and r.snapshot() == before
    # a campaign may still be started in the future: its stages simply have not begun
    later = (today + dt.timedelta(days=60)).isoformat()
    out = r.ok("campaign", "start", relative(tmp_path), "--start", later, "--key", "next",
               "--actor", "lead")
    assert out.startswith("started next ")

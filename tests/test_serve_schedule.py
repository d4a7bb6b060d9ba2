"""``rectify serve`` runs the daily tick by itself at the site's time (Beijing time), and of
two servers on one database exactly one runs each scheduled tick; what ran is listed by
``rectify schedule``."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign, query
from serving import start
from sqlalchemy import create_engine, text
from test_notify import Mailbox, Receiver, site_config
from web_fixtures import build

from campaigns.cli import cli
from campaigns.db import Database
from campaigns.schedule import Schedule, Scheduler, claim, load, next_slot, recent, slot_at
from campaigns.web.app import fixed_today
from engine.core.errors import DefinitionInvalid

BEIJING = ZoneInfo("Asia/Shanghai")
AS_OF = "2015-08-24"


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                    timezones=st.just(dt.UTC)),
       st.times())
def test_the_slot_is_the_last_due_moment_and_the_next_one_a_day_later(
        moment: dt.datetime, at: dt.time) -> None:
    plan = Schedule(at)
    slot, nxt = slot_at(plan, moment), next_slot(plan, moment)
    assert slot <= moment < nxt
    assert nxt - slot == dt.timedelta(days=1)  # Beijing keeps no summer time
    assert slot.astimezone(BEIJING).time() == at


def test_the_default_is_half_past_midnight_beijing_time() -> None:
    plan = Schedule()
    before = dt.datetime(2026, 12, 3, 0, 29, tzinfo=BEIJING)
    after = dt.datetime(2026, 12, 3, 0, 30, tzinfo=BEIJING)
    assert slot_at(plan, before) == dt.datetime(2026, 12, 2, 0, 30, tzinfo=BEIJING)
    assert slot_at(plan, after) == after == next_slot(plan, before)


def test_a_bad_schedule_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("schedule:\n  tick: '25:00'\n  timezone: Mars/Olympus\n  every: 3\n",
                    encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as caught:
        load(str(path))
    said = caught.value.format()
    assert "25:00" in said and "Mars/Olympus" in said and "every" in said
    assert f"{path}:2:" in said and f"{path}:3:" in said
    path.write_text("schedule: {tick: '07:15:30', timezone: Asia/Urumqi, send_every: 5}\n",
                    encoding="utf-8")
    assert load(str(path)) == Schedule(dt.time(7, 15, 30), "Asia/Urumqi", 5.0)


class Clock:
    """A clock the test sets."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


def ticked_to(db: str) -> list[tuple[object, ...]]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT ticked_to FROM ticks"))]
    finally:
        engine.dispose()


def test_the_scheduler_ticks_once_per_day_when_its_clock_reaches_the_time(tmp_path: Path) -> None:
    site = build(str(tmp_path / "county.db"))
    db = Database(site.db)
    clock = Clock(dt.datetime(2026, 12, 3, 0, 29, 50, tzinfo=BEIJING))
    one = Scheduler(db, Schedule(), fixed_today(dt.date(2015, 8, 24)), clock, send=False)
    two = Scheduler(Database(site.db), Schedule(), fixed_today(dt.date(2015, 8, 24)), clock,
                    send=False)
    assert 9 < one.step() <= 10  # yesterday's tick, missed, is run at once; the next in 10 s
    assert two.step() <= 10  # the other server finds it claimed
    assert [str(r[0]) for r in ticked_to(site.db)] == [AS_OF]
    clock.moment += dt.timedelta(seconds=5)
    one.step(), two.step()
    assert len(recent(db)) == 1
    clock.moment += dt.timedelta(seconds=5)  # 00:30:00, Beijing time
    two.step(), one.step()
    runs = recent(db)
    assert [(r["job"], r["due"], r["outcome"]) for r in runs] == [
        ("tick", "2026-12-03 00:30:00 +0800", "done"),
        ("tick", "2026-12-02 00:30:00 +0800", "done")]
    assert "wgbw-2015: ticked to 2015-08-24" in runs[1]["detail"]
    assert "0 change(s)" in runs[0]["detail"]  # the same date again changes nothing


def test_two_servers_tick_once_at_the_time_set_and_say_so(tmp_path: Path) -> None:
    site = build(str(tmp_path / "county.db"))
    manual = str(tmp_path / "manual.db")
    with sqlite3.connect(site.db) as src, sqlite3.connect(manual) as dst:
        src.backup(dst)
    invoke(manual, "tick", CAMPAIGN, "--as-of", AS_OF)
    due = (dt.datetime.now(BEIJING) + dt.timedelta(seconds=8)).replace(microsecond=0)
    config = tmp_path / "site.yaml"
    config.write_text(f"schedule: {{tick: '{due.time().isoformat()}'}}\n", encoding="utf-8")
    env = {"RECTIFY_SITE_CONFIG": str(config)}
    servers = [start(site.db, tmp_path / f"serve{i}.log", "--as-of", AS_OF, env=env)
               for i in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = recent(Database(site.db))
            if sum(r["finished"] != "" for r in runs) >= 2:
                break
            time.sleep(0.5)
        time.sleep(1)  # the other server had its chance to tick twice
    finally:
        logs = [s.stop() for s in servers]
    runs = recent(Database(site.db))
    assert [(r["job"], r["outcome"]) for r in runs] == [("tick", "done"), ("tick", "done")], runs
    assert runs[0]["due"] == due.strftime("%Y-%m-%d %H:%M:%S %z")  # today's, at the time set
    assert runs[1]["due"] == (due - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S %z")
    # the scheduled ticks wrote what one tick by hand writes, nothing twice
    def changes(db: str) -> list[tuple[object, ...]]:
        engine = create_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as conn:
                return sorted(tuple(r) for r in conn.execute(text(
                    "SELECT machine, subject_key, \"trigger\", to_state, business_date, rule "
                    "FROM events WHERE actor = 'system'")))
        finally:
            engine.dispose()
    assert changes(site.db) == changes(manual) != []
    said = "".join(logs)
    assert said.count("daily tick due at") == 4, said  # started and ended, each slot once
    out = CliRunner().invoke(cli, ["schedule", "--db", site.db, "--json"], env=env)
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["tick"] == due.time().isoformat() and shown["timezone"] == "Asia/Shanghai"
    assert [r["outcome"] for r in shown["runs"]] == ["done", "done"]
    pids = {str(s.process.pid) for s in servers}
    assert {r["server"].rsplit(":", 1)[1] for r in shown["runs"]} <= pids


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    site = build(str(tmp_path / "county.db"))
    out = CliRunner().invoke(cli, ["serve", "--workers", "2", "--db", site.db])
    assert out.exit_code == 2
    assert "SQLite has one writer" in out.output and "PostgreSQL" in out.output


def test_a_tick_left_running_by_a_stopped_server_is_run_again(tmp_path: Path) -> None:
    site = build(str(tmp_path / "county.db"))
    db = Database(site.db)
    slot = dt.datetime(2026, 12, 3, 0, 30, tzinfo=BEIJING)
    clock = Clock(slot + dt.timedelta(minutes=1))
    assert claim(db, "tick", slot.astimezone(dt.UTC), clock()) is not None  # then it died
    scheduler = Scheduler(db, Schedule(), fixed_today(dt.date(2015, 8, 24)), clock, send=False)
    clock.moment += dt.timedelta(minutes=5)
    scheduler.step()  # still within the time a claimed tick may wait for the lock: left alone
    assert [r["outcome"] for r in recent(db)] == ["running"] and ticked_to(site.db) == []
    clock.moment += dt.timedelta(minutes=30)
    scheduler.step()
    runs = recent(db)
    assert [(r["due"], r["outcome"]) for r in runs] == [("2026-12-03 00:30:00 +0800", "done")]
    assert [str(r[0]) for r in ticked_to(site.db)] == [AS_OF]


@pytest.fixture
def queued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Receiver]]:
    """A site whose ladder queued two e-mails and two robot messages (as tests/test_notify.py)."""
    mailbox, receiver = Mailbox(), Receiver()
    monkeypatch.setenv("RECTIFY_SITE_CONFIG", str(site_config(tmp_path, mailbox, receiver)))
    db = county(str(tmp_path / "n.db"))
    progressed_campaign(db)
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-08-31")
    yield db, receiver
    mailbox.stop()
    receiver.stop()


def test_the_scheduler_sends_the_outbox_and_waits_longer_while_sending_fails(
        queued: tuple[str, Receiver], tmp_path: Path) -> None:
    db, receiver = queued
    clock = Clock(dt.datetime.now(dt.UTC))
    scheduler = Scheduler(Database(db), Schedule(send_every=60), fixed_today(dt.date(2015, 8, 31)),
                          clock)
    assert scheduler.send  # the site configures notifications
    url = tmp_path / "office-robot.url"
    url.rename(tmp_path / "elsewhere")  # the robot's address cannot be read: sending fails
    scheduler.step()
    assert scheduler.pause == 120
    clock.moment += dt.timedelta(seconds=60)
    scheduler.step()  # not yet
    clock.moment += dt.timedelta(seconds=60)
    scheduler.step()
    assert scheduler.pause == 240
    (tmp_path / "elsewhere").rename(url)
    clock.moment += dt.timedelta(seconds=240)
    scheduler.step()
    assert scheduler.pause == 60 and len(receiver.posts) == 2
    runs = [(r["job"], r["outcome"]) for r in recent(Database(db)) if r["job"] == "notify"]
    assert runs == [("notify", "done"), ("notify", "failed"), ("notify", "failed")]
    assert {s for (s,) in query(db, "SELECT status FROM outbox")} == {"sent"}

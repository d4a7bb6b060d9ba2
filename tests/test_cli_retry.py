"""A command that meets a busy database before it committed anything is run again inside the
command (campaigns/cli/_retry.py) and succeeds once the other writer lets go: the user sees
no exit 3 for a lock held a moment.  Here another connection holds SQLite's write lock for
0.6 s while the command's wait for it is cut to 0.2 s, so its first try fails for certain."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, Cli, scalar, seeded

HELD = 0.6


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    import engine.io.store

    monkeypatch.setattr(engine.io.store, "BUSY_WAIT", 0.2)
    return seeded(tmp_path, tmp_path_factory)


def while_held(cli: Cli, *args: str) -> tuple[str, float]:
    """Run ``rectify ARGS`` while another writer holds the lock for ``HELD`` seconds."""
    holder = sqlite3.connect(cli.db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(HELD, lambda: holder.execute("ROLLBACK")).start()
    started = time.monotonic()
    try:
        out = cli.ok(*args)
    finally:
        time.sleep(max(0.0, HELD + 0.1 - (time.monotonic() - started)))
        holder.close()
    return out, time.monotonic() - started


COMMANDS: dict[str, Callable[[Cli, Path], list[str]]] = {
    "item advance": lambda c, _: ["item", "advance", "confirm", c.add_item(), "--actor", "sup",
                                  "--as-of", "2015-08-03"],
    "campaign undo": lambda c, _: (c.ok("tick", CAMPAIGN, "--as-of", "2015-08-20"),
                                   ["campaign", "undo", CAMPAIGN, "--note", "时钟跑错",
                                    "--actor", "lead"])[1],
    "item import": lambda c, folder: (
        c.ok("tick", CAMPAIGN, "--as-of", "2015-08-10"),  # the clock up to date: one transaction
        (folder / "a.csv").write_text("序号,问题,单位,类别,来源,整改时限\n"
                                      "1,窗口推诿,czj,passive-attitude,public-report,2015-09-30\n",
                                      encoding="utf-8"),
        ["item", "import", CAMPAIGN, str(folder / "a.csv"), "--actor", "sup", "--as-of",
         "2015-08-10"])[2],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_meeting_a_busy_database_is_run_again_and_succeeds(
        cli: Cli, tmp_path: Path, command: str) -> None:
    args = COMMANDS[command](cli, tmp_path)
    events = scalar(cli.db, "SELECT count(*) FROM events")
    out, seconds = while_held(cli, *args)
    assert seconds >= HELD  # it waited out the other writer: more than one try of 0.2 s
    assert scalar(cli.db, "SELECT count(*) FROM events") > events, out  # and did its work once
    assert scalar(cli.db, "SELECT count(*) FROM batches WHERE kind = 'import'") == \
        (1 if command == "item import" else 0)


def test_tick_all_retries_a_later_campaign_once_an_earlier_one_committed(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tick --all`` commits one campaign's tick before the next: a busy database then is
    retried for that campaign inside the command, which is not run again whole."""
    from clock_fixtures import ZUOFENG

    import campaigns.cli.clock

    cli.ok("campaign", "start", ZUOFENG, "--start", "2015-07-01", "--key", "zf", "--actor", "lead")
    real = campaigns.cli.clock._tick_one
    holder = sqlite3.connect(cli.db, isolation_level=None, check_same_thread=False)
    calls: list[str] = []

    def tick_then_lock(db: object, key: str, *args: object) -> object:
        calls.append(key)
        report = real(db, key, *args)
        if len(calls) == 1:  # another writer takes the lock between the two campaigns
            holder.execute("BEGIN IMMEDIATE")
            threading.Timer(HELD, lambda: holder.execute("ROLLBACK")).start()
        return report

    monkeypatch.setattr(campaigns.cli.clock, "_tick_one", tick_then_lock)
    try:
        cli.ok("tick", "--all", "--as-of", "2015-08-10")
    finally:
        time.sleep(HELD + 0.1)
        holder.close()
    assert calls[0] == CAMPAIGN and calls[-1] == "zf" and len(calls) >= 3  # zf tried again
    assert calls.count(CAMPAIGN) == 1  # the first campaign's tick was not run again
    assert scalar(cli.db, "SELECT count(*) FROM ticks WHERE ticked_to = '2015-08-10'") == 2


def test_tick_all_exits_3_when_a_campaign_stays_busy_past_its_retries(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A campaign whose tick never gets the lock makes ``tick --all`` exit 3 (worth running
    again), not 1; the campaigns ticked before it stay ticked."""
    from clock_fixtures import ZUOFENG

    import campaigns.cli.clock

    monkeypatch.setattr(engine_store(), "BUSY_WAIT", 0.05)
    cli.ok("campaign", "start", ZUOFENG, "--start", "2015-07-01", "--key", "zf", "--actor", "lead")
    real = campaigns.cli.clock._tick_one
    holder = sqlite3.connect(cli.db, isolation_level=None, check_same_thread=False)

    def tick_then_lock(db: object, key: str, *args: object) -> object:
        report = real(db, key, *args)
        if key == CAMPAIGN:  # another writer takes the lock for good after the first campaign
            holder.execute("BEGIN IMMEDIATE")
        return report

    monkeypatch.setattr(campaigns.cli.clock, "_tick_one", tick_then_lock)
    try:
        result = cli.invoke("tick", "--all", "--as-of", "2015-08-10")
    finally:
        holder.close()
    assert result.exit_code == 3, result.output
    assert "wgbw-2015: ticked" in result.stdout and "Traceback" not in result.output
    assert "Error: zf: the database is busy" in result.stderr
    assert scalar(cli.db, "SELECT count(*) FROM ticks WHERE ticked_to = '2015-08-10'") == 1


def test_the_worst_failure_decides_tick_all_exit_code() -> None:
    from campaigns.cli.clock import worst
    from engine.core.errors import ExitCode

    assert worst([ExitCode.INVALID, ExitCode.CONFLICT]) == ExitCode.CONFLICT
    assert worst([ExitCode.CONFLICT, ExitCode.ENVIRONMENT, ExitCode.INVALID]) == ExitCode.ENVIRONMENT
    assert worst([ExitCode.INVALID]) == ExitCode.INVALID


def engine_store() -> object:
    import engine.io.store

    return engine.io.store

"""Two real processes writing one SQLite file: one wins, the other is told to retry (exit 3);
never a lost update, never an event without its state change.

The order of events between the processes is fixed with barriers and events, never with sleeps:
* a writer holding the lock makes the other wait out SQLite's busy timeout, then fail with 3;
* two writers that both read version v: the first write wins, the second is a Conflict;
* two ``rectify item advance`` racing: whoever wins, exactly one move and one event exist.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_cli_common import ENV, Cli, seeded

DAY = dt.date(2015, 8, 4)
WAIT = 120  # seconds: only a guard against hanging, never part of what is tested
SPAWN = multiprocessing.get_context("spawn")  # children build their own engines, no fork


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def state(db: Path, code: str) -> dict[str, Any]:
    """The item's state and version, and the events about it, read straight from the file."""
    conn = sqlite3.connect(db)
    try:
        item_id, item_state, version = conn.execute(
            "SELECT id, state, version FROM items WHERE code = ?", (code,)).fetchone()
        moves = conn.execute("SELECT trigger FROM events WHERE machine = 'item' AND subject_id = ? "
                             "AND trigger != 'add' ORDER BY id", (item_id,)).fetchall()
        return {"state": item_state, "version": version, "moves": [m[0] for m in moves],
                "events": conn.execute("SELECT count(*) FROM events").fetchone()[0]}
    finally:
        conn.close()


def consistent(after: dict[str, Any]) -> bool:
    """Every version step of the item has exactly one event, and vice versa."""
    return after["version"] == 1 + len(after["moves"])


# --- what the child processes run (top-level, so that 'spawn' can import them) -----------------------


def hold_the_write_lock(url: str, code: str, ready: Any, release: Any, out: Any) -> None:
    """Confirm ``code`` in a write transaction and keep it open until told to commit."""
    from campaigns.advance import advance
    from campaigns.db import Database
    from campaigns.people import resolve_actor

    with Database(url).write() as conn:
        advance(conn, "confirm", [code], None, "sup", DAY, resolve=resolve_actor)
        ready.set()
        if not release.wait(WAIT):
            out.put("never released")
            raise SystemExit(1)
    out.put("committed")


def read_then_write(url: str, code: str, name: str, both_read: Any, my_turn: Any, done: Any,
                    out: Any) -> None:
    """Plan 'confirm' from a read transaction, wait, then write it in a new transaction."""
    from campaigns.advance import EVENTS, TABLES, plan_record
    from campaigns.db import Database
    from campaigns.people import resolve_actor
    from campaigns.records import load_records
    from campaigns.runs import load_run_by_id
    from engine.core.errors import Conflict
    from engine.core.planner import Request
    from engine.io.writer import apply_moves

    db = Database(url)
    try:
        with db.read() as conn:
            record = load_records(conn, [code])[0]
            run = load_run_by_id(conn, record.campaign_id)
            actor = resolve_actor(conn, "sup", set(run.definition.roles))
            read_version = record.item.version
            moves = plan_record(conn, run, record, Request("confirm", actor, DAY)).moves
        both_read.wait(WAIT)
        if my_turn is not None and not my_turn.wait(WAIT):
            out.put((name, "never my turn"))
            return
        try:
            with db.write() as conn:
                apply_moves(conn, TABLES, EVENTS, moves)
            out.put((name, "ok", read_version))
        except Conflict as exc:
            out.put((name, "conflict", int(exc.exit_code), exc.format(), read_version))
    finally:
        done.set()


def run_the_cli(args: list[str], start: Any, out: Any) -> None:
    """``rectify ARGS`` as the console script runs it, started together with its rival."""
    os.environ.update({k: v for k, v in ENV.items() if v is not None})
    import campaigns.advance  # noqa: F401 - load everything before the start line
    import campaigns.cli.items  # noqa: F401
    from campaigns.cli import main

    start.wait(WAIT)
    try:
        main(args)
        code: Any = 0
    except SystemExit as exc:
        code = exc.code or 0
    out.put(code)


def _join(*procs: Any) -> None:
    for p in procs:
        p.join(WAIT)
        assert p.exitcode == 0, f"{p.name} exited with {p.exitcode}"


# --- the tests ---------------------------------------------------------------------------------------


def test_a_writer_holding_the_lock_makes_the_other_retry(cli: Cli) -> None:
    code = cli.add_item()
    before = state(cli.db, code)
    ready, release, out = SPAWN.Event(), SPAWN.Event(), SPAWN.Queue()
    holder = SPAWN.Process(target=hold_the_write_lock, name="A",
                           args=(str(cli.db), code, ready, release, out))
    holder.start()
    try:
        assert ready.wait(WAIT), "process A never took the lock"
        # process B: the real command, while A holds its uncommitted change
        b = subprocess.run(
            [sys.executable, "-c", "from campaigns.cli import main; main()", "item", "advance",
             "confirm", code, "--actor", "jw-zhao", "--as-of", "2015-08-04", "--db", str(cli.db)],
            capture_output=True, text=True, timeout=WAIT,
            env={**{k: v for k, v in os.environ.items() if k not in ENV}, "LANG": "C.UTF-8"})
    finally:
        release.set()
        _join(holder)
    assert out.get(timeout=WAIT) == "committed"
    assert b.returncode == 3, b.stderr
    assert b.stderr.splitlines()[0] == "Error: the database is busy (locked by another writer)"
    assert "Traceback" not in b.stderr and b.stdout == ""
    after = state(cli.db, code)
    assert after["state"] == "confirmed" and after["version"] == before["version"] + 1
    assert after["moves"] == ["confirm"]  # A's alone
    assert after["events"] == before["events"] + 1
    assert consistent(after)


def test_two_writers_that_read_the_same_version_one_wins_one_conflicts(cli: Cli) -> None:
    code = cli.add_item()
    before = state(cli.db, code)
    both_read, out = SPAWN.Barrier(2), SPAWN.Queue()
    a_done, b_done = SPAWN.Event(), SPAWN.Event()
    a = SPAWN.Process(target=read_then_write, name="A",
                      args=(str(cli.db), code, "A", both_read, None, a_done, out))
    b = SPAWN.Process(target=read_then_write, name="B",
                      args=(str(cli.db), code, "B", both_read, a_done, b_done, out))
    a.start()
    b.start()
    _join(a, b)
    results = {r[0]: r[1:] for r in (out.get(timeout=WAIT), out.get(timeout=WAIT))}
    assert results["A"] == ("ok", before["version"])
    status, exit_code, message, version_read = results["B"]
    assert (status, exit_code, version_read) == ("conflict", 3, before["version"])
    assert "changed by someone else" in message and "retry" in message
    after = state(cli.db, code)
    assert after["version"] == before["version"] + 1  # no lost update: one move, not two
    assert after["moves"] == ["confirm"]
    assert after["events"] == before["events"] + 1  # no event without its state change
    assert consistent(after)


@pytest.mark.parametrize("round_", range(3))
def test_two_commands_racing_one_wins(cli: Cli, round_: int) -> None:
    code = cli.submitted()
    before = state(cli.db, code)
    start, out = SPAWN.Barrier(2), SPAWN.Queue()
    procs = [SPAWN.Process(target=run_the_cli, name=who, args=(
        ["item", "advance", "verify", code, "--actor", who, "--as-of", "2015-08-04", "--db",
         str(cli.db)], start, out)) for who in ("sup", "jw-zhao")]
    for p in procs:
        p.start()
    _join(*procs)
    codes = sorted(out.get(timeout=WAIT) for _ in procs)
    # the loser either waited for the lock and found the item already verified (refused, 1),
    # or read before the winner committed and was told to retry (3): never a second success
    assert codes[0] == 0 and codes[1] in (1, 3), codes
    after = state(cli.db, code)
    assert after["state"] == "closed"
    assert after["moves"] == ["confirm", "close"]
    assert after["version"] == before["version"] + 1
    assert consistent(after)
    conn = sqlite3.connect(cli.db)
    try:
        verifies = conn.execute("SELECT count(*) FROM events WHERE trigger = 'verify'").fetchone()[0]
    finally:
        conn.close()
    assert verifies == 1

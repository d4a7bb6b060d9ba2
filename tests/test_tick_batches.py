"""The tick in short transactions: resumable after a kill, and other writers get in between.

The campaign is the tick benchmark's (benchmarks/bench_tick.py, built in bulk): N
rectifications, 30% overdue on 2015-10-09, the rest falling due over the following weeks, so a
tick to 2015-11-30 climbs several ladder levels on many days.  A tiny ``hold`` makes every
transaction one piece of work (one day's stages, one slice of at least 50 subjects).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_tick import KEY, build  # noqa: E402

from campaigns.cli import main  # noqa: E402

N = 3000
UNTIL = "2015-11-30"
WAIT = 300  # seconds: a guard against hanging only

# Everything a tick writes, in a stable order; the event's chain columns (recorded_at, hashes)
# differ between two runs by design, so they are compared by `audit verify` instead.
QUERIES = {
    "events": "SELECT id, campaign_id, item_id, machine, subject_id, \"trigger\", from_state, "
              "to_state, actor, business_date, note, payload, rule, seq, subject_key "
              "FROM events ORDER BY id",
    "rectifications": "SELECT * FROM rectifications ORDER BY id",
    "items": "SELECT * FROM items ORDER BY id",
    "notices": "SELECT * FROM notices ORDER BY id",
    "stages": "SELECT * FROM stages ORDER BY id",
    "ticks": "SELECT * FROM ticks",
    "chain_heads": "SELECT stream, seq FROM chain_heads ORDER BY stream",
}

# A tick in a process of its own, every transaction one piece (hold ~0), as the CLI runs it.
CHILD = """
import sys
sys.path.insert(0, {root!r})
from campaigns.clock import tick_in_batches
from campaigns.cli._common import scope_of
from campaigns.db import Database
from campaigns.runs import load_run
db = Database({url!r})
report = tick_in_batches(db.write, lambda conn: scope_of(conn, load_run(conn, {key!r}), {day!r},
                         None, need_actor=False), hold={hold!r})
print(len(report.holds), report.changes)
"""


def dump(path: Path) -> dict[str, list[Any]]:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in QUERIES.items()}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batches") / "base.db"
    build(str(path), N)
    return path


def copy(base: Path, to: Path) -> Path:
    shutil.copyfile(base, to)
    return to


def tick_child(db: Path, hold: float = 1e-6) -> subprocess.Popen[str]:
    code = CHILD.format(root=str(ROOT), url=str(db), key=KEY, day=UNTIL, hold=hold)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def cli(db: Path, *args: str) -> int:
    try:
        main([*args, "--db", str(db)])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def verify(db: Path) -> str:
    """``rectify audit verify --all``'s report."""
    from click.testing import CliRunner

    from campaigns.cli import cli as group

    return CliRunner().invoke(group, ["audit", "verify", "--all", "--db", str(db)]).output


def chain_findings(db: Path) -> list[Any]:
    """What the chain check finds in every log (the bulk-built 'add' events are not chained)."""
    from campaigns.audit import check_chain, streams
    from campaigns.db import Database

    database = Database(str(db))
    with database.read() as conn:
        found = [f for s in streams(conn, None, True, False) for f in check_chain(conn, s)]
    database.engine.dispose()
    return found


def test_many_short_transactions_write_what_one_writes(campaign: Path, tmp_path: Path) -> None:
    """The single-transaction tick (what a dry run does) and the batched one agree exactly."""
    from campaigns.clock import tick
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.runs import load_run

    whole = copy(campaign, tmp_path / "whole.db")
    with Database(str(whole)).write() as conn:
        tick(Scope(conn, load_run(conn, KEY), None, dt.date.fromisoformat(UNTIL)))
    batched = copy(campaign, tmp_path / "batched.db")
    child = tick_child(batched)
    out, err = child.communicate(timeout=WAIT)
    assert child.returncode == 0, err
    transactions, changes = map(int, out.split())
    assert transactions > 50 and changes > N  # many slices, several levels each
    assert dump(batched) == dump(whole)


def test_slices_read_the_due_ids_ahead_a_bounded_number_at_a_time(
        campaign: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the read-ahead smaller than a unit's due rows, the ids are read again as slices use
    them up, and the result is still the one-transaction tick's."""
    import engine.io.clock
    from campaigns.clock import tick, tick_in_batches
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.runs import load_run

    whole = copy(campaign, tmp_path / "whole.db")
    with Database(str(whole)).write() as conn:
        tick(Scope(conn, load_run(conn, KEY), None, dt.date.fromisoformat(UNTIL)))
    monkeypatch.setattr(engine.io.clock, "LISTED", 70)
    batched = copy(campaign, tmp_path / "batched.db")
    db = Database(str(batched))
    report = tick_in_batches(db.write, lambda conn: Scope(conn, load_run(conn, KEY), None,
                                                          dt.date.fromisoformat(UNTIL)), hold=0.0)
    db.engine.dispose()
    assert len(report.holds) > 100
    assert dump(batched) == dump(whole)


def test_a_killed_tick_is_finished_by_the_next(campaign: Path, tmp_path: Path) -> None:
    """SIGKILL at random points; the next tick completes it, equal to an uninterrupted run."""
    reference = copy(campaign, tmp_path / "reference.db")
    assert cli(reference, "tick", KEY, "--as-of", UNTIL) == 0
    expected = dump(reference)
    audit = verify(reference)
    # the benchmark's campaign is built in bulk, its items' 'add' events outside the chain:
    # those are the only findings, and every event the ticks wrote is chained and verified
    assert audit.startswith(f"wgbw-2015: inserted: row 2 is not in the chain: it was inserted "
                            f"({N} such row(s))\nsite: ok\n")
    rng = random.Random(13)
    killed_midway = 0
    for round_ in range(4):
        db = copy(campaign, tmp_path / f"killed{round_}.db")
        for _ in range(3):  # killed again while finishing what the last one left
            child = tick_child(db)
            time.sleep(rng.uniform(0.5, 3.0))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                killed_midway += 1
            child.communicate(timeout=WAIT)
        assert cli(db, "tick", KEY, "--as-of", UNTIL) == 0
        assert dump(db) == expected
        assert verify(db) == audit
        assert chain_findings(db) == []
    assert killed_midway >= 4  # the kills did land while ticks were running


def test_writers_get_in_during_a_large_tick(campaign: Path, tmp_path: Path) -> None:
    """Three editors loop while a tick runs: none fails, and commands of theirs start and end
    while the tick is running (with the tick as one transaction, each waited for all of it)."""
    from bench_locks import contend

    db = copy(campaign, tmp_path / "busy.db")
    # one piece a transaction: a tick of many short transactions on any machine, however fast
    result = contend(str(db), N, 3, "SQLite", day=UNTIL, settle=0.3, hold=1e-6)
    assert result["status"] == 0, result["error"]
    assert result["failed"] == 0, result["failures"]
    assert result["seconds"] > 1.0, f"the tick was too short to show anything: {result}"
    assert result["within"] > 0
    assert result["longest_hold_s"] < 1.0  # aims at 0.2 s; loose, the machine is shared

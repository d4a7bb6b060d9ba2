"""``rectify item import`` on a campaign whose clock is months behind: the catch-up runs as the
batched tick, in short transactions committed before the import's own one opens, so the
import holds the write lock for its own rows only; killed during the catch-up, the rerun
finishes it and imports; a conflict in the import's transaction after the catch-up committed is
retried by itself, and the command as a whole is never run again.

The campaign is the tick benchmark's (as in tests/test_tick_batches.py): 3,000 rectifications
whose clock stopped on 2015-10-08; the import is dated 2016-01-20, 104 days later.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_tick import KEY, build  # noqa: E402
from test_tick_batches import ROOT, WAIT, chain_findings, copy, dump, verify  # noqa: E402

N = 3000
DAY = "2016-01-20"
# found in the supervision stage, recorded late (the campaign's windows ended with 2015)
CSV = ("序号,问题,单位,类别,来源,发现日期,整改时限\n"
       "1,窗口推诿,u001,passive-attitude,public-report,2015-12-20,2016-03-31\n"
       "2,多头审批,u002,buck-passing,public-report,2015-12-21,2016-03-31\n")

# The import in a process of its own, every transaction of its catch-up one piece of work.
CHILD = """
import sys
sys.path.insert(0, {root!r})
import campaigns.clock
campaigns.clock.HOLD = 1e-6
from campaigns.cli import main
main(["item", "import", {key!r}, {csv!r}, "--actor", "super", "--as-of", {day!r}, "--db", {db!r}])
"""


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catch_up") / "base.db"
    build(str(path), N)
    return path


@pytest.fixture
def csv(tmp_path: Path) -> str:
    (tmp_path / "items.csv").write_text(CSV, encoding="utf-8")
    return str(tmp_path / "items.csv")


def rectify(db: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from campaigns.cli import cli as group

    result = CliRunner().invoke(group, [*args, "--db", str(db)], env={"LANG": "C.UTF-8"})
    return result.exit_code, result.output


def import_(db: Path, csv: str) -> tuple[int, str]:
    return rectify(db, "item", "import", KEY, csv, "--actor", "super", "--as-of", DAY)


def sql(db: Path, query: str) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def batches(db: Path) -> list[tuple[int, str]]:
    return sql(db, "SELECT id, kind FROM batches ORDER BY id")


@pytest.fixture(scope="module")
def reference(campaign: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A tick to the import's date, then the import: what the import must leave."""
    folder = tmp_path_factory.mktemp("reference")
    db = copy(campaign, folder / "reference.db")
    (folder / "items.csv").write_text(CSV, encoding="utf-8")
    assert rectify(db, "tick", KEY, "--as-of", DAY)[0] == 0
    code, out = import_(db, str(folder / "items.csv"))
    assert code == 0, out
    return {"dump": dump(db), "audit": verify(db)}


def test_the_catch_up_commits_in_short_transactions_before_the_import(
        campaign: Path, tmp_path: Path, csv: str, reference: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import campaigns.clock

    monkeypatch.setattr(campaigns.clock, "HOLD", 1e-6)  # one piece a transaction, however fast
    db = copy(campaign, tmp_path / "import.db")
    code, out = import_(db, csv)
    assert code == 0, out
    assert "imported 2 new item(s)" in out
    kinds = [kind for _, kind in batches(db)]
    assert kinds[-1] == "import" and kinds.count("import") == 1  # the import, last, alone
    assert kinds.count("tick") > 100  # the catch-up: many transactions, each its own batch
    # the import's batch holds its own events only: the clock's are all in the tick's batches
    first, last = sql(db, "SELECT first_seq, last_seq FROM batches WHERE kind = 'import'")[0]
    assert sql(db, f"SELECT DISTINCT actor FROM events WHERE seq BETWEEN {first} AND {last} "
                   f"AND campaign_id IS NOT NULL") == [("super",)]
    assert dump(db) == reference["dump"]  # what a tick and then the import write
    assert verify(db) == reference["audit"]


def test_an_import_killed_during_its_catch_up_is_finished_by_the_rerun(
        campaign: Path, tmp_path: Path, csv: str, reference: dict[str, Any]) -> None:
    rng = random.Random(13)
    killed_in_catch_up = 0
    for round_ in range(3):
        db = copy(campaign, tmp_path / f"killed{round_}.db")
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD.format(root=str(ROOT), key=KEY, csv=csv, day=DAY,
                                                db=str(db))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"})
        time.sleep(rng.uniform(0.5, 2.0))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.communicate(timeout=WAIT)
        ticked_to = sql(db, "SELECT ticked_to FROM ticks")[0][0]
        if ticked_to < DAY:
            killed_in_catch_up += 1
            assert sql(db, "SELECT count(*) FROM items")[0][0] == N  # nothing imported yet
        assert chain_findings(db) == []  # whole pieces only: the chain is one line
        code, out = import_(db, csv)
        assert code == 0, out
        assert dump(db) == reference["dump"]
        assert verify(db) == reference["audit"]
    assert killed_in_catch_up >= 1  # a kill did land in the catch-up


def _lock_after_catch_up(monkeypatch: pytest.MonkeyPatch, db: Path,
                         seconds: float | None) -> tuple[list[int], Callable[[], None]]:
    """After the import's catch-up, another writer holds the write lock for ``seconds`` (None:
    until released); returns the catch-up call count and the release."""
    import campaigns.importer
    import engine.io.store

    monkeypatch.setattr(engine.io.store, "BUSY_WAIT", 0.2)
    calls: list[int] = []
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    real = campaigns.importer.catch_up_clock

    def release() -> None:
        if holder.in_transaction:
            holder.execute("ROLLBACK")

    def catch_up_then_lock(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        report = real(*args, **kw)
        holder.execute("BEGIN IMMEDIATE")
        if seconds is not None:
            threading.Timer(seconds, release).start()
        return report

    monkeypatch.setattr(campaigns.importer, "catch_up_clock", catch_up_then_lock)
    return calls, release


def test_a_conflict_after_the_catch_up_is_retried_inside_the_command(
        campaign: Path, tmp_path: Path, csv: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = copy(campaign, tmp_path / "busy.db")
    calls, release = _lock_after_catch_up(monkeypatch, db, 0.6)
    try:
        code, out = import_(db, csv)
    finally:
        release()
    # the import's first try waited 0.2 s and met a busy database; a later one got in
    assert code == 0, out
    assert "imported 2 new item(s)" in out
    assert calls == [1]  # the catch-up ran once: the command itself was not run again
    assert [kind for _, kind in batches(db)][-1] == "import"


def test_a_conflict_that_lasts_after_the_catch_up_is_exit_3_and_the_catch_up_stands(
        campaign: Path, tmp_path: Path, csv: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = copy(campaign, tmp_path / "busy.db")
    calls, release = _lock_after_catch_up(monkeypatch, db, None)
    try:
        code, out = import_(db, csv)
    finally:
        release()
    assert code == 3, out
    assert "the database is busy" in out and "Traceback" not in out
    assert calls == [1]  # never the whole command again once its catch-up committed
    assert sql(db, "SELECT ticked_to FROM ticks")[0][0] == DAY
    assert sql(db, "SELECT count(*) FROM items")[0][0] == N
    assert "import" not in [kind for _, kind in batches(db)]
    monkeypatch.undo()  # no other writer any more
    code, out = import_(db, csv)  # the rerun finds the clock up to date and imports
    assert code == 0, out
    assert [kind for _, kind in batches(db)][-1] == "import"

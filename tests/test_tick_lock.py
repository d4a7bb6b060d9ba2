"""One ``rectify tick`` at a time on a database, across processes and machines: a second one
started while the first runs does nothing (``--all``, for cron on two servers) or is told to
come back (one campaign); PostgreSQL holds the lock as a session advisory lock, SQLite as a
lock file beside the database."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
import pytest
from clock_fixtures import Rectify, setup_campaign
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from engine.io.runlock import lock_key, run_lock


@contextmanager
def held_sqlite(db: str) -> Iterator[None]:
    fd = os.open(f"{db}-tick.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


@contextmanager
def held_postgres(url: str) -> Iterator[None]:
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                         dbname=u.database, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (lock_key("tick"),))
        yield


def ticked(r: Rectify) -> list[tuple[object, ...]]:
    return r.sql("SELECT ticked_to FROM ticks")


def check(r: Rectify, held: AbstractContextManager[None]) -> None:
    setup_campaign(r)
    before = r.snapshot()
    with held:
        result = r.run("tick", "--all", "--as-of", "2015-08-10")
        assert result.exit_code == 0, result.output
        assert "another 'rectify tick' is running on this database" in result.stderr
        assert not result.stdout and r.snapshot() == before
        one = r.run("tick", "wgbw-2015", "--as-of", "2015-08-10")
        assert one.exit_code == 3 and "run it again when that one has finished" in one.output
        assert r.snapshot() == before
        dry = r.run("tick", "wgbw-2015", "--as-of", "2015-08-10", "--dry-run")
        assert dry.exit_code == 0, dry.output  # a dry run writes nothing: it needs no lock
    r.ok("tick", "--all", "--as-of", "2015-08-10")
    assert [str(day) for (day,) in ticked(r)] == ["2015-08-10"]


def test_sqlite(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    check(Rectify(db), held_sqlite(db))
    # the tick removed its lock file when it ended: nothing is left beside the database
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".lock")) == []
    engine = create_engine(f"sqlite:///{db}")
    try:
        with run_lock(engine, db, "tick") as got:
            assert got and oct(os.stat(f"{db}-tick.lock").st_mode & 0o777) == "0o600"
            with run_lock(engine, db, "tick") as second:
                assert not second  # told at once, and the holder's file stays
            assert os.path.exists(f"{db}-tick.lock")
        assert not os.path.exists(f"{db}-tick.lock")
    finally:
        engine.dispose()


def test_removing_the_file_lets_no_two_runs_hold_the_lock(tmp_path: Path) -> None:
    """Runs that start and end as fast as they can, in threads (each its own open file, as two
    processes would have): never two inside at once, although each holder removes the file
    that others may have just opened, and no file is left at the end."""
    db = str(tmp_path / "t.db")
    engine = create_engine(f"sqlite:///{db}")
    inside, most, runs = [0], [0], [0]
    guard = threading.Lock()

    def work() -> None:
        for _n in range(1000):
            with run_lock(engine, db, "tick") as got:
                if not got:
                    continue
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                    runs[0] += 1
                os.sched_yield()
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=work) for _n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert most[0] == 1 and runs[0] > 0
    assert not os.path.exists(f"{db}-tick.lock")


@pytest.mark.postgres
def test_postgresql(pg_db_url: str) -> None:
    check(Rectify(pg_db_url), held_postgres(pg_db_url))

"""Two processes writing one campaign at once keep one valid chain, on SQLite and PostgreSQL.

Each process moves and annotates its own items, one transaction per change, both started at
the same barrier. Writers lock the campaign's chain head first, so they queue on it: no
event number is taken twice, no writer is told to retry, and ``audit verify`` passes.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from test_cli_common import CAMPAIGN, WGBW, Cli, populate, seeded

DAY = dt.date(2015, 8, 4)
WAIT = 120  # seconds: a guard against hanging only
SPAWN = multiprocessing.get_context("spawn")
PER_WRITER = 6


def write_many(url: str, codes: list[str], start: Any, out: Any) -> None:
    """Confirm each item, then record progress on it: two transactions per item."""
    from campaigns.advance import advance
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.items import progress
    from campaigns.people import resolve_actor
    from campaigns.runs import load_run
    from engine.core.errors import Conflict

    db = Database(url)
    with db.read() as conn:  # load and build everything before the start line
        load_run(conn, CAMPAIGN)
    retries = 0
    start.wait(WAIT)
    for code in codes:
        for step in ("confirm", "progress"):
            while True:
                try:
                    with db.write() as conn:
                        if step == "confirm":
                            advance(conn, "confirm", [code], None, "sup", DAY, resolve=resolve_actor)
                        else:
                            run = load_run(conn, CAMPAIGN)
                            progress(Scope(conn, run, resolve_actor(conn, "head"), DAY), code,
                                     f"{code} 进展", [])
                    break
                except Conflict:
                    retries += 1
                    if retries > 50:
                        raise
    out.put(retries)


def race(cli: Cli, url: str) -> None:
    codes = [cli.add_item(title=f"问题{i}") for i in range(2 * PER_WRITER)]
    before = _count(url)
    start, out = SPAWN.Barrier(2), SPAWN.Queue()
    procs = [SPAWN.Process(target=write_many, name=name, args=(url, part, start, out))
             for name, part in (("A", codes[0::2]), ("B", codes[1::2]))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(WAIT)
        assert p.exitcode == 0, f"{p.name} exited with {p.exitcode}"
    assert [out.get(timeout=WAIT) for _ in procs] == [0, 0]  # queued on the head, never a retry
    after = _count(url)
    assert after["events"] == before["events"] + 2 * len(codes)
    assert after["max_seq"] == after["events"]  # one line: 1, 2, 3 … with no gap or twin
    assert cli.ok("audit", "verify", CAMPAIGN) == f"{CAMPAIGN}: ok\n"


def _count(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as conn:
            n, top = conn.execute(sa.text("SELECT count(*), max(seq) FROM events")).one()
    finally:
        engine.dispose()
    return {"events": n, "max_seq": top}


def test_two_processes_keep_one_chain_on_sqlite(tmp_path: Path,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    cli = seeded(tmp_path, tmp_path_factory)
    race(cli, str(cli.db))


@pytest.mark.postgres
def test_two_processes_keep_one_chain_on_postgres(pg_db_url: str) -> None:
    cli = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(cli)
    cli.ok("campaign", "start", str(WGBW), "--start", "2015-07-01", "--actor", "lead")
    race(cli, pg_db_url)
    assert cli.ok("audit", "verify", "--all") == f"{CAMPAIGN}: ok\nsite: ok\n"
    import sqlalchemy as sa

    engine = sa.create_engine(pg_db_url)
    with engine.begin() as conn:  # and on the server too, a swap is named
        conn.execute(sa.text("UPDATE events SET seq = -1 WHERE seq = 4"))
        conn.execute(sa.text("UPDATE events SET seq = 4 WHERE seq = 5"))
        conn.execute(sa.text("UPDATE events SET seq = 5 WHERE seq = -1"))
    engine.dispose()
    result = cli.invoke("audit", "verify", CAMPAIGN)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{CAMPAIGN}: reordered: event #4 "), result.stdout

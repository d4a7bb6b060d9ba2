"""A SQLite Database keeps one connection per kind of transaction between transactions.

What must hold: each transaction still sees what the others committed, a failed transaction
leaves nothing behind and does not poison the next, a reader never blocks on a writer's
connection, and disposing the engine or dropping the Database gives every connection back.
"""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from test_cli_common import Cli, seeded

from campaigns.db import Database


@pytest.fixture
def db(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Database:
    cli: Cli = seeded(tmp_path, tmp_path_factory)
    return Database(str(cli.db))


def _units(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM units")).scalar_one())


def test_transactions_reuse_their_connection_and_see_each_other(db: Database) -> None:
    before = _units(db)
    with db.write() as conn:
        first = conn.connection.dbapi_connection
        conn.execute(text("UPDATE units SET title = title || '!' WHERE id = 1"))
    with db.write() as conn:
        assert conn.connection.dbapi_connection is first  # kept, not checked out again
        assert conn.execute(text("SELECT title FROM units WHERE id = 1")).scalar_one().endswith("!")
    assert _units(db) == before
    with db.read() as outer, db.read() as inner:  # one inside another: a connection of its own
        assert outer.connection.dbapi_connection is not inner.connection.dbapi_connection


def test_a_failed_transaction_changes_nothing_and_the_next_one_works(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute(text("DELETE FROM events"))
        raise RuntimeError("refused halfway")
    with db.write() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() > 0
        conn.execute(text("UPDATE units SET title = 'x' WHERE id = 1"))
    with db.read() as conn:
        assert conn.execute(text("SELECT title FROM units WHERE id = 1")).scalar_one() == "x"


def test_disposing_or_dropping_the_database_gives_the_connections_back(db: Database) -> None:
    with db.read() as reader:
        kept = [reader.connection.dbapi_connection]
    with db.write() as writer:
        kept.append(writer.connection.dbapi_connection)
    db.engine.dispose()  # closes them, as it closes its pool's
    for dbapi in kept:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            dbapi.execute("SELECT 1")
    assert _units(db) > 0  # and the next transaction opens a new one
    other = Database(db.url)
    _units(other)
    pool = other.engine.pool
    assert pool.checkedout() == 1
    enabled = gc.isenabled()
    gc.disable()  # no cycle keeps a dropped Database alive: its connection goes back at once
    try:
        del other
        assert pool.checkedout() == 0
    finally:
        if enabled:
            gc.enable()

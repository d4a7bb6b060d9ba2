"""On the real PostgreSQL server: a long tick while editors loop on the same campaign.

Every writer takes the campaign's chain head first, then its rows (the tick no longer locks
the campaign row before the head: with writers whose event INSERT checks its foreign key on
that row while they hold the head, that order deadlocked); a conflict is retried inside the
command.  Before: the tick deadlocked with the editors and failed with exit 3.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from engine.core.errors import Conflict
from engine.io.store import retrying, translate_errors

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_locks import contend  # noqa: E402
from bench_tick import build  # noqa: E402

N = 40_000


def test_a_tick_beside_four_editors_neither_deadlocks_nor_fails(pg_db_url: str) -> None:
    build(pg_db_url, N)
    result = contend(pg_db_url, N, 4, "PostgreSQL", settle=0.5)
    assert result["status"] == 0, result["error"]
    assert result["changes"] == 12_002
    assert result["deadlocks"] == 0
    assert result["failed"] == 0, result["failures"]
    assert result["commands"] > 4


def test_a_deadlock_is_a_conflict_worth_retrying() -> None:
    """The server's "deadlock detected" is exit 3 (it was "database error", exit 4)."""
    with pytest.raises(Conflict), translate_errors():
        raise OperationalError("UPDATE …", {}, Exception("deadlock detected"))


def test_a_conflict_is_tried_again_then_given_to_the_user() -> None:
    tries: list[int] = []

    def flaky() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise Conflict("the database is busy")
        return "done"

    assert retrying(flaky, backoff=0.001) == "done" and len(tries) == 3

    def never() -> str:
        tries.append(1)
        raise Conflict("changed by someone else")

    tries.clear()
    with pytest.raises(Conflict):
        retrying(never, attempts=4, backoff=0.001)
    assert len(tries) == 4

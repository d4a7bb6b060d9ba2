"""One run at a time of a long job on one database, across processes and machines.

A job such as the daily clock commits in many short transactions, so no transaction's lock
keeps a second run out; two runs at once are safe (each piece checks what is due when it runs)
but do the work twice over and interleave their batches.  The job takes a named lock for its
whole run instead: on PostgreSQL a session advisory lock, which the server releases if the
process dies; on SQLite an exclusive ``flock`` on a file beside the database, which the kernel
releases likewise.  A run that does not get it is told at once and does nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.engine import Engine


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL's advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def run_lock(engine: Engine, sqlite_path: str | None, name: str) -> Iterator[bool]:
    """Hold the lock ``name`` for the block; yields whether it was got (never waits)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(select(func.pg_try_advisory_lock(lock_key(name)))).scalar())
            conn.commit()  # the lock is the session's: it outlives this transaction
            try:
                yield got
            finally:
                if got:
                    conn.execute(select(func.pg_advisory_unlock(lock_key(name))))
                    conn.commit()
        return
    if not sqlite_path or sqlite_path == ":memory:":
        yield True  # a database no other process can open
        return
    import fcntl

    fd = os.open(f"{sqlite_path}-{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

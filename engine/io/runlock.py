"""One run at a time of a long job on one database, across processes and machines.

A job such as the daily clock commits in many short transactions, so no transaction's lock
keeps a second run out; two runs at once are safe (each piece checks what is due when it runs)
but do the work twice over and interleave their batches.  The job takes a named lock for its
whole run instead: on PostgreSQL a session advisory lock, which the server releases if the
process dies; on SQLite an exclusive ``flock`` on a file beside the database, which the kernel
releases likewise, and which its holder removes when it is done (no file is left beside the
database).  A run that does not get it is told at once and does nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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

    path = f"{sqlite_path}-{name}.lock"
    fd = _locked(path, fcntl)
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        try:  # removed by its holder while still held: nobody locks a file without a name
            os.unlink(path)
        except OSError:
            pass  # a folder that forbids it: the file stays, and the lock still works
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _locked(path: str, fcntl: Any) -> int | None:
    """A descriptor of the lock file at ``path``, locked; None when another run holds it.

    The holder removes the file when it is done, so a run that opened the file just before
    may then lock a file that no longer has a name while a third run creates and locks a new
    one: a lock counts only when the path still names the file locked, else try again.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            named = os.stat(path)
        except FileNotFoundError:
            named = None
        held = os.fstat(fd)
        if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
            return fd
        os.close(fd)  # the file was removed (and maybe made again) meanwhile

"""Running a command again when it meets a conflict, before telling the user (exit 3).

A conflict (PostgreSQL's serialization failure or deadlock, a row changed since it was read,
SQLite still busy after its wait) rolls back the transaction it happened in.  A command that
had committed nothing else is then run again whole, from parsing its arguments: it reads
everything afresh, so the second run decides on what the first one's rival wrote.  A command
that already committed something (a tick's earlier transactions) is not run again: it retries
its own transactions (engine.io.store.retrying), as does an import's own transaction after its
catch-up tick committed (``after_commits``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from engine.core.errors import Conflict
from engine.io.store import ATTEMPTS, BACKOFF, retrying

T = TypeVar("T")


def retry_command(ctx: click.Context, invoke: Callable[[], Any]) -> Any:
    """``invoke`` (the group's own invoke of the chosen command) up to ``ATTEMPTS`` times."""
    from campaigns import db

    args = (list(ctx._protected_args), list(ctx.args))  # consumed by each invoke
    for attempt in range(1, ATTEMPTS + 1):
        before = len(db.committed)
        try:
            return invoke()
        except Conflict:
            if attempt == ATTEMPTS or len(db.committed) != before:
                raise
        ctx._protected_args, ctx.args = list(args[0]), list(args[1])
        time.sleep(BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def commits() -> int:
    """How many write transactions this process has committed so far (for ``after_commits``)."""
    from campaigns import db

    return len(db.committed)


def after_commits(since: int, work: Callable[[], T]) -> T:
    """``work``, one whole write transaction, retried by itself on a conflict when the command
    committed something since ``since`` (an import's catch-up tick): the command as a whole is
    then no longer run again (``retry_command``), and without this its last transaction would
    get no second try.  Otherwise run once, the command's own retry covering it."""
    return retrying(work) if commits() != since else work()

"""Who may see which item fields: the one policy every output asks (docs/security.md).

A definition lists the fields it keeps confidential (``confidential:``); a reporter's identity
and contact are confidential whatever it says.  A viewer sees them only through a role with
``confidential: true``; every other output (no ``--actor``, or one without such a role) leaves
them out.  What an entitled viewer was shown is itself recorded as an event, so every read of
a confidential value is attributable (who, when, which item or listing).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy.engine import Connection

from engine.core.machines import Actor
from engine.io.writer import Entry

from . import events as ev
from .context import Scope
from .plugin import MAY_HIDE as MAY_HIDE
from .runs import Run

ALWAYS = frozenset({"reporter", "reporter_contact"})  # confidential in every campaign


def entitled(run: Run, actor: Actor | None) -> bool:
    """Whether ``actor`` holds a role of the campaign that may see confidential fields."""
    if actor is None:
        return False
    roles = run.definition.roles
    return any(roles[r].confidential for r in actor.roles if r in roles)


def confidential(run: Run) -> frozenset[str]:
    """Every field the campaign keeps confidential."""
    return ALWAYS | run.definition.confidential


def hidden(run: Run, actor: Actor | None) -> frozenset[str]:
    """The fields ``actor`` may not see (None: an unsigned or public view)."""
    return frozenset() if entitled(run, actor) else confidential(run)


def redact(row: Mapping[str, Any], hide: Iterable[str]) -> dict[str, Any]:
    """``row`` without the keys ``hide`` names."""
    gone = set(hide)
    return {k: v for k, v in row.items() if k not in gone}


def blank(row: Mapping[str, Any], hide: Iterable[str]) -> dict[str, Any]:
    """``row`` with the values of ``hide``'s keys emptied (for layouts with fixed columns)."""
    gone = set(hide)
    return {k: ("" if k in gone else v) for k, v in row.items()}


def record_read(scope: Scope, output: str, shown: Iterable[str], *, items: int,
                code: str | None = None, also: Iterable[str] = (), **filters: Any) -> bool:
    """Append a read event when an entitled actor was shown confidential fields; returns
    whether one was written.  Called inside the command's write transaction, or, for a view
    read in a read transaction, kept for ``write_reads`` (``reads_kept``).  ``also``: other
    confidential values shown with them (names in a confidential register, ``sanctioned``)."""
    fields = sorted((set(shown) & confidential(scope.run)) | set(also))
    if not fields or not items or not entitled(scope.run, scope.actor):
        return False
    assert scope.actor is not None
    run = scope.run
    kept = {k: v for k, v in filters.items() if v not in (None, False, "")}
    kept["as_of"] = scope.as_of  # the date viewed; the event is dated so as not to move
    # business time (a view of today must not refuse tomorrow's entry of yesterday's work)
    entry = ev.entry(run.key, ev.ConfidentialRead(output, fields, items, kept),
                     subject=code or run.key, actor=scope.actor.key,
                     day=run.latest or run.start_date, campaign_id=run.id)
    pending = _kept.get()
    if pending is not None:
        pending.append(entry)
    else:
        write_reads(scope.conn, [entry])
    return True


# the read events of a view being read in a read transaction, to be written after it
_kept: contextvars.ContextVar[list[Entry] | None] = contextvars.ContextVar(
    "rectify_reads_kept", default=None)


@contextlib.contextmanager
def reads_kept() -> Iterator[list[Entry]]:
    """Keep the read events ``record_read`` makes inside, instead of writing them: a web page
    reads in a read transaction (which holds no writer's lock on SQLite) and writes what it
    kept afterwards in a short write transaction of its own (``write_reads``), before the page
    is shown."""
    pending: list[Entry] = []
    token = _kept.set(pending)
    try:
        yield pending
    finally:
        _kept.reset(token)


def write_reads(conn: Connection, entries: list[Entry]) -> None:
    """Append read events, in a write transaction (the campaigns' heads locked first)."""
    if entries:
        ev.lock(conn, sorted({e.stream for e in entries}))
        ev.write(conn, entries)

"""Sending the outbox: at least once, with retries and backoff, one sender at a time.

A message is delivered first and recorded as sent after, in a short transaction of its own: a
sender killed between the two sends it again next time (at least once; the message's key lets
the receiver drop the repeat), and one killed before delivering loses nothing.  A failed
attempt is tried again after a backoff that doubles (1 minute, 2, 4 … at most 6 hours); after
``MAX_ATTEMPTS`` the message is marked failed and shown by ``rectify notify status``.  One
sender runs at a time per database (``engine.io.runlock``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from engine.core.errors import EnvironmentProblem
from engine.io.runlock import run_lock

from ..db import Database
from ..i18n import _
from ..tables import OUTBOX as O
from .channels import DeliveryFailed, deliver
from .config import ENV, site_notifications

MAX_ATTEMPTS = 10
FIRST_WAIT = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=6)
BATCH = 100


@dataclass
class Sent:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: bool = False  # another sender holds the lock
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failure."""
    wait: dt.timedelta = FIRST_WAIT * 2 ** max(0, attempts - 1)
    return min(wait, LONGEST_WAIT)


def send(db: Database, now: Any = None, limit: int | None = None) -> Sent:
    """Deliver every message due now (up to ``limit``); returns what happened."""
    site = site_notifications()
    if site is None:
        raise EnvironmentProblem(_("this site sets no notifications"),
                                 _("set {env} to the site configuration file "
                                   "(docs/notifications.md)").format(env=ENV))
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    out = Sent()
    with run_lock(db.engine, db.sqlite_path, "notify") as got:
        if not got:
            out.skipped = True
            return out
        done = 0
        while limit is None or done < limit:
            with db.read() as conn:
                due = conn.execute(select(O).where(O.c.status == "pending",
                                                   O.c.next_try_at <= clock())
                                   .order_by(O.c.next_try_at, O.c.id).limit(BATCH)).all()
            if not due:
                break
            for message in due[: None if limit is None else limit - done]:
                _one(db, site, message, clock(), out)
                done += 1
    return out


def _one(db: Database, site: Any, message: Any, now: dt.datetime, out: Sent) -> None:
    try:
        deliver(site, message)
    except DeliveryFailed as exc:
        attempts = message.attempts + 1
        failed = attempts >= MAX_ATTEMPTS
        with db.write() as conn:
            conn.execute(update(O).where(O.c.id == message.id, O.c.status == "pending").values(
                attempts=attempts, last_error=str(exc)[:2000], next_try_at=now + backoff(attempts),
                status="failed" if failed else "pending"))
        out.failed += failed
        out.retried += not failed
        out.errors.append(f"{message.channel} {message.recipient}: {exc}")
        return
    with db.write() as conn:
        conn.execute(update(O).where(O.c.id == message.id, O.c.status == "pending").values(
            status="sent", sent_at=now, attempts=message.attempts + 1, last_error=None))
    out.sent += 1


def status(db: Database) -> dict[str, Any]:
    """Counts by status and channel, the next retry, and the failed messages."""
    with db.read() as conn:
        counts = Counter({(s, c): n for s, c, n in conn.execute(
            select(O.c.status, O.c.channel, func.count()).group_by(O.c.status, O.c.channel))})
        nxt = conn.execute(select(func.min(O.c.next_try_at)).where(O.c.status == "pending")).scalar()
        failed = [dict(r._mapping) for r in conn.execute(
            select(O.c.id, O.c.channel, O.c.recipient, O.c.subject, O.c.attempts, O.c.last_error)
            .where(O.c.status == "failed").order_by(O.c.id).limit(50))]
    by_status = Counter[str]()
    for (state, _channel), n in counts.items():
        by_status[state] += n
    return {"pending": by_status["pending"], "sent": by_status["sent"],
            "failed": by_status["failed"],
            "by_channel": {f"{c} {s}": n for (s, c), n in sorted(counts.items())},
            "next_try_at": nxt.isoformat() if nxt else None, "failed_messages": failed}


def retry_failed(db: Database) -> int:
    """Put failed messages back in the queue (after the site's settings were fixed)."""
    with db.write() as conn:
        result = conn.execute(update(O).where(O.c.status == "failed").values(
            status="pending", attempts=0, next_try_at=dt.datetime.now(dt.UTC)))
        return int(result.rowcount or 0)

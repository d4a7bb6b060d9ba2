"""Keeping reporters' personal details no longer than needed: a definition's retention rule.

``retention: {reporters: 2 years after conclusion}`` — that long after the campaign concluded,
``rectify db purge`` removes every reporter's identity and contact of its items from the
secrets table, and appends one event saying so (the log never held the values).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from . import events as ev
from .plugin import RETENTION_RULE
from .runs import Run
from .tables import ITEMS as I, SECRETS

RULE = re.compile(RETENTION_RULE)
REPORTER_FIELDS = ("reporter", "reporter_contact")


def purge_on(run: Run) -> dt.date | None:
    """The first day the campaign's reporters may be purged (None: no rule, or not concluded)."""
    rule = (run.definition.sections.get("retention") or {}).get("reporters")
    match = RULE.match(rule) if isinstance(rule, str) else None
    if match is None or run.concluded_on is None:
        return None
    n, unit, end = int(match.group(1)), match.group(2), run.concluded_on
    if unit == "day":
        return end + dt.timedelta(days=n)
    months = end.month - 1 + (n * 12 if unit == "year" else n)
    year, month = end.year + months // 12, months % 12 + 1
    for day in range(end.day, 27, -1):  # 29 February two years on: the 28th
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, min(end.day, 28))


def purge(conn: Connection, run: Run, as_of: dt.date, actor: str) -> dict[str, Any] | None:
    """Remove the campaign's reporters' details when its rule says so; what was done, or None."""
    due = purge_on(run)
    if due is None or as_of < due:
        return None
    items = select(I.c.id).where(I.c.campaign_id == run.id).scalar_subquery()
    which = (SECRETS.c.item_id.in_(items), SECRETS.c.field.in_(REPORTER_FIELDS))
    ev.lock(conn, [run.key])
    count = conn.execute(select(func.count(func.distinct(SECRETS.c.item_id))).where(*which)).scalar()
    if not count:
        return None
    conn.execute(delete(SECRETS).where(*which))
    ev.write(conn, [ev.entry(run.key, ev.ReportersPurged(list(REPORTER_FIELDS), int(count)),
                             subject=run.key, actor=actor, day=as_of, campaign_id=run.id,
                             rule="retention.reporters")])
    return {"campaign": run.key, "items": int(count), "due": due.isoformat()}

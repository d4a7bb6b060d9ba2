"""Month-end snapshots: derived copies of a campaign's reduced state, so replays start late.

A snapshot holds every item as ``campaigns.reducer`` left it at the end of a month, and the id
of the newest event it includes.  It is written only for a month no change can reach any more:
business time only moves forward, so once the campaign's newest event and its clock (``tick``)
are both past a month-end, no event dated on or before it can be written.  It is written only
where the log splits cleanly there (every event dated up to the month-end was written before
every later-dated one; a catch-up tick can interleave them), so the snapshot plus the events
dated after it, in the order written, is exactly the replay of the whole log.  Snapshots are
derived data: ``repair_snapshots`` rebuilds them from the log, ``replay_problems`` holds the
state tables and the snapshots against a replay.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from engine.io.store import now

from .reducer import (
    COMPARED,
    DATES,
    FACTS_OF,
    FIELDS,
    RETIRED_AT,
    ItemAt,
    bulk,
    replay_items,
    stored_items,
)
from .runs import Run
from .tables import EVENTS as E, SNAPSHOTS as SN, TICKS as T

_DATE_AT = tuple(i for i, name in enumerate(FIELDS) if name in DATES)


@dataclass
class Snapshot:
    as_of: dt.date
    last_event_id: int
    items: dict[int, ItemAt]


_FIELDS_OF = operator.attrgetter(*FIELDS)
_COMPARED_OF = operator.attrgetter(*COMPARED)


def encode(items: list[ItemAt]) -> bytes:
    """Items as compressed JSON rows in ``FIELDS`` order, dates as day ordinals."""
    rows = []
    ordinals: dict[dt.date, int] = {}  # a campaign's dates repeat: each converted once
    for it in items:
        row: list[Any] = list(_FIELDS_OF(it))
        for i in _DATE_AT:
            day = row[i]
            if day is not None:
                ordinal = ordinals.get(day)
                if ordinal is None:
                    ordinal = ordinals[day] = day.toordinal()
                row[i] = ordinal
        rows.append(row)
    return zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def decode(blob: bytes) -> dict[int, ItemAt]:
    """Items from ``encode``'s rows; every item of a campaign, so the loop is kept tight."""
    out: dict[int, ItemAt] = {}
    days: dict[int, dt.date] = {}  # a campaign's dates repeat: each ordinal decoded once
    fromordinal = dt.date.fromordinal
    for row in json.loads(zlib.decompress(blob)):
        for i in _DATE_AT:
            value = row[i]
            if value is not None:
                day = days.get(value)
                if day is None:
                    day = days[value] = fromordinal(value)
                row[i] = day
        out[row[0]] = ItemAt(*row)
    return out


def load_snapshot(conn: Connection, run: Run, as_of: dt.date) -> Snapshot | None:
    """The newest snapshot at or before ``as_of``, or None."""
    row = conn.execute(select(SN.c.as_of, SN.c.last_event_id, SN.c.state)
                       .where(SN.c.campaign_id == run.id, SN.c.as_of <= as_of)
                       .order_by(SN.c.as_of.desc()).limit(1)).first()
    if row is None:
        return None
    return Snapshot(row.as_of, row.last_event_id, decode(row.state))


def month_ends(first: dt.date, before: dt.date) -> list[dt.date]:
    """Every month's last day from ``first``'s month on, strictly before ``before``."""
    out: list[dt.date] = []
    month = dt.date(first.year, first.month, 1)
    while True:
        nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        end = nxt - dt.timedelta(days=1)
        if end >= before:
            return out
        out.append(end)
        month = nxt


def sealed_before(conn: Connection, run: Run) -> dt.date | None:
    """The earliest date a change may still be dated: later writers and the clock start there."""
    from .undo import standing_latest

    latest = standing_latest(conn, run)  # an undone change no longer holds business time
    if latest is None:
        return None
    if run.concluded_on is not None:  # its clock has stopped
        return latest
    ticked = conn.execute(select(T.c.ticked_to).where(T.c.campaign_id == run.id)).scalar()
    return min(latest, ticked or run.start_date)


def _split(conn: Connection, run: Run, day: dt.date) -> int | None:
    """The newest event dated up to ``day`` if every one was written before every later one."""
    upto = conn.execute(select(func.max(E.c.id)).where(
        E.c.campaign_id == run.id, E.c.business_date <= day)).scalar()
    after = conn.execute(select(func.min(E.c.id)).where(
        E.c.campaign_id == run.id, E.c.business_date > day)).scalar()
    if upto is None or (after is not None and after < upto):
        return None
    return int(upto)


def write_missing(conn: Connection, run: Run) -> list[dt.date]:
    """Write the snapshot of every month-end no change can reach that has none yet
    (``rectify audit snapshots``, run after the nightly tick)."""
    sealed = sealed_before(conn, run)
    if sealed is None:
        return []
    have = set(conn.execute(select(SN.c.as_of).where(SN.c.campaign_id == run.id)).scalars())
    written = []
    for end in month_ends(run.start_date, sealed):
        if end in have:
            continue
        last = _split(conn, run, end)
        if last is None:
            continue
        items = replay_items(conn, run, end)
        head = conn.execute(select(E.c.hash).where(E.c.id == last)).scalar()
        conn.execute(insert(SN).values(campaign_id=run.id, as_of=end, last_event_id=last,
                                       head_hash=head, items=len(items), state=encode(items),
                                       created_at=now()))
        written.append(end)
    return written


def repair_snapshots(conn: Connection, run: Run) -> int:
    """Drop the campaign's snapshots and write them again from the log; how many were written."""
    conn.execute(delete(SN).where(SN.c.campaign_id == run.id))
    return len(write_missing(conn, run))


@bulk()  # tens of thousands of items built and compared: nothing for the collector to find
def replay_problems(conn: Connection, run: Run) -> list[str]:
    """Every item whose stored state differs from a replay of the log, and every stale snapshot."""
    latest = conn.execute(select(func.max(E.c.business_date))
                          .where(E.c.campaign_id == run.id)).scalar()
    if latest is None:
        return []
    with bulk():  # the tables read once: the replay's item rows, and what it is checked against
        rows = stored_items(conn, run)
        replayed = replay_items(conn, run, latest, snapshots=False,
                                rows={row[0]: row for row in rows})
        problems = _differences((FACTS_OF(row) for row in rows if row[RETIRED_AT] is None),
                                replayed, "stored state")
    for day, blob in conn.execute(select(SN.c.as_of, SN.c.state)
                                  .where(SN.c.campaign_id == run.id).order_by(SN.c.as_of)):
        stored = sorted(decode(blob).values(), key=lambda it: it.seq)
        problems += _differences(map(_facts, stored),
                                 replay_items(conn, run, day, snapshots=False),
                                 f"snapshot of {day}")
    return problems


def _differences(have: Iterable[tuple[Any, ...]], replayed: list[ItemAt], what: str) -> list[str]:
    """``have``: items as (id, code, *the ``COMPARED`` facts), compared as tuples with the
    replay's (one C call in the common case, no object built)."""
    out = []
    by_id = {it.id: it for it in replayed}
    for row in have:
        other = by_id.pop(row[0], None)
        if other is None:
            out.append(f"{row[1]}: in the {what} but not in the log")
            continue
        if _COMPARED_OF(other) == row[2:]:  # 0 == False: SQLite's typical compares as stored
            continue
        diff = [f"{n} {_shown(n, mine)!r} (log: {getattr(other, n)!r})"
                for n, mine in zip(COMPARED, row[2:], strict=True) if mine != getattr(other, n)]
        out.append(f"{row[1]}: {what} differs: " + ", ".join(diff))
    out += [f"{it.code}: in the log but not in the {what}" for it in by_id.values()]
    return out


def _facts(it: ItemAt) -> tuple[Any, ...]:
    """An item as ``_differences`` compares it."""
    return (it.id, it.code, *_COMPARED_OF(it))


def _shown(name: str, value: Any) -> Any:
    return bool(value) if name == "typical" and value is not None else value

"""Checking the event logs (``rectify audit``): each campaign's chain and the site log's.

``verify`` runs every function of ``CHECKS`` on each stream; a check takes a connection and a
stream and returns what it found wrong, so another check (a replay of the log against the
state tables) is one more function in that list.  The chain check walks the stream in order
and names the first event that was edited, deleted, inserted or reordered; the others compare
the head row with the log's end and the events older than the chain with the digest that
started it.  ``--expect`` adds a check against a head published earlier: it catches a cut tail
or a chain recomputed after an edit, which leave a log that is consistent in itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.core.chain import ALG, Link, Stored, old_digest, utc_text, walk
from engine.core.errors import NotFound

from .i18n import _
from .tables import CAMPAIGNS as C, EVENTS as E, HEADS as H, SITE, SITE_EVENTS

BATCH = 5000  # rows fetched at a time while walking a chain


@dataclass(frozen=True)
class Stream:
    """One event log: a campaign's (its key, its id) or the site's (``campaign_id`` None)."""

    key: str
    campaign_id: int | None

    @property
    def table(self) -> Table:
        return E if self.campaign_id is not None else SITE_EVENTS

    def scope(self) -> ColumnElement[bool]:
        if self.campaign_id is None:
            return SITE_EVENTS.c.id.is_not(None)
        return E.c.campaign_id == self.campaign_id


@dataclass(frozen=True)
class Finding:
    """Something wrong with one stream; ``kind`` is edited, deleted, inserted, reordered, head."""

    stream: str
    kind: str
    message: str
    seq: int | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "kind": self.kind, "seq": self.seq, "row": self.row,
                "message": self.message}


Check = Callable[[Connection, Stream], list[Finding]]


def streams(conn: Connection, key: str | None, every: bool, site: bool) -> list[Stream]:
    """The streams a command names: one campaign, the site log, or all of them."""
    rows = conn.execute(select(C.c.key, C.c.id).order_by(C.c.id)).all()
    if every:
        return [*(Stream(k, i) for k, i in rows), Stream(SITE, None)]
    out = [Stream(SITE, None)] if site else []
    if key is not None:
        found = [Stream(k, i) for k, i in rows if k == key]
        if not found:
            import difflib

            close = difflib.get_close_matches(key, [k for k, _ in rows], n=1)
            raise NotFound(_("unknown campaign '{key}'").format(
                key=key), _("did you mean '{value}'?").format(value=close[0]) if close
                           else _("see 'rectify campaign list'"))
        out += found
    return out


# --- reading a stream ----------------------------------------------------------------------------


def _columns(t: Table) -> tuple[Any, ...]:
    return (t.c.id, t.c.seq, t.c.prev_hash, t.c.hash, t.c.actor, t.c.alg, t.c.business_date,
            t.c.from_state, t.c.machine, t.c.note, t.c.payload, t.c.recorded_at, t.c.rule,
            t.c.subject_key, t.c.to_state, t.c.trigger, t.c.payload_version)


def _stored(stream: str, r: Any) -> Stored:
    (rid, seq, prev, h, actor, alg, day, src, machine, note, payload, at, rule, subject, dest,
     trigger, version) = r
    return Stored(rid, seq, prev, h, Link(actor, alg or "", day.isoformat(), src, machine, note,
                                          payload, prev or "", utc_text(at), rule, seq, stream,
                                          subject, dest, trigger, version or 0))


def chained(conn: Connection, stream: Stream) -> Any:
    """The stream's chained events in chain order (by seq, then row id), fetched in batches.

    A result to close once read (PostgreSQL streams it through a server-side cursor).
    """
    t = stream.table
    query = (select(*_columns(t)).where(stream.scope(), t.c.seq.is_not(None))
             .order_by(t.c.seq, t.c.id))
    return conn.execution_options(yield_per=BATCH).execute(query)


def _finder(conn: Connection, stream: Stream) -> Callable[[str, str], list[Stored]]:
    t = stream.table

    def find(column: str, value: str) -> list[Stored]:
        rows = conn.execute(select(*_columns(t)).where(stream.scope(), t.c[column] == value,
                                                       t.c.seq.is_not(None)).order_by(t.c.id))
        return [_stored(stream.key, r) for r in rows]
    return find


# --- the checks ----------------------------------------------------------------------------------


def check_chain(conn: Connection, stream: Stream) -> list[Finding]:
    """The first event where the chain breaks, and the head row against the chain's end."""
    rows = chained(conn, stream)
    try:
        result = walk((_stored(stream.key, r) for r in rows), _finder(conn, stream))
    finally:
        rows.close()
    if result.first is not None:
        b = result.first
        return [Finding(stream.key, b.kind, b.message, b.seq, b.id)]
    head = conn.execute(select(H.c.seq, H.c.hash).where(H.c.stream == stream.key)).first()
    if head is None:
        return [Finding(stream.key, "head", _("the log '{key}' has no chain head row").format(
            key=stream.key))]
    seq, h = head
    if seq > result.last_seq:
        return [Finding(stream.key, "deleted", _("events #{value} to #{seq} were deleted: the head records "
                                                 "#{seq} but the log ends at #{last_seq}").format(
                                                     value=result.last_seq + 1, seq=seq,
                                                     last_seq=result.last_seq),
                        result.last_seq + 1)]
    if seq < result.last_seq:
        return [Finding(stream.key, "inserted", _("event #{value} was inserted after the head (#{seq}): the "
                                                  "log goes on to #{last_seq}").format(
                                                      value=seq + 1, seq=seq, last_seq=result.last_seq),
                        seq + 1)]
    if h != result.last_hash:
        return [Finding(stream.key, "head", _("the head's hash is not event #{seq}'s: the chain was "
                                              "recomputed or the head edited").format(seq=seq), seq)]
    return []


def check_unchained(conn: Connection, stream: Stream) -> list[Finding]:
    """Events outside the chain: only those a "chain started" event covers, unchanged."""
    t = stream.table
    first = conn.execute(select(t.c.trigger, t.c.payload).where(stream.scope(), t.c.seq == 1)).first()
    covered = first.payload if first is not None and first.trigger == "chain-start" else None
    rows = conn.execute(select(t.c.id, t.c.actor, t.c.business_date, t.c.from_state, t.c.machine,
                               t.c.note, t.c.payload, t.c.recorded_at, t.c.rule, t.c.subject_key,
                               t.c.to_state, t.c.trigger, t.c.payload_version)
                        .where(stream.scope(), t.c.seq.is_(None)).order_by(t.c.id)).all()
    if covered is None:
        if rows:
            return [Finding(stream.key, "inserted", _("row {id} is not in the chain: it was inserted "
                                                      "({count} such row(s))").format(
                                                          id=rows[0].id, count=len(rows)), None, rows[0].id)]
        return []
    count, digest = old_digest(old_link(stream.key, r) for r in rows)
    want = covered.get("events") or 0
    if count == want and (digest == covered.get("digest") or count == 0):
        return []
    kind = "deleted" if count < want else "inserted" if count > want else "edited"
    return [Finding(stream.key, kind, f"the {want} event(s) from before the chain, which its "
                    f"first event covers, were {kind}: {count} found"
                    + ("" if count != want else ", their digest differs"), 1)]


def old_link(stream: str, r: Any) -> Link:
    """An event from before the chain, as its digest covers it (see migration 0003)."""
    return Link(r.actor, ALG, r.business_date.isoformat(), r.from_state, r.machine, r.note,
                r.payload, "", utc_text(r.recorded_at), r.rule, 0, stream, r.subject_key,
                r.to_state, r.trigger, r.payload_version or 1)


def check_replay(conn: Connection, stream: Stream) -> list[Finding]:
    """The state tables and the month-end snapshots against a replay of the campaign's log:
    every item whose stored state the log does not explain is named."""
    if stream.campaign_id is None:
        return []
    from .filings import replay_problems as filing_problems
    from .runs import load_run_by_id
    from .snapshots import replay_problems

    run = load_run_by_id(conn, stream.campaign_id)
    return [Finding(stream.key, "snapshot" if " snapshot of " in problem else "state", problem)
            for problem in [*replay_problems(conn, run), *filing_problems(conn, run)]]


CHECKS: list[Check] = [check_chain, check_unchained, check_replay]
"""Every check ``audit verify`` runs on each stream, in order."""


def check_expected(conn: Connection, stream: Stream, expected: str) -> list[Finding]:
    """A published head must still be in the chain (else: cut off, or the chain recomputed)."""
    t = stream.table
    hit = conn.execute(select(t.c.seq).where(stream.scope(), t.c.hash == expected.lower())).first()
    if hit is not None:
        return []
    return [Finding(stream.key, "head", _("the published head {expected} is not in the log: events were cut "
                                          "off its end, or the chain was recomputed after an edit").format(
                                              expected=expected))]


def verify(conn: Connection, targets: list[Stream], expected: str | None = None,
           checks: list[Check] | None = None) -> dict[str, list[Finding]]:
    """Every check on every stream; an empty list for a stream means it holds."""
    out: dict[str, list[Finding]] = {}
    for stream in targets:
        found: list[Finding] = []
        for check in checks if checks is not None else CHECKS:
            found += check(conn, stream)
            if found:  # a broken chain makes a replay meaningless: the first problem is the one
                break
        if expected:
            found += check_expected(conn, stream, expected)
        out[stream.key] = found
    return out


# --- heads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """A stream's head: its last event's place and hash, and that event's business date."""

    stream: str
    seq: int
    hash: str
    business_date: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "seq": self.seq, "hash": self.hash,
                "date": self.business_date.isoformat() if self.business_date else None}


def head(conn: Connection, stream: Stream, as_of: dt.date | None = None) -> Head | None:
    """The head now, or as of the end of ``as_of``: the longest start of the chain dated by then.

    Business dates are not in chain order (a catch-up tick writes past days after later
    changes), so the head as of a day ends before the first event dated after it: a head once
    printed for a month stays the same however much is appended later.
    """
    t = stream.table
    chain = select(t.c.seq, t.c.hash, t.c.business_date).where(stream.scope(),
                                                                t.c.seq.is_not(None))
    if as_of is not None:
        after = conn.execute(select(func.min(t.c.seq)).where(
            stream.scope(), t.c.seq.is_not(None), t.c.business_date > as_of)).scalar()
        if after is not None:
            chain = chain.where(t.c.seq < after)
    row = conn.execute(chain.order_by(t.c.seq.desc()).limit(1)).first()
    return Head(stream.key, row[0], row[1], row[2]) if row is not None else None

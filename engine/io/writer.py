"""The one writer of events: moves with their events, events alone, and many events at once.

Every event is appended to a stream (a hash chain, see engine.core.chain) whose head, the
last sequence number and hash, lives in ``CHAIN_HEADS``.  Every write locks its streams' heads
first, in name order (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers), then the subject rows, table by table in id order, so that
concurrent writers of one stream queue on its head and never deadlock, and the chain stays
one line.  Callers that change subject rows before writing their event call ``lock_heads``
first to keep that order; no writer locks another row (its run's, say) before the head.

The forms:

* ``apply_moves``: state changes with the optimistic version check, each with its event;
* ``append``: events that move no state (a subject recorded, a note, an edit), any number of
  them in one executemany: the clock and imports pass thousands at once (``append_many``, the
  same for a bulk write's hundreds of thousands, builds and hashes them as ``create`` does);
* ``create``: new subjects stored straight in the states their planned moves leave them in,
  with the events recording them and every move's event (an import of a ledger), set-based;
  their ids come from ``reserve_ids``;
* ``apply_removals``: compensating moves that take subjects back to before they were created
  (an undone creation): each row removed with the same version check, its event saying it
  goes to no state; its earlier events stay in the log.

Nothing else inserts into an event table (tests/test_one_writer.py scans the source).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any, overload

from sqlalchemy import (
    Column,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from engine.core.text import Text

from ..core.chain import ALG, GENESIS, Batch, Link, digest_with_payload, utc_text
from ..core.errors import Conflict, EnvironmentProblem
from ..core.moves import Edit, Move
from .store import Prepared, metadata, now

CHAIN_HEADS = Table(
    "chain_heads", metadata,
    Column("stream", String(128), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
"""The head of every stream: its last event's sequence number and hash (0 and GENESIS: none)."""


def chain_columns() -> list[Column[Any]]:
    """The columns an event table adds for its chain; empty on events older than the chain."""
    return [
        Column("seq", Integer),
        Column("prev_hash", String(64)),
        Column("hash", String(64)),
        Column("alg", String(32)),
        Column("subject_key", String(128)),  # the subject's stable key (hashed, unlike subject_id)
        Column("payload_version", Integer),
    ]


@dataclass
class Entry:
    """One event to append: which stream, which subject, what happened, and its plugin columns."""

    stream: str
    machine: str
    subject_key: str | None
    trigger: str
    actor: str
    business_date: dt.date
    from_state: str | None = None
    to_state: str | None = None
    note: str | None = None
    payload: Mapping[str, Any] | None = None
    payload_version: int = 1
    rule: str | None = None
    subject_id: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)  # plugin columns, e.g. run id


def open_stream(conn: Connection, stream: str) -> None:
    """Start an empty stream; its first event will follow ``GENESIS``."""
    conn.execute(insert(CHAIN_HEADS).values(stream=stream, seq=0, hash=GENESIS))


Heads = dict[str, tuple[int, str]]

_HELD: weakref.WeakKeyDictionary[Any, Heads] = weakref.WeakKeyDictionary()
"""The heads each open transaction has locked, as it has moved them: a command locks its head
first and writes through it later, and reading the row again each time cost two statements of
an in-process advance's eight.  Kept per root transaction (it holds the lock until it ends,
and a new transaction is a new key); not kept inside a savepoint, whose rollback would leave
the remembered head ahead of the row, and a write inside one forgets the root's."""


def lock_heads(conn: Connection, streams: Collection[str]) -> Heads:
    """Lock the heads of ``streams`` (in name order: one lock order for every writer)."""
    held = _held(conn)
    heads: Heads = {}
    for stream in sorted(streams):
        head = held.get(stream) if held is not None else None
        if head is None:
            rows = _HEAD.rows(conn, {"stream": stream})
            if not rows:
                raise EnvironmentProblem(
                    Text("the event log '{stream}' has no chain head", stream=stream),
                    Text("run 'rectify init' to upgrade the database"))
            head = (rows[0][0], rows[0][1])
            if held is not None:
                held[stream] = head
        heads[stream] = head
    return heads


def _held(conn: Connection) -> Heads | None:
    """The heads this transaction holds; None inside a savepoint."""
    if conn.get_nested_transaction() is not None:
        return None
    root = conn.get_transaction()
    if root is None:
        return None
    held = _HELD.get(root)
    if held is None:
        held = _HELD[root] = {}
    return held


def append(conn: Connection, events: Table, entries: Sequence[Entry]) -> None:
    """Append events that move no state, in order, each chained to the one before."""
    if not entries:
        return
    heads = lock_heads(conn, {e.stream for e in entries})
    _write(conn, events, heads, entries, now())


def append_many(conn: Connection, events: Table, entries: Sequence[Entry]) -> None:
    """``append`` for a bulk write's thousands of events (an import's notes): the same rows
    and chain, built and hashed as ``create`` builds its events."""
    if not entries:
        return
    heads = lock_heads(conn, {e.stream for e in entries})
    _write_many(conn, events, heads, entries, (), now())


def apply_moves(conn: Connection, tables: Mapping[str, Any], events: Table, moves: list[Move]) -> None:
    """Write every move and its event, in the caller's transaction, in bulk.

    ``tables`` maps each machine to the table holding its subjects; events keep the order of
    ``moves``, so a consequence is logged after the change that caused it.

    Each UPDATE matches the version read earlier: if another writer got there first it
    matches nothing and we raise ``Conflict`` — the caller's transaction then rolls back
    whole, so there is never an event without its state change or a lost update.
    """
    if not moves:
        return
    heads = lock_heads(conn, {m.stream for m in moves})
    stamp = now()
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for m in moves:
        values: dict[str, Any] = {"_id": m.subject_id, "_version": m.version, "_from": m.from_state,
                  "state": m.to_state, "version": m.version + 1}
        if m.to_state != m.from_state and "entered_on" in tables[m.machine].c:
            values["entered_on"] = m.business_date
        values.update(m.changes)
        groups.setdefault((m.machine, tuple(sorted(values))), []).append(values)
    for (machine, keys), rows in sorted(groups.items(), key=lambda g: g[0]):
        rows.sort(key=lambda row: row["_id"])  # rows locked in id order (module docstring)
        table = tables[machine]
        statement = _move_statement(table, keys)
        if len(rows) == 1 or not conn.dialect.supports_sane_multi_rowcount:
            for row in rows:
                if statement.execute(conn, row) != 1:
                    raise _changed(table.name, row["_id"])
        elif statement.execute_many(conn, rows) != len(rows):
            raise _changed(table.name, None)
    _write(conn, events, heads, [_entry(m) for m in moves], stamp)


def apply_removals(conn: Connection, tables: Mapping[str, Any], events: Table,
                   moves: list[Move]) -> None:
    """Remove the subjects of compensating moves that undo their creation, each with its event.

    Each DELETE matches the version and state read earlier, like a move's UPDATE (another
    writer got there first: ``Conflict``, and the caller's transaction rolls back whole); the
    event records the move with no state to go to, so a replay of the subject's events ends
    with the subject gone.  The caller removes first what refers to the rows (derived rows).
    """
    if not moves:
        return
    heads = lock_heads(conn, {m.stream for m in moves})
    stamp = now()
    for m in sorted(moves, key=lambda m: (m.machine, m.subject_id)):
        table = tables[m.machine]
        gone = conn.execute(delete(table).where(table.c.id == m.subject_id,
                                                table.c.version == m.version,
                                                table.c.state == m.from_state))
        if gone.rowcount != 1:
            raise _changed(table.name, m.subject_id)
    _write(conn, events, heads, [dataclasses.replace(_entry(m), to_state=None) for m in moves],
           stamp)


def _entry(m: Move) -> Entry:
    """The event of a move."""
    return Entry(m.stream, m.machine, m.subject_key, m.trigger, m.actor, m.business_date,
                 m.from_state, m.to_state, m.note, m.payload, m.payload_version, m.rule,
                 m.subject_id, m.event_values)


def reserve_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """Ids for ``n`` new rows of ``table``, for ``create`` in the same transaction.

    A bulk creation needs its subjects' ids before it writes (a move, an event and a row of
    another table name them), and reading them back after the insert cost a query per few
    hundred rows.  PostgreSQL hands them out from the column's sequence; SQLite's writer holds
    the database's one write lock (``BEGIN IMMEDIATE``), so the ids it would give next, after
    the largest, are this transaction's until it ends: nothing may insert into ``table``
    between this call and ``create``.
    """
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        return list(conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :n) ORDER BY 1"), {"table": table.name, "n": n}).scalars())
    last = conn.execute(select(func.max(table.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + n))


def create(conn: Connection, tables: Mapping[str, Table], events: Table,
           rows: Mapping[str, Sequence[dict[str, Any]]], entries: Sequence[Entry],
           moves: Sequence[Move]) -> None:
    """Store new subjects in the states their moves leave them in, with all their events.

    ``rows`` holds each machine's new rows as first recorded (their ids from ``reserve_ids``,
    their first state, version 1); ``entries`` are the events that record them; ``moves`` are
    the planner's moves from there, in order.  Each row takes its moves as ``apply_moves``
    would have (state, version, the date it entered its state, the moves' changes), checked
    to start where the row stands, and is inserted once; the events follow in order, the
    records' first, then the moves', chained as ``append`` and ``apply_moves`` chain them.
    What is stored is what inserting the rows and then applying the moves would store, with
    one INSERT per row and no UPDATE.
    """
    if not any(rows.values()):
        return
    streams = {e.stream for e in entries} | {m.stream for m in moves}
    heads = lock_heads(conn, streams)
    stamp = now()
    by_id = {machine: {row["id"]: row for row in subjects} for machine, subjects in rows.items()}
    entered: dict[str, bool] = {}  # whether the machine's table keeps the date a state began
    for m in moves:
        row = by_id.get(m.machine, _NO_ROWS).get(m.subject_id)
        if row is None or row["version"] != m.version or row["state"] != m.from_state:
            raise AssertionError(f"move of {m.machine} {m.subject_id} does not start where the "
                                 "new row stands")
        row["state"], row["version"] = m.to_state, m.version + 1
        if m.to_state != m.from_state:
            keeps = entered.get(m.machine)
            if keeps is None:
                keeps = entered[m.machine] = "entered_on" in tables[m.machine].c
            if keeps:
                row["entered_on"] = m.business_date
        row.update(m.changes)
    for machine, subjects in sorted(rows.items()):
        if subjects:  # one statement naming every column any of them gives
            keys = tuple(subjects[0])
            values = _alike(subjects, keys)
            if values is not None:  # every row gives the same columns: taken as tuples, in C
                _insert_statement(tables[machine], keys).execute_rows(conn, keys, values)
                continue
            first = subjects[0].keys()
            keys = tuple(dict.fromkeys(k for row in (subjects[0], *(
                row for row in subjects if row.keys() != first)) for k in row))
            _insert_statement(tables[machine], keys).execute_many(conn, subjects)
    _write_many(conn, events, heads, entries, moves, stamp)


_NO_ROWS: dict[Any, dict[str, Any]] = {}


def _alike(rows: Sequence[Mapping[str, Any]], keys: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """Each row's values of ``keys`` as a tuple, if every row has exactly those keys (as long,
    and none missing); else None."""
    n = len(keys)
    if n < 2 or any(len(row) != n for row in rows):
        return None
    try:
        return list(map(itemgetter(*keys), rows))
    except KeyError:
        return None


@functools.lru_cache(maxsize=64)
def _insert_statement(table: Table, keys: tuple[str, ...]) -> Prepared:
    """The INSERT of new subject rows with these columns, built once per process."""
    return Prepared(insert(table).values({k: bindparam(k) for k in keys}))


def apply_edits(conn: Connection, tables: Mapping[str, Any], edits: list[Edit]) -> None:
    """Write field changes that move no state, in the caller's transaction.

    The same optimistic check as ``apply_moves``: each UPDATE matches the version read
    earlier, or ``Conflict`` is raised and the caller's transaction rolls back whole.  The
    correction's event is appended by the caller, with its old and new values.
    """
    for e in sorted(edits, key=lambda e: (e.machine, e.subject_id)):  # one lock order
        table = tables[e.machine]
        row = {"_id": e.subject_id, "_version": e.version, "version": e.version + 1, **e.changes}
        if _edit_statement(table, tuple(sorted(row))).execute(conn, row) != 1:
            raise _changed(table.name, e.subject_id)


@functools.lru_cache(maxsize=64)
def _edit_statement(table: Table, keys: tuple[str, ...]) -> Prepared:
    """The versioned UPDATE of fields alone, built once per process."""
    return Prepared(update(table)
                    .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
                    .values({k: bindparam(k) for k in keys if not k.startswith("_")}))


def _write(conn: Connection, events: Table, heads: dict[str, tuple[int, str]],
           entries: Sequence[Entry], stamp: dt.datetime) -> None:
    """Chain ``entries`` onto ``heads``, insert them, and move the heads."""
    at = utc_text(stamp)
    # SQLite keeps the payload as text: the text hashed is stored as it is, encoded once
    # (elsewhere the column's type encodes the value); observers see the value
    as_text = conn.dialect.name == "sqlite"
    rows: list[dict[str, Any]] = []
    for e in entries:
        seq, prev = heads[e.stream]
        seq += 1
        payload = dict(e.payload) if e.payload else None
        date = e.business_date
        link = Link(e.actor, ALG, date.isoformat(), e.from_state, e.machine, e.note, payload, prev,
                    at, e.rule, seq, e.stream, e.subject_key, e.to_state, e.trigger,
                    e.payload_version)
        h, text = digest_with_payload(link)
        heads[e.stream] = (seq, h)
        rows.append({**e.values, "machine": e.machine, "subject_id": e.subject_id,
                     "trigger": e.trigger, "from_state": e.from_state, "to_state": e.to_state,
                     "actor": e.actor, "business_date": date, "recorded_at": stamp,
                     "note": e.note, "payload": payload, "payload_json": text, "rule": e.rule,
                     "seq": seq, "prev_hash": prev, "hash": h, "alg": ALG,
                     "subject_key": e.subject_key, "payload_version": e.payload_version})
    insert_event = _event_statement(events, as_text)
    if len(rows) == 1:
        insert_event.execute(conn, rows[0])
    else:
        insert_event.execute_many(conn, rows)
    _move_heads(conn, heads)
    for observe in OBSERVERS:
        observe(conn, events, [e.stream for e in entries], rows)


def _move_heads(conn: Connection, heads: dict[str, tuple[int, str]]) -> None:
    """Store the streams' new heads, and keep them for the root transaction's next write."""
    for stream, (seq, h) in heads.items():
        _SAVE.execute(conn, {"_stream": stream, "seq": seq, "hash": h})
    held = _held(conn)
    if held is not None:
        held.update(heads)
    elif (root := conn.get_transaction()) is not None:
        _HELD.pop(root, None)  # written inside a savepoint: the root reads its heads again


_COLUMNS = ("machine", "subject_id", "trigger", "from_state", "to_state", "actor", "business_date",
            "recorded_at", "note", "payload_json", "rule", "seq", "prev_hash", "hash", "alg",
            "subject_key", "payload_version", "payload")
"""The event columns ``_write_many`` builds each row's tuple of, before its plugin columns."""


def _write_many(conn: Connection, events: Table, heads: dict[str, tuple[int, str]],
                entries: Sequence[Entry], moves: Sequence[Move], stamp: dt.datetime) -> None:
    """``_write`` of ``entries`` and then the events of ``moves``, for a bulk creation's
    hundreds of thousands of events: each row is built as a tuple (no ``Entry`` per move, no
    dict per row) and hashed by one ``chain.Batch``, which quotes what recurs down the batch
    once.  The same rows, chain and observers' rows as ``_write``."""
    at = utc_text(stamp)
    as_text = conn.dialect.name == "sqlite"
    extra = tuple(sorted(set().union(*(e.values for e in entries),
                                     *(m.event_values for m in moves)).difference(_COLUMNS)))
    batch = Batch()
    digest = batch.digest
    rows: list[tuple[Any, ...]] = []
    streams: list[str] = []
    day: dt.date | None = None
    day_text = ""
    for (stream, machine, subject, trigger, actor, date, src, dest, note, payload, v, rule,
         subject_id, values) in itertools.chain(map(_ENTRY_FIELDS, entries),
                                             map(_MOVE_FIELDS, moves)):
        seq, prev = heads[stream]
        seq += 1
        if payload is not None and (type(payload) is not dict or not payload):
            payload = dict(payload) if payload else None
        if date != day or type(date) is not type(day):
            day, day_text = date, date.isoformat()
        h, text = digest(actor, day_text, src, machine, note, payload, prev, at, rule, seq,
                         stream, subject, dest, trigger, v)
        heads[stream] = (seq, h)
        rows.append((machine, subject_id, trigger, src, dest, actor, date, stamp, note, text,
                     rule, seq, prev, h, ALG, subject, v, payload, *map(values.get, extra)))
        streams.append(stream)
    names = (*_COLUMNS, *extra)
    _event_statement(events, as_text).execute_rows(conn, names, rows)
    _move_heads(conn, heads)
    if OBSERVERS:
        observed = _Rows(names, rows)
        for observe in OBSERVERS:
            observe(conn, events, streams, observed)


_ENTRY_FIELDS = attrgetter("stream", "machine", "subject_key", "trigger", "actor", "business_date",
                           "from_state", "to_state", "note", "payload", "payload_version", "rule",
                           "subject_id", "values")
_MOVE_FIELDS = attrgetter("stream", "machine", "subject_key", "trigger", "actor", "business_date",
                          "from_state", "to_state", "note", "payload", "payload_version", "rule",
                          "subject_id", "event_values")
"""Each event's fields, of an entry and of a move (``_entry``'s), taken in C."""


class _Rows(Sequence[dict[str, Any]]):
    """The rows ``_write_many`` inserted, as the dicts ``_write`` gives observers, each made
    when an observer reads it (most writes have no observer that does)."""

    def __init__(self, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.names, self.rows = names, rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.rows)))]
        return dict(zip(self.names, self.rows[index], strict=True))


Observer = Callable[[Connection, Table, list[str], Sequence[dict[str, Any]]], None]

OBSERVERS: list[Observer] = []
"""Called after every write, in its transaction, with the event table, each event's stream and
its row as inserted: a plugin that must write something with the events (an outbox of
messages) does it there, in the same transaction, so it is never lost nor sent for a change
that rolled back.  An observer writes set-based: the clock passes thousands of events at once."""


_HEAD = Prepared(select(CHAIN_HEADS.c.seq, CHAIN_HEADS.c.hash)
                 .where(CHAIN_HEADS.c.stream == bindparam("stream")).with_for_update())
_SAVE = Prepared(update(CHAIN_HEADS).where(CHAIN_HEADS.c.stream == bindparam("_stream"))
                 .values(seq=bindparam("seq"), hash=bindparam("hash")))


@functools.lru_cache(maxsize=256)
def _move_statement(table: Table, keys: tuple[str, ...]) -> Prepared:
    """The versioned UPDATE for one set of changed columns, built once per process."""
    return Prepared(update(table)
                    .where(table.c.id == bindparam("_id"),
                           table.c.version == bindparam("_version"),
                           table.c.state == bindparam("_from"))
                    .values({k: bindparam(k) for k in keys if not k.startswith("_")}))


@functools.lru_cache(maxsize=16)
def _event_statement(table: Table, payload_as_text: bool = False) -> Prepared:
    """The event INSERT naming every column but the key, so a missing value is NULL; with
    ``payload_as_text`` the payload column takes the row's ``payload_json``, the text hashed,
    as it is."""
    return Prepared(insert(table).values({
        c.name: (bindparam("payload_json", type_=String()) if payload_as_text
                 and c.name == "payload" else bindparam(c.name, type_=c.type))
        for c in table.columns if not c.primary_key}))


def _changed(name: str, subject_id: int | None) -> Conflict:
    what = f"{name} {subject_id}" if subject_id is not None else name
    return Conflict(Text("changed by someone else while you worked ({what})", what=what),
                    Text("retry: the command reads the new state first"))

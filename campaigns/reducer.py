"""The one reducer: a campaign as it stood at the end of a business date, from its event log.

Every read command that takes ``--as-of`` asks ``campaign_at`` and shows what it returns, so
two views of the same date never disagree.  The state at the end of date D is the log's events
dated D or earlier, applied in the order they were written.  When no event is dated after D the
state tables already hold that state, and ``campaign_at`` reads them instead (the fast path;
tests hold both paths to the same answer).  A replay starts from the newest month-end snapshot
at or before D (``campaigns.snapshots``) and applies only the events after it.

A fact no event carries (an item's description, or the leader an import recorded) is the value
the first later edit replaced, or else today's value: edits keep the old values they replace.

An item whose recording was undone (an ``undo`` of the item that sets ``retired_on``) leaves
the campaign from that event's date on: no view, count or list holds it, while views of a date
before its retirement still do.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.engine import Connection

from engine.core.collector import paused
from engine.io.store import Prepared

from .runs import Run
from .tables import (
    EVENTS as E,
    ITEMS as I,
    PROGRESS as PR,
    RECTIFICATIONS as R,
    STAGES as S,
    UNITS as U,
)


@dataclass(slots=True)  # slots: a campaign's worth are built per view, a third faster
class ItemAt:
    """One item (and its rectification) as it stood at the end of a business date."""

    id: int
    code: str
    seq: int
    found_on: dt.date
    title: str = ""
    unit_id: int = 0
    category: str = ""
    source: str = ""
    stage: str | None = None
    state: str = ""
    rect_state: str = ""
    deadline: dt.date | None = None
    original_deadline: dt.date | None = None
    closed_on: dt.date | None = None
    typical: bool = False
    level: str | None = None  # escalation level reached
    measures: str | None = None
    target: str | None = None
    department: str | None = None
    leader_id: int | None = None
    person_id: int | None = None
    returns: int = 0
    reopen_count: int = 0
    progress: str | None = None  # the newest progress note
    description: str | None = None


FIELDS = tuple(f.name for f in fields(ItemAt))
DATES = frozenset({"found_on", "deadline", "original_deadline", "closed_on"})
CORRECTIONS = ("edit", "move", "seal")  # events carrying the new values of the facts they change
# (and the old ones, but for "seal": a value moved to the secrets table, its token in its place)
# Facts an item's first event may leave out: the first later edit's old value, else today's.
UNCARRIED = ("description", "leader_id", "person_id", "department", "measures", "target")
# Facts the state tables and a replay must agree on (``snapshots.replay_problems``).
COMPARED = tuple(n for n in FIELDS if n not in ("code", "seq", "found_on", "stage", "progress"))
_SETTABLE = frozenset({"title", "unit_id", "category", "source", "measures", "target", "department",
                       "leader_id", "person_id", "description", "level", "returns",
                       "reopen_count"})


@dataclass
class StageAt:
    key: str
    title: str
    kind: str
    start: dt.date | None
    end: dt.date | None
    state: str
    opened_on: dt.date | None
    closed_on: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "kind": self.kind, "start": self.start,
                "end": self.end, "state": self.state, "opened_on": self.opened_on,
                "closed_on": self.closed_on}


@dataclass
class CampaignAt:
    """What every as-of view is drawn from."""

    as_of: dt.date
    items: list[ItemAt]  # recorded by the end of ``as_of``, in code order
    stages: list[StageAt]
    concluded_on: dt.date | None
    replayed: bool = field(default=False, compare=False)  # False: read from the state tables


# --- entry points --------------------------------------------------------------------------------


def latest_date(conn: Connection, run: Run) -> dt.date | None:
    """The business date of the campaign's newest event, read in this transaction."""
    value: dt.date | None = conn.execute(
        select(func.max(E.c.business_date)).where(E.c.campaign_id == run.id)).scalar()
    return value


def campaign_at(conn: Connection, run: Run, as_of: dt.date, *, replay: bool = False,
                snapshots: bool = True) -> CampaignAt:
    """The campaign at the end of ``as_of``; ``replay`` forces the event log (for checks)."""
    stages, concluded = stages_at(conn, run, as_of)
    latest = latest_date(conn, run)
    if not replay and (latest is None or as_of >= latest):
        items = items_from_tables(conn, run)
        return CampaignAt(as_of, [it for it in items if it.found_on <= as_of], stages, concluded)
    return CampaignAt(as_of, replay_items(conn, run, as_of, snapshots), stages, concluded, True)


def item_at(conn: Connection, run: Run, item_id: int, as_of: dt.date) -> ItemAt | None:
    """One item at the end of ``as_of`` (None: not yet recorded), from its own events."""
    latest = latest_date(conn, run)
    if latest is None or as_of >= latest:
        found = items_from_tables(conn, run, item_id)
        return found[0] if found and found[0].found_on <= as_of else None
    items: dict[int, ItemAt] = {}
    seen: dict[int, set[str]] = {}
    query = _EVENTS.where(E.c.item_id == item_id, E.c.business_date <= as_of).order_by(E.c.id)
    Replay(conn, run, items, seen).apply(conn.execute(query))
    _resolve(conn, run, items, seen, as_of, item_id - 1, item_id)
    return items.get(item_id)


# --- the state tables ---------------------------------------------------------------------------


def items_from_tables(conn: Connection, run: Run, item_id: int | None = None) -> list[ItemAt]:
    """Every item of the campaign as the state tables hold it now, in code order."""
    rows: Iterable[Any] = (stored_rows(conn, run) if item_id is None else conn.execute(
        _TABLES_QUERY.where(I.c.campaign_id == run.id, I.c.id == item_id)))
    out = []
    with bulk():
        for row in rows:
            it = ItemAt(*row)
            it.typical = bool(it.typical)
            out.append(it)
    return out


def items_page(conn: Connection, run: Run, unit_ids: set[int] | None, as_of: dt.date,
               offset: int, limit: int) -> tuple[list[ItemAt], int]:
    """One page of the items the state tables hold now (in code order), of the units
    ``unit_ids`` (None: all) recorded by ``as_of``, and how many there are in all: a list page
    reads fifty rows, not a unit's ten thousand."""
    where = [I.c.campaign_id == run.id, I.c.retired_on.is_(None), I.c.found_on <= as_of]
    if unit_ids is not None:
        where.append(I.c.unit_id.in_(sorted(unit_ids)))
    total = int(conn.execute(select(func.count()).select_from(I).where(*where)).scalar() or 0)
    rows = conn.execute(_TABLES_QUERY.where(*where).offset(offset).limit(limit))
    out = []
    for row in rows:
        it = ItemAt(*row)
        it.typical = bool(it.typical)
        out.append(it)
    return out, total


def stored_rows(conn: Connection, run: Run) -> Iterator[tuple[Any, ...]]:
    """The state tables' items as tuples in ``FIELDS`` order, read on the driver, each distinct
    date decoded once (``typical`` as stored: 0 or 1 on SQLite)."""
    return _TABLES.converted(conn, {"run": run.id})


def stored_items(conn: Connection, run: Run) -> list[tuple[Any, ...]]:
    """Every item of the campaign in the state tables, retired ones too, in code order: each
    row laid out as a replay reads an item's row (``replay_items``' ``rows``), then whether it
    was retired and the ``COMPARED`` facts, read on the driver with each distinct date decoded
    once: one read for a check of the tables against a replay (``FACTS_OF``, ``RETIRED_AT``)."""
    return list(_STORED.converted(conn, {"run": run.id}))


_NEWEST = (select(PR.c.item_id, func.max(PR.c.id).label("pid")).group_by(PR.c.item_id)
           .subquery())
_TABLES_QUERY = (
    select(I.c.id, I.c.code, I.c.seq, I.c.found_on, I.c.title, I.c.unit_id, I.c.category,
           I.c.source, I.c.stage, I.c.state, R.c.state, R.c.deadline, R.c.original_deadline,
           I.c.closed_on, I.c.typical, R.c.level, R.c.measures, R.c.target, R.c.department,
           R.c.leader_id, R.c.person_id, R.c.returns, I.c.reopen_count, PR.c.note,
           I.c.description)
    .select_from(I.join(R, R.c.item_id == I.c.id)
                 .outerjoin(_NEWEST, _NEWEST.c.item_id == I.c.id)
                 .outerjoin(PR, PR.c.id == _NEWEST.c.pid))
    .where(I.c.retired_on.is_(None)).order_by(I.c.seq))
_TABLES = Prepared(_TABLES_QUERY.where(I.c.campaign_id == bindparam("run")))


# --- replaying the log ---------------------------------------------------------------------------

_EVENTS = select(E.c.id, E.c.item_id, E.c.machine, E.c.trigger, E.c.to_state, E.c.business_date,
                 E.c.payload, E.c.note)
# A campaign's item events dated in (since, upto], in the order written, as the driver gives
# them: a replay decodes a payload only for the events that use it, each distinct one once.
_REPLAY = Prepared(_EVENTS.where(E.c.campaign_id == bindparam("run"), E.c.item_id.is_not(None),
                                 E.c.business_date > bindparam("since", type_=Date),
                                 E.c.business_date <= bindparam("upto", type_=Date))
                   .order_by(E.c.id))


def replay_items(conn: Connection, run: Run, as_of: dt.date, snapshots: bool = True,
                 rows: dict[int, Any] | None = None) -> list[ItemAt]:
    """Items at the end of ``as_of`` from the newest usable snapshot plus the events after it.

    ``rows``: every item's row of the campaign as ``stored_items`` reads them, when the caller
    has them (a replay without snapshots reads the same rows otherwise).
    """
    from .snapshots import load_snapshot

    with bulk():
        snap = load_snapshot(conn, run, as_of) if snapshots else None
        items: dict[int, ItemAt] = snap.items if snap else {}  # read for this replay alone
        known = max(items, default=0)
        seen: dict[int, set[str]] = {}
        since = snap.as_of if snap is not None else dt.date.min
        replay = Replay(conn, run, items, seen, snap.last_event_id if snap else None,
                        rows if snap is None else None)
        if not replay.apply(_REPLAY.stream(conn, {"run": run.id, "since": since, "upto": as_of})):
            return replay_items(conn, run, as_of, snapshots=False)  # out of order: from scratch
        _resolve(conn, run, items, seen, as_of, known, None, replay.read_rows())
        return sorted(items.values(), key=_BY_SEQ)


_BY_SEQ = attrgetter("seq")
bulk = paused  # views pause the cyclic collector while they build their items


class Replay:
    """Applies events, in the order written, to items; the one place events become state."""

    def __init__(self, conn: Connection, run: Run, items: dict[int, ItemAt],
                 seen: dict[int, set[str]], after_id: int | None = None,
                 rows: dict[int, Any] | None = None) -> None:
        from .standing import closing_states

        d = run.definition
        self.conn = conn
        self.run = run
        self.items = items
        self.seen = seen
        self.after_id = after_id
        self.closing = closing_states(d)
        self.initial = (d.machines["item"].initial, d.machines["rectification"].initial)
        self.known = max(items, default=0)
        self._units: dict[str, int] | None = None
        self._rows: dict[int, Any] | None = rows
        self._days: dict[str, dt.date] = {}
        self._dates: dict[str, dt.date | None] = {}
        self._payloads: dict[str, dict[str, Any]] = {}

    def units(self) -> dict[str, int]:
        if self._units is None:
            self._units = {r.code: r.id for r in self.conn.execute(select(U.c.code, U.c.id))}
        return self._units

    def row(self, item_id: int) -> Any:
        """An item's facts that never change, (id, code, number, stage it was found in), at
        ``_FIXED``; before them today's values of the facts events may not carry (``_today``)."""
        if self._rows is None:  # read once, on the driver: the items newer than those held
            self._rows = {r[0]: r for r in _ROWS.stream(self.conn, {"run": self.run.id,
                                                                   "above": self.known})}
        found = self._rows.get(item_id)
        if found is None:  # an item older than those read (a single-item replay)
            found = self.conn.execute(_ROWS.statement.where(I.c.id == item_id),
                                      {"run": self.run.id, "above": 0}).first()
        return found

    def read_rows(self) -> dict[int, Any] | None:
        """The rows ``row`` read, if it read them: ``_resolve`` takes today's values there."""
        return self._rows

    def apply(self, events: Iterable[Any]) -> bool:
        """Apply ``events``; False if one was written before the snapshot's last (out of order).

        Each event is a row of ``_EVENTS``' columns, its date and payload either decoded or
        as stored (text), so the driver's rows need no conversion first.
        """
        events = iter(events)
        first = next(events, None)
        if first is None:
            return True
        if self.after_id is not None and first[0] <= self.after_id:
            return False
        one = self.one
        one(first)
        for ev in events:
            one(ev)
        return True

    def one(self, ev: Any) -> None:
        _id, item_id, machine, trigger, to_state, day, raw, note = ev
        it = self.items.get(item_id)
        if trigger == "undo" and machine == "item" and "retired_on" in self.payload(raw):
            self.items.pop(item_id, None)  # its recording undone: it leaves every view
            self.seen.pop(item_id, None)
            return
        if it is None:
            if trigger != "add" or machine != "item":
                return  # an event of an item whose adding is not in the log
            row = self.row(item_id)
            if row is None:
                return
            it = self.items[item_id] = self._added(row, self.day(day), self.payload(raw))
        if machine == "item" and to_state:
            closing = self.closing
            if to_state in closing:
                if it.state not in closing:
                    it.closed_on = self.day(day)
                payload = self.payload(raw)
                if "closed_on" in payload:
                    it.closed_on = _date(payload["closed_on"]) or it.closed_on
            else:
                it.closed_on = None
            it.state = to_state
        elif machine == "rectification" and to_state:
            it.rect_state = to_state
        if trigger in CORRECTIONS:
            _apply(it, self.payload(raw).get("new") or {}, self.seen.get(item_id))
        elif trigger == "progress":
            if note:
                it.progress = note
        elif trigger not in ("add", "import") and raw is not None:  # an import's move carries
            _apply(it, self.payload(raw), self.seen.get(item_id))  # where it came from

    def day(self, value: Any) -> dt.date:
        """A business date as stored (text on SQLite), each distinct one decoded once."""
        if type(value) is not str:
            return value  # type: ignore[no-any-return]
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = dt.date.fromisoformat(value)
        return found

    def payload(self, value: Any) -> dict[str, Any]:
        """A payload as stored (JSON text on SQLite), the short ones decoded once each.

        The decoded dictionaries are shared between events: nothing here changes them.
        """
        if type(value) is not str:
            return value or {}
        found = self._payloads.get(value)
        if found is None:
            found = _json(value) or {}
            if len(value) <= 120 and len(self._payloads) < 10_000:  # repeated: escalations
                self._payloads[value] = found
        return found

    def _added(self, row: Any, found_on: dt.date, payload: dict[str, Any]) -> ItemAt:
        """The item its adding event records, built at once (a replay adds every item)."""
        get = payload.get
        units = self._units if self._units is not None else self.units()
        deadline = self.date(get("deadline"))
        leader = person = None
        if "import" not in payload:  # added by hand: no one is responsible yet
            seen = set(_GIVEN_BY_HAND)
        else:
            seen = set(_GIVEN)  # always given when set
            if "leader_id" in payload:  # imported (version 2 on): responsible from the start
                leader, person = payload["leader_id"], get("person_id")
                seen.update(("leader_id", "person_id"))
        self.seen[row[0]] = seen
        title, category, source = get("title"), get("category"), get("source")
        return ItemAt(row[0], row[_FIXED], row[_FIXED + 1], found_on,
                      "" if title is None else title, units.get(get("unit") or "", 0),
                      "" if category is None else category, "" if source is None else source,
                      row[_FIXED + 2], self.initial[0], self.initial[1], deadline,
                      self.date(get("original_deadline")) or deadline, None,
                      bool(get("typical", False)), None, get("measures"), get("target"),
                      get("department"), leader, person)

    def date(self, value: Any) -> dt.date | None:
        """``_date``, each distinct text decoded once (an item's dates come as text)."""
        if type(value) is not str:
            return _date(value)
        found = self._dates.get(value, self._dates)
        if found is self._dates:
            found = self._dates[value] = _date(value)
        return found  # type: ignore[return-value]


_GIVEN = ("measures", "target", "department")
_GIVEN_BY_HAND = (*_GIVEN, "leader_id", "person_id")


def _apply(it: ItemAt, values: dict[str, Any], seen: set[str] | None) -> None:
    for name, value in values.items():
        if name in ("deadline", "new_deadline"):
            it.deadline = _date(value)
            it.original_deadline = it.original_deadline or it.deadline
        elif name == "original_deadline":
            it.original_deadline = _date(value)
        elif name == "closed_on":
            it.closed_on = _date(value)
        elif name == "typical":
            it.typical = bool(value)
        elif name in _SETTABLE:
            setattr(it, name, value)
            if seen is not None:
                seen.add(name)


def _resolve(conn: Connection, run: Run, items: dict[int, ItemAt], seen: dict[int, set[str]],
             as_of: dt.date, above: int, only: int | None,
             today: dict[int, Any] | None = None) -> None:
    """Facts no event up to ``as_of`` gave: the first later edit's old value, else today's."""
    pending = {i: [n for n in UNCARRIED if n not in s] for i, s in seen.items() if i in items}
    pending = {i: names for i, names in pending.items() if names}
    if not pending:
        return
    later = (select(E.c.item_id, E.c.payload)
             .where(E.c.campaign_id == run.id, E.c.item_id > above, E.c.trigger.in_(CORRECTIONS),
                    E.c.business_date > as_of).order_by(E.c.id))
    if only is not None:
        later = later.where(E.c.item_id == only)
    for item_id, payload in conn.execute(later):
        names = pending.get(item_id)
        old = (payload or {}).get("old") or {}
        for name in list(names or ()):
            if name in old:
                _apply(items[item_id], {name: old[name]}, None)
                names.remove(name)  # type: ignore[union-attr]
    if not any(pending.values()):
        return
    current = today if today is not None else _today(conn, run, above, only)
    for item_id, names in pending.items():
        now = current.get(item_id)
        if now is not None:
            for name in names:
                setattr(items[item_id], name, now[_UNCARRIED_AT[name]])


_UNCARRIED_COLUMNS = {"description": I.c.description, "leader_id": R.c.leader_id,
                      "person_id": R.c.person_id, "department": R.c.department,
                      "measures": R.c.measures, "target": R.c.target}
_UNCARRIED_AT = {name: i for i, name in enumerate(_UNCARRIED_COLUMNS, 1)}
_TODAY = Prepared(select(I.c.id, *_UNCARRIED_COLUMNS.values())
                  .select_from(I.join(R, R.c.item_id == I.c.id))
                  .where(I.c.campaign_id == bindparam("run"), I.c.id > bindparam("above")))
# the same rows with the facts a replay takes from an item's row when its adding is applied
_FIXED = 1 + len(_UNCARRIED_COLUMNS)
_ROWS = Prepared(_TODAY.statement.add_columns(I.c.code, I.c.seq, I.c.stage))
_COLUMN_OF = dict(zip(FIELDS, _TABLES_QUERY.selected_columns, strict=True))
_ROW_COLUMNS = [*_ROWS.statement.selected_columns, I.c.retired_on]
RETIRED_AT = len(_ROW_COLUMNS) - 1
_AT = {c: i for i, c in enumerate(_ROW_COLUMNS)}
_MORE = [c for c in dict.fromkeys(_COLUMN_OF[n] for n in COMPARED) if c not in _AT]
_AT.update((c, len(_ROW_COLUMNS) + i) for i, c in enumerate(_MORE))
FACTS_OF = itemgetter(0, _AT[I.c.code], *(_AT[_COLUMN_OF[n]] for n in COMPARED))
"""A ``stored_items`` row as (id, code, *the ``COMPARED`` facts)."""
_STORED = Prepared(select(*_ROW_COLUMNS, *_MORE).select_from(I.join(R, R.c.item_id == I.c.id))
                   .where(I.c.campaign_id == bindparam("run")).order_by(I.c.seq))


def _today(conn: Connection, run: Run, above: int, only: int | None) -> dict[int, Any]:
    """Today's values of the facts events may not carry, for the items after ``above``: only
    those columns, so the fallback costs one lean read, not a whole view of the tables."""
    if only is None:  # no dates among them: the driver's rows as they come
        return {row[0]: row for row in _TODAY.stream(conn, {"run": run.id, "above": above})}
    return {row[0]: row for row in conn.execute(_TODAY.statement.where(I.c.id == only),
                                                {"run": run.id, "above": above})}


_RAW_DECODE = json.JSONDecoder().raw_decode


def _json(text: str) -> Any:
    """``json.loads`` without its whitespace scans for the text our writer stores (none)."""
    try:
        value, end = _RAW_DECODE(text)
    except json.JSONDecodeError:
        return json.loads(text)  # leading whitespace, or the error to raise
    return value if end == len(text) else json.loads(text)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# --- stages --------------------------------------------------------------------------------------


def stages_at(conn: Connection, run: Run, as_of: dt.date) -> tuple[list[StageAt], dt.date | None]:
    """The campaign's stages at the end of ``as_of``, and the day it concluded (if by then)."""
    rows = conn.execute(select(S).where(S.c.campaign_id == run.id).order_by(S.c.position)).all()
    events: dict[int, list[Any]] = {}
    concluded = None
    for ev in conn.execute(select(E.c.machine, E.c.subject_id, E.c.trigger, E.c.to_state,
                                  E.c.business_date)
                           # item_id IS NULL: found by its index, not a scan of the whole log
                           .where(E.c.campaign_id == run.id, E.c.item_id.is_(None),
                                  E.c.machine.in_(("stage", "campaign")))
                           .order_by(E.c.id)):
        if ev.machine == "campaign":
            if ev.business_date <= as_of and ev.trigger in ("conclude", "undo"):
                concluded = ev.business_date if ev.trigger == "conclude" else None
            continue
        events.setdefault(ev.subject_id, []).append(ev)
    out = []
    for row in rows:
        history = events.get(row.id, [])
        opened_at_start = row.opened_on is not None and not any(e.trigger == "open" for e in history)
        state = "open" if opened_at_start and run.start_date <= as_of else "pending"
        opened = run.start_date if state == "open" else None
        closed = None
        for ev in history:
            if ev.business_date > as_of:
                break
            state = ev.to_state or state
            if ev.trigger == "undo":  # put back as it was: an undone opening or closing
                opened = None if state == "pending" else opened
                closed = None if state != "closed" else closed
            elif ev.to_state == "open":
                opened = ev.business_date
            elif ev.to_state == "closed":
                closed = ev.business_date
        spec = run.definition.stage(row.key)
        start, end = spec.window(run.start_date) if spec else (None, None)
        out.append(StageAt(row.key, spec.title if spec else row.key, spec.kind if spec else "",
                           start, end, state, opened, closed))
    return out, concluded

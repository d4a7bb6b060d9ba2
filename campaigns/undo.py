"""Undoing a recorded change by compensating events: the log keeps both, nothing is edited.

``undo_item`` reverses the latest change on one item (all the moves its command made on the
item and its rectification, the clock's catch-up included; its recording, when nothing else
stands); ``undo_campaign`` reverses a whole batch: the latest stage move or tick, or one named
by number (an import).  An item whose recording is undone is retired, never deleted: one undo
event on the item and one on its rectification set ``retired_on``; the reducer drops it from
that date on, every view and count leaves it out, the clock never steps it, and its code stays
taken.  Each subject the change moved
gets one ``undo`` event putting back its state and the value every field the change set had
before it: found by walking the subject's earlier events back (each move's payload carries the
fields it set, an undo the values it restored).  The planner decides (``plan_undo``: only a
role that may override) and the writer stores the moves with the version check.

An undone event stays in the log and in every replay, followed by its undo; the ``undone``
table indexes them, so the forward-only rule ("a business date may not be before the campaign's
latest recorded change") reads the latest change still standing.  Notices the undone
escalations wrote, and the documents listing them, are marked withdrawn (作废), their numbers
never given again.  A tick's steps of the filings' ladder are reversed alike (each occurrence
back to its level and deadline, its notices withdrawn), and the occurrences it opened are
removed (one undo event each, going to no state), to be opened again by the next tick.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, delete, exists, func, select, update
from sqlalchemy.engine import Connection

from engine.core.errors import Conflict, InvalidInput, NotFound, Refused
from engine.core.planner import STAGE_MACHINE, Request, Reversal, plan_undo
from engine.io.writer import apply_moves, apply_removals

from . import events as ev
from .batches import STAGE, TICK, head_seq
from .context import Scope
from .i18n import _
from .records import load_records
from .runs import Run, require_not_future
from .tables import (
    BATCHES as B,
    CAMPAIGNS as C,
    DOCUMENTS as D,
    EVENTS as E,
    FILING_NOTICES as FN,
    FILING_TABLES,
    FILINGS as F,
    ITEMS as I,
    NOTICES as N,
    RECTIFICATIONS as R,
    SNAPSHOTS as SN,
    STAGES as S,
    SUBJECT_TABLES,
    TICKS as T,
    UNDONE as U,
)

UNDO = "undo"
TABLES: dict[str, Any] = {**SUBJECT_TABLES, **FILING_TABLES, STAGE_MACHINE: S}
FILING = "filing"
_NOT_FIELDS = frozenset({"id", "state", "version", "campaign_id", "item_id", "code", "seq",
                         "found_on", "stage", "external_ref", "key", "position"})
_DEFAULTS = {"returns": 0, "reopen_count": 0, "typical": False}


@dataclass(frozen=True)
class Ev:
    """One event as an undo reads it."""

    id: int
    seq: int
    machine: str
    subject_id: int | None
    item_id: int | None
    trigger: str
    from_state: str | None
    to_state: str | None
    business_date: dt.date
    recorded_at: Any
    payload: dict[str, Any]
    subject_key: str | None
    rule: str | None


_COLS = (E.c.id, E.c.seq, E.c.machine, E.c.subject_id, E.c.item_id, E.c.trigger, E.c.from_state,
         E.c.to_state, E.c.business_date, E.c.recorded_at, E.c.payload, E.c.subject_key, E.c.rule)


def _read(conn: Connection, *where: Any) -> list[Ev]:
    return [Ev(*r[:10], r[10] or {}, r[11], r[12])
            for r in conn.execute(select(*_COLS).where(*where).order_by(E.c.seq))]


def _undone(conn: Connection, run: Run) -> set[int]:
    return set(conn.execute(select(U.c.event_id).where(U.c.campaign_id == run.id)).scalars())


def standing_latest(conn: Connection, run: Run, besides: Iterable[int] = ()) -> dt.date | None:
    """The business date of the campaign's latest change still standing (undone ones aside),
    leaving out ``besides`` too (the events an undo is about to reverse)."""
    query = (select(E.c.business_date)
             .where(E.c.campaign_id == run.id, ~exists().where(U.c.event_id == E.c.id)))
    skip = list(besides)
    if skip:
        query = query.where(E.c.id.not_in(skip))
    value: dt.date | None = conn.execute(query.order_by(E.c.business_date.desc()).limit(1)).scalar()
    return value


# --- what an undo reverses -----------------------------------------------------------------------


@dataclass
class Change:
    """The events one undo reverses, and what it says about them."""

    events: list[Ev]
    what: str  # e.g. "verify on 2015-08-03 by sup"
    batch: Any = None  # the batch row, when the change was one


def item_change(conn: Connection, run: Run, item_id: int, code: str) -> Change:
    """The latest change on an item still standing: the events of its last command on it."""
    undone = _undone(conn, run)
    history = [e for e in _read(conn, E.c.item_id == item_id) if e.id not in undone]
    standing = [e for e in history if e.trigger != UNDO]
    if not standing:
        raise NotFound(_("{code} has no recorded change").format(code=code))
    last = standing[-1]
    if last.trigger == "progress":
        raise Refused(_("the latest event on {code} is a progress report ({business_date}), which an undo "
                        "does not reverse; only a change of its state or fields, or its recording, can be "
                        "undone").format(code=code, business_date=last.business_date),
                      _("record new progress, or correct the facts with 'rectify item edit'"))
    if last.trigger == "seal":  # putting a plain value back in its column is no undo
        raise Refused(_("the latest event on {code} moved its confidential values to the secrets table "
                        "({business_date}), which an undo does not reverse").format(
                            code=code, business_date=last.business_date),
                      _("correct the facts with 'rectify item edit'"))
    if last.trigger == "recount":  # the site calendar moved it: the notice is the fact
        raise Refused(_("the latest event on {code} is its deadline recounted on an imported holiday "
                        "notice ({day}), which an undo does not reverse").format(
                            code=code, day=last.business_date),
                      _("correct the notice and import it again ('rectify calendar import'), or "
                        "give the item a new deadline with an extension or a return"))
    batch = conn.execute(select(B).where(B.c.campaign_id == run.id, B.c.first_seq <= last.seq,
                                         B.c.last_seq >= last.seq)).first()
    if batch is not None:
        group = [e for e in standing if batch.first_seq <= e.seq <= batch.last_seq]
    else:  # written before batches were recorded, or by a command that records none
        group = [e for e in standing if e.recorded_at == last.recorded_at]
    own = [e for e in group if e.trigger != "escalate" and e.rule is None] or group
    also = sorted({e.trigger for e in group} - {own[0].trigger})
    return Change(group, f"'{own[0].trigger}' of {own[0].business_date}"
                  + (f" (with {', '.join(also)})" if also else ""), batch)


def batch_change(conn: Connection, run: Run, number: int | None) -> Change:
    """A batch of the campaign still standing: ``number``, or the latest stage move or tick."""
    undone = _undone(conn, run)
    query = select(B).where(B.c.campaign_id == run.id)
    if number is not None:
        row = conn.execute(query.where(B.c.id == number)).first()
        if row is None:
            raise NotFound(_("campaign '{key}' has no batch {number}").format(key=run.key, number=number),
                           _("see the batches in 'rectify campaign undo --help'"))
    else:
        row = None
        for candidate in conn.execute(query.where(B.c.kind.in_((TICK, STAGE)))
                                      .order_by(B.c.last_seq.desc())):
            if _standing(conn, run, candidate, undone):
                row = candidate
                break
        if row is None:
            raise NotFound(_("campaign '{key}' has no stage move or tick left to undo").format(key=run.key))
    if row.kind == "score":  # the assessment's entries: their own undo knows publication
        raise Refused(_("batch {id} is an entry of scores").format(id=row.id),
                      _("undo it with 'rectify assess undo {key} --batch {id}'").format(
                          key=run.key, id=row.id))
    rows = [row]
    tick = (row.detail or {}).get("tick") if row.kind == TICK else None
    if tick is not None:  # a tick written in several short transactions: all of them, in order
        rows = [b for b in conn.execute(select(B).where(B.c.campaign_id == run.id,
                                                        B.c.kind == TICK).order_by(B.c.first_seq))
                if (b.detail or {}).get("tick") == tick]
        row = rows[0]
    events = [e for b in rows for e in _standing(conn, run, b, undone) if e.trigger != UNDO]
    if not events:
        raise Refused(_("batch {id} ({kind} of {business_date}) is already undone").format(
            id=row.id, kind=row.kind, business_date=row.business_date))
    return Change(events, f"{row.kind} of {row.business_date} (batch {row.id})", row)


def _standing(conn: Connection, run: Run, batch: Any, undone: set[int]) -> list[Ev]:
    """A batch's events an undo may still reverse."""
    return [e for e in _read(conn, E.c.campaign_id == run.id, E.c.seq >= batch.first_seq,
                             E.c.seq <= batch.last_seq) if e.id not in undone]


def _subject(e: Ev) -> tuple[str, int | None]:
    return (e.machine, e.subject_id)


def refuse_later(conn: Connection, run: Run, change: Change, undone: set[int]) -> None:
    """Refuse when an event still standing came after the change on one of its subjects."""
    last = max(e.seq for e in change.events)
    items = {e.item_id for e in change.events if e.item_id is not None}
    subjects = {_subject(e) for e in change.events if e.item_id is None}
    for e in _read(conn, E.c.campaign_id == run.id, E.c.seq > last):
        if e.id in undone or e.trigger == UNDO or e.machine == "document":
            continue
        if (e.item_id is not None and e.item_id in items) or (e.item_id is None and (
                _subject(e) in subjects or (e.machine == "campaign"
                                            and any(m == "campaign" for m, _ in subjects)))):
            who = e.subject_key or e.machine
            raise Refused(_("cannot undo {what}: a later change on {who} ('{trigger}' of {business_date}) "
                            "still stands").format(
                                what=change.what, who=who, trigger=e.trigger, business_date=e.business_date),
                          _("undo the later change first (the change to undo must be the latest on each "
                            "subject it touched)"))
    if change.batch is not None and change.batch.kind == TICK:
        later = conn.execute(select(B.c.id, B.c.business_date, B.c.first_seq, B.c.last_seq).where(
            B.c.campaign_id == run.id, B.c.kind == TICK, B.c.first_seq > last)).all()
        for row in later:
            if _standing(conn, run, row, undone):
                raise Refused(_("cannot undo {what}: a later tick (batch {id}, to {business_date}) still "
                                "stands").format(
                                    what=change.what, id=row.id, business_date=row.business_date),
                              _("undo that tick first"))


# --- the values before ---------------------------------------------------------------------------


def _fields_set(e: Ev, table: Any) -> dict[str, Any]:
    """The columns of ``table`` an event set, with the values it set (as stored in JSON)."""
    p = e.payload
    if e.machine == FILING and e.trigger == "open":  # opened due on its period's due date
        values = {"deadline": p.get("due"), "level_base": p.get("due"), "level": None}
    elif e.trigger == "edit":
        values = dict(p.get("new") or {})
    elif e.trigger == "escalate":
        values = {"level": p.get("level")}
        if p.get("new_deadline"):
            values.update(deadline=p["new_deadline"], level_base=p["new_deadline"])
    elif e.trigger == "add":
        deadline = p.get("deadline")
        values = {k: p.get(k) for k in ("measures", "target", "department", "leader_id",
                                        "person_id") if k in p}
        values.update(deadline=deadline, original_deadline=p.get("original_deadline") or deadline,
                      level_base=deadline)
    else:
        values = {k: v for k, v in p.items() if k != "undoes"}
    return {k: v for k, v in values.items() if k in table.c and k not in _NOT_FIELDS}


def _before(history: Sequence[Ev], machine: str, field: str, table: Any) -> Any:
    """``field``'s value before the change: the newest earlier event that set it, else its
    initial value."""
    for e in reversed(history):
        if e.trigger == "add" and e.machine == "item" and machine != "item":
            values = _fields_set(e, table)  # the item's recording gave its rectification's
        elif e.trigger == "edit" and e.machine == "record":
            if field == "entered_on":
                continue
            values = _fields_set(e, table)  # a correction names its columns, either table's
        elif e.machine != machine:
            continue
        else:
            values = _fields_set(e, table)
        if field == "entered_on":
            if e.trigger == UNDO and "entered_on" in e.payload:
                return e.payload["entered_on"]
            if e.trigger == "add" or (e.to_state and e.to_state != e.from_state):
                return e.business_date
            continue
        if field in values:
            return values[field]
    return _DEFAULTS.get(field)


def _typed(table: Any, field: str, value: Any) -> Any:
    if value is not None and isinstance(table.c[field].type, Date) and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def created(change: Change) -> dict[int, list[Ev]]:
    """The items the change recorded (an ``add`` among its events), each with its events in it."""
    born = {e.item_id for e in change.events if e.trigger == "add" and e.machine == "item"
            and e.item_id is not None}
    out: dict[int, list[Ev]] = {}
    for e in change.events:
        if e.item_id in born:
            assert e.item_id is not None
            out.setdefault(e.item_id, []).append(e)
    return out


def retirements(conn: Connection, change: Change, day: dt.date) -> list[tuple[Reversal, Ev]]:
    """An item the change recorded is retired, not put back: one undo of the item and one of
    its rectification, each setting ``retired_on`` (the item's recording is never edited)."""
    out: list[tuple[Reversal, Ev]] = []
    for item_id, group in created(change).items():
        for machine, table, where in (("item", I, I.c.id == item_id),
                                      ("rectification", R, R.c.item_id == item_id)):
            row = conn.execute(select(table).where(where)).one()
            changes = {"retired_on": day}
            payload = ev.Undone([e.seq for e in group], changes)
            out.append((Reversal(machine, row.id, row.version, row.state, row.state, changes,
                                 payload.as_payload(), group[0].subject_key), group[-1]))
    return out


def opened(change: Change) -> dict[int, list[Ev]]:
    """The filing occurrences the change opened (a tick's, or a change's that needed one),
    each with its events in it."""
    born = {e.subject_id for e in change.events if e.machine == FILING and e.trigger == "open"
            and e.subject_id is not None}
    out: dict[int, list[Ev]] = {}
    for e in change.events:
        if e.machine == FILING and e.subject_id in born:
            assert e.subject_id is not None
            out.setdefault(e.subject_id, []).append(e)
    return out


def removals(conn: Connection, change: Change) -> list[tuple[Reversal, Ev]]:
    """An occurrence the change opened is removed: it was the schedule's, and whatever opens
    it again (the next tick, a change that needs it) opens it as the clock would have.  One
    undo event on it, going to no state (engine.io.writer.apply_removals)."""
    out: list[tuple[Reversal, Ev]] = []
    for sid, group in opened(change).items():
        row = conn.execute(select(F.c.version, F.c.state).where(F.c.id == sid)).one()
        payload = ev.Undone([e.seq for e in group])
        out.append((Reversal(FILING, sid, row.version, row.state, row.state, {},
                             payload.as_payload(), group[0].subject_key), group[-1]))
    return out


def _edited(conn: Connection, change: Change, skip: set[int]
            ) -> dict[tuple[str, int | None], tuple[list[Ev], dict[str, Any]]]:
    """Subjects the change's corrections (``edit``, and ``move`` to another unit) touched:
    their events and, per column, the value the first correction replaced."""
    out: dict[tuple[str, int | None], tuple[list[Ev], dict[str, Any]]] = {}
    for e in change.events:
        if e.trigger not in ("edit", "move") or e.machine != "record" or e.item_id is None \
                or e.item_id in skip:
            continue
        new, old = e.payload.get("new") or {}, e.payload.get("old") or {}
        for machine, table in (("item", I), ("rectification", R)):
            names = [k for k in new if k in table.c and k not in _NOT_FIELDS]
            if not names:
                continue
            sid = e.item_id if machine == "item" else conn.execute(
                select(R.c.id).where(R.c.item_id == e.item_id)).scalar()
            group, olds = out.setdefault((machine, sid), ([], {}))
            group.append(e)
            for k in names:
                if k in old:
                    olds.setdefault(k, old[k])
                else:
                    olds.setdefault(k, _MISSING)
    return out


_MISSING = object()


def reversals(conn: Connection, run: Run, change: Change, before: dict[Any, list[Ev]]
              ) -> list[tuple[Reversal, Ev]]:
    """One reversal per subject the change moved or corrected (items and rectifications;
    stages; filing occurrences); the items it recorded are left to ``retirements``.
    ``before``: each item's earlier events by item id, each occurrence's by (machine, id)."""
    out: list[tuple[Reversal, Ev]] = []
    born = set(created(change))
    gone = set(opened(change))  # left to ``removals``
    seen: dict[tuple[str, int | None], list[Ev]] = {}
    olds: dict[tuple[str, int | None], dict[str, Any]] = {}
    for subject, (group, replaced) in _edited(conn, change, born).items():
        seen[subject] = list(group)
        olds[subject] = replaced
    for e in change.events:
        if e.machine in TABLES and e.subject_id is not None and e.item_id not in born \
                and not (e.machine == FILING and e.subject_id in gone):
            seen.setdefault(_subject(e), []).append(e)
    for (machine, sid), group in reversed(list(seen.items())):
        group.sort(key=lambda e: e.seq)
        table = TABLES[machine]
        row = conn.execute(select(table).where(table.c.id == sid)).one()
        first = group[0]
        movers = [e for e in group if e.machine == machine]
        to_state = (movers[0].from_state if movers else None) or row.state
        replaced = olds.get((machine, sid), {})
        fields: set[str] = set(replaced)
        for e in movers:
            fields.update(_fields_set(e, table))
        changes: dict[str, Any] = {}
        if machine == STAGE_MACHINE:
            if to_state == "pending":
                changes["opened_on"] = None
            if to_state in ("pending", "open"):
                changes["closed_on"] = None
        else:
            earlier = before.get(first.item_id if first.item_id is not None else (machine, sid))
            history = [e for e in earlier or [] if e.seq < first.seq]
            for name in sorted(fields):
                value = replaced.get(name, _MISSING)
                if value is _MISSING:
                    value = _before(history, machine, name, table)
                changes[name] = _typed(table, name, value)
            if to_state != row.state and "entered_on" in table.c:
                changes["entered_on"] = _typed(table, "entered_on",
                                               _before(history, machine, "entered_on", table))
        payload = ev.Undone([e.seq for e in group], changes)
        assert sid is not None
        out.append((Reversal(machine, sid, row.version, row.state, to_state, changes,
                             payload.as_payload(), first.subject_key), group[-1]))
    return out


# --- doing it ------------------------------------------------------------------------------------


@dataclass
class Undo:
    """What an undo did, for the command's message."""

    what: str
    moves: int
    events: int
    withdrawn: list[str]  # numbers of the documents withdrawn (作废)
    notices: int
    as_of: dt.date
    retired: list[str] = field(default_factory=list)  # codes of the items whose recording it undid


def undo_item(scope: Scope, code: str, note: str | None, as_of: dt.date | None) -> Undo:
    """``rectify item undo``: reverse the latest change on item ``code``."""
    conn, run = scope.conn, scope.run
    record = load_records(conn, [code], live=False)[0]
    if record.campaign_id != run.id:
        raise InvalidInput(_("{code} belongs to another campaign").format(code=code))
    if record.item.retired_on is not None:
        raise Refused(_("{code} was already withdrawn by an undo on {retired_on}").format(
            code=code, retired_on=record.item.retired_on))
    read = _versions(conn, [record.item.id])  # as read before waiting for the log's head
    ev.lock(conn, [run.key])
    _unchanged(conn, read, run)
    change = item_change(conn, run, record.item.id, code)
    return _undo(scope, change, note, as_of)


def undo_campaign(scope: Scope, note: str | None, as_of: dt.date | None,
                  batch: int | None = None) -> Undo:
    """``rectify campaign undo``: reverse the latest stage move or tick, or batch ``batch``
    (an import: its corrections put back, the items it recorded retired)."""
    conn, run = scope.conn, scope.run
    seen = batch_change(conn, run, batch)
    read = _versions(conn, {e.item_id for e in seen.events if e.item_id is not None})
    ev.lock(conn, [run.key])
    _unchanged(conn, read, run)
    return _undo(scope, batch_change(conn, run, batch), note, as_of)


def _versions(conn: Connection, item_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Each item's and its rectification's version."""
    ids = sorted(item_ids)
    out: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        out.update((r[0], (r[1], r[2])) for r in conn.execute(
            select(I.c.id, I.c.version, R.c.version).select_from(I.join(R, R.c.item_id == I.c.id))
            .where(I.c.id.in_(ids[start:start + 500]))))
    return out


def _unchanged(conn: Connection, read: dict[int, tuple[int, int]], run: Run) -> None:
    """The same check as the writer's: an item changed while the undo waited for the log's head
    (another command got there first) stops the undo with a conflict, not a stale decision."""
    now = _versions(conn, read)
    for item_id, versions in read.items():
        if now.get(item_id) != versions:
            code = conn.execute(select(I.c.code).where(I.c.id == item_id)).scalar()
            raise Conflict(_("{code} was changed by someone else while the undo waited; nothing was "
                             "undone").format(code=code),
                           _("see 'rectify item show {code}', then run the undo again if it still "
                             "applies").format(code=code))


def _undo(scope: Scope, change: Change, note: str | None, as_of: dt.date | None) -> Undo:
    conn, run, actor = scope.conn, scope.run, scope.acting
    undone = _undone(conn, run)
    refuse_later(conn, run, change, undone)
    ids = [e.id for e in change.events]
    floor = standing_latest(conn, run, ids) or run.start_date
    day = as_of or floor
    require_not_future(run, day)
    if day < floor:
        raise InvalidInput(_("{day} is before the campaign's latest change still standing ({floor})").format(
            day=day, floor=floor),
                           _("business time only moves forward: give --as-of {floor} or later, or leave it "
                             "out").format(floor=floor))
    items = {e.item_id for e in change.events if e.item_id is not None}
    before: dict[Any, list[Ev]] = {}
    last_seq = max(e.seq for e in change.events)
    if items:
        for e in _read(conn, E.c.item_id.in_(items), E.c.seq < last_seq):
            before.setdefault(e.item_id, []).append(e)
    filings = sorted({e.subject_id for e in change.events
                      if e.machine == FILING and e.subject_id is not None})
    for start in range(0, len(filings), 500):
        for e in _read(conn, E.c.campaign_id == run.id, E.c.machine == FILING,
                       E.c.subject_id.in_(filings[start:start + 500]), E.c.seq < last_seq):
            before.setdefault((FILING, e.subject_id), []).append(e)
    retire = retirements(conn, change, day)
    remove = removals(conn, change)
    planned = reversals(conn, run, change, before) + retire + remove
    decided = plan_undo(run.definition, [r for r, _ in planned], Request(
        UNDO, actor, day, note=note, event_values={"campaign_id": run.id}, stream=run.key))
    decided.raise_if_refused(change.what)
    first_seq = head_seq(conn, run.key) + 1
    for move, (_r, last) in zip(decided.moves, planned, strict=True):
        move.event_values = {"campaign_id": run.id, "item_id": last.item_id}
    split = len(decided.moves) - len(retire) - len(remove)
    for wave in _by_machine(decided.moves[:split]):
        apply_moves(conn, TABLES, E, wave)
    # distinct subjects: one bulk call each
    apply_moves(conn, TABLES, E, decided.moves[split:split + len(retire)])
    removed = [m.subject_id for m in decided.moves[split + len(retire):]]
    for start in range(0, len(removed), 500):  # their ladder's notices go with them
        conn.execute(delete(FN).where(FN.c.filing_id.in_(removed[start:start + 500])))
    apply_removals(conn, TABLES, E, decided.moves[split + len(retire):])
    concluded = [e for e in change.events if e.machine == "campaign" and e.trigger == "conclude"]
    if concluded:
        conn.execute(update(C).where(C.c.id == run.id).values(concluded_on=None))
        ev.write(conn, [ev.entry(run.key, ev.Undone([e.seq for e in concluded]), subject=run.key,
                                 actor=actor.key, day=day, campaign_id=run.id, subject_id=run.id,
                                 machine="campaign", from_state="concluded", to_state="running",
                                 note=note)])
    conn.execute(U.insert(), [{"event_id": i, "campaign_id": run.id, "undo_seq": first_seq}
                              for i in ids])
    notices, withdrawn = _withdraw(conn, run, ids, change, actor.key, day, note)
    # the notices of undone ladder steps of filings: withdrawn, so that a step taken again
    # (the next tick) gives its notice again
    conn.execute(update(FN).where(FN.c.event_id.in_(ids), FN.c.withdrawn_on.is_(None))
                 .values(withdrawn_on=day))
    if change.batch is not None and change.batch.kind == TICK:
        previous = (change.batch.detail or {}).get("previous")
        if previous is None:
            conn.execute(delete(T).where(T.c.campaign_id == run.id))
        else:
            conn.execute(update(T).where(T.c.campaign_id == run.id)
                         .values(ticked_to=dt.date.fromisoformat(previous)))
    earliest = min(day, *(e.business_date for e in change.events))
    # snapshots are derived: those a change dated on or after the undone ones (or the undo) may
    # reach go
    conn.execute(delete(SN).where(SN.c.campaign_id == run.id, SN.c.as_of >= earliest))
    codes = sorted(r.subject_key or "" for r, _ in retire if r.machine == "item")
    return Undo(change.what, len(decided.moves) + len(concluded), len(ids), withdrawn, notices,
                day, codes)


def _by_machine(moves: list[Any]) -> Iterable[list[Any]]:
    """The writer checks each row's version once per call: one subject, one move, per call."""
    yield from ([m] for m in moves)


def _withdraw(conn: Connection, run: Run, ids: list[int], change: Change, actor: str,
              day: dt.date, note: str | None) -> tuple[int, list[str]]:
    """Mark the notices of undone escalations, and the live documents listing them, 作废."""
    rows = conn.execute(select(N.c.id, N.c.level, N.c.issued_on, I.c.code, I.c.unit_id)
                        .select_from(N.join(R, R.c.id == N.c.rectification_id)
                                     .join(I, I.c.id == R.c.item_id))
                        .where(N.c.event_id.in_(ids), N.c.withdrawn_on.is_(None))).all()
    if not rows:
        return 0, []
    conn.execute(update(N).where(N.c.id.in_([r.id for r in rows])).values(withdrawn_on=day))
    seqs = sorted(e.seq for e in change.events if e.trigger == "escalate")
    withdrawn: list[str] = []
    entries = []
    for doc in conn.execute(select(D.c.id, D.c.number, D.c.level, D.c.issued_on, D.c.unit_id,
                                   D.c["items"])
                            .where(D.c.campaign_id == run.id, D.c.withdrawn_on.is_(None))
                            .order_by(D.c.id)):
        listed = set(doc[5] or [])
        if any(r.level == doc.level and r.issued_on == doc.issued_on and r.code in listed
               for r in rows):
            withdrawn.append(doc.number)
            conn.execute(update(D).where(D.c.id == doc.id).values(withdrawn_on=day))
            entries.append(ev.entry(run.key, ev.DocumentWithdrawn(doc.number, seqs),
                                    subject=doc.number, actor=actor, day=day, campaign_id=run.id,
                                    note=note))
    if entries:
        ev.write(conn, entries)
    return len(rows), withdrawn


def undone_count(conn: Connection, run: Run) -> int:
    return int(conn.execute(select(func.count()).select_from(U)
                            .where(U.c.campaign_id == run.id)).scalar() or 0)


def list_batches(conn: Connection, run: Run) -> list[dict[str, Any]]:
    """The campaign's batches, newest first, each with whether it still stands."""
    undone = _undone(conn, run)
    out = []
    for row in conn.execute(select(B).where(B.c.campaign_id == run.id).order_by(B.c.id.desc())):
        ids = set(conn.execute(select(E.c.id).where(
            E.c.campaign_id == run.id, E.c.seq >= row.first_seq, E.c.seq <= row.last_seq)).scalars())
        out.append({"batch": row.id, "kind": row.kind, "date": row.business_date.isoformat(),
                    "actor": row.actor, "events": len(ids),
                    "status": "undone" if ids and ids <= undone else
                    "partly undone" if ids & undone else "standing"})
    return out

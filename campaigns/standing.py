"""Where items stand: the one state a ledger shows, and a campaign rebuilt as of a past date.

An item has two machines (the problem and its rectification); offices read one 状态 column.
``label`` picks the one that says most: the problem's state while it is unconfirmed or
finished, the rectification's in between.  ``resting_pairs`` walks both machines (with the
follow-ups their actions fire) to find every pair of states an item can rest in, so an import
can turn a 状态 cell back into the pair it names.

``snapshot`` rebuilds every item as it stood at the end of a business date from the event log,
so a report for a past month does not change when later work is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.core.spec import Definition

from .tables import EVENTS as E, ITEMS as I, PROGRESS as PR, RECTIFICATIONS as R, STAGES as S, UNITS as U

Pair = tuple[str, str]


# --- the state a ledger shows ------------------------------------------------------------------


def label_key(d: Definition, item_state: str, rect_state: str) -> tuple[str, str]:
    """(machine, state) behind the 状态 cell of an item."""
    item = d.machines["item"]
    if item_state == item.initial or item_state in item.done_states:
        return "item", item_state
    return "rectification", rect_state


def label(d: Definition, item_state: str, rect_state: str) -> str:
    machine, state = label_key(d, item_state, rect_state)
    try:
        return d.machines[machine].state(state).title or state
    except StopIteration:
        return state


@dataclass(frozen=True)
class Path:
    """How an item gets from its first states to a pair: triggers fired, fields stamped."""

    triggers: tuple[str, ...] = ()
    stamps: tuple[tuple[str, str], ...] = ()  # (machine, field) given the business date


def resting_pairs(d: Definition) -> dict[Pair, Path]:
    """Every pair of states an item can rest in, with the shortest way there."""
    item, rect = d.machines["item"], d.machines["rectification"]
    start = (item.initial, rect.initial)
    paths: dict[Pair, Path] = {start: Path()}
    queue = deque([start])
    fired = {a.kwargs.get("trigger") for m in (item, rect) for t in m.transitions
             for a in t.actions if a.name == "fire"}
    by_role = {t for role in d.roles.values() for t in role.triggers}
    while queue:
        pair = queue.popleft()
        for machine in (item, rect):
            for t in machine.transitions:
                if t.trigger in fired and t.trigger not in by_role:
                    continue  # only ever a consequence of another step
                ops: list[tuple[bool, str, str]] = []
                nxt = _fire(d, pair, t.trigger, ops, 0)
                if nxt is not None and nxt not in paths:
                    before = paths[pair]
                    stamped = dict.fromkeys(before.stamps)
                    for is_set, machine_name, name in ops:
                        if is_set:
                            stamped[(machine_name, name)] = None
                        else:
                            stamped.pop((machine_name, name), None)
                    paths[nxt] = Path(before.triggers + (t.trigger,), tuple(stamped))
                    queue.append(nxt)
    return paths


def _fire(d: Definition, pair: Pair, trigger: str, ops: list[tuple[bool, str, str]],
          depth: int) -> Pair | None:
    machine = d.machine_of(trigger)
    if machine is None or depth > 8:
        return None
    t = machine.transition(trigger)
    index = 0 if machine.name == "item" else 1
    if t is None or pair[index] not in t.sources:
        return None
    if not _guards_pass(d, pair, t.guards):
        return None
    new = list(pair)
    new[index] = t.dest
    result: Pair | None = (new[0], new[1])
    for action in t.actions:
        params = action.kwargs
        if action.name == "stamp_date":
            ops.append((True, machine.name, params["field"]))
        elif action.name == "set_field" and params.get("value") is None:
            ops.append((False, machine.name, params["field"]))
        elif action.name == "fire" and result is not None:
            result = _fire(d, result, params["trigger"], ops, depth + 1)
    return result


def _guards_pass(d: Definition, pair: Pair, guards: Iterable[Any]) -> bool:
    """The guards that depend only on the two states (the rest depend on people and dates)."""
    for guard in guards:
        if guard.name == "item_confirmed" and pair[0] == d.machines["item"].initial:
            return False
        if guard.name == "rectification_done" and \
                pair[1] not in d.machines["rectification"].done_states:
            return False
    return True


def parse_state(d: Definition, text: str, pairs: dict[Pair, Path] | None = None) -> Pair:
    """The pair of states a 状态 cell names: a label (整改中), a state key, or 'item/rect' keys."""
    pairs = pairs if pairs is not None else resting_pairs(d)
    value = text.strip()
    if "/" in value:
        left, _, right = value.partition("/")
        pair = (left.strip(), right.strip())
        if pair in pairs:
            return pair
    by_length = sorted(pairs, key=lambda p: len(pairs[p].triggers))
    for p in by_length:
        if label(d, *p) == value:
            return p
    for p in by_length:
        if label_key(d, *p)[1] == value:
            return p
    known = list(dict.fromkeys(label(d, *p) for p in by_length))
    raise InvalidInput(f"unknown state '{value}'", f"known: {', '.join(known)}")


def label_order(d: Definition) -> list[str]:
    """Ledger labels in reading order: open ones as the lifecycle runs, then the finished,
    closed (销号) last."""
    pairs = list(resting_pairs(d))
    done = d.machines["item"].done_states
    closing = closing_states(d)
    ordered = [p for p in pairs if p[0] not in done] + \
              [p for p in pairs if p[0] in done and p[0] not in closing] + \
              [p for p in pairs if p[0] in closing]
    return list(dict.fromkeys(label(d, *p) for p in ordered))


def closing_states(d: Definition) -> frozenset[str]:
    """Item states that mean 销号 (closed): done states whose way in stamps ``closed_on``."""
    item = d.machines["item"]
    found = {t.dest for t in item.transitions if t.dest in item.done_states
             and any(a.name == "stamp_date" and a.kwargs.get("field") == "closed_on"
                     for a in t.actions)}
    return frozenset(found) or item.done_states


def finished_rect_states(d: Definition) -> frozenset[str]:
    """Rectification states in which a deadline no longer matters."""
    done = d.machines["rectification"].done_states
    return frozenset(done | d.ladder.stop_states) if d.ladder else done


# --- a campaign as it stood ---------------------------------------------------------------------


@dataclass
class ItemAt:
    """One item as it stood at the end of a business date."""

    id: int
    code: str
    seq: int
    found_on: dt.date
    title: str = ""
    unit_id: int = 0
    category: str = ""
    source: str = ""
    state: str = ""
    rect_state: str = ""
    deadline: dt.date | None = None
    original_deadline: dt.date | None = None
    closed_on: dt.date | None = None
    typical: bool = False
    level: str | None = None  # escalation level reached
    measures: str | None = None
    target: str | None = None
    progress: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_ITEM_FIELDS = ("title", "category", "source", "typical", "measures", "target", "deadline")


def snapshot(conn: Connection, run: Any, as_of: dt.date) -> list[ItemAt]:
    """Every item recorded by the end of ``as_of``, as it stood then, in code order.

    Replays the event log forward: an item's ``add`` event gives its first facts; moves give
    states; plans, edits and the clock's payloads give later facts.  Facts no event carries
    fall back to the item's current values.
    """
    d = run.definition
    closing = closing_states(d)
    units = {r.code: r.id for r in conn.execute(select(U.c.code, U.c.id))}
    current = {r.id: r for r in conn.execute(
        select(I.c.id, I.c.code, I.c.seq, I.c.found_on, I.c.title, I.c.unit_id, I.c.category,
               I.c.source, I.c.typical, R.c.deadline, R.c.original_deadline, R.c.measures,
               R.c.target)
        .select_from(I.join(R, R.c.item_id == I.c.id)).where(I.c.campaign_id == run.id))}
    items: dict[int, ItemAt] = {}
    seen_fields: dict[int, set[str]] = {}
    query = (select(E.c.item_id, E.c.machine, E.c.trigger, E.c.to_state, E.c.business_date,
                    E.c.payload, E.c.note)
             .where(E.c.campaign_id == run.id, E.c.item_id.is_not(None), E.c.business_date <= as_of)
             .order_by(E.c.id))
    for ev in conn.execute(query):
        row = current.get(ev.item_id)
        if row is None:
            continue
        it = items.get(ev.item_id)
        if it is None:
            it = items[ev.item_id] = ItemAt(
                row.id, row.code, row.seq, row.found_on, row.title, row.unit_id, row.category,
                row.source, d.machines["item"].initial, d.machines["rectification"].initial)
            seen_fields[row.id] = set()
        payload = ev.payload or {}
        if ev.trigger == "add" and ev.machine == "item":
            _apply_add(it, payload, units, seen_fields[row.id])
        if ev.machine == "item" and ev.to_state:
            if ev.to_state in closing and it.state not in closing:
                it.closed_on = ev.business_date
            elif ev.to_state not in closing:
                it.closed_on = None
            it.state = ev.to_state
            if "closed_on" in payload and ev.to_state in closing:
                it.closed_on = _date(payload["closed_on"]) or it.closed_on
        elif ev.machine == "rectification" and ev.to_state:
            it.rect_state = ev.to_state
        if ev.trigger == "edit":
            _apply(it, payload.get("new") or {}, seen_fields[row.id])
        elif ev.trigger == "progress" and ev.note:
            it.progress = ev.note
        elif ev.trigger != "add":
            _apply(it, payload, seen_fields[row.id])
    for item_id, it in items.items():
        row = current[item_id]
        seen = seen_fields[item_id]
        for name in _ITEM_FIELDS:
            if name not in seen:
                setattr(it, name, getattr(row, name))
        if "unit_id" not in seen:
            it.unit_id = row.unit_id
        if "deadline" not in seen:
            it.original_deadline = row.original_deadline
    return sorted(items.values(), key=lambda it: it.seq)


def _apply_add(it: ItemAt, payload: dict[str, Any], units: dict[str, int], seen: set[str]) -> None:
    if payload.get("unit") in units:
        it.unit_id = units[payload["unit"]]
        seen.add("unit_id")
    for name in ("title", "category", "source", "measures", "target"):
        if name in payload:
            setattr(it, name, payload[name])
            seen.add(name)
    if "deadline" in payload:
        it.deadline = _date(payload["deadline"])
        it.original_deadline = _date(payload.get("original_deadline")) or it.deadline
        seen.add("deadline")
    it.typical = bool(payload.get("typical", False))
    seen.add("typical")
    for name in ("measures", "target"):
        seen.add(name)


def _apply(it: ItemAt, values: dict[str, Any], seen: set[str]) -> None:
    for name, value in values.items():
        if name in ("deadline", "new_deadline"):
            it.deadline = _date(value)
            it.original_deadline = it.original_deadline or it.deadline
            name = "deadline"
        elif name in ("unit_id", "title", "category", "source", "measures", "target"):
            setattr(it, name, value)
        elif name == "typical":
            it.typical = bool(value)
        elif name == "level":
            it.level = value
        else:
            continue
        seen.add(name)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def stages_at(conn: Connection, run: Any, as_of: dt.date) -> list[dict[str, Any]]:
    """The campaign's stages as they stood at the end of ``as_of``."""
    rows = conn.execute(select(S).where(S.c.campaign_id == run.id).order_by(S.c.position)).all()
    events: dict[int, list[Any]] = {}
    for ev in conn.execute(select(E.c.subject_id, E.c.trigger, E.c.to_state, E.c.business_date)
                           .where(E.c.campaign_id == run.id, E.c.machine == "stage")
                           .order_by(E.c.id)):
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
            if ev.to_state == "open":
                opened = ev.business_date
            elif ev.to_state == "closed":
                closed = ev.business_date
        spec = run.definition.stage(row.key)
        start, end = spec.window(run.start_date) if spec else (None, None)
        out.append({"key": row.key, "title": spec.title if spec else row.key,
                    "kind": spec.kind if spec else "", "start": start, "end": end,
                    "state": state, "opened_on": opened, "closed_on": closed})
    return out


def latest_progress(conn: Connection, item_ids: Iterable[int] | None, campaign_id: int) -> dict[int, str]:
    """The newest progress note of each item of the campaign."""
    from sqlalchemy import func

    newest = (select(func.max(PR.c.id)).select_from(PR.join(I, I.c.id == PR.c.item_id))
              .where(I.c.campaign_id == campaign_id).group_by(PR.c.item_id))
    query = select(PR.c.item_id, PR.c.note).where(PR.c.id.in_(newest))
    if item_ids is not None:
        ids = list(item_ids)
        if len(ids) < 500:
            query = query.where(PR.c.item_id.in_(ids))
    return {r.item_id: r.note for r in conn.execute(query)}

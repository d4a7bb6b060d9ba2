"""Where items stand: the one state a ledger shows, and a campaign rebuilt as of a past date.

An item has two machines (the problem and its rectification); offices read one 状态 column.
``label`` picks the one that says most: the problem's state while it is unconfirmed or
finished, the rectification's in between.  ``resting_pairs`` walks both machines (with the
follow-ups their actions fire) to find every pair of states an item can rest in, so an import
can turn a 状态 cell back into the pair it names.

How a campaign stood at a past date is ``campaigns.reducer``'s, the one replay of the log.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.core.schedule import active_states
from engine.core.spec import Definition

from .i18n import _
from .lifecycle import STANDARD_ESCALATION
from .tables import ITEMS as I, PROGRESS as PR

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
        left, _sep, right = value.partition("/")
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
    raise InvalidInput(_("unknown state '{value}'").format(value=value), _("known: {names}").format(
        names=', '.join(known)))


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


class Overdue:
    """Whether an item is overdue: its deadline has passed and its rectification is in a state
    the ladder climbs in (``engine.core.schedule.active_states``), so lists, reports and the
    ladder agree.  A report awaiting confirmation, a request waiting for the office and finished
    work wait on the ladder, and are not overdue either.  Without a ladder: the states it would
    climb in by default (``lifecycle: standard``: in_progress), else every state not done.
    """

    def __init__(self, d: Definition) -> None:
        rect = d.machines["rectification"]
        if d.ladder is not None and d.ladder.machine == "rectification":
            states = set(active_states(d))
        elif d.lifecycle == "standard":
            states = set(STANDARD_ESCALATION["applies_in"])
        else:
            states = {s.key for s in rect.states}
        self.states = frozenset(states - rect.done_states)

    def __call__(self, deadline: dt.date | None, rect_state: str, as_of: dt.date) -> bool:
        return bool(deadline and deadline < as_of and rect_state in self.states)


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

"""Rows whose 状态 names a later state: who may import them so, and the moves that take an
item there.

``plan_row_moves`` is the one place the importer decides state changes; it does no I/O, so a
planner that fires the lifecycle's own triggers can take its place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from campaigns.i18n import _
from engine.core.machines import Actor
from engine.core.moves import Move
from engine.core.planner import Placement, Request, plan_placements

from ..runs import Run
from ..standing import Pair, closing_states, label
from .cells import iso
from .header import Header
from .problems import RowProblem
from .rows import Parsed


def may_import_states(run: Run, actor: Actor) -> bool:
    """Importing an item past its first states takes a role that may override."""
    return any(run.definition.roles[r].overrides for r in actor.roles if r in run.definition.roles)


def refusals(run: Run, actor: Actor, header: Header, sheet: str | None, fresh: list[Parsed],
             changed: list[tuple[Parsed, Any, Any]]) -> list[RowProblem]:
    """Rows that would put an item past its first states, when the actor may not."""
    d = run.definition
    first = (d.machines["item"].initial, d.machines["rectification"].initial)
    moving = [p for p in fresh if p.pair not in (None, first)]
    moving += [p for p, _, diff in changed if "state" in diff]
    if not moving or may_import_states(run, actor):
        return []
    roles = [r.key for r in d.roles.values() if r.overrides]
    return [RowProblem(
        header.where(sheet, p.row, "state"),
        _("importing an item as {value} takes a role that may override ({value2}); '{key}' has none").format(
            value=label(d, *p.pair), value2=', '.join(roles) or 'none defined', key=actor.key),
        f"leave 状态 empty to import as {label(d, *first)}, or import as an authorised person")
        for p in moving if p.pair is not None]


_NOTHING: Mapping[str, Any] = MappingProxyType({})  # a request's params and changes: none


@dataclass(frozen=True)
class Current:
    """An item's two rows as read before the import writes: where its moves start from."""

    item_id: int
    item_version: int
    item_state: str
    rect_id: int
    rect_version: int
    rect_state: str
    deadline: dt.date | None  # the rectification's deadline once the row is taken
    code: str = ""  # the item's code: its events' stable key in the campaign's chain


def plan_row_moves(run: Run, row: Parsed, item: Current, actor: Actor, as_of: dt.date,
                   origin: Mapping[str, Any],
                   closing: frozenset[str] | None = None) -> list[Move]:
    """The moves that take ``item`` to the pair of states the row's 状态 names.

    One ``import`` move per machine whose state differs (the item's first), stamping what the
    shortest path there would stamp (``closed_on``, ``submitted_on``, ``completed_on``); the
    lifecycle's own triggers are not fired, since an office's ledger records where an item
    stands, not how it got there.  ``closing`` saves recomputing the closing states per row.
    """
    return plan_rows_moves(run, [(row, item, origin)], actor, as_of, closing)


def plan_rows_moves(run: Run, rows: Sequence[tuple[Parsed, Current, Mapping[str, Any]]],
                    actor: Actor, as_of: dt.date,
                    closing: frozenset[str] | None = None) -> list[Move]:
    """``plan_row_moves`` for many rows (each with its origin), planned together
    (``planner.plan_placements``): every row's moves in order, or the first refusal raised."""
    closing = closing if closing is not None else closing_states(run.definition)
    records: list[tuple[list[Placement], Request]] = []
    placed: list[tuple[Parsed, Current]] = []
    stamped: dict[Pair, dict[str, Any]] = {}  # the rectification's stamps, per pair of states
    for row, item, origin in rows:
        pair = row.pair
        if pair is None or pair == (item.item_state, item.rect_state):
            continue  # where it stands already: the planner would make no move of it
        new_item, new_rect = pair
        dates = stamped.get(pair)
        if dates is None:
            stamps = row.path.stamps if row.path else ()
            dates = stamped[pair] = {name: as_of for name in ("submitted_on", "completed_on")
                                     if ("rectification", name) in stamps}
        closed = (row.values.get("closed_on") or as_of) if new_item in closing else None
        records.append(([
            Placement("item", item.item_id, item.item_version, item.item_state, new_item,
                      {"closed_on": closed}, {**origin, "closed_on": iso(closed)}),
            Placement("rectification", item.rect_id, item.rect_version, item.rect_state,
                      new_rect, dates, {**origin, "deadline": iso(item.deadline)}),
        ], Request("import", actor, as_of, _NOTHING, f"imported from {origin['file']} row {row.row}",
                   _NOTHING, event_values={"campaign_id": run.id, "item_id": item.item_id},
                   stream=run.key, subject_key=item.code)))
        placed.append((row, item))
    moves: list[Move] = []
    for (row, item), decided in zip(placed, plan_placements(run.definition, records), strict=True):
        decided.raise_if_refused(item.code or f"row {row.row}")
        moves += decided.moves
    return moves

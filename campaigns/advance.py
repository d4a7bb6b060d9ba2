"""Firing triggers on items: the hot path of ``rectify item advance``.

All the codes given move in one transaction, or none do; each move writes its event, and
consequences (verifying a rectification closes its item) are moves with events of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, Refused
from engine.core.machines import Actor, Context, Outcome
from engine.core.moves import Move
from engine.io.store import apply_moves

from .clock import catch_up
from .figures import StoreFigures
from .records import Record, load_records
from .runs import Run, load_run_by_id, require_forward, run_of
from .tables import EVENTS, ITEMS, RECTIFICATIONS

TABLES = {"item": ITEMS, "rectification": RECTIFICATIONS}


def advance(conn: Connection, trigger: str, codes: list[str], actor: Actor | None,
            actor_key: str | None, as_of: dt.date, note: str | None = None,
            params: Mapping[str, Any] | None = None, resolve: Any = None) -> list[Outcome]:
    """Fire ``trigger`` on every item in ``codes``; refuse all if any is refused."""
    if trigger == "plan":  # a plan without measures or deadline would leave the ledger blank
        raise InvalidInput("'plan' records the rectification plan itself",
                           "use 'rectify item rectify CODE --measures ...' (it fires 'plan')")
    records = load_records(conn, codes)
    runs: dict[int, Run] = {}
    actors: dict[int, Actor] = {}
    moves: list[Move] = []
    outcomes: list[Outcome] = []
    refused: list[str] = []
    for record in records:
        run = runs.get(record.campaign_id)
        if run is None:
            run = runs[record.campaign_id] = (
                run_of(conn, record.campaign) if record.campaign
                else load_run_by_id(conn, record.campaign_id))
            require_forward(run, as_of)
            actors[run.id] = actor or resolve(conn, actor_key, set(run.definition.roles))
        catch_up(conn, run, [record], as_of)  # the clock first: what daily ticks would have done
        steps = fire_with_follow_ups(conn, run, record, trigger, actors[run.id], as_of, note,
                                     params or {})
        if not steps[0].ok:
            refused.append(f"{record.code}: " + "; ".join(str(r) for r in steps[0].refusals))
            continue
        outcomes.append(steps[0])
        for step in steps:
            moves.append(_move(record, run, step, actors[run.id].key, as_of, note))
    if refused:
        raise Refused(f"'{trigger}' refused for {len(refused)} of {len(records)} item(s); "
                      "nothing was changed:\n  " + "\n  ".join(refused[:20]),
                      "run 'rectify item triggers CODE' to see what is possible now")
    apply_moves(conn, TABLES, EVENTS, moves)
    return outcomes


def fire_with_follow_ups(conn: Connection | None, run: Run, record: Record, trigger: str,
                         actor: Actor, as_of: dt.date, note: str | None,
                         params: Mapping[str, Any], rule: str | None = None) -> list[Outcome]:
    """The trigger's outcome first, then each consequence it fired (all or nothing)."""
    steps: list[Outcome] = []
    queue = [(trigger, False)]
    while queue:
        name, follow = queue.pop(0)
        machine = run.definition.machine_of(name)
        subject = record.subject(machine.name) if machine else record.item
        ctx = Context(run.definition, actor, as_of, subject=subject, run=run, record=record,
                      figures=StoreFigures(conn, run) if conn is not None else None,
                      note=note, params=params, follow_up=follow)
        before = subject.state
        outcome = run.runtime.fire(ctx, name)
        outcome.source = before
        if not outcome.ok:
            if follow:
                raise Refused(f"'{trigger}' on {record.code} needs '{name}', which was refused: "
                              + "; ".join(str(r) for r in outcome.refusals))
            return [outcome]
        steps.append(outcome)
        queue.extend((f, True) for f in outcome.follow_ups)
    return steps


def _move(record: Record, run: Run, step: Outcome, actor: str, as_of: dt.date,
          note: str | None) -> Move:
    subject = record.subject(step.machine)
    move = Move(subject.id, subject.version, step.machine, step.trigger, step.source,
                step.dest or step.source, actor, as_of, changes=step.changes,
                event_values={"campaign_id": run.id, "item_id": record.item.id}, note=note,
                payload=_jsonable(step.changes) or None)
    subject.version += 1
    return move


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}

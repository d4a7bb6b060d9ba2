"""Firing triggers on items: the hot path of ``rectify item advance``.

All the codes given move in one transaction, or none do.  What each trigger does is decided by
the planner (engine.core.planner), consequences included (verifying a rectification closes
its item); the writer stores every move with its event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Connection

from engine.core.collector import paused
from engine.core.errors import InvalidInput, Refused
from engine.core.machines import Actor, Outcome
from engine.core.moves import Move
from engine.core.planner import Plan, Request, plan
from engine.io.writer import apply_moves

from . import events as ev
from .batches import COMMAND, recording
from .clock import Quiet, catch_up
from .figures import StoreFigures
from .i18n import _, localize, shown
from .provisional import is_provisional
from .records import Record, load_records
from .runs import Run, load_run_by_id, require_forward, run_of
from .tables import EVENTS, SUBJECT_TABLES as TABLES


@dataclass(frozen=True)
class Advanced:
    """One item moved: the trigger's own outcome first, then each step it fired (verify → close),
    and the deadline the move set (a return, a reopening, an approval), if it set one."""

    code: str
    outcomes: tuple[Outcome, ...]
    new_deadline: dt.date | None = None
    provisional: bool = False  # the new deadline lies in a year no holiday notice covers yet


def advance(conn: Connection, trigger: str, codes: list[str], actor: Actor | None,
            actor_key: str | None, as_of: dt.date, note: str | None = None,
            params: Mapping[str, Any] | None = None, resolve: Any = None,
            records: list[Record] | None = None) -> list[Advanced]:
    """Fire ``trigger`` on every item in ``codes``; refuse all if any is refused.

    ``records``: the live items of ``codes``, already read in this transaction (the web door
    reads them first to check the versions its form showed)."""
    if trigger == "plan":  # a plan without measures or deadline would leave the ledger blank
        raise InvalidInput(_("'plan' records the rectification plan itself"),
                           _("use 'rectify item rectify CODE --measures ...' (it fires 'plan')"))
    with ExitStack() as batches, paused():  # a bulk change builds thousands of objects
        return _advance(conn, trigger, records or load_records(conn, codes), actor, actor_key,
                        as_of, note, params, resolve, batches)


def _advance(conn: Connection, trigger: str, records: list[Record], actor: Actor | None,
             actor_key: str | None, as_of: dt.date, note: str | None,
             params: Mapping[str, Any] | None, resolve: Any, batches: ExitStack) -> list[Advanced]:
    runs: dict[int, Run] = {}
    actors: dict[int, Actor] = {}
    quiet: dict[int, Quiet] = {}
    moves: list[Move] = []
    outcomes: list[Advanced] = []
    refused: list[str] = []
    for record in records:
        run = runs.get(record.campaign_id)
        if run is None:
            run = runs[record.campaign_id] = (
                run_of(conn, record.campaign) if record.campaign
                else load_run_by_id(conn, record.campaign_id))
            require_forward(run, as_of)
            actors[run.id] = actor or resolve(conn, actor_key, set(run.definition.roles))
            batches.enter_context(recording(conn, run.id, run.key, COMMAND, actors[run.id].key,
                                            as_of))  # one change to undo: catch-up included
        # the clock first: what daily ticks would have done
        catch_up(conn, run, [record], as_of, quiet.setdefault(run.id, set()))
        decided = plan_record(conn, run, record, Request(
            trigger, actors[run.id], as_of, params or {}, note, **_bound(run, record)))
        if not decided.ok:
            refused.append(_("{code}: {reasons}").format(
                code=record.code, reasons=localize([r.text() for r in decided.refusals])))
            continue
        due = new_deadline(decided.moves)
        outcomes.append(Advanced(record.code, tuple(decided.outcomes), due,
                                 is_provisional(run.definition, due)))
        moves += decided.moves
    if refused:
        raise Refused(_("'{trigger}' refused for {count} of {total} item(s); nothing was changed:").format(
            trigger=shown("trigger", trigger), count=len(refused), total=len(records))
                      + "\n  " + "\n  ".join(refused[:20]),
                      _("run 'rectify item triggers CODE' to see what is possible now"))
    if trigger == "merge" and params and "into" in params:  # name the item it duplicates
        first = [m for m in moves if m.trigger == "merge"]
        for m in first:
            merged = ev.Merged(m.payload or {}, into=str(params["into"]))
            m.payload, m.payload_version = merged.as_payload(), merged.VERSION
    apply_moves(conn, TABLES, EVENTS, moves)
    return outcomes


def new_deadline(moves: list[Move]) -> dt.date | None:
    """The rectification deadline ``moves`` set, if any (the last one set wins)."""
    set_to = [m.changes["deadline"] for m in moves
              if m.machine == "rectification" and m.changes.get("deadline")]
    return set_to[-1] if set_to else None


def plan_record(conn: Connection | None, run: Run, record: Record, request: Request) -> Plan:
    """Ask the planner about one item, with its campaign's event columns and figures.

    On success ``record`` becomes the moved copy, so a caller may plan the next change on it.
    """
    if request.stream != run.key or request.subject_key != record.code:
        request = replace(request, **_bound(run, record))
    decided = plan(run.runtime, record, request, run=run,
                   figures=StoreFigures(conn, run) if conn is not None else None)
    if decided.ok:
        moved: Record = decided.after
        record.item, record.rectification = moved.item, moved.rectification
    return decided



def _bound(run: Run, record: Record) -> dict[str, Any]:
    """A request's event columns and stream for ``record`` of ``run``."""
    return {"event_values": {"campaign_id": run.id, "item_id": record.item.id},
            "stream": run.key, "subject_key": record.code}

"""Undoing an entry of scores (``rectify assess undo``): a compensating event, never an edit.

Each ``rectify assess score`` and ``rectify assess import`` is one batch (kind ``score``); an
undo reverses a whole batch, the latest still standing or one named by number, with one
``undo`` event of machine ``assessment`` whose payload lists the ``seq`` of the entries it
takes back, and rows of the ``undone`` index.  The entries stay in the log and in their table;
a result as of a date before the undo still counts them, from its date on it does not, so a
past period's result stays what it was on every date.

The planner decides as for any undo (only a role that may override, and with a reason).  Once
a period's results are published (公示), or a bottom-rule proposal of the period confirmed,
entries of that period are not undone: what was told to the public or decided on them stands,
and a corrected score is entered instead (the latest entry counts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.core.errors import InvalidInput, NotFound, Refused
from engine.core.planner import Request, plan_undo

from . import events as ev
from .assessment import SCORE_BATCH, parse_period
from .assessment_decisions import status
from .batches import head_seq
from .context import Scope
from .i18n import _
from .runs import require_forward
from .tables import (
    ASSESSMENT_DECISIONS as D,
    BATCHES as B,
    EVENTS as E,
    UNDONE as U,
)

UNDO = "undo"


@dataclass(frozen=True)
class ScoresUndone:
    """What an undo of scores did, for the command's message."""

    batch: int
    entries: int
    periods: list[str]
    as_of: dt.date


def undo_scores(scope: Scope, note: str | None, batch: int | None = None) -> ScoresUndone:
    """Reverse batch ``batch`` of scores, or the latest one still standing."""
    conn, run, actor, day = scope.conn, scope.run, scope.acting, scope.as_of
    ev.lock(conn, [run.key])
    undone = set(conn.execute(select(U.c.event_id).where(U.c.campaign_id == run.id)).scalars())
    query = select(B).where(B.c.campaign_id == run.id)
    if batch is not None:
        rows = conn.execute(query.where(B.c.id == batch)).all()
        if not rows:
            raise NotFound(_("campaign '{key}' has no batch {number}").format(
                key=run.key, number=batch), _("see 'rectify campaign batches {key}'").format(
                    key=run.key))
        if rows[0].kind != SCORE_BATCH:
            raise InvalidInput(_("batch {number} is a {kind}, not an entry of scores").format(
                number=batch, kind=rows[0].kind),
                _("undo it with 'rectify campaign undo --batch {number}'").format(number=batch))
    else:
        rows = conn.execute(query.where(B.c.kind == SCORE_BATCH).order_by(B.c.id.desc())).all()
    chosen: Any = None
    events: list[Any] = []
    for row in rows:
        events = list(conn.execute(select(E.c.id, E.c.seq, E.c.payload, E.c.business_date).where(
            E.c.campaign_id == run.id, E.c.seq >= row.first_seq, E.c.seq <= row.last_seq,
            E.c.machine == "assessment", E.c.trigger == "score").order_by(E.c.seq)))
        events = [e for e in events if e.id not in undone]
        if events:
            chosen = row
            break
        if batch is not None:
            raise Refused(_("batch {number} (scores of {day}) is already undone").format(
                number=batch, day=row.business_date))
    if chosen is None:
        raise NotFound(_("campaign '{key}' has no entry of scores left to undo").format(
            key=run.key))
    require_forward(run, day)
    entered_on = max(e.business_date for e in events)
    if day < entered_on:
        raise InvalidInput(_("{day} is before the scores were entered ({entered})").format(
            day=day, entered=entered_on), _("give --as-of {entered} or later").format(
                entered=entered_on))
    periods = sorted({str((e.payload or {}).get("period")) for e in events})
    for key in periods:
        state = status(conn, run, parse_period(key), day)
        if state["status"] != "draft":
            raise Refused(_("the results for {period} were published on {day} (公示); its "
                            "scores are not undone").format(period=key,
                                                            day=state["published_on"]),
                          _("enter the corrected score instead: the latest entry counts"))
        confirmed = conn.execute(select(D.c.decided_on).where(
            D.c.campaign_id == run.id, D.c.period == key, D.c.kind == "bottom",
            D.c.decided_on <= day).limit(1)).scalar()
        if confirmed is not None:
            raise Refused(_("a bottom-rule proposal for {period} was confirmed on {day}; its "
                            "scores are not undone").format(period=key, day=confirmed),
                          _("enter the corrected score instead: the latest entry counts"))
    what = _("scores of {day} (batch {number})").format(day=chosen.business_date,
                                                         number=chosen.id)
    decided = plan_undo(run.definition, [], Request(UNDO, actor, day, note=note,
                                                    event_values={"campaign_id": run.id},
                                                    stream=run.key))
    decided.raise_if_refused(what)
    seqs = [e.seq for e in events]
    undo_seq = head_seq(conn, run.key) + 1
    ev.write(conn, [ev.entry(run.key, ev.Undone(seqs), subject=f"assessment:{periods[0]}",
                             actor=actor.key, day=day, campaign_id=run.id, machine="assessment",
                             note=note)])
    conn.execute(U.insert(), [{"event_id": e.id, "campaign_id": run.id, "undo_seq": undo_seq}
                              for e in events])
    return ScoresUndone(chosen.id, len(events), periods, day)

"""Open items follow the organisation: a merged unit's go to the unit it merged into, a leaving
person's to their successor.

Each item changed gets its own event in its campaign's log, written as ``rectify item move``
and ``rectify item edit`` write theirs (``item moved``; ``edit`` of ``leader_id``/``person_id``
with old and new values), dated the change's effective date, so every replay of the campaign
sees the item where it was on each day.  A campaign whose log already holds a later change
refuses (its business time only moves forward); a concluded campaign's items stay as they
were.  Only the site's administrator reaches here (``units.merge_unit``, ``people.leave``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.core.moves import Edit
from engine.io.writer import apply_edits

from . import events as ev
from .i18n import _
from .runs import Run, load_run_by_id, require_forward
from .tables import CAMPAIGNS as C, ITEMS as I, RECTIFICATIONS as R, SITE, SUBJECT_TABLES


@dataclass(frozen=True)
class OpenItem:
    id: int
    code: str
    version: int
    campaign_id: int
    rect_id: int
    rect_version: int
    leader_id: int | None
    person_id: int | None


def open_items(conn: Connection, *, unit_ids: Iterable[int] = (),
               person_id: int | None = None) -> list[OpenItem]:
    """Items not done, not retired, of running campaigns: in the units ``unit_ids``, or those
    ``person_id`` answers for (责任领导 or 责任人), in code order."""
    query = (select(I.c.id, I.c.code, I.c.version, I.c.campaign_id, I.c.state, R.c.id, R.c.version,
                    R.c.leader_id, R.c.person_id)
             .select_from(I.join(R, R.c.item_id == I.c.id).join(C, C.c.id == I.c.campaign_id))
             .where(I.c.retired_on.is_(None), C.c.concluded_on.is_(None)).order_by(I.c.code))
    ids = list(unit_ids)
    if person_id is not None:
        query = query.where(or_(R.c.leader_id == person_id, R.c.person_id == person_id))
    else:
        query = query.where(I.c.unit_id.in_(ids))
    runs: dict[int, Run] = {}
    out = []
    for row in conn.execute(query):
        run = runs.get(row[3])
        if run is None:
            run = runs[row[3]] = load_run_by_id(conn, row[3])
        if row[4] not in run.definition.machines["item"].done_states:
            out.append(OpenItem(row[0], row[1], row[2], row[3], row[5], row[6], row[7], row[8]))
    return out


def _runs(conn: Connection, items: list[OpenItem], day: dt.date) -> dict[int, Run]:
    """The items' campaigns, each checked to take a change dated ``day``."""
    runs = {cid: load_run_by_id(conn, cid) for cid in sorted({it.campaign_id for it in items})}
    for run in runs.values():
        try:
            require_forward(run, day)
        except InvalidInput as exc:
            raise InvalidInput(
                _("campaign '{key}' holds open items this change would move: {why}").format(
                    key=run.key, why=exc.message),
                _("give --on {latest} or later").format(latest=run.latest or run.start_date)
            ) from None
    ev.lock(conn, [SITE, *(r.key for r in runs.values())])
    return runs


def move_items(conn: Connection, items: list[OpenItem], old_code: str, new_id: int,
               new_code: str, *, actor: str, day: dt.date, note: str) -> None:
    """Hand ``items`` to unit ``new_id``: the writer's edit and an ``item moved`` each (the
    site's chain head and the campaigns' locked first, even when there are none)."""
    runs = _runs(conn, items, day)
    old_ids = dict(conn.execute(select(I.c.id, I.c.unit_id)
                                .where(I.c.id.in_([it.id for it in items]))).all())
    apply_edits(conn, SUBJECT_TABLES, [Edit(it.id, it.version, "item", {"unit_id": new_id})
                                       for it in items])
    ev.write(conn, [ev.entry(runs[it.campaign_id].key,
                             ev.ItemMoved({"unit_id": old_ids[it.id]}, {"unit_id": new_id},
                                          old_code, new_code),
                             subject=it.code, actor=actor, day=day, campaign_id=it.campaign_id,
                             item_id=it.id, subject_id=it.id, note=note) for it in items])


def hand_over(conn: Connection, items: list[OpenItem], person_id: int, successor_id: int, *,
              actor: str, day: dt.date, note: str) -> None:
    """Make ``successor_id`` answer for ``items`` wherever ``person_id`` did: an ``edit`` each
    (the site's chain head and the campaigns' locked first, even when there are none)."""
    runs = _runs(conn, items, day)
    edits: list[Edit] = []
    entries = []
    for it in items:
        fields = [f for f, v in (("leader_id", it.leader_id), ("person_id", it.person_id))
                  if v == person_id]
        old: dict[str, Any] = dict.fromkeys(fields, person_id)
        new: dict[str, Any] = dict.fromkeys(fields, successor_id)
        edits.append(Edit(it.rect_id, it.rect_version, "rectification", new))
        entries.append(ev.entry(runs[it.campaign_id].key, ev.Edited(old, new), subject=it.code,
                                actor=actor, day=day, campaign_id=it.campaign_id, item_id=it.id,
                                subject_id=it.id, note=note))
    apply_edits(conn, SUBJECT_TABLES, edits)
    ev.write(conn, entries)

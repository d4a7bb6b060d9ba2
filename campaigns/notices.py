"""Escalation notices (提醒/督办/通报/问责): listing them (documents: campaigns.notice_docs).

The clock writes one notice per rectification and level reached (campaigns.clock); here they are
read back with the unit, the responsible leader and person joined in.  Nothing confidential is
ever read: the reporter lives in its own table, which these queries do not touch.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound

from .runs import Run
from .tables import DOCUMENTS as D, ITEMS as I, NOTICES as N, PEOPLE as P, RECTIFICATIONS as R
from .units import UnitTree

COLUMNS = ["issued_on", "level", "level_title", "unit", "code", "title", "leader", "person",
           "deadline", "days_overdue", "new_deadline", "action", "document", "status"]
WITHDRAWN = "作废"  # what an undo made of a notice or a document (campaigns.undo)
HEADERS = {"issued_on": "issued", "level_title": "title", "days_overdue": "overdue",
           "new_deadline": "new deadline"}


def level_key(run: Run, text: str) -> str:
    """A ladder level by key or by title (督办)."""
    ladder = run.definition.ladder
    levels = {lv.key: lv.title for lv in ladder.levels} if ladder else {}
    for key, title in levels.items():
        if text in (key, title):
            return key
    if not levels:
        raise InvalidInput(f"campaign '{run.key}' has no escalation ladder, so no notices")
    import difflib

    close = difflib.get_close_matches(text, [*levels, *levels.values()], n=1)
    raise NotFound(f"unknown escalation level '{text}'",
                   f"did you mean '{close[0]}'?" if close else f"levels: {', '.join(levels)}")


def list_notices(conn: Connection, run: Run, tree: UnitTree, *, level: str | None = None,
                 since: dt.date | None = None, unit: str | None = None,
                 until: dt.date | None = None) -> list[dict[str, Any]]:
    """The campaign's notices, oldest first, with unit, leader and person joined."""
    leader, person = P.alias("leader"), P.alias("person")
    query = (select(N.c.level, N.c.issued_on, N.c.deadline, N.c.days_overdue, N.c.new_deadline,
                    N.c.action, N.c.withdrawn_on, I.c.code, I.c.title, I.c.unit_id, R.c.original_deadline,
                    leader.c.name.label("leader"), person.c.name.label("person"))
             .select_from(N.join(R, R.c.id == N.c.rectification_id).join(I, I.c.id == R.c.item_id)
                          .outerjoin(leader, leader.c.id == R.c.leader_id)
                          .outerjoin(person, person.c.id == R.c.person_id))
             .where(N.c.campaign_id == run.id).order_by(N.c.issued_on, N.c.id))
    if level:
        query = query.where(N.c.level == level_key(run, level))
    if since:
        query = query.where(N.c.issued_on >= since)
    if until:
        query = query.where(N.c.issued_on <= until)
    if unit:
        query = query.where(I.c.unit_id.in_(tree.subtree_ids(tree.find(unit))))
    ladder = run.definition.ladder
    titles = {lv.key: lv.title for lv in ladder.levels} if ladder else {}
    documents: dict[tuple[int, str, dt.date], list[Any]] = {}
    for doc in conn.execute(select(D.c.unit_id, D.c.level, D.c.issued_on, D.c.number, D.c["items"],
                                   D.c.withdrawn_on).where(D.c.campaign_id == run.id)
                            .order_by(D.c.id)):
        documents.setdefault((doc[0], doc[1], doc[2]), []).append(doc)

    def document(r: Any) -> str:
        """The numbers of the documents listing the notice, a withdrawn one marked 作废."""
        return ", ".join(d.number + (f" {WITHDRAWN}" if d.withdrawn_on else "")
                         for d in documents.get((r.unit_id, r.level, r.issued_on), [])
                         if r.code in (d[4] or []))

    return [{
        "issued_on": r.issued_on.isoformat(), "level": r.level,
        "level_title": titles.get(r.level, r.level), "unit": tree.by_id[r.unit_id].title,
        "unit_code": tree.by_id[r.unit_id].code, "code": r.code, "title": r.title,
        "leader": r.leader or "", "person": r.person or "", "deadline": r.deadline.isoformat(),
        "original_deadline": r.original_deadline.isoformat() if r.original_deadline else "",
        "days_overdue": r.days_overdue,
        "new_deadline": r.new_deadline.isoformat() if r.new_deadline else "",
        "action": r.action or "", "document": document(r),
        "status": WITHDRAWN if r.withdrawn_on else "",
    } for r in conn.execute(query)]

"""Notices: escalation (提醒/督办/通报/问责), and the clock's notices to the office (a stage that
cannot close, a reminder to confirm: campaigns.office_notices), listed together by day.

The clock writes one escalation notice per rectification and level reached (campaigns.clock);
here they are read back with the unit, the responsible leader and person joined in, and the
rectifying unit they are addressed to (documents: campaigns.notice_docs).  Nothing confidential
is ever read: the reporter lives in its own table, which these queries do not touch.  As of a
date, a notice an undo withdrew by then is marked 作废; one withdrawn later is shown as it stood.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput

from .duties import rectifying_row
from .i18n import _
from .names import ByDate, person_names_at
from .office_notices import ESCALATION, KINDS, WITHDRAWN, list_office_notices
from .runs import Run
from .tables import DOCUMENTS as D, ITEMS as I, NOTICES as N, RECTIFICATIONS as R
from .units import UnitTree

COLUMNS = ["issued_on", "kind", "level", "level_title", "to", "unit", "code", "title", "leader",
           "person", "deadline", "days_overdue", "new_deadline", "action", "reason", "document",
           "status"]
HEADERS = {"issued_on": "issued", "level_title": "title", "days_overdue": "overdue",
           "new_deadline": "new deadline", "to": "addressee"}
_ORDER = {k: i for i, k in enumerate(KINDS)}


def parse_kinds(texts: Sequence[str]) -> set[str]:
    """``--kind`` values (several, or comma-separated); none: every kind."""
    chosen = {t.strip() for text in texts for t in text.split(",") if t.strip()}
    unknown = sorted(chosen - set(KINDS))
    if unknown:
        from .filters import pick

        pick(unknown[0], dict.fromkeys(KINDS, ""), _("notice kind"), "--kind")
    return chosen or set(KINDS)


def reminder_key(run: Run, text: str) -> str | None:
    """A reminder level by key or title (核实提醒), or None when ``text`` names none."""
    rem = run.definition.reminders
    for lv in rem.levels if rem else ():
        if text in (lv.key, lv.title):
            return lv.key
    return None


def list_all(conn: Connection, run: Run, tree: UnitTree, *, kinds: set[str] | None = None,
             level: str | None = None, since: dt.date | None = None, unit: str | None = None,
             until: dt.date | None = None) -> list[dict[str, Any]]:
    """Every notice of the kinds asked for, by day (escalation, then stage, then reminders).

    ``level`` names a ladder level or a reminder level, and keeps only that level's notices.
    """
    kinds = set(KINDS) if kinds is None else kinds
    reminder = reminder_key(run, level) if level else None
    rows: list[dict[str, Any]] = []
    if ESCALATION in kinds and not reminder:
        rows += list_notices(conn, run, tree, level=level, since=since, unit=unit, until=until)
    if not level or reminder:
        rows += list_office_notices(conn, run, tree, kinds=kinds - {ESCALATION},
                                    reminder=reminder, since=since, until=until, unit=unit)
    return sorted(rows, key=lambda r: (r["issued_on"], _ORDER[r["kind"]]))  # stable within


def level_key(run: Run, text: str) -> str:
    """A ladder level by key or by title (督办)."""
    ladder = run.definition.ladder
    levels = {lv.key: lv.title for lv in ladder.levels} if ladder else {}
    for key, title in levels.items():
        if text in (key, title):
            return key
    if not levels:
        raise InvalidInput(_("campaign '{campaign}' has no escalation ladder, so no notices").format(
            campaign=run.key))
    from .filters import pick

    reminders = run.definition.reminders
    known = {**levels, **({lv.key: lv.title for lv in reminders.levels} if reminders else {})}
    return pick(text, known, _("escalation level"), "--level")


def list_notices(conn: Connection, run: Run, tree: UnitTree, *, level: str | None = None,
                 since: dt.date | None = None, unit: str | None = None,
                 until: dt.date | None = None) -> list[dict[str, Any]]:
    """The campaign's escalation notices, oldest first, with unit, leader and person named as
    they were on each notice's day (``campaigns.names``; the item's unit and people then, from
    the reducer, where a later move or hand-over changed them)."""
    query = (select(N.c.level, N.c.issued_on, N.c.deadline, N.c.days_overdue, N.c.new_deadline,
                    N.c.action, N.c.withdrawn_on, I.c.id.label("item_id"), I.c.code, I.c.title,
                    I.c.unit_id, R.c.original_deadline, R.c.leader_id, R.c.person_id)
             .select_from(N.join(R, R.c.id == N.c.rectification_id).join(I, I.c.id == R.c.item_id))
             .where(N.c.campaign_id == run.id).order_by(N.c.issued_on, N.c.id))
    if level:
        query = query.where(N.c.level == level_key(run, level))
    if since:
        query = query.where(N.c.issued_on >= since)
    if until:
        query = query.where(N.c.issued_on <= until)
    if unit:
        from .filters import filter_unit

        query = query.where(I.c.unit_id.in_(tree.subtree_ids(filter_unit(tree, unit))))
    ladder = run.definition.ladder
    titles = {lv.key: lv.title for lv in ladder.levels} if ladder else {}
    documents: dict[tuple[int, str, dt.date], list[Any]] = {}
    for doc in conn.execute(select(D.c.unit_id, D.c.level, D.c.issued_on, D.c.number, D.c["items"],
                                   D.c.withdrawn_on).where(D.c.campaign_id == run.id)
                            .order_by(D.c.id)):
        documents.setdefault((doc[0], doc[1], doc[2]), []).append(doc)

    def gone(on: dt.date | None) -> bool:
        """Withdrawn by an undo dated on or before the day viewed."""
        return on is not None and (until is None or on <= until)

    def document(r: Any) -> str:
        """The numbers of the documents listing the notice, a withdrawn one marked 作废."""
        return ", ".join(d.number + (f" {WITHDRAWN}" if gone(d.withdrawn_on) else "")
                         for d in documents.get((r.unit_id, r.level, r.issued_on), [])
                         if r.code in (d[4] or []))

    to: dict[tuple[int, int], str] = {}
    trees = ByDate(conn, "unit", lambda day: UnitTree.at(conn, day))
    people = ByDate(conn, "person", lambda day: person_names_at(conn, day))

    def addressee(then: UnitTree, unit_id: int) -> str:
        """The unit that rectifies the item, whom the 督办通知书 goes to."""
        key = (id(then), unit_id)
        if key not in to:
            to[key] = then.unique_name(rectifying_row(then, then.by_id[unit_id], run.definition))
        return to[key]

    out = []
    rows = conn.execute(query).all()
    facts = _facts_then(conn, run, rows)
    for r in rows:  # each notice names its unit and people as they were on its day
        unit_id, leader_id, person_id = facts.get((r.item_id, r.issued_on),
                                                  (r.unit_id, r.leader_id, r.person_id))
        then, names = trees(r.issued_on), people(r.issued_on)
        out.append(_row(r, titles, addressee(then, unit_id), then.by_id[unit_id],
                        names.get(leader_id or 0, ""), names.get(person_id or 0, ""),
                        document(r), WITHDRAWN if gone(r.withdrawn_on) else ""))
    return out


def _facts_then(conn: Connection, run: Run, rows: Sequence[Any]
                ) -> dict[tuple[int, dt.date], tuple[int, int | None, int | None]]:
    """The unit and responsible people of each notice's item on the notice's day, where a
    later event changed them (a move, a merge, a hand-over): from the reducer (``item_at``)."""
    if not rows:
        return {}
    from .reducer import item_at
    from .tables import EVENTS as E

    first = min(r.issued_on for r in rows)
    changed = set(conn.execute(select(E.c.item_id).where(
        E.c.campaign_id == run.id, E.c.trigger.in_(("edit", "move", "undo")),
        E.c.business_date > first).distinct()).scalars())
    out: dict[tuple[int, dt.date], tuple[int, int | None, int | None]] = {}
    for r in rows:
        key = (r.item_id, r.issued_on)
        if r.item_id in changed and key not in out:
            it = item_at(conn, run, r.item_id, r.issued_on)
            if it is not None:
                out[key] = (it.unit_id, it.leader_id, it.person_id)
    return out


def _row(r: Any, titles: dict[str, str], to: str, unit: Any, leader: str, person: str,
         document: str, status: str) -> dict[str, Any]:
    return {
        "issued_on": r.issued_on.isoformat(), "kind": ESCALATION, "level": r.level,
        "level_title": titles.get(r.level, r.level), "to": to, "unit": unit.title,
        "unit_code": unit.code, "code": r.code, "title": r.title,
        "leader": leader, "person": person, "deadline": r.deadline.isoformat(),
        "original_deadline": r.original_deadline.isoformat() if r.original_deadline else "",
        "days_overdue": r.days_overdue,
        "new_deadline": r.new_deadline.isoformat() if r.new_deadline else "",
        "action": r.action or "", "reason": "", "document": document,
        "status": status,
    }

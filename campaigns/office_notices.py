"""Notices the clock gives the office: a stage that cannot close (or open), and reminders to
confirm a waiting report; and the notice to a unit's head of an inspection's finding.

They are read from the event log (``stage overdue`` and ``remind`` events, docs/events.md),
so a listing as of a date shows what the log held by then: the events dated up to it, each
marked withdrawn (作废) when an undo dated up to it reversed it.  A stage notice is addressed to
the campaign's lead unit and the roles that may force a stage (``overrides: true``); a reminder
to the roles that must confirm.  Rows have the columns of an escalation notice (campaigns.notices)
so that one listing holds them all; only the item's title is item content, and the caller's
confidentiality policy applies to it as to any other row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from . import events as ev
from .i18n import _, localize
from .runs import Run
from .tables import EVENTS as E, ITEMS as I, UNDONE as U
from .units import UnitTree

ESCALATION, STAGE, REMINDER, INSPECTION = "escalation", "stage", "reminder", "inspection"
KINDS = (ESCALATION, STAGE, REMINDER, INSPECTION)
WITHDRAWN = "作废"  # what an undo made of a notice or a document (campaigns.undo)


def withdrawn_on(run: Run) -> Any:
    """The business date of the undo that reversed an event (None: it stands), as a subquery."""
    undo = E.alias("undo")
    return (select(undo.c.business_date)
            .select_from(U.join(undo, and_(undo.c.campaign_id == U.c.campaign_id,
                                           undo.c.seq == U.c.undo_seq)))
            .where(U.c.event_id == E.c.id, U.c.campaign_id == run.id)
            .scalar_subquery())


def office(run: Run) -> tuple[str, list[str]]:
    """Who is told that a stage cannot move: the lead unit, and the roles that may force it."""
    meta = run.definition.sections.get("campaign") or {}
    notices = run.definition.sections.get("notices") or {}
    lead = str(meta.get("lead_unit") or notices.get("issuer") or "")
    return lead, [r.key for r in run.definition.roles.values() if r.overrides]


def _addressee(run: Run, lead: str, roles: list[str]) -> str:
    titles = [run.definition.roles[r].title or r if r in run.definition.roles else r for r in roles]
    names = list(dict.fromkeys(t for t in (lead, *titles) if t))
    # 县委组织部 is not named again beside 县委组织部（干部监督科）: the office within it says it
    return "、".join(n for n in names if not any(o != n and o.startswith(n) for o in names))


def list_office_notices(conn: Connection, run: Run, tree: UnitTree, *, kinds: set[str],
                        reminder: str | None = None, since: dt.date | None = None,
                        until: dt.date | None = None,
                        unit: str | None = None) -> list[dict[str, Any]]:
    """Stage-overdue and reminder notices, oldest first (``reminder``: only that level's)."""
    wanted = []
    if STAGE in kinds and unit is None and reminder is None:  # about no unit's items
        wanted.append(and_(E.c.machine == ev.StageOverdue.MACHINE,
                           E.c.trigger == ev.StageOverdue.TRIGGER, E.c.item_id.is_(None)))
    if REMINDER in kinds and run.definition.reminders is not None:
        wanted.append(and_(E.c.trigger == ev.Reminded.TRIGGER,
                           E.c.rule == f"reminders.{reminder}" if reminder
                           else E.c.rule.like("reminders.%")))
    if INSPECTION in kinds and reminder is None:  # a finding told to its unit's head
        wanted.append(and_(E.c.machine == ev.InspectionNoticed.MACHINE,
                           E.c.trigger == ev.InspectionNoticed.TRIGGER))
    if not wanted:
        return []
    gone = withdrawn_on(run).label("withdrawn_on")
    query = (select(E.c.business_date, E.c.item_id, E.c.payload, E.c.id, E.c.trigger, gone, I.c.code,
                    I.c.title, I.c.unit_id)
             .select_from(E.outerjoin(I, I.c.id == E.c.item_id))
             .where(E.c.campaign_id == run.id, or_(*wanted)).order_by(E.c.seq))
    if since:
        query = query.where(E.c.business_date >= since)
    if until:
        query = query.where(E.c.business_date <= until)
    if unit:
        from .filters import filter_unit

        query = query.where(I.c.unit_id.in_(tree.subtree_ids(filter_unit(tree, unit))))
    lead, roles = office(run)
    rows = []
    for r in conn.execute(query):
        p = r.payload or {}
        status = WITHDRAWN if r.withdrawn_on and (until is None or r.withdrawn_on <= until) else ""
        if r.item_id is None:
            rows.append(_stage_row(run, r, p, lead, roles, status))
        elif r.trigger == ev.InspectionNoticed.TRIGGER:
            rows.append(_inspection_row(tree, r, p, status))
        else:
            rows.append(_reminder_row(run, tree, r, p, status))
    return rows


def _base(**values: Any) -> dict[str, Any]:
    return {"issued_on": "", "kind": "", "level": "", "level_title": "", "to": "", "unit": "",
            "unit_code": "", "code": "", "title": "", "leader": "", "person": "", "deadline": "",
            "original_deadline": "", "days_overdue": 0, "new_deadline": "", "action": "",
            "reason": "", "document": "", "status": "", **values}


def _stage_row(run: Run, r: Any, p: dict[str, Any], lead: str, roles: list[str],
               status: str) -> dict[str, Any]:
    key, verb = str(p.get("stage") or ""), str(p.get("verb") or "close")
    spec = run.definition.stage(key)
    since = dt.date.fromisoformat(str(p["since"]))
    due = since - dt.timedelta(days=1) if verb == "close" else since
    guards, reasons = list(p.get("guards") or []), list(p.get("reasons") or [])
    return _base(
        issued_on=r.business_date.isoformat(), kind=STAGE, level=f"stage-{verb}",
        level_title=_("stage not closed") if verb == "close" else _("stage not opened"),
        to=_addressee(run, lead, roles), code=key, title=spec.title if spec else key,
        deadline=due.isoformat(), days_overdue=(r.business_date - due).days,
        action=(_("close the stage once its conditions hold, or force it (--force)")
                if verb == "close" else
                _("open the stage once its conditions hold, or force it (--force)")),
        reason="; ".join(f"{g}: {localize(why)}" for g, why in zip(guards, reasons, strict=False)),
        status=status, since=since.isoformat(), guards=guards, reasons=reasons, roles=roles)


def _reminder_row(run: Run, tree: UnitTree, r: Any, p: dict[str, Any],
                  status: str) -> dict[str, Any]:
    rem = run.definition.reminders
    levels = {lv.key: lv for lv in rem.levels} if rem else {}
    level = levels.get(str(p.get("reminder")))
    roles = [str(x) for x in p.get("to") or []]
    unit = tree.by_id.get(r.unit_id) if r.unit_id is not None else None
    return _base(
        issued_on=r.business_date.isoformat(), kind=REMINDER, level=str(p.get("reminder") or ""),
        level_title=level.title if level else str(p.get("reminder") or ""),
        to=_addressee(run, "", roles), unit=unit.title if unit else "",
        unit_code=unit.code if unit else "", code=r.code or "", title=r.title or "",
        deadline=str(p.get("due") or ""), days_overdue=int(p.get("days_overdue") or 0),
        action=level.action if level else "", status=status, roles=roles)


def _inspection_row(tree: UnitTree, r: Any, p: dict[str, Any], status: str) -> dict[str, Any]:
    """An inspection's finding, told to the unit's head on the day it was found (督查问题第一时间
    向单位领导通报)."""
    unit = tree.by_id.get(r.unit_id) if r.unit_id is not None else None
    return _base(
        issued_on=r.business_date.isoformat(), kind=INSPECTION, level=INSPECTION,
        level_title=_("inspection finding"), to=str(p.get("to") or ""),
        unit=unit.title if unit else "", unit_code=unit.code if unit else "",
        code=r.code or "", title=r.title or "",
        action=_("rectify the problem found by inspection {ref}").format(
            ref=p.get("inspection") or ""),
        reason=str(p.get("inspection") or ""), status=status)

"""Notices the clock gives the office: a stage that cannot close (or open), and reminders to
confirm a waiting report; and the notice to a unit's head of an inspection's finding.

They are read from the event log (``stage overdue`` and ``remind`` events, docs/events.md),
so a listing as of a date shows what the log held by then: the events dated up to it, each
marked withdrawn (作废) when an undo dated up to it reversed it.  A stage notice is addressed to
the campaign's lead unit and the roles that may force a stage (``overrides: true``); a reminder
to the roles that must confirm.  A confirmed bottom-rule proposal of the assessment (末位警示,
待岗培训) is a notice to the unit, or to a person's unit naming the person (``bottom-notice``).
Rows have the columns of an escalation notice (campaigns.notices)
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
ASSESSMENT = "assessment"
KINDS = (ESCALATION, STAGE, REMINDER, INSPECTION, ASSESSMENT)
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
    if ASSESSMENT in kinds and reminder is None:  # a confirmed bottom-rule proposal
        wanted.append(and_(E.c.machine == ev.BottomNoticed.MACHINE,
                           E.c.trigger == ev.BottomNoticed.TRIGGER))
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
    inside: set[int] | None = None
    if unit:
        from .filters import filter_unit

        inside = set(tree.subtree_ids(filter_unit(tree, unit)))
        query = query.where(or_(I.c.unit_id.in_(inside),
                                E.c.trigger == ev.BottomNoticed.TRIGGER))
    lead, roles = office(run)
    rows = []
    names: _Names | None = None
    for r in conn.execute(query):
        p = r.payload or {}
        status = WITHDRAWN if r.withdrawn_on and (until is None or r.withdrawn_on <= until) else ""
        if r.trigger == ev.BottomNoticed.TRIGGER:
            found = tree.by_code.get(str(p.get("unit") or ""))
            if inside is not None and (found is None or found.id not in inside):
                continue
            names = names or _Names(conn)
            rows.append(_assessment_row(run, tree, r, p, status, names))
        elif r.item_id is None:
            rows.append(_stage_row(run, r, p, lead, roles, status))
        elif r.trigger == ev.InspectionNoticed.TRIGGER:
            rows.append(_inspection_row(tree, r, p, status))
        else:
            rows.append(_reminder_row(run, tree, r, p, status))
    return rows


class _Names:
    """People's names by key as they were on a day (names are never in the log)."""

    def __init__(self, conn: Connection) -> None:
        from .tables import PEOPLE as P

        self.conn = conn
        self.ids: dict[str, int] = {}
        self.posts: dict[str, str] = {}
        for k, i, title in conn.execute(select(P.c.key, P.c.id, P.c.title)):
            self.ids[k], self.posts[k] = i, title or ""
        self.days: dict[dt.date, dict[int, str]] = {}

    def post(self, key: str) -> str:
        """The person's post (职务), or "" (a name is never put in a notice's words)."""
        return self.posts.get(key, "")

    def __call__(self, key: str, day: dt.date) -> str:
        from .names import person_names_at

        if day not in self.days:
            self.days[day] = person_names_at(self.conn, day)
        return self.days[day].get(self.ids.get(key, 0), key)


def _assessment_row(run: Run, tree: UnitTree, r: Any, p: dict[str, Any], status: str,
                    names: _Names) -> dict[str, Any]:
    """A confirmed bottom-rule proposal's notice: to the unit (a person's unit), in the words
    of the step (``notice``) or the standard ones."""
    section = run.definition.sections.get("assessment") or {}
    person = p.get("person")
    rule = ((section.get("people") or {}) if person else section).get("bottom") or {}
    steps = {s.get("key"): s for s in rule.get("steps") or ()}
    step = steps.get(p.get("step")) or {}
    title = str(step.get("title") or p.get("step") or "")
    unit = tree.by_code.get(str(p.get("unit") or ""))
    who = tree.unique_name(unit) if unit else str(p.get("unit") or "")
    if person:  # the name is the person column's, which the viewer's policy may blank
        who += names.post(str(person))
    action = str(step.get("notice") or "") or _(
        "{who} ranked in the bottom of {group} in the assessment of {period} ({n} consecutive "
        "period(s)): {step}").format(who=who, group=p.get("group") or "",
                                     period=p.get("period") or "", n=p.get("streak") or 1,
                                     step=title)
    return _base(
        issued_on=r.business_date.isoformat(), kind=ASSESSMENT, level=str(p.get("step") or ""),
        level_title=_("bottom of the assessment: {step}").format(step=title),
        to=tree.unique_name(unit) if unit else str(p.get("unit") or ""),
        unit=unit.title if unit else "", unit_code=unit.code if unit else "",
        code=str(p.get("period") or ""), title=str(p.get("group") or ""),
        person=names(str(person), r.business_date) if person else "", action=action,
        status=status, period=p.get("period"), step=p.get("step"), streak=p.get("streak"))


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

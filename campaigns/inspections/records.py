"""Recording inspections, their findings (each an item of the inspection's campaign) and the
减负 pledges they broke; listing and showing them.

An inspection is matched to the published plan of its year: the plan item whose period holds
its dates and whose targets hold its units (the one named with ``plan_item``, or the only or
first such item).  One that matches none is still recorded, flagged unplanned with the reason,
and counted against the office: a real finding is never refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from campaigns.i18n import _
from engine.core.errors import InvalidInput, NotFound

from .. import events as ev
from ..batches import COMMAND, recording
from ..context import Scope
from ..tables import (
    CAMPAIGNS as C,
    INSPECTION_BREACHES as BR,
    INSPECTION_FINDINGS as F,
    INSPECTION_PLAN_ITEMS as PI,
    INSPECTION_PLANS as PL,
    INSPECTION_TARGETS as T,
    INSPECTIONS as INS,
    ITEMS as I,
    PEOPLE as P,
    SITE,
    insert_id,
)
from ..units import UnitRow, UnitTree
from .settings import settings

PLEDGES = {"materials": "不得要求报送材料", "escort": "不得要求陪同接待", "notice": "不得提前打招呼"}
"""The 减负 pledges every inspection keeps (seed 004), by key."""


@dataclass(frozen=True)
class Visit:
    """What ``add_inspection`` is told of one inspection."""

    starts: dt.date
    ends: dt.date
    team: str
    members: Sequence[str]
    targets: Sequence[str]
    method: str
    theme: str
    points: Sequence[str] = ()
    plan_item: str | None = None
    breaches: Sequence[str] = ()  # pledge keys broken


def next_ref(conn: Connection, year: int) -> str:
    n = conn.execute(select(func.count()).select_from(INS).where(INS.c.year == year)).scalar()
    return f"DC-{year}-{int(n or 0) + 1:04d}"


def _match(conn: Connection, visit: Visit, units: list[UnitRow]) -> tuple[int | None, str, str]:
    """The plan item ``visit`` carries out (id, its number) or None and why it is unplanned."""
    year = visit.starts.year
    plan = conn.execute(select(PL.c.id, PL.c.published_on).where(PL.c.year == year)).first()
    if plan is None or plan.published_on is None:
        return None, "", f"no published inspection plan for {year}"
    rows = conn.execute(select(PI).where(PI.c.plan_id == plan.id)
                        .order_by(PI.c.starts, PI.c.ref)).all()
    if visit.plan_item is not None:
        named = [r for r in rows if r.ref == visit.plan_item]
        if not named:
            raise NotFound(_("the {year} plan has no item '{plan_item}'")
                           .format(year=year, plan_item=visit.plan_item),
                           _("see 'rectify inspection plan show {year}'").format(year=year))
        rows = named
    codes = {u.code for u in units}
    why = ""
    near = ""  # an item for these units on these dates, of another team
    fits = []
    for r in rows:
        if not (r.starts <= visit.starts and visit.ends <= r.ends):
            why = (f"{visit.starts}..{visit.ends} is outside plan item {r.ref}'s period "
                   f"{r.period}")
        elif not codes <= set(r.targets):
            why = f"{', '.join(sorted(codes - set(r.targets)))} not among plan item {r.ref}'s targets"
        elif r.team and visit.team.strip() not in _team_names(conn, plan.id, r.team):
            why = f"team '{visit.team.strip()}' is not plan item {r.ref}'s team ({r.team})"
            near = near or why
        else:
            fits.append(r)
    if not fits:
        return None, "", why if visit.plan_item is not None else (
            near or f"no item of the {year} plan covers these units on these dates")
    same = [r for r in fits if r.method == visit.method] or fits
    return same[0].id, same[0].ref, ""


def _team_names(conn: Connection, plan_id: int, key: str) -> set[str]:
    """A plan team's key and title: either names it on ``inspection add --team``."""
    teams = conn.execute(select(PL.c.teams).where(PL.c.id == plan_id)).scalar() or []
    return {key, *(t.get("title", key) for t in teams if t.get("key") == key)}


def add_inspection(scope: Scope, visit: Visit) -> dict[str, Any]:
    """Record an inspection of ``scope``'s campaign in the site log; returns its reference."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    known = settings(run.definition.sections).methods
    if visit.method not in known:
        raise InvalidInput(_("unknown inspection method '{method}'").format(method=visit.method),
                           _("methods of campaign '{key}': {value}")
                           .format(key=run.key, value=', '.join(known)))
    if visit.ends < visit.starts:
        raise InvalidInput(_("--until {ends} is before --date {starts}")
                           .format(ends=visit.ends, starts=visit.starts),
                           _('give an --until on or after --date'))
    if visit.starts > as_of:
        raise InvalidInput(_("inspection on {starts} recorded before it happened ({as_of})")
                           .format(starts=visit.starts, as_of=as_of),
                           _('record it on or after its --date (--as-of)'))
    if visit.ends.year != visit.starts.year:
        raise InvalidInput(_("an inspection's dates fall in one year"),
                           _('record one inspection a year'))
    for name, value in (("--team", visit.team), ("--theme", visit.theme)):
        if not value.strip():
            raise InvalidInput(_("an inspection needs {name}")
                               .format(name=name), _("give {name}").format(name=name))
    members = [m.strip() for m in visit.members if m.strip()]
    if not members:
        raise InvalidInput(_('an inspection needs its members'), _('give --member NAME (repeatable)'))
    if not visit.targets:
        raise InvalidInput(_('an inspection needs its target units'), _('give --target UNIT (repeatable)'))
    units = list({u.id: u for u in (scope.tree.find(t) for t in visit.targets)}.values())
    unknown = [b for b in visit.breaches if b not in PLEDGES]
    if unknown:
        raise InvalidInput(_("unknown pledge '{value}'")
                           .format(value=unknown[0]), _("pledges: {value}").format(value=', '.join(PLEDGES)))
    ev.lock(conn, [SITE])
    plan_item_id, plan_ref, why = _match(conn, visit, units)
    ref = next_ref(conn, visit.starts.year)
    points = [p.strip() for p in visit.points if p.strip()]
    iid = insert_id(conn, insert(INS).values(
        ref=ref, year=visit.starts.year, campaign_id=run.id, plan_item_id=plan_item_id,
        unplanned=why, team=visit.team.strip(), members=members, method=visit.method,
        theme=visit.theme.strip(), points=points, starts=visit.starts, ends=visit.ends,
        recorded_on=as_of, recorded_by=actor.key))
    conn.execute(insert(T), [{"inspection_id": iid, "unit_id": u.id} for u in units])
    breaches = list(dict.fromkeys(visit.breaches))
    if breaches:
        conn.execute(insert(BR), [{"inspection_id": iid, "pledge": b, "unit_id": None,
                                   "note": None, "recorded_on": as_of, "recorded_by": actor.key}
                                  for b in breaches])
    ev.write_site(conn, [ev.site_entry(ev.InspectionRecorded(
        run.key, visit.starts, visit.ends, visit.team.strip(), members, [u.code for u in units],
        visit.method, visit.theme.strip(), points, plan_ref or None, why or None, breaches),
        subject=ref, actor=actor.key, day=as_of, subject_id=iid)])
    return {"ref": ref, "planned": plan_item_id is not None, "plan_item": plan_ref,
            "unplanned": why}


def _inspection(conn: Connection, ref: str) -> Any:
    row = conn.execute(select(INS).where(INS.c.ref == ref.strip())).first()
    if row is None:
        raise NotFound(_("unknown inspection '{ref}'").format(ref=ref), _("see 'rectify inspection list'"))
    return row


def _targets(conn: Connection, tree: UnitTree, inspection_id: int) -> list[UnitRow]:
    return [tree.by_id[r.unit_id] for r in conn.execute(
        select(T.c.unit_id).where(T.c.inspection_id == inspection_id).order_by(T.c.unit_id))]


def add_finding(scope: Scope, ref: str, *, unit: str, title: str, category: str,
                description: str | None = None, deadline: dt.date | None = None) -> dict[str, Any]:
    """A problem the inspection ``ref`` found at ``unit``: an item of its campaign with source
    ``inspection``, and, when the definition asks, a notice to the unit's head that day."""
    from ..items import add_item

    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    row = _inspection(conn, ref)
    if row.campaign_id != run.id:
        raise InvalidInput(_("inspection {ref} belongs to another campaign").format(ref=row.ref),
                           _('record its findings without naming a campaign'))
    if as_of < row.starts:
        raise InvalidInput(_("{as_of} is before inspection {ref} began ({starts})")
                           .format(as_of=as_of, ref=row.ref, starts=row.starts),
                           _("give --as-of on or after the inspection's date"))
    if "inspection" not in (run.definition.sections.get("sources") or {}):
        raise InvalidInput(_("campaign '{key}' does not list the source 'inspection'").format(key=run.key),
                           _("add '- inspection' to sources: in its definition"))
    found = scope.tree.find(unit)
    targets = _targets(conn, scope.tree, row.id)
    if not any(found.id == t.id or found.path.startswith(t.path + "/") for t in targets):
        raise InvalidInput(_("{code} was not visited by inspection {ref}")
                           .format(code=found.code, ref=row.ref),
                           _("its targets: {value}").format(value=', '.join(t.code for t in targets)))
    ev.lock(conn, [run.key, SITE])  # both logs, in the one lock order, before any row
    notified = ""
    how = settings(run.definition.sections)
    # the item and its notice are one command: undoing the item withdraws the notice with it
    with recording(conn, run.id, run.key, COMMAND, actor.key, as_of):
        code = add_item(scope, title=title, unit=found.code, category=category,
                        source="inspection", description=description, deadline=deadline,
                        inspection=row.ref)
        item = conn.execute(select(I.c.id, I.c.category).where(I.c.code == code)).one()
        if how.notify_unit_head:
            notified = unit_head(conn, run.definition, found, how.unit_head_role)
            ev.write(conn, [ev.entry(run.key, ev.InspectionNoticed(row.ref, found.code, notified),
                                     subject=code, actor=actor.key, day=as_of,
                                     campaign_id=run.id, item_id=item.id, subject_id=item.id)])
    conn.execute(insert(F).values(inspection_id=row.id, item_id=item.id, unit_id=found.id,
                                  found_on=as_of))
    ev.write_site(conn, [ev.site_entry(ev.InspectionFinding(run.key, code, found.code,
                                                            item.category),
                                       subject=row.ref, actor=actor.key, day=as_of,
                                       subject_id=row.id)])
    return {"code": code, "inspection": row.ref, "unit": found.code, "notified": notified}


def unit_head(conn: Connection, definition: Any, unit: UnitRow, role: str | None) -> str:
    """Who a finding's notice is addressed to: the unit, and the people holding its head's
    role in it (主要负责人 when the definition names no such role or nobody holds it)."""
    names: list[str] = []
    if role:
        for r in conn.execute(select(P.c.name, P.c.roles).where(
                P.c.unit_id == unit.id, P.c.active.is_(True)).order_by(P.c.id)):
            if role in (r.roles or "").split():
                names.append(r.name)
    if names:
        return f"{unit.title}（{'、'.join(names)}）"
    title = definition.roles[role].title if role and role in definition.roles else "主要负责人"
    return f"{unit.title}{title}"


def add_breach(conn: Connection, tree: UnitTree, ref: str, pledge: str, *, actor: str,
               day: dt.date, unit: str | None, note: str | None) -> dict[str, Any]:
    """A 减负 pledge the inspection ``ref`` broke, recorded after the fact."""
    if pledge not in PLEDGES:
        raise InvalidInput(_("unknown pledge '{pledge}'")
                           .format(pledge=pledge), _("pledges: {value}").format(value=', '.join(PLEDGES)))
    row = _inspection(conn, ref)
    found = tree.find(unit) if unit else None
    if found is not None and found.id not in {t.id for t in _targets(conn, tree, row.id)}:
        raise InvalidInput(_("{code} was not visited by inspection {ref}")
                           .format(code=found.code, ref=row.ref),
                           _('give one of its target units'))
    ev.lock(conn, [SITE])
    conn.execute(insert(BR).values(inspection_id=row.id, pledge=pledge,
                                   unit_id=found.id if found else None,
                                   note=(note or "").strip() or None, recorded_on=day,
                                   recorded_by=actor))
    ev.write_site(conn, [ev.site_entry(ev.PledgeBreached(pledge, found.code if found else None),
                                       subject=row.ref, actor=actor, day=day, subject_id=row.id,
                                       note=(note or "").strip() or None)])
    return {"inspection": row.ref, "pledge": pledge}


def _summary(row: Any, tree: UnitTree, targets: list[int], plan_ref: str | None,
             campaign: str, findings: int, breaches: int) -> dict[str, Any]:
    return {"ref": row.ref, "date": row.starts.isoformat(),
            "until": row.ends.isoformat() if row.ends != row.starts else "",
            "campaign": campaign, "team": row.team, "method": row.method, "theme": row.theme,
            "targets": "、".join(tree.by_id[u].title for u in targets),
            "plan_item": plan_ref or "", "unplanned": row.unplanned or "",
            "findings": findings, "breaches": breaches}


LIST_COLUMNS = ("ref", "date", "until", "campaign", "team", "method", "theme", "targets",
                "plan_item", "findings", "breaches", "unplanned")


def list_inspections(conn: Connection, tree: UnitTree, *, year: int | None = None,
                     unit: str | None = None, campaign: str | None = None,
                     unplanned: bool = False) -> list[dict[str, Any]]:
    """Inspections by date, with their targets, plan item, findings and breaches counted."""
    query = (select(INS, PI.c.ref.label("plan_ref"), C.c.key.label("campaign"))
             .select_from(INS.join(C, C.c.id == INS.c.campaign_id)
                          .outerjoin(PI, PI.c.id == INS.c.plan_item_id))
             .order_by(INS.c.starts, INS.c.id))
    if year is not None:
        query = query.where(INS.c.year == year)
    if campaign is not None:
        query = query.where(C.c.key == campaign)
    if unplanned:
        query = query.where(INS.c.plan_item_id.is_(None))
    rows = conn.execute(query).all()
    ids = [r.id for r in rows]
    targets: dict[int, list[int]] = {}
    counts: dict[tuple[str, int], int] = {}
    if ids:
        for t in conn.execute(select(T.c.inspection_id, T.c.unit_id)
                              .where(T.c.inspection_id.in_(ids)).order_by(T.c.unit_id)):
            targets.setdefault(t.inspection_id, []).append(t.unit_id)
        for c in conn.execute(select(F.c.inspection_id, func.count())
                              .select_from(F.join(I, I.c.id == F.c.item_id))
                              .where(F.c.inspection_id.in_(ids), I.c.retired_on.is_(None))
                              .group_by(F.c.inspection_id)):
            counts[("findings", c[0])] = c[1]  # not those an undo withdrew
        for c in conn.execute(select(BR.c.inspection_id, func.count())
                              .where(BR.c.inspection_id.in_(ids))
                              .group_by(BR.c.inspection_id)):
            counts[("breaches", c[0])] = c[1]
    wanted = set(tree.subtree_ids(tree.find(unit))) if unit else None
    return [_summary(r, tree, targets.get(r.id, []), r.plan_ref, r.campaign,
                     counts.get(("findings", r.id), 0), counts.get(("breaches", r.id), 0))
            for r in rows if wanted is None or wanted & set(targets.get(r.id, []))]


def show_inspection(conn: Connection, tree: UnitTree, ref: str) -> dict[str, Any]:
    """One inspection whole: members, points, plan item, findings (their items) and breaches."""
    row = _inspection(conn, ref)
    rows = list_inspections(conn, tree, year=row.year)
    detail = next(r for r in rows if r["ref"] == row.ref)
    detail["members"] = list(row.members or [])
    detail["points"] = list(row.points or [])
    detail["recorded_on"] = row.recorded_on.isoformat()
    detail["recorded_by"] = row.recorded_by
    detail["findings_list"] = [  # an item an undo withdrew stays listed, marked so
        {"code": f.code, "unit": tree.by_id[f.unit_id].title, "category": f.category,
         "state": f.state if f.retired_on is None else "withdrawn",
         "found_on": f.found_on.isoformat()}
        for f in conn.execute(select(I.c.code, F.c.unit_id, I.c.category, I.c.state, F.c.found_on,
                                     I.c.retired_on)
                              .select_from(F.join(I, I.c.id == F.c.item_id))
                              .where(F.c.inspection_id == row.id).order_by(F.c.id))]
    detail["breaches_list"] = [
        {"pledge": b.pledge, "pledge_title": PLEDGES.get(b.pledge, b.pledge),
         "unit": tree.by_id[b.unit_id].title if b.unit_id else "", "note": b.note or "",
         "recorded_on": b.recorded_on.isoformat()}
        for b in conn.execute(select(BR).where(BR.c.inspection_id == row.id).order_by(BR.c.id))]
    return detail


def inspection_of(conn: Connection, item_id: int) -> str | None:
    """The reference of the inspection whose finding item ``item_id`` is (None: none)."""
    ref = conn.execute(select(INS.c.ref).select_from(F.join(INS, INS.c.id == F.c.inspection_id))
                       .where(F.c.item_id == item_id)).scalar()
    return str(ref) if ref is not None else None

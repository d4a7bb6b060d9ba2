"""The county's yearly inspection plan: loaded from a file, shown, published (frozen).

A plan is loaded as often as needed until it is published; each load is a new revision and
an event of the site log.  Once published it is frozen: a change is still a load, but only by
an administrator with a reason, recorded on the event.  Items are kept by their number, so an
inspection that carried one out keeps pointing at it; an item that inspections carried out
cannot be dropped.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from campaigns.i18n import _
from engine.core.errors import InvalidInput, Location, NotFound, Problem

from .. import events as ev
from ..tables import (
    INSPECTION_BUDGETS as B,
    INSPECTION_PLAN_ITEMS as PI,
    INSPECTION_PLANS as PL,
    INSPECTIONS as INS,
    SITE,
    insert_id,
)
from ..units import UnitTree
from .access import require_changer, require_planner
from .planfile import Plan, PlanInvalid, over_budget


def _resolve(tree: UnitTree, name: str, where: Location, problems: list[Problem]) -> str | None:
    from engine.core.errors import EngineError

    try:
        return tree.find(name).code
    except EngineError as exc:
        problems.append(Problem("unknown-unit", exc.message, where, exc.hint))
        return None


def load_plan(conn: Connection, tree: UnitTree, plan: Plan, *, actor: str | None,
              day: dt.date, reason: str | None = None) -> dict[str, Any]:
    """Store ``plan`` as its year's plan (a new revision); all or nothing."""
    ev.lock(conn, [SITE])  # before reading the plan: two loads of one year queue here
    row = conn.execute(select(PL).where(PL.c.year == plan.year)).first()
    published = row is not None and row.published_on is not None
    who = require_changer(conn, actor, reason) if published else require_planner(conn, actor)
    problems: list[Problem] = []
    for item in plan.items:
        codes = [_resolve(tree, u, item.targets_at, problems) for u in item.targets]
        item.targets = list(dict.fromkeys(c for c in codes if c))
    budgets: dict[str, int] = {}
    for name, (visits, where) in plan.budgets.items():
        code = _resolve(tree, name, where, problems)
        if code:
            budgets[code] = visits
    if not problems:  # by unit code, however the file names them
        problems += over_budget(plan.items, budgets, plan.visit_budget)
    if plan.visit_budget is not None:  # every target unit not named has the plan's budget
        for item in plan.items:
            for code in item.targets:
                budgets.setdefault(code, plan.visit_budget)
    if row is None:
        plan_id = insert_id(conn, insert(PL).values(
            year=plan.year, title=plan.title, cap=plan.cap, visit_budget=plan.visit_budget,
            file=os.path.basename(plan.file),
            sha256=plan.sha256, teams=_teams(plan), revision=1))
        revision = 1
    else:
        plan_id, revision = row.id, row.revision + 1
        conn.execute(update(PL).where(PL.c.id == plan_id).values(
            title=plan.title or row.title, cap=plan.cap, visit_budget=plan.visit_budget,
            file=os.path.basename(plan.file),
            sha256=plan.sha256, teams=_teams(plan), revision=revision))
    existing = {r.ref: r.id for r in conn.execute(select(PI.c.ref, PI.c.id)
                                                  .where(PI.c.plan_id == plan_id))}
    dropped = set(existing) - {i.ref for i in plan.items}
    if dropped:
        used = conn.execute(select(PI.c.ref, INS.c.ref.label("inspection"))
                            .select_from(INS.join(PI, PI.c.id == INS.c.plan_item_id))
                            .where(PI.c.plan_id == plan_id, PI.c.ref.in_(dropped))
                            .order_by(PI.c.ref)).all()
        for r in used:
            problems.append(Problem("item-carried-out",
                                    _("item {ref} cannot be dropped: inspection {inspection} "
                                      "carried it out").format(ref=r.ref, inspection=r.inspection),
                                    Location(plan.file, None, None, "items"),
                                    _('keep the item in the file')))
    if problems:
        raise PlanInvalid(problems)
    if dropped:
        conn.execute(delete(PI).where(PI.c.plan_id == plan_id, PI.c.ref.in_(dropped)))
    for item in plan.items:
        values = {"title": item.title, "period": item.period, "starts": item.starts,
                  "ends": item.ends, "organiser": item.organiser,
                  "participants": item.participants, "method": item.method,
                  "scope": item.scope, "team": item.team, "targets": item.targets}
        if item.ref in existing:
            conn.execute(update(PI).where(PI.c.id == existing[item.ref]).values(**values))
        else:
            conn.execute(insert(PI).values(plan_id=plan_id, ref=item.ref, **values))
    conn.execute(delete(B).where(B.c.plan_id == plan_id))
    if budgets:
        units = {u.code: u.id for u in tree.by_id.values()}
        conn.execute(insert(B), [{"plan_id": plan_id, "unit_id": units[c], "visits": n}
                                 for c, n in sorted(budgets.items())])
    ev.write_site(conn, [ev.site_entry(
        ev.InspectionPlanLoaded(plan.year, os.path.basename(plan.file), plan.sha256, revision,
                                plan.cap, [i.ref for i in plan.items], budgets,
                                plan.visit_budget, [t["key"] for t in plan.teams], published),
        subject=f"plan-{plan.year}", actor=who, day=day, subject_id=plan_id,
        note=(reason or "").strip() or None)])
    return {"year": plan.year, "revision": revision, "items": len(plan.items),
            "budgets": len(budgets), "published": published}


def _teams(plan: Plan) -> list[dict[str, Any]]:
    return [{k: t[k] for k in ("key", "title", "members", "targets")} for t in plan.teams]


def _plan_row(conn: Connection, year: int) -> Any:
    row = conn.execute(select(PL).where(PL.c.year == year)).first()
    if row is None:
        raise NotFound(_("there is no inspection plan for {year}").format(year=year),
                       _("load one with 'rectify inspection plan load FILE'"))
    return row


def publish_plan(conn: Connection, year: int, *, actor: str | None, day: dt.date) -> dict[str, Any]:
    """Publish the year's plan: from now on it changes only by an administrator, with a reason."""
    who = require_planner(conn, actor)
    ev.lock(conn, [SITE])
    row = _plan_row(conn, year)
    if row.published_on is not None:
        raise InvalidInput(_("the {year} plan was published on {published_on}")
                           .format(year=year, published_on=row.published_on),
                           _('a change is a new load by an administrator with --reason'))
    items = len(conn.execute(select(PI.c.id).where(PI.c.plan_id == row.id)).all())
    conn.execute(update(PL).where(PL.c.id == row.id).values(published_on=day, published_by=who))
    ev.write_site(conn, [ev.site_entry(ev.InspectionPlanPublished(year, row.revision, items),
                                       subject=f"plan-{year}", actor=who, day=day,
                                       subject_id=row.id)])
    return {"year": year, "revision": row.revision, "items": items, "published_on": day}


def show_plan(conn: Connection, tree: UnitTree, year: int) -> dict[str, Any]:
    """The year's plan: its items, teams and budgets, and whether it is published."""
    row = _plan_row(conn, year)
    name = {u.code: u.title for u in tree.by_id.values()}
    items = [{"ref": r.ref, "title": r.title, "period": r.period, "starts": r.starts.isoformat(),
              "ends": r.ends.isoformat(), "organiser": r.organiser,
              "participants": "、".join(r.participants), "method": r.method, "scope": r.scope,
              "team": r.team or "", "targets": "、".join(name.get(c, c) for c in r.targets)}
             for r in conn.execute(select(PI).where(PI.c.plan_id == row.id)
                                   .order_by(PI.c.starts, PI.c.ref))]
    budgets = [{"unit": name.get(code, code), "unit_code": code, "visits": visits}
               for code, visits in budgets_of(conn, tree, row.id).items()]
    return {"year": row.year, "title": row.title, "cap": row.cap,
            "visit_budget": row.visit_budget, "revision": row.revision,
            "status": "published" if row.published_on else "draft",
            "published_on": row.published_on.isoformat() if row.published_on else "",
            "published_by": row.published_by or "", "file": row.file,
            "items": items, "teams": list(row.teams or []), "budgets": budgets}


def budgets_of(conn: Connection, tree: UnitTree, plan_id: int) -> dict[str, int]:
    """Unit code → visits a year."""
    return {tree.by_id[r.unit_id].code: r.visits
            for r in conn.execute(select(B.c.unit_id, B.c.visits).where(B.c.plan_id == plan_id)
                                  .order_by(B.c.unit_id))}

"""The visit log of a year: every inspection's visit to a unit, with the burden flagged.

Seed 004's complaint is the burden itself: 上午来一拨，下午又来一拨，看的是同样的点.  So a
visit is flagged ``duplicate`` when another visit to the same unit overlaps its dates and has
the same theme or a point in common, ``overlap`` when the dates overlap on another theme, and
``over budget`` from the first visit beyond the unit's yearly budget in the published plan.
The log also counts the unplanned inspections (against the office) and lists the breaches of
the 减负 pledges.  A year without a published plan has nothing to be planned against: its log
says so (``plan``: ``none`` or ``draft``) and flags and counts no inspection as unplanned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..tables import (
    INSPECTION_BREACHES as BR,
    INSPECTION_PLAN_ITEMS as PI,
    INSPECTION_PLANS as PL,
    INSPECTION_TARGETS as T,
    INSPECTIONS as INS,
)
from ..units import UnitTree
from .plans import budgets_of
from .records import PLEDGES

VISIT_COLUMNS = ("date", "until", "unit", "ref", "team", "method", "theme", "plan_item", "n",
                 "budget", "flags")
UNIT_COLUMNS = ("unit", "unit_code", "visits", "budget", "over", "duplicates", "unplanned")
BREACH_COLUMNS = ("date", "ref", "team", "pledge", "pledge_title", "unit", "note")


def flag_visits(seen: Sequence[Any], budget: int | None,
                planned: bool = True) -> tuple[list[list[str]], int]:
    """The flags of each of one unit's visits, in date order (``id``, ``ref``, ``starts``,
    ``ends``, ``theme``, ``points``, ``plan_item_id``), and how many duplicate pairs there are
    (``planned``: whether the year has a published plan to be unplanned against)."""
    out: list[list[str]] = []
    duplicates = 0
    for n, r in enumerate(seen, start=1):
        flags = []
        for other in seen:
            if other.id == r.id or other.starts > r.ends or r.starts > other.ends:
                continue
            same = other.theme == r.theme or bool(set(other.points or []) & set(r.points or []))
            flags.append(f"{'duplicate' if same else 'overlap'} {other.ref}")
            duplicates += 1 if same else 0
        if budget is not None and n > budget:
            flags.append("over budget")
        if planned and r.plan_item_id is None:
            flags.append("unplanned")
        out.append(flags)
    return out, duplicates // 2  # each pair was counted from both sides


def visit_log(conn: Connection, tree: UnitTree, year: int,
              unit: str | None = None) -> dict[str, Any]:
    """The year's visits by unit and date, per-unit totals, the office's unplanned inspections
    and the pledges broken (``unit``: only that unit's subtree)."""
    plan = conn.execute(select(PL.c.id, PL.c.published_on, PL.c.visit_budget)
                        .where(PL.c.year == year)).first()
    budgets = budgets_of(conn, tree, plan.id) if plan is not None else {}
    planned = plan is not None and plan.published_on is not None
    rows = conn.execute(
        select(INS.c.id, INS.c.ref, INS.c.starts, INS.c.ends, INS.c.team, INS.c.method,
               INS.c.theme, INS.c.points, INS.c.plan_item_id, INS.c.unplanned,
               PI.c.ref.label("plan_ref"), T.c.unit_id)
        .select_from(INS.join(T, T.c.inspection_id == INS.c.id)
                     .outerjoin(PI, PI.c.id == INS.c.plan_item_id))
        .where(INS.c.year == year).order_by(T.c.unit_id, INS.c.starts, INS.c.id)).all()
    wanted = set(tree.subtree_ids(tree.find(unit))) if unit else None
    by_unit: dict[int, list[Any]] = {}
    for r in rows:
        if wanted is None or r.unit_id in wanted:
            by_unit.setdefault(r.unit_id, []).append(r)
    visits: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for unit_id, seen in by_unit.items():
        u = tree.by_id[unit_id]
        budget = budgets.get(u.code, plan.visit_budget if plan is not None else None)
        flagged, duplicates = flag_visits(seen, budget, planned)
        for n, (r, flags) in enumerate(zip(seen, flagged, strict=True), start=1):
            visits.append({"date": r.starts.isoformat(),
                           "until": r.ends.isoformat() if r.ends != r.starts else "",
                           "unit": u.title, "unit_code": u.code, "ref": r.ref, "team": r.team,
                           "method": r.method, "theme": r.theme, "plan_item": r.plan_ref or "",
                           "n": n, "budget": "" if budget is None else budget,
                           "flags": "; ".join(flags)})
        units.append({"unit": u.title, "unit_code": u.code, "visits": len(seen),
                      "budget": "" if budget is None else budget,
                      "over": max(0, len(seen) - budget) if budget is not None else 0,
                      "duplicates": duplicates,
                      "unplanned": sum(1 for r in seen if r.plan_item_id is None)
                      if planned else ""})
    visits.sort(key=lambda v: (v["date"], v["unit_code"], v["ref"]))
    shown = {v["ref"] for v in visits}
    unplanned = [{"ref": r.ref, "date": r.starts.isoformat(), "team": r.team,
                  "theme": r.theme, "why": r.unplanned or ""}
                 for r in conn.execute(select(INS).where(INS.c.year == year,
                                                         INS.c.plan_item_id.is_(None))
                                       .order_by(INS.c.starts, INS.c.id))
                 if planned and (wanted is None or r.ref in shown)]
    breaches = []
    for b in conn.execute(select(BR, INS.c.ref, INS.c.starts, INS.c.team)
                          .select_from(BR.join(INS, INS.c.id == BR.c.inspection_id))
                          .where(INS.c.year == year).order_by(INS.c.starts, BR.c.id)):
        if wanted is not None and b.ref not in shown:
            continue
        breaches.append({"date": b.starts.isoformat(), "ref": b.ref, "team": b.team,
                         "pledge": b.pledge, "pledge_title": PLEDGES.get(b.pledge, b.pledge),
                         "unit": tree.by_id[b.unit_id].title if b.unit_id else "",
                         "note": b.note or ""})
    return {"year": year, "plan": "published" if plan is not None and plan.published_on
            else ("draft" if plan is not None else "none"),
            "visits": visits, "units": sorted(units, key=lambda x: x["unit_code"]),
            "unplanned": unplanned, "breaches": breaches}

"""Read-only views: item lists and details, campaign status, what triggers are possible."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from engine.core.machines import Actor, Context

from .records import load_records
from .runs import Run
from .tables import EVENTS as E, ITEMS as I, PEOPLE as P, PROGRESS, RECTIFICATIONS as R, SECRETS, STAGES as S
from .units import UnitTree


def finished_states(run: Run) -> list[str]:
    """Rectification states in which the deadline no longer matters."""
    d = run.definition
    if d.ladder:
        return sorted(d.ladder.stop_states | d.machines["rectification"].done_states)
    return sorted(d.machines["rectification"].done_states)


def overdue_clause(run: Run, as_of: dt.date) -> Any:
    return and_(R.c.deadline < as_of, R.c.state.not_in(finished_states(run)))


def may_see_secrets(run: Run, actor: Actor | None) -> bool:
    if actor is None:
        return False
    return any(run.definition.roles[r].confidential for r in actor.roles if r in run.definition.roles)


def list_items(conn: Connection, run: Run, tree: UnitTree, as_of: dt.date, *,
               state: str | None = None, unit: str | None = None, category: str | None = None,
               overdue: bool = False, escalation: str | None = None) -> list[dict[str, Any]]:
    leader = P.alias("leader")
    person = P.alias("person")
    query = (select(I.c.code, I.c.title, I.c.state, I.c.category, I.c.source, I.c.unit_id,
                    R.c.state.label("rect_state"), R.c.deadline, R.c.level, R.c.returns,
                    leader.c.name.label("leader"), person.c.name.label("person"))
             .select_from(I.join(R, R.c.item_id == I.c.id)
                          .outerjoin(leader, leader.c.id == R.c.leader_id)
                          .outerjoin(person, person.c.id == R.c.person_id))
             .where(I.c.campaign_id == run.id).order_by(I.c.seq))
    if state:
        query = query.where((I.c.state == state) | (R.c.state == state))
    if unit:
        query = query.where(I.c.unit_id.in_(tree.subtree_ids(tree.find(unit))))
    if category:
        from .items import _check_choice

        query = query.where(I.c.category == _check_choice(
            category, run.definition.sections.get("categories") or {}, "category"))
    if overdue:
        query = query.where(overdue_clause(run, as_of))
    if escalation:
        query = query.where(R.c.level == escalation)
    finished = set(finished_states(run))
    out = []
    for r in conn.execute(query):
        u = tree.by_id[r.unit_id]
        out.append({
            "code": r.code, "title": r.title, "unit": u.title, "category": r.category,
            "source": r.source, "state": r.state, "rectification": r.rect_state,
            "deadline": r.deadline.isoformat() if r.deadline else "",
            "overdue": bool(r.deadline and r.deadline < as_of and r.rect_state not in finished),
            "escalation": r.level or "", "returns": r.returns,
            "leader": r.leader or "", "person": r.person or "",
        })
    hidden = set(run.definition.confidential) & set(out[0] if out else ())
    if hidden:  # fields the definition marks confidential never leave in a listing
        out = [{k: v for k, v in row.items() if k not in hidden} for row in out]
    return out


def show_item(conn: Connection, run: Run, tree: UnitTree, code: str, as_of: dt.date,
              viewer: Actor | None) -> dict[str, Any]:
    record = load_records(conn, [code])[0]
    row = conn.execute(select(I, R.c.measures, R.c.target, R.c.department, R.c.deadline,
                              R.c.original_deadline, R.c.level, R.c.returns, R.c.submitted_on,
                              R.c.completed_on, R.c.leader_id, R.c.person_id,
                              R.c.state.label("rect_state"))
                       .select_from(I.join(R, R.c.item_id == I.c.id))
                       .where(I.c.id == record.item.id)).one()
    names = dict(conn.execute(select(P.c.id, P.c.name).where(
        P.c.id.in_([x for x in (row.leader_id, row.person_id) if x]))).all())
    d = run.definition
    cats = d.sections.get("categories") or {}
    srcs = d.sections.get("sources") or {}
    detail: dict[str, Any] = {
        "code": row.code, "campaign": run.key, "title": row.title,
        "description": row.description or "", "unit": tree.title_path(tree.by_id[row.unit_id]),
        "category": f"{row.category} {cats.get(row.category, '')}".strip(),
        "source": f"{row.source} {srcs.get(row.source, '')}".strip(),
        "found_on": row.found_on.isoformat(), "stage": row.stage or "",
        "state": row.state, "rectification": row.rect_state,
        "measures": row.measures or "", "target": row.target or "",
        "deadline": row.deadline.isoformat() if row.deadline else "",
        "original_deadline": row.original_deadline.isoformat() if row.original_deadline else "",
        "escalation": row.level or "", "returns": row.returns, "reopened": row.reopen_count,
        "leader": names.get(row.leader_id, ""), "person": names.get(row.person_id, ""),
        "closed_on": row.closed_on.isoformat() if row.closed_on else "",
        "typical": bool(row.typical),
        "overdue": bool(row.deadline and row.deadline < as_of
                        and row.rect_state not in finished_states(run)),
    }
    if may_see_secrets(run, viewer):
        for field, value in conn.execute(select(SECRETS.c.field, SECRETS.c.value)
                                         .where(SECRETS.c.item_id == record.item.id)):
            if field in d.confidential or field.startswith("reporter"):
                detail[field] = value
    detail["progress"] = [
        {"date": p.business_date.isoformat(), "actor": p.actor, "note": p.note}
        for p in conn.execute(select(PROGRESS).where(
            PROGRESS.c.item_id == record.item.id).order_by(PROGRESS.c.id))]
    detail["history"] = history(conn, record.item.id)
    return detail


def history(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    return [{"date": e.business_date.isoformat(), "machine": e.machine, "trigger": e.trigger,
             "from": e.from_state or "", "to": e.to_state or "", "actor": e.actor,
             "note": e.note or "", "rule": e.rule or "",
             "recorded_at": e.recorded_at.isoformat(timespec="seconds")}
            for e in conn.execute(select(E).where(E.c.item_id == item_id).order_by(E.c.id))]


def possible_triggers(conn: Connection, run: Run, code: str, actor: Actor, as_of: dt.date,
                      ) -> list[dict[str, Any]]:
    """The triggers the machines offer from the item's states: may each fire now, and why not."""
    from .figures import StoreFigures

    record = load_records(conn, [code])[0]
    figures = StoreFigures(conn, run)
    out = []
    for machine in run.definition.machines.values():
        ctx = Context(run.definition, actor, as_of, subject=record.subject(machine.name), run=run,
                      record=record, figures=figures, note="(a note)", params={"deadline": as_of})
        for outcome in run.runtime.possible(ctx, machine.name):
            t = machine.transition(outcome.trigger)
            out.append({"trigger": outcome.trigger, "machine": machine.name,
                        "title": t.title if t else "", "to": outcome.dest,
                        "possible": outcome.ok,
                        "why_not": "; ".join(str(r) for r in outcome.refusals)})
    return out


def status(conn: Connection, run: Run, tree: UnitTree, as_of: dt.date) -> dict[str, Any]:
    stages = []
    for st in conn.execute(select(S).where(S.c.campaign_id == run.id).order_by(S.c.position)):
        spec = run.definition.stage(st.key)
        start, end = spec.window(run.start_date) if spec else (None, None)
        stages.append({"key": st.key, "title": spec.title if spec else st.key,
                       "kind": spec.kind if spec else "", "window": f"{start} .. {end}",
                       "state": st.state,
                       "opened_on": st.opened_on.isoformat() if st.opened_on else "",
                       "closed_on": st.closed_on.isoformat() if st.closed_on else ""})
    by_state = dict(conn.execute(select(I.c.state, func.count()).where(I.c.campaign_id == run.id)
                                 .group_by(I.c.state)).all())
    by_rect = dict(conn.execute(select(R.c.state, func.count()).where(R.c.campaign_id == run.id)
                                .group_by(R.c.state)).all())
    done = sorted(run.definition.machines["item"].done_states)
    units: dict[int, dict[str, int]] = {}
    # grouped by plain columns: PostgreSQL will not match a GROUP BY expression with parameters
    for unit_id, state, n in conn.execute(
            select(I.c.unit_id, I.c.state, func.count()).where(I.c.campaign_id == run.id)
            .group_by(I.c.unit_id, I.c.state)):
        units.setdefault(unit_id, {"open": 0, "closed": 0})["closed" if state in done else "open"] += n
    overdue_by_unit = dict(conn.execute(
        select(I.c.unit_id, func.count()).select_from(I.join(R, R.c.item_id == I.c.id))
        .where(I.c.campaign_id == run.id, overdue_clause(run, as_of)).group_by(I.c.unit_id)).all())
    return {
        "key": run.key, "title": run.definition.title, "start": run.start_date.isoformat(),
        "as_of": as_of.isoformat(),
        "status": f"concluded {run.concluded_on}" if run.concluded_on else "running",
        "phase": ", ".join(s["title"] for s in stages if s["state"] == "open") or "-",
        "stages": stages, "items": sum(by_state.values()), "items_by_state": by_state,
        "rectifications_by_state": by_rect, "overdue": sum(overdue_by_unit.values()),
        "by_unit": [{"unit": tree.title_path(tree.by_id[uid]), **counts,
                     "overdue": overdue_by_unit.get(uid, 0)}
                    for uid, counts in sorted(units.items(), key=lambda kv: tree.by_id[kv[0]].path)],
    }

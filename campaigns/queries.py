"""Read-only views: item lists and details, campaign status (as of any date), possible triggers."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import NotFound
from engine.core.explain import Firing, firings, guard_title
from engine.core.machines import Actor, Context

from .confidential import hidden, record_read, redact
from .context import Scope
from .firing import firing_text
from .i18n import _, localize
from .lifecycle import RECORD_MACHINES
from .provisional import is_provisional
from .records import load_records
from .reducer import campaign_at, item_at
from .runs import Run
from .sealed import open_items, revealer
from .secrets import read_secrets
from .standing import Overdue
from .tables import EVENTS as E, ITEMS as I, PROGRESS


def finished_states(run: Run) -> list[str]:
    """Rectification states in which the deadline no longer matters."""
    d = run.definition
    if d.ladder:
        return sorted(d.ladder.stop_states | d.machines["rectification"].done_states)
    return sorted(d.machines["rectification"].done_states)


def may_see_secrets(run: Run, actor: Actor | None) -> bool:
    from .confidential import entitled

    return entitled(run, actor)


def list_items(scope: Scope, *, state: str | None = None, unit: str | None = None,
               category: str | None = None, overdue: bool = False,
               escalation: str | None = None) -> list[dict[str, Any]]:
    """The items as they stood at the end of the scope's date (``campaigns.reducer``)."""
    conn, run, tree, as_of = scope.conn, scope.run, scope.tree, scope.as_of
    from .filters import filter_unit, pick

    d = run.definition
    unit_ids = set(tree.subtree_ids(filter_unit(tree, unit))) if unit else None
    if category:
        category = pick(category, d.sections.get("categories") or {}, _("category"), "--category")
    if state:
        known = {s.key: s.title for m in ("item", "rectification") for s in d.machines[m].states}
        state = pick(state, known, _("state"), "--state")
    if escalation:
        levels = {lv.key: lv.title for lv in d.ladder.levels} if d.ladder else {}
        escalation = pick(escalation, levels, _("escalation level"), "--escalation")
    is_late = Overdue(run.definition)
    out = []
    for it in campaign_at(conn, run, as_of).items:
        late = is_late(it.deadline, it.rect_state, as_of)
        if ((state and state not in (it.state, it.rect_state))
                or (unit_ids is not None and it.unit_id not in unit_ids)
                or (category and it.category != category) or (overdue and not late)
                or (escalation and it.level != escalation)):
            continue
        out.append(it)
    return _rows(scope, out, unit=unit, state=state, category=category, overdue=overdue,
                 escalation=escalation)


def list_page(scope: Scope, unit: str | None, offset: int, limit: int
              ) -> tuple[list[dict[str, Any]], int]:
    """``list_items`` of one unit's subtree (None: all), one page of it, and how many there
    are: read from the state tables a page at a time when the scope's date is today's."""
    from .filters import filter_unit
    from .reducer import items_page, latest_date

    conn, run, tree, as_of = scope.conn, scope.run, scope.tree, scope.as_of
    unit_ids = set(tree.subtree_ids(filter_unit(tree, unit))) if unit else None
    latest = latest_date(conn, run)
    if latest is None or as_of >= latest:
        window, total = items_page(conn, run, unit_ids, as_of, offset, limit)
    else:  # a past date: the replay of the log, then its page
        items = [it for it in campaign_at(conn, run, as_of).items
                 if unit_ids is None or it.unit_id in unit_ids]
        window, total = items[offset:offset + limit], len(items)
    return _rows(scope, window, unit=unit), total


def _rows(scope: Scope, items: list[Any], **asked: Any) -> list[dict[str, Any]]:
    """The listing's rows of ``items``, confidential fields only for an entitled viewer, and
    the read recorded when it showed any."""
    conn, run, tree, as_of = scope.conn, scope.run, scope.tree, scope.as_of
    is_late = Overdue(run.definition)
    names = scope.people
    out = []
    for it in open_items(conn, run, scope.actor, items):
        late = is_late(it.deadline, it.rect_state, as_of)
        out.append({
            "code": it.code, "title": it.title, "unit": tree.by_id[it.unit_id].title,
            "category": it.category, "source": it.source, "state": it.state,
            "rectification": it.rect_state,
            "deadline": it.deadline.isoformat() if it.deadline else "", "overdue": late,
            "deadline_provisional": is_provisional(run.definition, it.deadline),
            "escalation": it.level or "", "returns": it.returns,
            "leader": names.get(it.leader_id or 0, ""), "person": names.get(it.person_id or 0, ""),
        })
    hide = hidden(run, scope.actor) & set(out[0] if out else ())
    if hide:  # confidential fields leave in a listing only for an entitled viewer
        out = [redact(row, hide) for row in out]
    record_read(scope, "item list", set(out[0]) if out else (), items=len(out),
                unit=asked.get("unit"), state=asked.get("state"),
                category=asked.get("category"), overdue=asked.get("overdue", False),
                escalation=asked.get("escalation"))
    return out


def show_item(scope: Scope, code: str) -> dict[str, Any]:
    """Item ``code`` as it stood at the end of the scope's date, with its history up to then.

    Confidential fields are shown only to an actor whose role may see them.
    """
    conn, run, tree, as_of = scope.conn, scope.run, scope.tree, scope.as_of
    record = load_records(conn, [code], live=False)[0]
    retired = record.item.retired_on
    if retired is not None and retired <= as_of:
        return withdrawn(conn, run, code, record.item.id, as_of)
    it = item_at(conn, run, record.item.id, as_of)
    if it is None:
        raise NotFound(_("{code} was not yet recorded on {as_of}").format(code=code, as_of=as_of),
                       _("give a later --as-of, or leave it out for today"))
    reveal = revealer(conn, run, scope.actor, [code])
    it = open_items(conn, run, scope.actor, [it])[0]
    names = scope.people
    d = run.definition
    cats = d.sections.get("categories") or {}
    srcs = d.sections.get("sources") or {}
    detail: dict[str, Any] = {
        "code": it.code, "campaign": run.key, "title": it.title,
        "description": it.description or "", "unit": tree.title_path(tree.by_id[it.unit_id]),
        "category": f"{it.category} {cats.get(it.category, '')}".strip(),
        "source": f"{it.source} {srcs.get(it.source, '')}".strip(),
        "found_on": it.found_on.isoformat(), "stage": it.stage or "",
        "state": it.state, "rectification": it.rect_state,
        "measures": it.measures or "", "target": it.target or "",
        "deadline": it.deadline.isoformat() if it.deadline else "",
        "original_deadline": it.original_deadline.isoformat() if it.original_deadline else "",
        "deadline_provisional": is_provisional(d, it.deadline),
        "escalation": it.level or "", "returns": it.returns, "reopened": it.reopen_count,
        "leader": names.get(it.leader_id or 0, ""), "person": names.get(it.person_id or 0, ""),
        "closed_on": it.closed_on.isoformat() if it.closed_on else "",
        "typical": bool(it.typical),
        "overdue": Overdue(d)(it.deadline, it.rect_state, as_of),
    }
    if it.source == "inspection":  # the inspection that found it, after the source
        from .inspections.records import inspection_of

        ref = inspection_of(conn, record.item.id)
        if ref:
            shown: dict[str, Any] = {}
            for key, value in detail.items():
                shown[key] = value
                if key == "source":
                    shown["inspection"] = ref
            detail = shown
    hide = hidden(run, scope.actor)
    if not hide:
        detail.update(read_secrets(conn, record.item.id))
    detail["progress"] = [
        {"date": p.business_date.isoformat(), "actor": p.actor, "note": reveal(code, p.note)}
        for p in conn.execute(select(PROGRESS).where(
            PROGRESS.c.item_id == record.item.id, PROGRESS.c.business_date <= as_of)
            .order_by(PROGRESS.c.id))]
    detail["history"] = [{**e, "note": reveal(code, e["note"])}
                         for e in history(conn, record.item.id, as_of)]
    if "progress" in hide:  # a progress note is also the note of its event
        detail["history"] = [{**e, "note": ""} if e["trigger"] == "progress" else e
                             for e in detail["history"]]
    detail = redact(detail, hide)
    record_read(scope, "item show", [k for k in detail if detail[k] not in ("", [], None)],
                items=1, code=code)
    return detail


def withdrawn(conn: Connection, run: Run, code: str, item_id: int, as_of: dt.date
              ) -> dict[str, Any]:
    """An item an undo retired: what it was, and the undo that withdrew it."""
    title = conn.execute(select(I.c.title).where(I.c.id == item_id)).scalar()
    undo = conn.execute(select(E.c.business_date, E.c.actor, E.c.note)
                        .where(E.c.item_id == item_id, E.c.machine == "item",
                               E.c.trigger == "undo")
                        .order_by(E.c.id.desc()).limit(1)).first()
    said = (_("withdrawn by an undo of its recording on {date} by {actor} ({note})").format(
        date=undo.business_date, actor=undo.actor, note=undo.note) if undo is not None
        else _("withdrawn by an undo"))
    return {"code": code, "campaign": run.key, "title": title or "",
            "withdrawn": said + _("; it counts nowhere and its code is not given again"),
            "history": history(conn, item_id, as_of)}


def history(conn: Connection, item_id: int, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    query = select(E).where(E.c.item_id == item_id).order_by(E.c.id)
    if as_of is not None:
        query = query.where(E.c.business_date <= as_of)
    return [{"date": e.business_date.isoformat(), "machine": e.machine, "trigger": e.trigger,
             "from": e.from_state or "", "to": e.to_state or "", "actor": e.actor,
             "note": e.note or "", "rule": e.rule or "",
             "recorded_at": e.recorded_at.isoformat(timespec="seconds")}
            for e in conn.execute(query)]


def possible_triggers(scope: Scope, code: str) -> list[dict[str, Any]]:
    """The triggers the machines offer from the item's states: may each fire now, and why not."""
    from .figures import StoreFigures

    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of

    record = load_records(conn, [code])[0]
    figures = StoreFigures(conn, run)
    fires = firings(run.definition)
    out = []
    for machine in run.definition.machines.values():
        if machine.name not in RECORD_MACHINES:  # a mechanism is no part of an item
            continue
        ctx = Context(run.definition, actor, as_of, subject=record.subject(machine.name), run=run,
                      record=record, figures=figures, note="(a note)", params={"deadline": as_of})
        for outcome in run.runtime.possible(ctx, machine.name):
            t = machine.transition(outcome.trigger)
            firing = fires.get(outcome.trigger, Firing((), True))
            # nobody fires an automatic step by hand: say what does, not "no role may"; its
            # guards are checked when it follows, for whoever fired the step before it
            why_not = firing_text(firing) if firing.automatic else "; ".join(
                localize(r.text()) for r in outcome.refusals)
            out.append({"trigger": outcome.trigger, "machine": machine.name,
                        "title": t.title if t else "", "to": outcome.dest,
                        "possible": outcome.ok and not firing.automatic, "why_not": why_not,
                        "guards": "; ".join(guard_title(run.runtime.registry, g, run.definition)
                                            for g in (run.runtime.guards_of(t) if t else ())),
                        "automatic": firing.automatic, "when": firing_text(firing)})
    return out


def _stage_refusals(conn: Connection, run: Run, as_of: dt.date) -> dict[tuple[str, str], Any]:
    """The latest ``stage overdue`` payload of each stage and way (open, close) up to ``as_of``."""
    out: dict[tuple[str, str], Any] = {}
    for payload in conn.execute(select(E.c.payload).where(
            E.c.campaign_id == run.id, E.c.item_id.is_(None), E.c.machine == "stage",
            E.c.trigger == "overdue", E.c.business_date <= as_of).order_by(E.c.id)).scalars():
        out[payload["stage"], payload["verb"]] = payload
    return out


def status(scope: Scope) -> dict[str, Any]:
    """The campaign at the end of the scope's date: stages, counts by state and unit, overdue."""
    conn, run, tree, as_of = scope.conn, scope.run, scope.tree, scope.as_of
    at = campaign_at(conn, run, as_of)
    why = _stage_refusals(conn, run, as_of)
    stages = []
    for st in at.stages:
        # still open after its window (an exit guard kept it open, see 'rectify tick'), or still
        # pending after its start (an entry guard kept it shut): since when, and the clock's why
        late = (st.end + dt.timedelta(days=1) if st.state == "open" and st.end and st.end < as_of
                else st.start if st.state == "pending" and (st.key, "open") in why else None)
        said = why.get((st.key, "close" if st.state == "open" else "open")) if late else None
        stages.append({"key": st.key, "title": st.title, "kind": st.kind,
                       "window": f"{st.start} .. {st.end}", "state": st.state,
                       "opened_on": st.opened_on.isoformat() if st.opened_on else "",
                       "closed_on": st.closed_on.isoformat() if st.closed_on else "",
                       "overdue": _("since {date}").format(date=late) if late else "",
                       "why": "; ".join(f"{t}: {localize(r)}" for t, r in zip(
                           said["guards"], said["reasons"], strict=True)) if said else ""})
    done = run.definition.machines["item"].done_states
    is_late = Overdue(run.definition)
    by_state: Counter[str] = Counter()
    by_rect: Counter[str] = Counter()
    units: dict[int, dict[str, int]] = {}
    for it in at.items:
        by_state[it.state] += 1
        by_rect[it.rect_state] += 1
        line = units.get(it.unit_id)
        if line is None:
            line = units[it.unit_id] = {"open": 0, "closed": 0, "overdue": 0}
        line["closed" if it.state in done else "open"] += 1
        line["overdue"] += is_late(it.deadline, it.rect_state, as_of)
    return {
        "key": run.key, "title": run.definition.title, "start": run.start_date.isoformat(),
        "as_of": as_of.isoformat(),
        "status": f"concluded {at.concluded_on}" if at.concluded_on else "running",
        "phase": ", ".join(s["title"] for s in stages if s["state"] == "open") or "-",
        "stages": stages, "items": len(at.items), "items_by_state": dict(by_state),
        "rectifications_by_state": dict(by_rect),
        "overdue": sum(u["overdue"] for u in units.values()),
        "by_unit": [{"unit": tree.title_path(tree.by_id[uid]), **counts}
                    for uid, counts in sorted(units.items(), key=lambda kv: tree.by_id[kv[0]].path)],
        **_registers(scope),
    }


def _registers(scope: Scope) -> dict[str, Any]:
    """The registers' figures at the scope's date: counts only, never a name."""
    from . import accountability as acc
    from .mechanisms import MACHINE, mechanisms_at

    out: dict[str, Any] = {}
    run = scope.run
    if run.definition.sections.get("accountability"):
        out["accountability"] = acc.tally(run, acc.cases_at(scope.conn, run, scope.as_of)).as_dict()
    if MACHINE in run.definition.machines:
        found = mechanisms_at(scope.conn, run, scope.as_of)
        states: Counter[str] = Counter(m.state for m in found)
        out["mechanisms"] = {"total": len(found), "in_force": sum(m.in_force for m in found),
                             "by_state": dict(states)}
    from . import commitments as com

    if com.kept(run):
        out["commitments"] = com.tally(run, com.commitments_at(scope.conn, run, scope.as_of),
                                       scope.as_of).as_dict()
    return out

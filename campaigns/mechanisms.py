"""The long-term mechanisms register (长效机制 / 建章立制): rules, systems and processes a campaign
builds, each answering categories and items of its problem list.

A mechanism is a subject of the definition's machine ``mechanism`` (campaigns.lifecycle): drafted
→ issued → in force (文号 and 施行日期) → reviewed, or repealed.  It is recorded by the office
(``campaigns.duties.register_refusals``); every later step is asked of the one planner and
stored by the one writer, like an item's.  Views of a past date replay the campaign's events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound, Refused
from engine.core.planner import Request, plan
from engine.io.writer import apply_moves

from . import events as ev, registers
from .context import Scope
from .duties import register_refusals
from .plugin import DEFAULT_MECHANISM_KINDS
from .records import load_records
from .runs import Run, load_run_by_id, require_forward
from .tables import (
    EVENTS as E,
    ITEMS as I,
    MECHANISM_LINKS as ML,
    MECHANISMS as M,
    SUBJECT_TABLES,
    insert_id,
)

MACHINE = "mechanism"
FIELDS = ("issued_on", "document_number", "in_force_on", "reviewed_on")


def subject_key(mechanism_id: int) -> str:
    """A mechanism's stable key in the event log."""
    return f"{MACHINE}:{mechanism_id}"


def kinds(run: Run) -> dict[str, str]:
    """The kinds of institution the definition names (key → title), or the default three."""
    section = run.definition.sections.get("mechanisms") or {}
    given = section.get("kinds")
    return {k["key"]: k["title"] for k in given} if given else dict(DEFAULT_MECHANISM_KINDS)


def register(run: Run) -> list[dict[str, Any]]:
    """The institutions the definition says the campaign is to build (``mechanisms.register``)."""
    section = run.definition.sections.get("mechanisms") or {}
    return [dict(m) for m in section.get("register") or ()]


def from_register(run: Run, key: str) -> tuple[str, str, list[str]]:
    """Title, kind and categories of the definition's institution ``key``."""
    found = next((m for m in register(run) if m["key"] == key), None)
    if found is None:
        raise NotFound(f"the definition of '{run.key}' lists no mechanism '{key}'",
                       "listed: " + (", ".join(m["key"] for m in register(run)) or "none"))
    return found["title"], found["kind"], list(found.get("categories") or ())


def not_recorded(run: Run, found: Sequence[MechanismAt]) -> list[str]:
    """Titles of the definition's institutions no live (unrepealed) mechanism carries yet."""
    done = run.definition.machines[MACHINE].done_states if MACHINE in run.definition.machines \
        else frozenset()
    have = {m.title for m in found if m.state not in done}
    return [m["title"] for m in register(run) if m["title"] not in have]


def require_machine(run: Run) -> None:
    if MACHINE not in run.definition.machines:
        raise InvalidInput(f"campaign '{run.key}' has no machine '{MACHINE}': its definition "
                           "was written without the long-term mechanisms register",
                           "start the campaign from a definition with 'lifecycle: standard' "
                           "or its own 'machines: mechanism'")


@dataclass
class MechanismState:
    """The stored mechanism the planner moves: state, version and the fields actions set."""

    id: int
    state: str
    version: int
    issued_on: dt.date | None = None
    document_number: str | None = None
    in_force_on: dt.date | None = None
    reviewed_on: dt.date | None = None


@dataclass
class MechanismRecord:
    """The planner's snapshot of one mechanism (engine.core.planner.Snapshot)."""

    mechanism: MechanismState

    def subject(self, machine: str) -> Any:
        if machine != MACHINE:
            raise Refused(f"'{machine}' does not move a long-term mechanism",
                          "see 'rectify mechanism advance --help' for its triggers")
        return self.mechanism

    def copy(self) -> MechanismRecord:
        return MechanismRecord(replace(self.mechanism))


def add(scope: Scope, title: str, kind: str, categories: Sequence[str],
        items: Sequence[str]) -> int:
    """Record a mechanism, drafted, answering ``categories`` and ``items``; returns its id."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    require_machine(run)
    require_forward(run, as_of)
    refusals = register_refusals(run.definition, actor, "long-term mechanisms")
    if refusals:
        raise Refused("'mechanism add' refused: " + "; ".join(refusals),
                      "ask the campaign's office to record it")
    if not title.strip():
        raise InvalidInput("a mechanism needs a title", "give --title, e.g. 限时办结制度")
    known = kinds(run)
    if kind not in known:
        raise InvalidInput(f"unknown mechanism kind '{kind}'",
                           f"kinds of campaign '{run.key}': {', '.join(known)}")
    cats = run.definition.sections.get("categories") or {}
    unknown = [c for c in categories if c not in cats]
    if unknown:
        raise InvalidInput(f"unknown category '{unknown[0]}'",
                           f"categories of campaign '{run.key}': {', '.join(cats)}")
    if not categories and not items:
        raise InvalidInput("a mechanism answers categories or items of the problem list",
                           "give --category KEY or --item CODE (each may repeat)")
    records = load_records(conn, list(dict.fromkeys(items)), live=True) if items else []
    foreign = [r.code for r in records if r.campaign_id != run.id]
    if foreign:
        raise InvalidInput(f"{foreign[0]} belongs to another campaign",
                           f"give items of campaign '{run.key}'")
    ev.lock(conn, [run.key])
    seq = int(conn.execute(select(M.c.seq).where(M.c.campaign_id == run.id)
                           .order_by(M.c.seq.desc()).limit(1)).scalar() or 0) + 1
    initial = run.definition.machines[MACHINE].initial
    mid = insert_id(conn, insert(M).values(campaign_id=run.id, seq=seq, title=title.strip(),
                                           kind=kind, state=initial, version=1, entered_on=as_of))
    cat_list = list(dict.fromkeys(categories))
    links = ([{"mechanism_id": mid, "category": c, "item_id": None} for c in cat_list]
             + [{"mechanism_id": mid, "category": None, "item_id": r.item.id} for r in records])
    conn.execute(insert(ML), links)
    ev.write(conn, [ev.entry(run.key, ev.MechanismAdded(title.strip(), kind, cat_list,
                                                        [r.code for r in records]),
                             subject=subject_key(mid), actor=actor.key, day=as_of,
                             campaign_id=run.id, subject_id=mid, to_state=initial)])
    return mid


def load(conn: Connection, mechanism_id: int) -> tuple[Run, MechanismRecord]:
    row = conn.execute(select(M.c.campaign_id, M.c.id, M.c.state, M.c.version,
                              *(M.c[f] for f in FIELDS)).where(M.c.id == mechanism_id)).first()
    if row is None:
        raise NotFound(f"no long-term mechanism {mechanism_id}",
                       "see 'rectify mechanism list CAMPAIGN'")
    run = load_run_by_id(conn, row[0])
    state = MechanismState(row[1], row[2], row[3], **{f: row[4 + i] for i, f in enumerate(FIELDS)})
    return run, MechanismRecord(state)


def advance(scope: Scope, mechanism_id: int, trigger: str, note: str | None,
            number: str | None, on: dt.date | None) -> dict[str, Any]:
    """Fire ``trigger`` on a mechanism through the planner; the writer stores the move."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    require_machine(run)
    require_forward(run, as_of)
    spec = run.definition.machine_of(trigger)
    if spec is None or spec.name != MACHINE:
        offered = [t.trigger for t in run.definition.machines[MACHINE].transitions]
        raise InvalidInput(f"'{trigger}' is not a step of a long-term mechanism",
                           f"steps: {', '.join(offered)}")
    changes: dict[str, Any] = {}
    if number is not None or on is not None:
        if number is not None and not number.strip():
            raise InvalidInput("--number is empty", "give the document number, e.g. 县组发〔2015〕8号")
        changes = {k: v for k, v in (("document_number", number and number.strip()),
                                     ("in_force_on", on)) if v is not None}
        sets = {t.trigger for t in run.definition.machines[MACHINE].transitions
                if t.trigger == trigger
                and any(g.name == "mechanism_document_given" for g in t.guards)}
        if trigger not in sets:
            raise InvalidInput(f"--number and --on belong to the step that puts a mechanism in "
                               f"force, not to '{trigger}'", "leave them out")
    _, record = load(conn, mechanism_id)
    refusals = register_refusals(run.definition, actor, "long-term mechanisms")
    if refusals:
        raise Refused(f"'{trigger}' on mechanism {mechanism_id} refused: " + "; ".join(refusals),
                      "ask the campaign's office")
    decided = plan(run.runtime, record, Request(
        trigger, actor, as_of, {}, note, changes=changes,
        event_values={"campaign_id": run.id, "item_id": None}, stream=run.key,
        subject_key=subject_key(mechanism_id)), run=run)
    decided.raise_if_refused(f"mechanism {mechanism_id}",
                             "see 'rectify mechanism show ID' for where it stands")
    apply_moves(conn, SUBJECT_TABLES, E, decided.moves)
    moved = decided.moves[0]
    return {"id": mechanism_id, "trigger": trigger, "from": moved.from_state, "to": moved.to_state}


@dataclass
class MechanismAt:
    """A mechanism as the log tells it at a date."""

    id: int
    seq: int
    title: str
    kind: str
    state: str
    categories: list[str]
    items: list[str]
    added_on: dt.date
    actor: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def in_force(self) -> bool:
        return bool(self.fields.get("in_force_on"))


def mechanisms_at(conn: Connection, run: Run, as_of: dt.date) -> list[MechanismAt]:
    """Every mechanism of ``run`` recorded by the end of ``as_of``, replayed from its events
    (none recorded at all: the events are not scanned for them)."""
    out: dict[int, MechanismAt] = {}
    if not registers.kept(conn, M, run):
        return []
    for s in registers.steps(conn, run, MACHINE, as_of):
        body = s.payload
        if s.trigger == "add":
            out[s.subject_id] = MechanismAt(s.subject_id, len(out) + 1, body["title"],
                                            body["kind"], s.to_state or "",
                                            list(body.get("categories") or []),
                                            list(body.get("items") or []), s.day, s.actor)
            continue
        found = out.get(s.subject_id)
        if found is None:
            continue
        if s.to_state:
            found.state = s.to_state
        found.fields.update({name: registers.day_value(name, body[name])
                             for name in FIELDS if name in body})
    return sorted(out.values(), key=lambda m: m.id)


def rows(scope: Scope) -> list[dict[str, Any]]:
    """The register as of the scope's date: one row a mechanism, titles for keys."""
    d = scope.run.definition
    spec = d.machines.get(MACHINE)
    titles = {s.key: s.title or s.key for s in spec.states} if spec else {}
    cats = d.sections.get("categories") or {}
    names = kinds(scope.run)
    out = []
    for m in mechanisms_at(scope.conn, scope.run, scope.as_of):
        out.append({"id": m.id, "title": m.title, "kind": names.get(m.kind, m.kind),
                    "state": titles.get(m.state, m.state),
                    "document_number": m.fields.get("document_number") or "",
                    "in_force_on": registers.iso(m.fields.get("in_force_on")),
                    "issued_on": registers.iso(m.fields.get("issued_on")),
                    "reviewed_on": registers.iso(m.fields.get("reviewed_on")),
                    "categories": "、".join(cats.get(c, c) for c in m.categories),
                    "items": " ".join(m.items)})
    return out


def show(scope: Scope, mechanism_id: int) -> dict[str, Any]:
    """One mechanism with its history (each step: day, trigger, who, note)."""
    found = [r for r in rows(scope) if r["id"] == mechanism_id]
    if not found:
        raise NotFound(f"no long-term mechanism {mechanism_id} in campaign '{scope.run.key}' "
                       f"by {scope.as_of}", "see 'rectify mechanism list CAMPAIGN'")
    history = registers.history(scope.conn, scope.run, MACHINE, mechanism_id, scope.as_of)
    return {**found[0], "history": history}


def confirmed_states(run: Run) -> frozenset[str]:
    """The item states a confirmed problem can be in: reached from where 'confirm' leads."""
    item = run.definition.machines["item"]
    start = {t.dest for t in item.transitions if t.trigger == "confirm" and t.dest}
    if not start:
        return frozenset(s.key for s in item.states if s.key != item.initial)
    seen, queue = set(start), list(start)
    while queue:
        state = queue.pop()
        for t in item.transitions:
            if state in t.sources and t.dest and t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    return frozenset(seen)


def uncovered_categories(conn: Connection, run: Run) -> list[str]:
    """Categories with confirmed items (merged duplicates aside) that no mechanism in force
    answers, by naming the category or one of its items."""
    confirmed = set(conn.execute(
        select(I.c.category).distinct()
        .where(I.c.campaign_id == run.id, I.c.retired_on.is_(None), I.c.merged_into.is_(None),
               I.c.state.in_(sorted(confirmed_states(run))))).scalars())
    if not confirmed:
        return []
    in_force = and_(M.c.campaign_id == run.id, M.c.in_force_on.is_not(None))
    covered = set(conn.execute(select(ML.c.category).join(M, M.c.id == ML.c.mechanism_id)
                               .where(in_force, ML.c.category.is_not(None))).scalars())
    covered |= set(conn.execute(select(I.c.category)
                                .select_from(ML.join(M, M.c.id == ML.c.mechanism_id)
                                             .join(I, I.c.id == ML.c.item_id))
                                .where(in_force)).scalars())
    order = list(run.definition.sections.get("categories") or {})
    return sorted(confirmed - covered, key=lambda c: order.index(c) if c in order else len(order))

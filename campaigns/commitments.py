"""The commitments register (公开承诺 / 晒承诺): what units and people promise, and how it went.

A commitment belongs to a unit and, optionally, a person; it is fixed or dynamic (固定/动态任务)
and runs from a start date to a completion date.  The office records it (drafted), publishes
it (晒承诺, a move of the definition's machine ``commitment``), and from then on it is tracked:
every schedule of ``commitments.tracking`` (engine.core.cadence) gives occurrences with a due
date between its start and completion dates, and each is checked in once (``track``), on
time or late, or shows as missing.  The review (一年一兑现) judges it fulfilled, partly
fulfilled or broken, again through the one planner and writer.  Views of a date replay the
register's events (campaigns.registers).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.cadence import CadenceError, Period, period_of
from engine.core.calendar import calendar_for
from engine.core.errors import EngineError, InvalidInput, NotFound, Refused
from engine.core.planner import Request, plan
from engine.io.writer import apply_moves

from . import events as ev, registers
from .commitment_spec import MACHINE, Check, CommitmentsSpec
from .context import Scope
from .duties import OFFICE, register_refusals, within
from .filings import status_of
from .i18n import _
from .runs import Run, load_run_by_id, require_forward
from .tables import (
    COMMITMENT_CHECKINS as CK,
    COMMITMENTS as C,
    EVENTS as E,
    PEOPLE as P,
    SUBJECT_TABLES,
    insert_id,
)

FIELDS = ("published_on", "reviewed_on")
# the review's outcomes (fulfilment states) and the trigger that reaches each
OUTCOMES = {"fulfilled": "fulfil", "partly": "fulfil-partly", "broken": "break"}
REGISTER = "commitments"


def subject_key(commitment_id: int) -> str:
    return f"{MACHINE}:{commitment_id}"


def spec_of(run: Run) -> CommitmentsSpec:
    found = run.definition.sections.get("commitments")
    if not isinstance(found, CommitmentsSpec):
        raise InvalidInput(_("campaign '{campaign}' keeps no commitments register: its "
                             "definition has no 'commitments' section").format(campaign=run.key),
                           _("add 'commitments: {tracking: [...]}' to the definition "
                             "(docs/definitions.md, commitments)"))
    if MACHINE not in run.definition.machines:
        raise InvalidInput(_("campaign '{campaign}' has no machine '{machine}'").format(
                               campaign=run.key, machine=MACHINE),
                           _("start the campaign from a definition with 'lifecycle: standard' "
                             "or its own 'machines: {machine}'").format(machine=MACHINE))
    return found


def kept(run: Run) -> bool:
    """Whether the campaign's definition keeps the register at all."""
    return isinstance(run.definition.sections.get("commitments"), CommitmentsSpec) \
        and MACHINE in run.definition.machines


# --- recording -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCommitment:
    """A commitment to record, its unit and person already found."""

    title: str
    kind: str
    unit_id: int
    unit: str  # code
    person_id: int | None
    person: str | None  # key
    start: dt.date
    due: dt.date
    key: str | None = None


def _office_refusals(scope: Scope, what: str) -> None:
    refusals = register_refusals(scope.run.definition, scope.acting, "commitments")
    if refusals:
        raise Refused(_("'{command}' refused: {reasons}").format(
                          command=what, reasons="; ".join(refusals)),
                      _("ask the campaign's office to record it"))


def prepare(scope: Scope, title: str, kind: str | None, unit: str | None, person: str | None,
            start: dt.date | None, due: dt.date | None, key: str | None = None) -> NewCommitment:
    """A checked commitment, or InvalidInput/NotFound saying which value is wrong.  A
    person's own commitment (个人承诺) is of the person's unit unless ``unit`` says another."""
    spec = spec_of(scope.run)
    if not title.strip():
        raise InvalidInput(_("a commitment needs a title"),
                           _("give --title, e.g. 3月底前完成项目立项"))
    kind = kind or next(iter(spec.kinds))
    if kind not in spec.kinds:
        label = {v: k for k, v in spec.kinds.items()}.get(kind)
        if label is None:
            raise InvalidInput(_("unknown commitment kind '{kind}'").format(kind=kind),
                               _("kinds: {kinds}").format(kinds=", ".join(
                                   f"{k} ({t})" for k, t in spec.kinds.items())))
        kind = label
    if start is None or due is None:
        raise InvalidInput(_("a commitment needs its start and completion dates"),
                           _("give --start DATE and --due DATE"))
    if due < start:
        raise InvalidInput(_("the completion date {due} is before the start {start}").format(
                               due=due, start=start), _("the completion date comes last"))
    person_id, person_unit = None, None
    if person:
        found = scope.conn.execute(select(P.c.id, P.c.unit_id).where(P.c.key == person)).first()
        if found is None:
            raise NotFound(_("unknown person '{person}'").format(person=person),
                           _("see 'rectify person list'"))
        person_id, person_unit = int(found[0]), found[1]
    if unit:
        row = scope.tree.find(unit)
    elif person_unit is not None and person_unit in scope.tree.by_id:
        row = scope.tree.by_id[person_unit]
    else:
        raise InvalidInput(_("a commitment belongs to a unit"),
                           _("give --unit UNIT (or --person KEY of a person with a unit)"))
    return NewCommitment(title.strip(), kind, row.id, row.code, person_id, person, start, due,
                         key)


def from_listed(scope: Scope, key: str, unit: str | None, person: str | None) -> NewCommitment:
    """A commitment the definition names (``commitments.list``), for ``unit``."""
    spec = spec_of(scope.run)
    listed = spec.listed_one(key)
    if listed is None:
        raise NotFound(_("the definition of '{campaign}' lists no commitment '{key}'").format(
                           campaign=scope.run.key, key=key),
                       _("listed: {keys}").format(
                           keys=", ".join(c.key for c in spec.listed) or _("none")))
    where = unit or listed.unit
    if not where and not person:
        raise InvalidInput(_("commitment '{key}' names no unit").format(key=key),
                           _("give --unit UNIT or --person KEY"))
    return prepare(scope, listed.title, listed.kind, where, person, listed.start, listed.due,
                   key)


def record(scope: Scope, new: Sequence[NewCommitment], file: str | None = None) -> list[int]:
    """Record commitments, drafted, in one transaction: rows and their ``commitment added``
    events; returns their ids."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    spec_of(run)
    require_forward(run, as_of)
    _office_refusals(scope, "commitment add")
    ev.lock(conn, [run.key])
    seq = int(conn.execute(select(C.c.seq).where(C.c.campaign_id == run.id)
                           .order_by(C.c.seq.desc()).limit(1)).scalar() or 0)
    initial = run.definition.machines[MACHINE].initial
    ids, entries = [], []
    for n in new:
        seq += 1
        cid = insert_id(conn, insert(C).values(
            campaign_id=run.id, seq=seq, key=n.key, title=n.title, kind=n.kind,
            unit_id=n.unit_id, person_id=n.person_id, start_on=n.start, due_on=n.due,
            state=initial, version=1, entered_on=as_of))
        ids.append(cid)
        entries.append(ev.entry(run.key, ev.CommitmentAdded(
            n.title, n.kind, n.unit, n.person, n.start, n.due, n.key, file),
            subject=subject_key(cid), actor=actor.key, day=as_of, campaign_id=run.id,
            subject_id=cid, to_state=initial))
    ev.write(conn, entries)
    return ids


# --- the machine: publication and review ---------------------------------------------------------


@dataclass
class CommitmentState:
    """The stored commitment the planner moves."""

    id: int
    state: str
    version: int
    due_on: dt.date
    published_on: dt.date | None = None
    reviewed_on: dt.date | None = None


@dataclass
class CommitmentRecord:
    """The planner's snapshot of one commitment (engine.core.planner.Snapshot)."""

    commitment: CommitmentState

    def subject(self, machine: str) -> Any:
        if machine != MACHINE:
            raise Refused(_("'{machine}' does not move a commitment").format(machine=machine),
                          _("see 'rectify commitment --help'"))
        return self.commitment

    def copy(self) -> CommitmentRecord:
        return CommitmentRecord(replace(self.commitment))


def load(conn: Connection, commitment_id: int) -> tuple[Run, CommitmentRecord]:
    row = conn.execute(select(C.c.campaign_id, C.c.id, C.c.state, C.c.version, C.c.due_on,
                              C.c.published_on, C.c.reviewed_on)
                       .where(C.c.id == commitment_id)).first()
    if row is None:
        raise NotFound(_("no commitment {id}").format(id=commitment_id),
                       _("see 'rectify commitment list CAMPAIGN'"))
    return load_run_by_id(conn, row[0]), CommitmentRecord(CommitmentState(*row[1:]))


def _move(scope: Scope, records: Sequence[CommitmentRecord], trigger: str,
          note: str | None) -> list[dict[str, Any]]:
    """Fire ``trigger`` on each commitment through the planner; the writer stores the moves
    together (all or none)."""
    run = scope.run
    spec_of(run)
    require_forward(run, scope.as_of)
    moves, out = [], []
    for rec in records:
        cid = rec.commitment.id
        decided = plan(run.runtime, rec, Request(
            trigger, scope.acting, scope.as_of, {}, note,
            event_values={"campaign_id": run.id, "item_id": None}, stream=run.key,
            subject_key=subject_key(cid)), run=run)
        decided.raise_if_refused(f"commitment {cid}",
                                 "see 'rectify commitment show ID' for where it stands")
        moves += decided.moves
        out.append({"id": cid, "trigger": trigger, "from": decided.moves[0].from_state,
                    "to": decided.moves[0].to_state})
    if moves:
        apply_moves(scope.conn, SUBJECT_TABLES, E, moves)
    return out


def publish(scope: Scope, ids: Sequence[int], unit: str | None) -> list[dict[str, Any]]:
    """晒承诺: publish the given commitments, or every drafted one (of ``unit``'s subtree)."""
    conn, run = scope.conn, scope.run
    spec_of(run)
    initial = run.definition.machines[MACHINE].initial
    where = [C.c.campaign_id == run.id]
    if ids:
        where.append(C.c.id.in_(list(ids)))
    else:
        where.append(C.c.state == initial)
    rows = conn.execute(select(C.c.id, C.c.unit_id).where(*where).order_by(C.c.seq)).all()
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise NotFound(_("no commitment {id} in campaign '{campaign}'").format(
                           id=missing[0], campaign=run.key),
                       _("see 'rectify commitment list CAMPAIGN'"))
    if unit:
        top = scope.tree.find(unit)
        rows = [r for r in rows if within(scope.tree.by_id[r.unit_id].path, top.path)]
    if not rows:
        raise InvalidInput(_("no drafted commitment to publish"),
                           _("record one with 'rectify commitment add' first"))
    return _move(scope, [load(conn, r.id)[1] for r in rows], "publish-commitment", None)


def review(scope: Scope, commitment_id: int, outcome: str, note: str | None) -> dict[str, Any]:
    """兑现: judge a commitment fulfilled, partly fulfilled or broken."""
    if outcome not in OUTCOMES:
        raise InvalidInput(_("unknown outcome '{outcome}'").format(outcome=outcome),
                           _("outcomes: {outcomes}").format(outcomes=", ".join(OUTCOMES)))
    _run, rec = load(scope.conn, commitment_id)
    return _move(scope, [rec], OUTCOMES[outcome], note)[0]


# --- check-ins -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One check-in a commitment owes: its schedule, period, due date and how it stands."""

    check: str
    title: str
    period: str
    due: dt.date
    recorded_on: dt.date | None
    status: str  # pending, on time, late, missing


def _status(due: dt.date, recorded: dt.date | None, as_of: dt.date) -> str:
    return status_of(due, recorded, None, None, as_of)


def occurrences(run: Run, c: CommitmentAt, as_of: dt.date) -> list[Occurrence]:
    """The check-ins ``c`` owes by ``as_of`` (periods begun), from its publication or start
    to its completion date; none before it is published, and none due on or after the day
    of its review unless it was recorded (the review is the last word).  The review
    schedule's one occurrence is met by the review itself."""
    spec = spec_of(run)
    published, reviewed = c.fields.get("published_on"), c.fields.get("reviewed_on")
    if published is None:
        return []
    cal = calendar_for(run.definition.calendar)
    begin = max(c.start_on, published)
    out: list[Occurrence] = []
    for chk in spec.tracking:
        if chk.review:
            period = period_of(chk.schedule.period_kind, c.due_on)
            due = chk.schedule.due(period, cal)
            if period.start <= as_of or reviewed is not None:
                out.append(Occurrence(chk.key, chk.title, period.key, due, reviewed,
                                      _status(due, reviewed, as_of)))
            continue
        for period in _periods(chk, begin, c.due_on, cal):
            if period.start > as_of:
                break
            due = chk.schedule.due(period, cal)
            recorded = c.checkins.get((chk.key, period.key))
            if due < begin or (reviewed is not None and recorded is None and due >= reviewed):
                continue
            out.append(Occurrence(chk.key, chk.title, period.key, due, recorded,
                                  _status(due, recorded, as_of)))
    return out


def _periods(chk: Check, begin: dt.date, end: dt.date, cal: Any) -> list[Period]:
    return chk.schedule.periods(begin, max(begin, end), cal)


def track(scope: Scope, commitment_id: int, check: str, period: str | None,
          note: str | None) -> Occurrence:
    """Record a check-in (跟踪、点评、调度、总结) of ``check`` for ``period`` (default: the
    latest begun); by the commitment's unit or the office, once an occurrence."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    spec = spec_of(run)
    require_forward(run, as_of)
    chk = spec.check(check)
    if chk is None:
        raise InvalidInput(_("unknown check-in '{check}'").format(check=check),
                           _("check-ins of campaign '{campaign}': {checks}").format(
                               campaign=run.key, checks=", ".join(
                                   f"{c.key} ({c.title})" for c in spec.tracking)))
    if chk.review:
        raise InvalidInput(_("'{check}' ({title}) is met by the commitment's review").format(
                               check=check, title=chk.title),
                           _("use 'rectify commitment review ID --outcome ...'"))
    found = [c for c in commitments_at(conn, run, as_of) if c.id == commitment_id]
    if not found:
        raise NotFound(_("no commitment {id} in campaign '{campaign}' by {day}").format(
                           id=commitment_id, campaign=run.key, day=as_of),
                       _("see 'rectify commitment list CAMPAIGN'"))
    c = found[0]
    _tracker_refusals(scope, c)
    owed = [o for o in occurrences(run, c, as_of) if o.check == check]
    if not owed:
        raise Refused(_("commitment {id} owes no '{check}' check-in by {day}").format(
                          id=commitment_id, check=check, day=as_of),
                      _("a commitment is tracked once published, from its start to its "
                        "completion date"))
    if period is None:
        chosen = owed[-1]
    else:
        try:
            key = chk.schedule.period(period).key
        except CadenceError as exc:
            raise InvalidInput(_("--period: {problem}").format(problem=exc.message),
                               exc.hint) from None
        match = [o for o in owed if o.period == key]
        if not match:
            raise InvalidInput(_("commitment {id} owes no '{check}' check-in for {period} by "
                                 "{day}").format(id=commitment_id, check=check, period=key,
                                                 day=as_of),
                               _("periods: {first} … {last}").format(
                                   first=owed[0].period, last=owed[-1].period))
        chosen = match[0]
    if chosen.recorded_on is not None:
        raise Refused(_("the '{check}' check-in of commitment {id} for {period} was recorded "
                        "on {day}").format(check=check, id=commitment_id, period=chosen.period,
                                           day=chosen.recorded_on),
                      _("each check-in is recorded once"))
    ev.lock(conn, [run.key])
    conn.execute(insert(CK).values(commitment_id=commitment_id, check=check,
                                   period=chosen.period, due=chosen.due, recorded_on=as_of))
    ev.write(conn, [ev.entry(run.key, ev.CommitmentTracked(check, chosen.period, chosen.due),
                             subject=subject_key(commitment_id), actor=actor.key, day=as_of,
                             campaign_id=run.id, subject_id=commitment_id, note=note)])
    return replace(chosen, recorded_on=as_of, status=_status(chosen.due, as_of, as_of))


def _tracker_refusals(scope: Scope, c: CommitmentAt) -> None:
    """The commitment's own unit (its subtree) tracks it; so may the office."""
    actor, d = scope.acting, scope.run.definition
    if actor.is_system or not d.roles:
        return
    if any(d.roles[r].side == OFFICE for r in actor.roles if r in d.roles):
        return
    unit = scope.tree.by_code.get(c.unit)
    path = str(actor.attrs.get("unit_path") or "")
    if unit is not None and path and within(path, unit.path):
        return
    raise Refused(_("'{person}' is neither of unit '{unit}' nor of the office, and may not "
                    "track commitment {id}").format(person=actor.key, unit=c.unit, id=c.id),
                  _("the unit's own people record its check-ins"))


# --- the register at a date ----------------------------------------------------------------------


@dataclass
class CommitmentAt:
    """A commitment as the log tells it at a date."""

    id: int
    seq: int
    title: str
    kind: str
    unit: str
    person: str | None
    start_on: dt.date
    due_on: dt.date
    state: str
    key: str | None
    added_on: dt.date
    fields: dict[str, Any] = field(default_factory=dict)
    checkins: dict[tuple[str, str], dt.date] = field(default_factory=dict)


def commitments_at(conn: Connection, run: Run, as_of: dt.date) -> list[CommitmentAt]:
    """Every commitment recorded by the end of ``as_of``, replayed from the register's events."""
    out: dict[int, CommitmentAt] = {}
    if not registers.kept(conn, C, run):
        return []
    for s in registers.steps(conn, run, MACHINE, as_of):
        body = s.payload
        if s.trigger == "add":
            out[s.subject_id] = CommitmentAt(
                s.subject_id, len(out) + 1, body["title"], body["kind"], body["unit"],
                body.get("person"), dt.date.fromisoformat(body["start_on"]),
                dt.date.fromisoformat(body["due_on"]), s.to_state or "", body.get("key"), s.day)
            continue
        found = out.get(s.subject_id)
        if found is None:
            continue
        if s.trigger == "track":
            found.checkins[(body["check"], body["period"])] = s.day
            continue
        if s.to_state:
            found.state = s.to_state
        found.fields.update({name: registers.day_value(name, body[name])
                             for name in FIELDS if name in body})
    return sorted(out.values(), key=lambda c: c.id)


def publication_due(run: Run, c: CommitmentAt) -> dt.date | None:
    """The day ``c`` was to be published by (``commitments.publish``), if the definition says."""
    spec = spec_of(run)
    if spec.publish is None:
        return None
    cal = calendar_for(run.definition.calendar)
    return spec.publish.due(period_of(spec.publish.period_kind, c.start_on), cal)


@dataclass
class Tally:
    """The register's figures at a date."""

    commitments: int = 0
    by_state: dict[str, int] = field(default_factory=dict)  # state title → commitments
    published: int = 0
    published_late: int = 0
    checkins: dict[str, int] = field(default_factory=dict)  # status → occurrences

    def as_dict(self) -> dict[str, Any]:
        return {"commitments": self.commitments, "by_state": dict(self.by_state),
                "published": self.published, "published_late": self.published_late,
                "checkins": dict(self.checkins)}


def state_titles(run: Run) -> dict[str, str]:
    spec = run.definition.machines.get(MACHINE)
    return {s.key: s.title or s.key for s in spec.states} if spec else {}


def tally(run: Run, found: Sequence[CommitmentAt], as_of: dt.date) -> Tally:
    titles = state_titles(run)
    out = Tally(commitments=len(found))
    states: Counter[str] = Counter(c.state for c in found)
    out.by_state = {titles.get(k, k): states[k] for k in [*titles, *sorted(set(states) - set(titles))]
                    if states[k]}
    statuses: Counter[str] = Counter()
    for c in found:
        published = c.fields.get("published_on")
        if published is not None:
            out.published += 1
            due = publication_due(run, c)
            if due is not None and published > due:
                out.published_late += 1
        statuses.update(o.status for o in occurrences(run, c, as_of))
    out.checkins = {k: statuses[k] for k in ("on time", "late", "missing", "pending")}
    return out


def summary_line(t: Tally) -> str:
    """The register's figures as a report says them."""
    states = "，".join(f"{k} {v} 项" for k, v in t.by_state.items())
    ck = t.checkins
    return (f"公开承诺 {t.commitments} 项（{states or '无'}），已公开 {t.published} 项"
            + (f"（逾期公开 {t.published_late} 项）" if t.published_late else "")
            + f"；跟踪按时 {ck.get('on time', 0)} 次、逾期 {ck.get('late', 0)} 次、"
              f"缺报 {ck.get('missing', 0)} 次。")


def rows(scope: Scope, found: Sequence[CommitmentAt] | None = None) -> list[dict[str, Any]]:
    """The register as of the scope's date, one row a commitment: what the public may read
    (no event notes, no person keys), with its check-ins counted by status."""
    run = scope.run
    spec = spec_of(run)
    titles = state_titles(run)
    found = commitments_at(scope.conn, run, scope.as_of) if found is None else found
    ids = {c.person for c in found if c.person}
    names = dict(scope.conn.execute(select(P.c.key, P.c.name).where(P.c.key.in_(sorted(ids))))
                 .all()) if ids else {}
    out = []
    for c in found:
        unit = scope.tree.by_code.get(c.unit)
        owed = Counter(o.status for o in occurrences(run, c, scope.as_of))
        published = c.fields.get("published_on")
        due = publication_due(run, c)
        out.append({
            "id": c.id, "title": c.title, "kind": spec.kinds.get(c.kind, c.kind),
            "unit": unit.title if unit is not None else c.unit,
            "person": names.get(c.person or "", "") if c.person else "",
            "start_on": c.start_on.isoformat(), "due_on": c.due_on.isoformat(),
            "state": titles.get(c.state, c.state), "published_on": registers.iso(published),
            "publication": (_status(due, published, scope.as_of) if due is not None
                            else ("published" if published else "")),
            "reviewed_on": registers.iso(c.fields.get("reviewed_on")),
            "on_time": owed["on time"], "late": owed["late"], "missing": owed["missing"],
            "pending": owed["pending"]})
    return out


def show(scope: Scope, commitment_id: int) -> dict[str, Any]:
    """One commitment with its check-ins and its history (each step: day, trigger, who, note)."""
    found = [c for c in commitments_at(scope.conn, scope.run, scope.as_of) if c.id == commitment_id]
    if not found:
        raise NotFound(_("no commitment {id} in campaign '{campaign}' by {day}").format(
                           id=commitment_id, campaign=scope.run.key, day=scope.as_of),
                       _("see 'rectify commitment list CAMPAIGN'"))
    row = rows(scope, found)[0]
    owed = [{"check": o.title, "period": o.period, "due": o.due.isoformat(),
             "recorded_on": registers.iso(o.recorded_on), "status": o.status}
            for o in occurrences(scope.run, found[0], scope.as_of)]
    return {**row, "checkins": owed,
            "history": registers.history(scope.conn, scope.run, MACHINE, commitment_id,
                                         scope.as_of)}


def checkin_rows(scope: Scope, status: str | None = None) -> list[dict[str, Any]]:
    """Every check-in owed by the scope's date, one row an occurrence (``status`` to keep
    only e.g. the missing ones)."""
    out = []
    for c in commitments_at(scope.conn, scope.run, scope.as_of):
        for o in occurrences(scope.run, c, scope.as_of):
            if status is None or o.status == status:
                out.append({"id": c.id, "title": c.title, "check": o.title, "period": o.period,
                            "due": o.due.isoformat(), "recorded_on": registers.iso(o.recorded_on),
                            "status": o.status})
    return out


# --- import --------------------------------------------------------------------------------------

COLUMNS = {
    "承诺事项": "title", "承诺内容": "title", "title": "title",
    "类别": "kind", "任务类型": "kind", "kind": "kind",
    "责任单位": "unit", "单位": "unit", "unit": "unit",
    "责任人": "person", "person": "person",
    "开始时间": "start", "开工时间": "start", "start": "start",
    "完成时限": "due", "竣工时间": "due", "完成时间": "due", "due": "due",
    "承诺编号": "key", "key": "key",
}
REQUIRED = ("title", "unit", "start", "due")


def import_file(scope: Scope, path: str, sheet: str | None = None) -> list[int]:
    """Record every commitment of a CSV or workbook (.xlsx, .xls, .ods) list, or none: every
    bad cell is reported at once, grouped by what is wrong, by row and column."""
    from .tabular import csv_sheet
    from .workbooks import FORMATS, open_sheet

    spec_of(scope.run)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv":
        return _import_rows(scope, path, csv_sheet(path).rows)
    if ext in FORMATS:
        with open_sheet(path, sheet) as opened:
            return _import_rows(scope, path, opened.rows)
    raise InvalidInput(_("cannot import commitments from '{file}'").format(
                           file=os.path.basename(path)),
                       _("give a .csv, .xlsx, .xls or .ods file"))


def _import_rows(scope: Scope, path: str, stream: Any) -> list[int]:
    from .importer.problems import ImportProblems, RowProblem, Where

    header: dict[int, str] = {}
    columns: dict[str, tuple[int, str]] = {}  # field → (0-based column, its header)
    problems: list[RowProblem] = []
    new: list[NewCommitment] = []
    for number, cells in stream:
        if not header:
            for i, cell in enumerate(cells):
                name = str(cell or "").strip()
                found = COLUMNS.get(name) or COLUMNS.get(name.lower())
                if found and found not in columns:
                    header[i] = found
                    columns[found] = (i, name)
            missing = [f for f in REQUIRED if f not in columns]
            if missing:
                raise InvalidInput(
                    _("{path}: row {row}: no column for {names}").format(
                        path=path, row=number, names=", ".join(missing)),
                    _("the first row names the columns: {names}").format(
                        names=", ".join(k for k in COLUMNS if not k.isascii())))
            continue
        values = {f: cells[i] for i, f in header.items() if i < len(cells)}
        if not any(str(v or "").strip() for v in values.values()):
            continue
        made, wrong = _row(scope, values, {f: head for f, (_i, head) in columns.items()})
        for name, message, hint in wrong:
            col, head = columns.get(name, (None, None))
            problems.append(RowProblem(Where(None, number, col, head), message, hint,
                                       str(values.get(name) or "")))
        if made is not None:
            new.append(made)
    if problems:
        raise ImportProblems(path, problems, hint=_("fix the rows and import again"))
    if not new:
        raise InvalidInput(_("{path} lists no commitments").format(path=path),
                           _("one commitment a row, under a header row"))
    return record(scope, new, os.path.basename(path))


Wrong = tuple[str, str, str | None]  # field, message, hint


def _row(scope: Scope, values: dict[str, Any],
         heads: dict[str, str]) -> tuple[NewCommitment | None, list[Wrong]]:
    """One row's commitment, or every problem of its cells (each by its field; a date by
    its column's header, as the file names it)."""
    def text(name: str) -> str:
        value = values.get(name)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value if value is not None else "").strip()

    wrong: list[Wrong] = []

    def bad(name: str, exc: EngineError) -> None:
        wrong.append((name, str(exc.message), exc.hint))

    if not text("title"):
        wrong.append(("title", _("empty"), _("give the commitment's title")))
    if not text("unit") and not text("person"):
        wrong.append(("unit", _("empty"), _("give the commitment's unit, or its person")))
    dates: dict[str, dt.date] = {}
    for name in ("start", "due"):
        try:
            dates[name] = _cell_date(values.get(name), heads.get(name, name))
        except EngineError as exc:
            bad(name, exc)
    unit = None
    if text("unit"):
        try:
            unit = scope.tree.find(text("unit"))
        except EngineError as exc:
            bad("unit", exc)
    spec = spec_of(scope.run)
    kind = text("kind") or None
    if kind and kind not in spec.kinds and kind not in spec.kinds.values():
        wrong.append(("kind", _("unknown commitment kind '{kind}'").format(kind=kind),
                      _("kinds: {kinds}").format(kinds=", ".join(
                          f"{k} ({t})" for k, t in spec.kinds.items()))))
    person = text("person") or None
    if person and scope.conn.execute(select(P.c.id).where(P.c.key == person)).first() is None:
        wrong.append(("person", _("unknown person '{person}'").format(person=person),
                      _("see 'rectify person list'")))
    if len(dates) == 2 and dates["due"] < dates["start"]:
        wrong.append(("due", _("the completion date {due} is before the start {start}").format(
            due=dates["due"], start=dates["start"]), _("the completion date comes last")))
    if wrong:
        return None, wrong
    try:
        return prepare(scope, text("title"), kind, unit.code if unit else None, person,
                       dates["start"], dates["due"], text("key") or None), []
    except EngineError as exc:  # a person without a unit
        bad("person", exc)
        return None, wrong


def _cell_date(value: Any, what: str) -> dt.date:
    from .dates import parse_date
    from .workbooks import excel_date

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    serial = excel_date(value)
    if serial is not None:
        return serial
    if value is None or not str(value).strip():
        raise InvalidInput(_("no {what} date").format(what=what),
                           _("write it as YYYY-MM-DD, e.g. 2009-12-31"))
    return parse_date(str(value), what)


# --- the public board ----------------------------------------------------------------------------

BOARD_HEAD = {"id": "编号", "title": "承诺事项", "kind": "类别", "person": "责任人",
              "start_on": "开始时间", "due_on": "完成时限", "published_on": "公开日期",
              "state": "兑现情况", "on_time": "按时跟踪", "late": "逾期跟踪", "missing": "缺报"}
STATUS_WORDS = {"on time": "按时", "late": "逾期", "missing": "未按时", "pending": "待公开",
                "published": "已公开", "": ""}


def board_html(scope: Scope) -> tuple[str, int]:
    """The commitments board (晒承诺): published commitments by unit, how each is tracked and
    honoured.  Built from the public columns of ``rows`` only: never a note, a key, or a
    commitment not yet published."""
    from .htmlkit import esc, page, table

    run, as_of = scope.run, scope.as_of
    found = [c for c in commitments_at(scope.conn, run, as_of) if c.fields.get("published_on")]
    listed = rows(scope, found)
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for row in listed:
        by_unit.setdefault(row["unit"], []).append(row)
    t = tally(run, found, as_of)
    summary = [[unit, len(rs), sum(r["on_time"] for r in rs), sum(r["late"] for r in rs),
                sum(r["missing"] for r in rs)] for unit, rs in sorted(by_unit.items())]
    body = [f"<section><h2>公开承诺公示</h2><p>现将{esc(run.definition.title)}各单位公开承诺事项"
            "及兑现情况公示如下，接受社会各界监督。</p>",
            f"<p>{esc(summary_line(t))}</p>",
            table(["责任单位", "承诺数", "按时跟踪", "逾期跟踪", "缺报"], summary,
                  numeric=(1, 2, 3, 4)), "</section>"]
    for unit, rs in sorted(by_unit.items()):
        body.append(f"<section><h2>{esc(unit)}</h2>")
        body.append(table(list(BOARD_HEAD.values()),
                          [[r[k] for k in BOARD_HEAD] for r in rs], numeric=(0, 8, 9, 10)))
        body.append("</section>")
    if not by_unit:
        body.append("<section><p class=muted>暂无已公开的承诺事项。</p></section>")
    when = f"{as_of.year}年{as_of.month}月{as_of.day}日"
    return page(f"{run.definition.title}公开承诺公示", f"公示日期：{when}", "\n".join(body),
                "如对承诺事项及兑现情况有异议，请向活动领导小组办公室反映。"), len(listed)


def write_board(scope: Scope, path: str) -> int:
    """Write the commitments board to ``path`` (.html); returns the commitments shown."""
    text, n = board_html(scope)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return n

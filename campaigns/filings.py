"""Filings (报送事项): each unit's occurrence per period, filed, accepted or returned, and chased.

An occurrence is opened for every unit that files (by kind or by a role its people hold) on
the first day of its period the campaign runs, by the clock or, when the clock is behind, by
the first change that needs it, with the same business date either way.  Its due date comes
from the schedule (engine.core.cadence) on the campaign's working-day calendar.  ``file``,
``accept-filing`` and ``return-filing`` are triggers of the definition's ``filing`` machine,
decided by the planner and written by the writer like any other move; the document is kept
by content hash like evidence.  The filings' own ladder runs in the clock as a second
``engine.io.clock.Clock`` over the ``filings`` table, and a change first brings its
occurrence up to date with the pure clock (engine.core.schedule), as rectifications do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import String, and_, bindparam, cast, func, insert, select
from sqlalchemy.engine import Connection

from engine.core.cadence import CadenceError, Period
from engine.core.calendar import calendar_for
from engine.core.errors import InvalidInput, NotFound, Refused
from engine.core.machines import SYSTEM_ACTOR, Actor
from engine.core.planner import Request, plan
from engine.core.schedule import ESCALATE, Due, Schedule as Clockwork, Snapshot
from engine.core.spec import Definition
from engine.io.clock import Clock, StepLog, Subjects
from engine.io.store import Prepared
from engine.io.writer import Entry, apply_moves

from . import events as ev
from .filing_spec import ACCEPT, FILE, MACHINE, RETURN, FilingSpec, FilingsSpec
from .i18n import N_, _
from .runs import Run, require_forward
from .tables import (
    BLOBS,
    EVENTS as E,
    FILING_NOTICES as FN,
    FILING_TABLES,
    FILINGS as F,
    PEOPLE as P,
    UNDONE,
    UNITS as U,
)
from .units import UnitTree

ONE_DAY = dt.timedelta(days=1)
Day = TypeVar("Day", dt.date, str)
MAX_DOCUMENT = 20 * 1024 * 1024
STATUSES = (N_("pending"), N_("on time"), N_("late"), N_("missing"), N_("returned"),
            N_("accepted"))


def spec_of(run: Run) -> FilingsSpec | None:
    found = run.definition.sections.get("filings")
    return found if isinstance(found, FilingsSpec) else None


def _filing(run: Run, key: str) -> FilingSpec:
    spec = spec_of(run)
    found = spec.get(key) if spec else None
    if found is None or spec is None:
        known = ", ".join(f.key for f in spec.items) if spec else ""
        raise NotFound(f"campaign '{run.key}' has no filing '{key}'",
                       f"filings: {known}" if known else "its definition has no filings section")
    return found


def campaign_end(run: Run) -> dt.date:
    """The last day of the campaign's stages: no period after it is opened."""
    return max(s.window(run.start_date)[1] for s in run.definition.stages)


_periods: dict[tuple[int, dt.date, str], tuple[Definition, list[Period]]] = {}


def periods(run: Run, spec: FilingSpec) -> list[Period]:
    """The periods of ``spec`` in the campaign: those it runs in, due on or after its start
    (worked out once per process and campaign: every day of a tick asks)."""
    key = (id(run.definition), run.start_date, spec.key)
    found = _periods.get(key)
    if found is None or found[0] is not run.definition:
        cal = calendar_for(run.definition.calendar)
        found = _periods[key] = (run.definition, [
            p for p in spec.schedule.periods(run.start_date, campaign_end(run), cal)
            if spec.schedule.due(p, cal) >= run.start_date])
    return found[1]


def opens_on(run: Run, period: Period) -> dt.date:
    """The day an occurrence is opened: its period's first day, or the campaign's."""
    return max(period.start, run.start_date)


# -- the clock's side ---------------------------------------------------------------------------


def ladder_definition(definition: Definition) -> Definition | None:
    """The definition as the filings' clock sees it: their ladder, no timers nor reminders."""
    found = definition.sections.get("filings")
    if not isinstance(found, FilingsSpec) or found.ladder is None:
        return None
    return replace(definition, ladder=found.ladder, timers=(), reminders=None)


def subject_key() -> Any:
    """The stable key a filing's events hash: filing/unit code/period."""
    code = select(U.c.code).where(U.c.id == F.c.unit_id).scalar_subquery()
    return F.c.filing + "/" + code + "/" + F.c.period


def clock_for(run: Run) -> Clock | None:
    """The engine clock over this campaign's filings, climbing their own ladder (None: none)."""
    return clock_over(run.definition, run.id, run.key)


def clock_over(definition: Definition, campaign_id: int, stream: str) -> Clock | None:
    """The filings' clock of one campaign (by id and chain), for ``definition``."""
    from .clock import standing

    seen = ladder_definition(definition)
    if seen is None:
        return None
    subjects = {MACHINE: Subjects(MACHINE, F, F.c.campaign_id == campaign_id,
                                  {"campaign_id": F.c.campaign_id}, deadline="deadline",
                                  level="level", level_base="level_base", key=subject_key())}
    log = StepLog(FN, {"campaign_id": F.c.campaign_id, "filing_id": F.c.id})
    return Clock(seen, subjects, E, log, stream=stream, standing=standing())


def filers(conn: Connection, spec: FilingSpec) -> list[tuple[int, str]]:
    """The units that file ``spec`` now (id, code), in tree order."""
    if spec.kinds:
        where: Any = U.c.kind.in_(spec.kinds)
    else:
        holders = select(P.c.unit_id).where(P.c.active.is_(True), P.c.unit_id.is_not(None),
                                            (" " + P.c.roles + " ").contains(f" {spec.role} "))
        where = U.c.id.in_(holders)
    return [(r.id, r.code) for r in conn.execute(select(U.c.id, U.c.code).where(where)
                                                 .order_by(U.c.path))]


def require_filer(conn: Connection, spec: FilingSpec, unit_id: int, code: str) -> None:
    """Refuse a unit that does not file ``spec`` (by kind, or by a role its people hold)."""
    if unit_id not in {i for i, _code in filers(conn, spec)}:
        raise _not_filer(code, spec)


def _not_filer(code: str, spec: FilingSpec) -> InvalidInput:
    return InvalidInput(
        _("UNIT: unit '{unit}' does not file '{filing}'").format(unit=code, filing=spec.key),
        (_("'{filing}' is filed by units of kind {kinds}: give one of them").format(
            filing=spec.key, kinds=", ".join(spec.kinds)) if spec.kinds else
         _("'{filing}' is filed by the units of people with role '{role}': give one of "
           "them").format(filing=spec.key, role=spec.role)))


def open_due(conn: Connection, run: Run, day: dt.date) -> int:
    """Open the occurrences whose day to open is ``day``; how many.  The clock asks each day
    in order, so every period is asked on its day (one a change opened early is completed)."""
    spec = spec_of(run)
    if spec is None:
        return 0
    count = 0
    for filing in spec.items:
        for period in periods(run, filing):
            when = opens_on(run, period)
            if when > day:
                break
            if when == day:
                count += _open(conn, run, filing, period, None)
    return count


def _open(conn: Connection, run: Run, filing: FilingSpec, period: Period,
          unit_id: int | None) -> int:
    """Open ``period``'s occurrences of ``filing`` not opened yet (only ``unit_id``'s, if given)."""
    # ``due`` is read too so that no index covers the query but the one on its three columns
    # (SQLite would otherwise scan the unique index's rows of the whole filing, every period)
    opened = {unit for unit, _due in conn.execute(select(F.c.unit_id, F.c.due).where(
        F.c.campaign_id == run.id, F.c.filing == filing.key, F.c.period == period.key))}
    units = [(i, c) for i, c in filers(conn, filing)
             if i not in opened and (unit_id is None or i == unit_id)]
    if not units:
        return 0
    cal = calendar_for(run.definition.calendar)
    due = filing.schedule.due(period, cal)
    day = opens_on(run, period)
    initial = run.definition.machines[MACHINE].initial
    ev.lock(conn, [run.key])
    rows = [{"campaign_id": run.id, "filing": filing.key, "unit_id": i, "period": period.key,
             "due": due, "opened_on": day, "deadline": due, "level_base": due, "state": initial,
             "version": 1, "entered_on": day} for i, _ in units]
    _OPEN.execute_many(conn, rows)
    ids = {unit: id for unit, id, _due in conn.execute(select(F.c.unit_id, F.c.id, F.c.due).where(
        F.c.campaign_id == run.id, F.c.filing == filing.key, F.c.period == period.key))}
    # one typed payload per unit, built from the period's (a daily filing opens hundreds a day)
    first = ev.entry(run.key, ev.FilingOpened(filing.key, "", period.key, due), subject=None,
                     actor=SYSTEM_ACTOR, day=day, campaign_id=run.id, to_state=initial,
                     rule=f"filings.{filing.key}")
    base, f = first.payload or {}, first
    ev.write(conn, [Entry(f.stream, f.machine, f"{filing.key}/{code}/{period.key}", f.trigger,
                          f.actor, f.business_date, f.from_state, f.to_state, f.note,
                          {**base, "unit": code}, f.payload_version, f.rule, ids[i], f.values)
                    for i, code in units])
    return len(units)


_OPEN = Prepared(insert(F).values({c: bindparam(c) for c in (
    "campaign_id", "filing", "unit_id", "period", "due", "opened_on", "deadline", "level_base",
    "state", "version", "entered_on")}))


# -- one occurrence as the planner and the pure clock see it ------------------------------------


@dataclass
class Occurrence:
    """A row of ``filings``: the subject the 'filing' machine moves."""

    id: int
    state: str
    version: int
    entered_on: dt.date
    filing: str
    unit_id: int
    period: str
    due: dt.date
    opened_on: dt.date
    deadline: dt.date
    level: str | None
    level_base: dt.date | None
    filed_on: dt.date | None
    accepted_on: dt.date | None
    returned_on: dt.date | None
    document_name: str | None
    document_sha256: str | None
    figures: dict[str, int] | None


@dataclass
class FilingRecord:
    """The planner's snapshot of one occurrence, with its unit for the guards on units."""

    occurrence: Occurrence
    code: str  # filing/unit/period, the key its events hash
    unit_path: str
    unit_kinds: tuple[str, ...]

    def subject(self, machine: str) -> Occurrence:
        if machine != MACHINE:
            raise Refused(f"a filing has no '{machine}'", "filings fire the filing triggers only")
        return self.occurrence

    def copy(self) -> FilingRecord:
        return dataclasses.replace(self, occurrence=dataclasses.replace(self.occurrence))


_FIELDS = [f.name for f in dataclasses.fields(Occurrence)]


def load(conn: Connection, scope_run: Run, tree: UnitTree, unit: str, filing: str,
         period: str, as_of: dt.date) -> FilingRecord:
    """The occurrence of ``filing`` for ``unit`` in ``period``, opened first when the clock has
    not reached it yet (with the date the clock would have given it)."""
    run = scope_run
    spec = _filing(run, filing)
    try:
        wanted = spec.schedule.period(period)
    except CadenceError as exc:
        raise InvalidInput(f"--period: {exc.message}", exc.hint) from None
    node = tree.find(unit)
    if wanted.key not in {p.key for p in periods(run, spec)}:
        raise InvalidInput(f"filing '{filing}' has no period {wanted.key} in campaign '{run.key}'",
                           "give a period within the campaign's stages")
    if opens_on(run, wanted) > as_of:
        raise InvalidInput(f"period {wanted.key} of '{filing}' has not begun on {as_of}",
                           "file it once its period has begun")
    _open(conn, run, spec, wanted, node.id)
    row = conn.execute(select(*(F.c[n] for n in _FIELDS)).where(
        F.c.campaign_id == run.id, F.c.filing == filing, F.c.unit_id == node.id,
        F.c.period == wanted.key)).first()
    if row is None:
        raise _not_filer(node.code, spec)
    kinds = tuple(u.kind or "" for u in tree.chain(node))
    return FilingRecord(Occurrence(**row._mapping), f"{filing}/{node.code}/{wanted.key}",
                        node.path, kinds)


def catch_up(conn: Connection, run: Run, record: FilingRecord, as_of: dt.date) -> None:
    """Write what the filings' ladder owes ``record`` before a change dated ``as_of`` (see
    campaigns.clock.catch_up: the same rule, for the one machine of a filing)."""
    definition = ladder_definition(run.definition)
    if definition is None or run.concluded_on:
        return
    occ = record.occurrence
    last = run.ticked_to or run.start_date - ONE_DAY
    first = max(run.start_date, occ.entered_on if occ.entered_on >= last else last + ONE_DAY)
    end = as_of - ONE_DAY if occ.entered_on >= as_of else as_of
    if first > end:
        return
    snap = Snapshot(MACHINE, occ.id, occ.version, occ.state, occ.entered_on, occ.deadline,
                    occ.level, occ.level_base, {"campaign_id": run.id})
    due = _clockwork(definition).due([snap], first, end, None)
    if not due.moves:
        return
    for move in due.moves:
        move.stream, move.subject_key = run.key, record.code
    write_due(conn, run, due)
    occ.state, occ.version, occ.entered_on = snap.state, snap.version, snap.entered_on
    occ.deadline, occ.level, occ.level_base = snap.deadline or occ.deadline, snap.level, \
        snap.level_base


_clockworks: dict[int, tuple[Definition, Clockwork]] = {}


def pure_clock(definition: Definition) -> Clockwork | None:
    """The pure clock a change brings its occurrence up to date with (None: no filings ladder)."""
    seen = ladder_definition(definition)
    return None if seen is None else _clockwork(seen)


def _clockwork(definition: Definition) -> Clockwork:
    found = _clockworks.get(id(definition))
    if found is None or found[0] is not definition:
        found = _clockworks[id(definition)] = (definition, Clockwork(definition))
    return found[1]


def write_due(conn: Connection, run: Run, due: Due) -> None:
    """A catch-up's ladder steps and their notices, linked to their events."""
    mark = conn.execute(select(func.max(E.c.id))).scalar() or 0
    apply_moves(conn, FILING_TABLES, E, due.moves)
    subjects = {n.move.subject_id for n in due.notices}
    event_of = {(subject, rule): id for id, subject, rule in conn.execute(
        select(E.c.id, E.c.subject_id, E.c.rule).where(
            E.c.id > mark, E.c.campaign_id == run.id, E.c.machine == MACHINE,
            E.c.trigger == ESCALATE, E.c.subject_id.in_(subjects)))}
    if due.notices:
        conn.execute(insert(FN), [
            {"campaign_id": run.id, "filing_id": n.move.subject_id, "level": n.level,
             "issued_on": n.issued_on, "deadline": n.deadline, "days_overdue": n.days_overdue,
             "new_deadline": n.new_deadline, "action": n.action,
             "event_id": event_of[n.move.subject_id, n.move.rule]} for n in due.notices])


# -- the commands' changes ------------------------------------------------------------------------


def submit(conn: Connection, run: Run, tree: UnitTree, actor: Actor, as_of: dt.date, unit: str,
           filing: str, period: str, path: str | None, note: str | None = None) -> dict[str, Any]:
    """File an occurrence, with its document kept by content hash (fires ``file``) and the
    figures the filing declares, counted from the record (campaigns.filing_figures)."""
    require_forward(run, as_of)
    spec = _filing(run, filing)
    if spec.rollup_from is not None:
        raise InvalidInput(f"filing '{filing}' is made from the units' filings",
                           f"use 'rectify filing rollup {unit} {filing} --period {period}'")
    document = _document(path)
    if document is None and spec.document:
        raise InvalidInput(f"filing '{filing}' needs a document", "give --file PATH")
    record = load(conn, run, tree, unit, filing, period, as_of)
    figures = None
    if spec.figures:
        from .filing_figures import count

        figures = count(conn, run, tree, tree.find(unit), spec.schedule.period(period),
                        spec.figures, as_of)
    return _file(conn, run, record, actor, as_of, note, document, figures, None)


def roll_up(conn: Connection, run: Run, tree: UnitTree, actor: Actor, as_of: dt.date, unit: str,
            filing: str, period: str, path: str | None, note: str | None = None,
            ) -> dict[str, Any]:
    """File a roll-up: the units' accepted filings summed and bundled (fires ``file``)."""
    from .filing_figures import rollup

    require_forward(run, as_of)
    spec = _filing(run, filing)
    if spec.rollup_from is None:
        raise InvalidInput(f"filing '{filing}' is not a roll-up",
                           "file it with 'rectify filing submit', or give it rollup: {from: ...}")
    own = _document(path)
    record = load(conn, run, tree, unit, filing, period, as_of)
    made = rollup(conn, run, tree, tree.find(unit), spec, spec.schedule.period(period), as_of,
                  (own[0], own[1]) if own else None)
    name = f"{filing}-{tree.find(unit).code}-{record.occurrence.period}.zip"
    out = _file(conn, run, record, actor, as_of, note, (name, made.bundle), made.figures,
                [s.key for s in made.sources])
    return {**out, "figures": made.figures, "bundled": [s.key for s in made.sources],
            "missing": made.missing}


def _document(path: str | None) -> tuple[str, bytes] | None:
    """The document's name and content, checked (None: no path)."""
    from engine.core.files import regular_file

    if path is None:
        return None
    size = regular_file(path, "document")
    if size > MAX_DOCUMENT:
        raise InvalidInput(f"document '{path}' is larger than 20 MiB",
                           "file a smaller document or a summary")
    with open(path, "rb") as fh:
        return os.path.basename(path), fh.read()


def _file(conn: Connection, run: Run, record: FilingRecord, actor: Actor, as_of: dt.date,
          note: str | None, document: tuple[str, bytes] | None, figures: dict[str, int] | None,
          bundled: list[str] | None) -> dict[str, Any]:
    """The ``file`` move with its document, figures and sources, through the one writer."""
    name = digest = None
    if document is not None:
        name, digest = document[0], hashlib.sha256(document[1]).hexdigest()
    changes = {"filed_on": as_of, "document_name": name, "document_sha256": digest,
               "figures": figures}
    moves = _decide(conn, run, record, FILE, actor, as_of, note, changes,
                    {"bundled": bundled} if bundled else None)
    if document is not None and digest is not None and conn.execute(
            select(BLOBS.c.sha256).where(BLOBS.c.sha256 == digest)).first() is None:
        conn.execute(insert(BLOBS).values(sha256=digest, content=document[1]))
    apply_moves(conn, FILING_TABLES, E, moves)
    out = _outcome(record, as_of)
    if figures is not None:
        out["figures"] = figures
    return out


def prefill(conn: Connection, run: Run, tree: UnitTree, as_of: dt.date, unit: str, filing: str,
            period: str) -> dict[str, Any]:
    """The figures ``filing`` declares, counted for ``unit`` and ``period`` (nothing written)."""
    from .filing_figures import count

    spec = _filing(run, filing)
    if not spec.figures:
        raise InvalidInput(f"filing '{filing}' declares no figures",
                           "give it figures: [found, closed, overdue, ...] in the definition")
    if spec.rollup_from is not None:
        raise InvalidInput(f"filing '{filing}' is made from the units' filings",
                           f"see 'rectify filing rollup {unit} {filing} --period {period}'")
    try:
        wanted = spec.schedule.period(period)
    except CadenceError as exc:
        raise InvalidInput(f"--period: {exc.message}", exc.hint) from None
    node = tree.find(unit)
    require_filer(conn, spec, node.id, node.code)
    return {"filing": filing, "unit": node.code, "period": wanted.key,
            "as_of": min(wanted.end, as_of).isoformat(),
            "figures": count(conn, run, tree, node, wanted, spec.figures, as_of)}


def decide(conn: Connection, run: Run, tree: UnitTree, actor: Actor, as_of: dt.date, unit: str,
           filing: str, period: str, verdict: str, note: str | None) -> dict[str, Any]:
    """Accept or return a filed occurrence (the office's ``accept-filing``/``return-filing``)."""
    require_forward(run, as_of)
    _filing(run, filing)
    if verdict == RETURN and not (note and note.strip()):
        raise InvalidInput("a returned filing needs a reason", "give --note: what to change")
    record = load(conn, run, tree, unit, filing, period, as_of)
    field = "accepted_on" if verdict == ACCEPT else "returned_on"
    apply_moves(conn, FILING_TABLES, E,
                _decide(conn, run, record, verdict, actor, as_of, note, {field: as_of}))
    return _outcome(record, as_of)


def _decide(conn: Connection, run: Run, record: FilingRecord, trigger: str, actor: Actor,
            as_of: dt.date, note: str | None, changes: dict[str, Any],
            extra: dict[str, Any] | None = None) -> list[Any]:
    ev.lock(conn, [run.key])
    catch_up(conn, run, record, as_of)
    decided = plan(run.runtime, record, Request(
        trigger, actor, as_of, note=note, changes=changes,
        event_values={"campaign_id": run.id}, stream=run.key, subject_key=record.code), run=run)
    decided.raise_if_refused(record.code, "see 'rectify filing status' for where it stands")
    record.occurrence = decided.after.occurrence
    for move in decided.moves:
        if move.trigger == trigger:
            payload = ev.Filed(**{k: v for k, v in {**changes, **(extra or {})}.items()
                                  if v is not None})
            move.payload, move.payload_version = payload.as_payload(), payload.VERSION
    return list(decided.moves)


def _outcome(record: FilingRecord, as_of: dt.date) -> dict[str, Any]:
    occ = record.occurrence
    return {"filing": occ.filing, "period": occ.period, "key": record.code, "state": occ.state,
            "due": occ.due.isoformat(), "status": status_of(occ.due, occ.filed_on,
                                                            occ.accepted_on, occ.returned_on,
                                                            as_of)}


# -- who has filed what ---------------------------------------------------------------------------


def status_of(due: Day, filed_on: Day | None, accepted_on: Day | None,
              returned_on: Day | None, as_of: Day) -> str:
    """One of ``STATUSES``: accepted and returned say what the office decided (the last word);
    otherwise a filed occurrence is on time or late, an unfiled one pending or missing.  The
    days are dates, or ISO texts (which compare alike)."""
    if accepted_on is not None and (returned_on is None or accepted_on >= returned_on):
        return "accepted"
    if returned_on is not None and (filed_on is None or filed_on <= returned_on):
        return "returned"
    if filed_on is not None:
        return "on time" if filed_on <= due else "late"
    return "missing" if as_of > due else "pending"


def status(conn: Connection, run: Run, as_of: dt.date, period: str | None = None,
           filing: str | None = None, figures: bool = False) -> list[dict[str, Any]]:
    """Per filing, period and unit: due, filed on, status, the ladder's level, the document;
    with ``figures``, the figures filed with it too (None: none, or not filed by then)."""
    spec = spec_of(run)
    if spec is None:
        raise InvalidInput(f"campaign '{run.key}' has no filings",
                           "add a filings section to its definition (docs/definitions.md)")
    where = [F.c.campaign_id == run.id, F.c.opened_on <= as_of]
    if filing is not None:
        chosen = _filing(run, filing)
        where.append(F.c.filing == filing)
        if period is not None:
            try:
                period = chosen.schedule.period(period).key
            except CadenceError as exc:
                raise InvalidInput(f"--period: {exc.message}", exc.hint) from None
    if period is not None:
        where.append(F.c.period == period)
    titles = {f.key: f.title for f in spec.items}
    # the dates as ISO text, as both databases print them: compared and shown without parsing
    due, filed, accepted, returned = (cast(c, String) for c in (
        F.c.due, F.c.filed_on, F.c.accepted_on, F.c.returned_on))
    rows = conn.execute(
        select(F.c.filing, F.c.period, U.c.code, U.c.title, due, filed, accepted, returned,
               F.c.level, F.c.document_name, *((F.c.figures,) if figures else ()))
        .join(U, U.c.id == F.c.unit_id).where(and_(*where))
        .order_by(F.c.filing, F.c.due, F.c.period, U.c.path))
    day = as_of.isoformat()
    out = []
    for key, period_key, code, title, due_on, filed_on, accepted_on, returned_on, level, \
            document, *stored in rows:
        filed_on = filed_on if filed_on is not None and filed_on <= day else None
        row = {"filing": key, "title": titles.get(key, key), "period": period_key,
               "unit": code, "unit_title": title, "due": due_on, "filed_on": filed_on or "",
               "status": status_of(due_on, filed_on, _known(accepted_on, day),
                                   _known(returned_on, day), day),
               "level": level or "", "document": document or ""}
        if figures:  # what was filed with it, once it is shown as filed
            row["figures"] = stored[0] if filed_on is not None else None
        out.append(row)
    return out


def _known(day: str | None, as_of: str) -> str | None:
    return day if day is not None and day <= as_of else None


def notices(conn: Connection, run: Run) -> Iterator[dict[str, Any]]:
    """The filings' ladder notices, oldest first (those an undo withdrew left out)."""
    rows = conn.execute(
        select(FN.c.issued_on, FN.c.level, FN.c.deadline, FN.c.days_overdue, F.c.filing,
               F.c.period, U.c.code).join(F, F.c.id == FN.c.filing_id)
        .join(U, U.c.id == F.c.unit_id)
        .where(FN.c.campaign_id == run.id, FN.c.withdrawn_on.is_(None),
               ~FN.c.event_id.in_(select(UNDONE.c.event_id)))
        .order_by(FN.c.issued_on, FN.c.id))
    for r in rows:
        yield {"issued_on": r.issued_on.isoformat(), "level": r.level, "filing": r.filing,
               "period": r.period, "unit": r.code, "due": r.deadline.isoformat(),
               "days_overdue": r.days_overdue}


def replay_problems(conn: Connection, run: Run) -> list[str]:
    """Each occurrence whose stored state or version its events do not explain (audit verify):
    its state is its last event's, its version one more than its moves (all but 'open'); one
    whose last event goes to no state (its opening undone) is not stored."""
    seen: dict[int, tuple[str | None, int, str | None]] = {}
    for sid, trigger, to_state, key in conn.execute(
            select(E.c.subject_id, E.c.trigger, E.c.to_state, E.c.subject_key)
            .where(E.c.campaign_id == run.id, E.c.machine == MACHINE).order_by(E.c.id)):
        _state, moves, _key = seen.get(sid, (None, 1, key or f"#{sid}"))
        if trigger == "open":  # a new occurrence (SQLite may give it an undone opening's id)
            moves = 1
        seen[sid] = (to_state, moves + (trigger != "open"), key)
    out = []
    for row in conn.execute(select(F.c.id, F.c.state, F.c.version, subject_key().label("key"))
                            .where(F.c.campaign_id == run.id).order_by(F.c.id)):
        state, version, _key = seen.pop(row.id, (None, 1, None))
        if (state, version) != (row.state, row.version):
            out.append(f"filing {row.key}: stored {row.state} (version {row.version}), the log "
                       f"says {state or 'nothing'} (version {version})")
    out += [f"filing {key}: the log has events of an occurrence that is not stored"
            for state, _v, key in seen.values()
            if state is not None]  # an undone opening (campaigns.undo) ends with none
    return out

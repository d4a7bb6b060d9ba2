"""The accountability register (问责): outcomes decided for people and units about items.

The definition lists the outcomes (``accountability.outcomes``: 谈话提醒, 诫勉, 通报批评, 组织处理,
纪律处分 …) and whether names are published (``publish``).  A case names one outcome, the day it
was decided, the items it is about, and the people and/or units held accountable; where an item
reached the ladder's accountability rung, the case is tied to that notice.  The office records
and withdraws cases (``campaigns.duties.register_refusals``); a withdrawal is an event and the
case stays in the register, counted nowhere from that day.

Counts follow the way offices report them (seed 003: 查处案件8起，处理9人次): cases, distinct
people, and person-times (one a person a case).  Names follow the publication rule in every
output: ``confidential`` shows them only to a viewer entitled to confidential fields
(campaigns.confidential), and each such showing is recorded as a read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound, Refused
from engine.core.machines import Actor
from engine.core.moves import Edit
from engine.io.writer import apply_edits

from . import events as ev, registers
from .confidential import entitled
from .context import Scope
from .duties import register_refusals
from .i18n import _
from .records import load_records
from .runs import Run, load_run_by_id, require_forward
from .tables import (
    ACCOUNTABILITY as A,
    ACCOUNTABILITY_LINKS as AL,
    NOTICES as N,
    PEOPLE as P,
    insert_id,
)

MACHINE = "accountability"
FIELD = "sanctioned"  # the name a read of confidential names is recorded under


def settings(run: Run) -> dict[str, Any]:
    section = run.definition.sections.get("accountability")
    if not section:
        raise InvalidInput(_("campaign '{campaign}' keeps no accountability register: its "
                             "definition has no 'accountability' section").format(
                                 campaign=run.key),
                           _("add 'accountability: {outcomes: [{key, title}…], publish: ...}' "
                             "to the definition (docs/definitions.md)"))
    return dict(section)


def outcomes(run: Run) -> dict[str, str]:
    """The outcomes the definition lists, key → title, in its order."""
    section = run.definition.sections.get("accountability") or {}
    return {o["key"]: o["title"] for o in section.get("outcomes") or ()}


def public(run: Run) -> bool:
    section = run.definition.sections.get("accountability") or {}
    return bool(section.get("publish", "confidential") == "public")


def names_shown(run: Run, actor: Actor | None) -> bool:
    """Whether ``actor`` may see who was held accountable: public, or entitled."""
    return public(run) or entitled(run, actor)


def rung(run: Run) -> str | None:
    """The ladder level whose notices a case answers."""
    section = run.definition.sections.get("accountability") or {}
    levels = [lv.key for lv in run.definition.ladder.levels] if run.definition.ladder else []
    given = section.get("rung")
    if given:
        return str(given)
    return "accountability" if "accountability" in levels else None


def _subject(case_id: int) -> str:
    return f"{MACHINE}:{case_id}"


def add(scope: Scope, items: Sequence[str], people: Sequence[str], units: Sequence[str],
        outcome: str, on: dt.date | None, note: str | None) -> int:
    """Record a case; returns its id."""
    run, actor, as_of = scope.run, scope.acting, scope.as_of
    settings(run)
    require_forward(run, as_of)
    refusals = register_refusals(run.definition, actor, "accountability")
    if refusals:
        raise Refused(_("'{command}' refused: {reasons}").format(
                          command="accountability add", reasons="; ".join(refusals)),
                      _("ask the campaign's office to record it"))
    known = outcomes(run)
    if outcome not in known:
        raise InvalidInput(_("unknown outcome '{outcome}'").format(outcome=outcome),
                           _("outcomes of campaign '{campaign}': {outcomes}").format(
                               campaign=run.key,
                               outcomes=", ".join(f"{k} ({t})" for k, t in known.items())))
    day = on or as_of
    if day > as_of:
        raise InvalidInput(_("--on {day} is after the business date {today}").format(
                               day=day, today=as_of),
                           _("record a case once it has been decided"))
    if not items:
        raise InvalidInput(_("a case is about one or more items"),
                           _("give --item CODE (may repeat)"))
    return record(scope, items, people, units, outcome, day, note)


def record(scope: Scope, items: Sequence[str], people: Sequence[str], units: Sequence[str],
           outcome: str, day: dt.date, note: str | None) -> int:
    """Record a case whose outcome and day are checked (``add``; a confirmed assessment
    decision, which may be about no item); returns its id."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    if not people and not units:
        raise InvalidInput(_("a case holds people or units accountable"),
                           _("give --person KEY or --unit UNIT (each may repeat)"))
    records = load_records(conn, list(dict.fromkeys(items)), live=False)
    foreign = [r.code for r in records if r.campaign_id != run.id]
    if foreign:
        raise InvalidInput(_("{code} belongs to another campaign").format(code=foreign[0]),
                           _("give items of campaign '{campaign}'").format(campaign=run.key))
    keys = list(dict.fromkeys(people))
    found = dict(conn.execute(select(P.c.key, P.c.id).where(P.c.key.in_(keys))).all()) if keys else {}
    missing = [k for k in keys if k not in found]
    if missing:
        raise NotFound(_("unknown person '{person}'").format(person=missing[0]),
                       _("see 'rectify person list'"))
    unit_rows = [scope.tree.find(u) for u in dict.fromkeys(units)]
    notices = _rung_notices(conn, run, [r.rectification.id for r in records], day)
    ev.lock(conn, [run.key])
    case_id = insert_id(conn, insert(A).values(campaign_id=run.id, outcome=outcome,
                                               decided_on=day, version=1))
    links: list[dict[str, Any]] = []
    for r in records:
        links.append({"case_id": case_id, "person_id": None, "unit_id": None,
                      "item_id": r.item.id, "notice_id": notices.get(r.rectification.id)})
    links += [{"case_id": case_id, "person_id": found[k], "unit_id": None, "item_id": None,
               "notice_id": None} for k in keys]
    links += [{"case_id": case_id, "person_id": None, "unit_id": u.id, "item_id": None,
               "notice_id": None} for u in unit_rows]
    conn.execute(insert(AL), links)
    payload = ev.AccountabilityRecorded(outcome, day, [r.code for r in records], keys,
                                        [u.code for u in unit_rows],
                                        sorted(n for n in notices.values()))
    ev.write(conn, [ev.entry(run.key, payload, subject=_subject(case_id), actor=actor.key,
                             day=as_of, campaign_id=run.id, subject_id=case_id, note=note)])
    return case_id


def _rung_notices(conn: Connection, run: Run, rect_ids: list[int], day: dt.date) -> dict[int, int]:
    """Each rectification's latest live notice at the accountability rung issued by ``day``."""
    level = rung(run)
    if level is None or not rect_ids:
        return {}
    out: dict[int, int] = {}
    for rect_id, notice_id in conn.execute(
            select(N.c.rectification_id, N.c.id)
            .where(N.c.campaign_id == run.id, N.c.rectification_id.in_(rect_ids),
                   N.c.level == level, N.c.withdrawn_on.is_(None), N.c.issued_on <= day)
            .order_by(N.c.issued_on, N.c.id)):
        out[rect_id] = notice_id
    return out


def load_case(conn: Connection, case_id: int) -> Run:
    """The campaign of case ``case_id``."""
    campaign_id = conn.execute(select(A.c.campaign_id).where(A.c.id == case_id)).scalar()
    if campaign_id is None:
        raise NotFound(_("no accountability case {id}").format(id=case_id),
                       _("see 'rectify accountability list CAMPAIGN'"))
    return load_run_by_id(conn, int(campaign_id))


def withdraw(scope: Scope, case_id: int, reason: str | None) -> None:
    """Withdraw a case (撤销): an event; the row stays, with the day it was withdrawn."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    if not (reason or "").strip():
        raise InvalidInput(_("withdrawing a case needs a reason"), _("give --reason"))
    require_forward(run, as_of)
    refusals = register_refusals(run.definition, actor, "accountability")
    if refusals:
        raise Refused(_("withdrawing case {id} refused: {reasons}").format(
                          id=case_id, reasons="; ".join(refusals)),
                      _("ask the campaign's office"))
    row = conn.execute(select(A.c.version, A.c.withdrawn_on, A.c.decided_on)
                       .where(A.c.id == case_id, A.c.campaign_id == run.id)).first()
    if row is None:
        raise NotFound(_("no accountability case {id} in campaign '{campaign}'").format(
                           id=case_id, campaign=run.key),
                       _("see 'rectify accountability list CAMPAIGN'"))
    if row.withdrawn_on is not None:
        raise Refused(_("case {id} was withdrawn on {day}").format(
                          id=case_id, day=row.withdrawn_on),
                      _("a case is withdrawn once"))
    ev.lock(conn, [run.key])
    apply_edits(conn, {MACHINE: A}, [Edit(case_id, row.version, MACHINE, {"withdrawn_on": as_of})])
    ev.write(conn, [ev.entry(run.key, ev.AccountabilityWithdrawn(case_id),
                             subject=_subject(case_id), actor=actor.key, day=as_of,
                             campaign_id=run.id, subject_id=case_id, note=reason)])


@dataclass
class Case:
    """A case as the log tells it at a date."""

    id: int
    outcome: str
    on: dt.date
    items: list[str]
    people: list[str]  # person keys
    units: list[str]  # unit codes
    notices: list[int]
    recorded_on: dt.date
    note: str | None
    withdrawn_on: dt.date | None = None
    reason: str | None = None


def cases_at(conn: Connection, run: Run, as_of: dt.date) -> list[Case]:
    """Every case recorded by the end of ``as_of``, withdrawn ones marked, from the events."""
    out: dict[int, Case] = {}
    if not registers.kept(conn, A, run):
        return []
    for s in registers.steps(conn, run, MACHINE, as_of):
        body = s.payload
        if s.trigger == "record":
            out[s.subject_id] = Case(s.subject_id, body["outcome"],
                                     dt.date.fromisoformat(body["on"]), list(body["items"]),
                                     list(body["people"]), list(body["units"]),
                                     list(body.get("notices") or []), s.day, s.note)
        elif s.trigger == "withdraw" and s.subject_id in out:
            out[s.subject_id].withdrawn_on, out[s.subject_id].reason = s.day, s.note
    return sorted(out.values(), key=lambda c: c.id)


@dataclass
class Tally:
    """The register's figures: cases (起), distinct people (人), person-times (人次), units."""

    cases: int = 0
    people: int = 0
    person_times: int = 0
    units: int = 0
    unit_times: int = 0
    withdrawn: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)  # outcome title → cases

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "people": self.people, "person_times": self.person_times,
                "units": self.units, "unit_times": self.unit_times, "withdrawn": self.withdrawn,
                "by_outcome": dict(self.by_outcome)}


def tally(run: Run, cases: Sequence[Case], first: dt.date | None = None) -> Tally:
    """Figures of the live cases (decided on or after ``first``, when given)."""
    titles = outcomes(run)
    out = Tally()
    people: set[str] = set()
    units: set[str] = set()
    by: Counter[str] = Counter()
    for c in cases:
        if c.withdrawn_on is not None:
            out.withdrawn += 1
            continue
        if first is not None and c.on < first:
            continue
        out.cases += 1
        out.person_times += len(c.people)
        out.unit_times += len(c.units)
        people.update(c.people)
        units.update(c.units)
        by[c.outcome] += 1
    out.people, out.units = len(people), len(units)
    out.by_outcome = {titles.get(k, k): by[k] for k in [*titles, *sorted(set(by) - set(titles))]
                      if by[k]}
    return out


def summary_line(t: Tally) -> str:
    """The register's figures as a report says them."""
    return (f"问责 {t.cases} 起，涉及 {t.people} 人、{t.person_times} 人次，单位 {t.units} 个"
            + ("（" + "，".join(f"{k} {v} 起" for k, v in t.by_outcome.items()) + "）"
               if t.by_outcome else "") + "。")


def people_names(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    if not keys:
        return {}
    return dict(conn.execute(select(P.c.key, P.c.name).where(P.c.key.in_(sorted(set(keys))))).all())


HIDDEN = "（不公开）"


def rows(scope: Scope, cases: Sequence[Case], *, withdrawn: bool = True) -> list[dict[str, Any]]:
    """Cases as rows for a listing: names only where the publication rule lets this viewer
    see them, otherwise how many people (a JSON reader gets no ``people`` key at all)."""
    run = scope.run
    shown = names_shown(run, scope.actor)
    titles = outcomes(run)
    names = people_names(scope.conn, [k for c in cases for k in c.people]) if shown else {}
    out = []
    for c in cases:
        if c.withdrawn_on is not None and not withdrawn:
            continue
        row: dict[str, Any] = {"id": c.id, "outcome": titles.get(c.outcome, c.outcome),
                               "on": c.on.isoformat(), "items": " ".join(c.items)}
        if shown:
            row["people"] = "、".join(names.get(k, k) for k in c.people)
        row["person_times"] = len(c.people)
        row["units"] = "、".join(_unit_title(scope, u) for u in c.units)
        row["notices"] = len(c.notices)
        row["status"] = (f"withdrawn {c.withdrawn_on}" if c.withdrawn_on else "in effect")
        out.append(row)
    return out


def _unit_title(scope: Scope, code: str) -> str:
    unit = scope.tree.by_code.get(code)
    return unit.title if unit is not None else code


def record_names_read(scope: Scope, output: str, cases: int) -> bool:
    """A read event when confidential names were shown to an entitled viewer."""
    run = scope.run
    if public(run) or not cases or not entitled(run, scope.actor):
        return False
    assert scope.actor is not None
    ev.lock(scope.conn, [run.key])
    ev.write(scope.conn, [ev.entry(run.key, ev.ConfidentialRead(
        output, [FIELD], cases, {"as_of": scope.as_of}), subject=run.key,
        actor=scope.actor.key, day=run.latest or run.start_date, campaign_id=run.id)])
    return True


def by_item(scope: Scope) -> dict[str, str]:
    """Each item's live cases as a ledger cell: outcome and the people (names where this
    viewer may see them, else how many person-times) and units, one case a line."""
    run = scope.run
    if not run.definition.sections.get("accountability"):
        return {}
    cases = [c for c in cases_at(scope.conn, run, scope.as_of) if c.withdrawn_on is None]
    shown = names_shown(run, scope.actor)
    names = people_names(scope.conn, [k for c in cases for k in c.people]) if shown else {}
    titles = outcomes(run)
    out: dict[str, list[str]] = {}
    for c in cases:
        who = ("、".join(names.get(k, k) for k in c.people) if shown
               else f"{len(c.people)}人次" if c.people else "")
        units = "、".join(_unit_title(scope, u) for u in c.units)
        text = f"{c.on.isoformat()} {titles.get(c.outcome, c.outcome)}（" + "；".join(
            x for x in (who, units) if x) + "）"
        for code in c.items:
            out.setdefault(code, []).append(text)
    return {code: "\n".join(lines) for code, lines in out.items()}

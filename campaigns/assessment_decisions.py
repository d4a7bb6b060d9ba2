"""Decisions on a period's results: the bottom rule's proposals (末位) and publication (公示).

The bottom rule only *proposes*: the units ranked last N of their peer group, or with a
total below a threshold, each with the step its run of consecutive periods in the bottom
reached (seed 002: 警示 the first year, 待岗培训 the second); of people the same, under the
people's own rule.  A proposal takes effect when a person of an authorised role confirms it:
an event with its row, the accountability case its step names, and the notice it issues to
the unit (a person's unit, naming the person), an office notice of kind ``assessment`` listed
with the others (campaigns.office_notices).  Publication opens an objection period; results
are final once it has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound, Refused
from engine.io.writer import lock_heads

from . import events as ev
from .assessment import Period, Result, compute, parse_period, period_of, section
from .assessment_people import find_person, people_at
from .duties import OFFICE
from .i18n import _
from .names import PersonAt
from .runs import Run, require_forward
from .tables import ASSESSMENT_DECISIONS as D
from .units import UnitRow, UnitTree


def previous(period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    day = period.first - dt.timedelta(days=1)
    if period.kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if period.kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if period.kind == "half-year":
        return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")
    return parse_period(str(day.year))


def rule(run: Run, people: bool = False) -> Mapping[str, Any]:
    given = section(run, people).get("bottom")
    if not given:
        raise InvalidInput(_("campaign '{key}' has no bottom rule").format(key=run.key)
                           if not people else
                           _("campaign '{key}' has no bottom rule for people").format(key=run.key),
                           _("add 'bottom:' to its assessment (last, below, steps)"))
    return dict(given)


def bottom_units(results: Sequence[Result], last: int | None, below: float | None) -> set[int]:
    """Unit ids (person ids) in the bottom: among the last ``last`` places of a group ranking
    more than ``last`` (those tied with the last of them included; the one person a unit has is
    not its last), or with a total below ``below``."""
    out: set[int] = set()
    for res in results:
        ranked = sorted((r for r in res.rows if r.rank is not None), key=lambda r: r.rank or 0)
        if last and len(ranked) > last:
            threshold = ranked[-min(last, len(ranked))].rank or 0
            out.update(r.member for r in ranked if (r.rank or 0) >= threshold)
        if below is not None:
            out.update(r.member for r in ranked if (r.values.get("total") or 0.0) < below)
    return out


@dataclass
class Proposal:
    """A unit proposed under the bottom rule for a period."""

    unit: UnitRow
    group: str
    rank: int | None
    total: float | None
    streak: int  # consecutive periods in the bottom, this one included
    step: str
    step_title: str
    confirmed_on: dt.date | None = None
    confirmed_by: str | None = None
    outcome: str | None = None  # the accountability outcome a confirmation records
    case: int | None = None  # the accountability case it recorded
    person: PersonAt | None = None  # a person's proposal

    @property
    def member(self) -> int:
        return self.person.id if self.person is not None else self.unit.id


def proposals(conn: Connection, run: Run, period: Period, as_of: dt.date,
              tree: UnitTree, people: bool = False) -> list[Proposal]:
    """This period's proposals, each unit's (person's) streak counted back through earlier
    periods (as the log stands at ``as_of``), and whether each has been confirmed by then."""
    spec = rule(run, people)
    last, below = spec.get("last"), spec.get("below")
    steps = list(spec["steps"])
    results = compute(conn, run, period, as_of, tree, people)
    now = bottom_units(results, last, below)
    streak = {u: 1 for u in now}
    open_ = set(now)
    back = period
    for _n in range(len(steps) - 1):
        back = previous(back)
        if not open_ or back.last < run.start_date.replace(month=1, day=1):
            break
        before = bottom_units(compute(conn, run, back, as_of, tree, people), last, below)
        for u in list(open_):
            if u in before:
                streak[u] += 1
            else:
                open_.discard(u)
    whom = D.c.person_id if people else D.c.unit_id
    confirmed = {row[0]: row for row in conn.execute(
        select(whom, D.c.actor, D.c.decided_on)
        .where(D.c.campaign_id == run.id, D.c.period == period.key, D.c.kind == "bottom",
               D.c.decided_on <= as_of,
               D.c.person_id.is_not(None) if people else D.c.person_id.is_(None)))}
    out = []
    for res in results:
        for r in res.rows:
            if r.member not in now:
                continue
            step = steps[min(streak[r.member], len(steps)) - 1]
            done = confirmed.get(r.member)
            out.append(Proposal(r.unit, res.group.title, r.rank, r.values.get("total"),
                                streak[r.member], str(step["key"]), str(step["title"]),
                                done.decided_on if done else None, done.actor if done else None,
                                step.get("outcome"), person=r.person))
    return out


def _record(scope: Any, period: Period, payload: ev.Payload, subject: str, row: dict[str, Any],
            note: str | None) -> None:
    conn, run = scope.conn, scope.run
    heads = lock_heads(conn, [run.key])
    ev.write(conn, [ev.entry(run.key, payload, subject=subject, actor=scope.acting.key,
                             day=scope.as_of, campaign_id=run.id, note=note)])
    conn.execute(insert(D).values(campaign_id=run.id, period=period.key, actor=scope.acting.key,
                                  decided_on=scope.as_of, seq=heads[run.key][0] + 1, **row))


def _authorised(run: Run, actor: Any, roles: Sequence[str] | None, what: str) -> None:
    if actor.is_system:
        return
    may = list(roles or [r.key for r in run.definition.roles.values() if r.side == OFFICE])
    if not set(actor.roles) & set(may):
        raise Refused(_("'{actor}' may not {what} (roles that may: {roles})").format(
            actor=actor.key, what=what, roles=", ".join(may) or _("none")),
            _("ask a person holding one of those roles"))


def confirm(scope: Any, period_text: str, who: str, note: str | None, people: bool = False,
            unit_text: str = "") -> Proposal:
    """Confirm the proposal for one unit (or person: by key, or by name within
    ``unit_text``): an event with its row, the accountability case its step names, and the
    notice it issues (``bottom-notice``)."""
    conn, run = scope.conn, scope.run
    period = period_of(run, period_text)
    require_forward(run, scope.as_of)
    spec = rule(run, people)
    _authorised(run, scope.acting, spec.get("by"), _("confirm a bottom-rule proposal"))
    if people:
        person: PersonAt | None = find_person(people_at(conn, scope.as_of), scope.tree, who,
                                              unit_text)
        assert person is not None
        member, label = person.id, person.key
    else:
        person = None
        unit = scope.tree.find(who)
        member, label = unit.id, unit.code
    found = [p for p in proposals(conn, run, period, scope.as_of, scope.tree, people)
             if p.member == member]
    if not found:
        raise NotFound(_("{unit} is not proposed under the bottom rule for {period}").format(
            unit=label, period=period.key), _("see 'rectify assess bottom'"))
    p = found[0]
    if p.confirmed_on is not None:
        raise Refused(_("the proposal for {unit} was confirmed on {day} by {actor}").format(
            unit=label, day=p.confirmed_on, actor=p.confirmed_by),
            _("a proposal is confirmed once"))
    key = person.key if person else None
    subject = f"assessment:{period.key}:" + (f"person:{key}" if key else p.unit.code)
    _record(scope, period, ev.BottomConfirmed(p.unit.code, period.key, p.step, p.rank, p.total,
                                              p.streak, key),
            subject, {"kind": "bottom", "unit_id": p.unit.id,
                      "person_id": person.id if person else None, "step": p.step}, note)
    p.confirmed_on, p.confirmed_by = scope.as_of, scope.acting.key
    if p.outcome and run.definition.sections.get("accountability"):
        from .accountability import record

        p.case = record(scope, [], [key] if key else [], [] if key else [p.unit.code],
                        p.outcome, scope.as_of,
                        note or f"{period.key} 考核末位：{p.step_title}")
    ev.write(conn, [ev.entry(run.key, ev.BottomNoticed(p.unit.code, period.key, p.step,
                                                       p.streak, p.group, key),
                             subject=subject, actor=scope.acting.key, day=scope.as_of,
                             campaign_id=run.id, note=note, rule=NOTICE_RULE)])
    return p


NOTICE_RULE = "assessment.bottom"  # what a site's send rules name to deliver the notices


def publish(scope: Any, period_text: str, days: int, note: str | None) -> dt.date:
    """Publish a period's results (公示) for objections for ``days`` calendar days; returns
    the last day objections are taken."""
    run = scope.run
    period = period_of(run, period_text)
    require_forward(run, scope.as_of)
    _authorised(run, scope.acting, None, _("publish results"))
    if days < 1:
        raise InvalidInput(_("an objection period of {days} days").format(days=days),
                           _("give --days 1 or more (e.g. 5)"))
    if scope.as_of <= period.last:
        raise InvalidInput(_("period {period} has not ended on {as_of}").format(
            period=period.key, as_of=scope.as_of), _("publish results once the period is over"))
    until: dt.date = scope.as_of + dt.timedelta(days=days)
    _record(scope, period, ev.ResultsPublished(period.key, until), f"assessment:{period.key}",
            {"kind": "publish", "until": until}, note)
    return until


def status(conn: Connection, run: Run, period: Period, as_of: dt.date) -> dict[str, Any]:
    """Whether results are a draft, published and open to objections, or final, at ``as_of``."""
    row = conn.execute(select(D.c.decided_on, D.c.until)
                       .where(D.c.campaign_id == run.id, D.c.period == period.key,
                              D.c.kind == "publish", D.c.decided_on <= as_of)
                       .order_by(D.c.seq.desc()).limit(1)).first()
    if row is None:
        return {"status": "draft"}
    state = "final" if as_of > row.until else "published"
    return {"status": state, "published_on": row.decided_on.isoformat(),
            "objections_until": row.until.isoformat()}

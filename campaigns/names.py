"""Units and people as they stood at the end of a business date: the one reducer of the site log.

A unit renamed on 2015-10-10 was called by its old name in September: every view of a past date
(``--as-of``, a past month's report) asks ``site_at`` for the names, so the September report
still shows the old name.  The state at the end of date D is each unit's or person's adding
event (whatever its date: a unit added today to record an old campaign existed then) followed
by its other events dated D or earlier, in the order written.  When no change but an adding is
dated after D, the state tables already hold that state and are read instead (the fast path;
tests hold the replay to the tables).  A unit or person no event records (a database older
than the site log) keeps its row's values.

Codes and keys never change, so events name units and people by them; ids come from the tables.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from .tables import PEOPLE as P, SITE_EVENTS as SE, UNITS as U

T = TypeVar("T")


@dataclass(frozen=True)
class UnitAt:
    id: int
    code: str
    title: str
    kind: str | None
    parent_id: int | None
    ended_on: dt.date | None = None
    merged_into: int | None = None


@dataclass(frozen=True)
class PersonAt:
    id: int
    key: str
    name: str
    unit_id: int | None
    title: str | None
    roles: tuple[str, ...]
    active: bool = True
    left_on: dt.date | None = None


@dataclass
class SiteAt:
    """What every view of a date names units and people by."""

    as_of: dt.date | None
    units: dict[int, UnitAt] = field(default_factory=dict)
    people: dict[int, PersonAt] = field(default_factory=dict)
    replayed: bool = False

    def person_names(self) -> dict[int, str]:
        return {p.id: p.name for p in self.people.values()}


def changed_after(conn: Connection, as_of: dt.date, machine: str | None = None) -> bool:
    """Whether a change to a unit or person (not an adding; ``machine``: of that kind alone)
    is dated after ``as_of``."""
    query = select(SE.c.id).where(SE.c.business_date > as_of, SE.c.trigger != "add")
    if machine is not None:
        query = query.where(SE.c.machine == machine)
    return conn.execute(query.limit(1)).first() is not None


def site_at(conn: Connection, as_of: dt.date | None = None, *, replay: bool = False,
            with_people: bool = True, with_units: bool = True) -> SiteAt:
    """Units and people at the end of ``as_of`` (None: now); ``replay`` forces the log;
    ``with_people`` or ``with_units`` False: the other alone (a unit tree, people's names); the
    units' codes are read in any case, as events name units by them."""
    units = conn.execute(select(U.c.id, U.c.code, U.c.title, U.c.kind, U.c.parent_id,
                                U.c.ended_on, U.c.merged_into)).all() if with_units else \
        conn.execute(select(U.c.id, U.c.code)).all()
    people = conn.execute(select(P.c.id, P.c.key, P.c.name, P.c.unit_id, P.c.title, P.c.roles,
                                 P.c.active, P.c.left_on)).all() if with_people else []
    tables = SiteAt(as_of, {r.id: UnitAt(r.id, r.code, r.title, r.kind, r.parent_id, r.ended_on,
                                         r.merged_into) if with_units else
                            UnitAt(r.id, r.code, "", None, None) for r in units},
                    {r.id: PersonAt(r.id, r.key, r.name, r.unit_id, r.title,
                                    tuple((r.roles or "").split()), bool(r.active), r.left_on)
                     for r in people})
    if not replay and (as_of is None or not changed_after(conn, as_of)):
        return tables
    query = select(SE.c.machine, SE.c.trigger, SE.c.subject_id, SE.c.business_date, SE.c.payload)
    if not with_people:
        query = query.where(SE.c.machine == "unit")
    elif not with_units:
        query = query.where(SE.c.machine == "person")
    events = conn.execute(query.order_by(SE.c.id))
    return reduce(tables, events, as_of)


def person_names_at(conn: Connection, as_of: dt.date) -> dict[int, str]:
    """People's names (by id) at the end of ``as_of``: what views print for 责任领导/责任人.

    The replay's answer, read from the other end: a person's changes are dated in the order
    they were written (``units.effective_day``), so the name at the end of ``as_of`` is the
    old name of the first later change of it, else today's; only the later events are read
    (tests hold it to ``site_at``)."""
    names = {pid: name for pid, name in conn.execute(select(P.c.id, P.c.name))}
    seen: set[int] = set()
    for sid, payload in conn.execute(
            select(SE.c.subject_id, SE.c.payload)
            .where(SE.c.business_date > as_of, SE.c.machine == "person", SE.c.trigger == "edit")
            .order_by(SE.c.id)):
        old = (payload or {}).get("old") or {}
        if sid in names and sid not in seen and "name" in old:
            names[sid] = old["name"]
            seen.add(sid)
    return names


def reduce(tables: SiteAt, events: Iterable[Any], as_of: dt.date | None) -> SiteAt:
    """The units and people ``events`` (machine, trigger, subject id, date, payload; in the
    order written) give at the end of ``as_of``; ``tables`` give the ids of codes and keys, and
    the values of what no event records."""
    unit_ids = {u.code: u.id for u in tables.units.values()}
    out = SiteAt(as_of, dict(tables.units), dict(tables.people), True)
    for machine, trigger, sid, day, payload in events:
        if sid is None or (trigger != "add" and as_of is not None and day > as_of):
            continue
        p: Mapping[str, Any] = payload or {}
        if machine == "unit" and sid in out.units:
            out.units[sid] = _unit(out.units[sid], trigger, day, p, unit_ids)
        elif machine == "person" and sid in out.people:
            out.people[sid] = _person(out.people[sid], trigger, day, p, unit_ids)
    return out


def _unit(u: UnitAt, trigger: str, day: dt.date, p: Mapping[str, Any],
          ids: Mapping[str, int]) -> UnitAt:
    if trigger == "add":
        return replace(u, title=p.get("title", u.title), kind=p.get("kind"),
                       parent_id=ids.get(p["parent"]) if p.get("parent") else None,
                       ended_on=None, merged_into=None)
    if trigger == "edit":
        new = p.get("new") or {}
        if "title" in new:
            u = replace(u, title=new["title"])
        if "kind" in new:
            u = replace(u, kind=new["kind"])
        if "parent" in new:
            u = replace(u, parent_id=ids.get(new["parent"]) if new["parent"] else None)
        return u
    if trigger == "merge":
        return replace(u, ended_on=day, merged_into=ids.get(p.get("into") or ""))
    if trigger == "dissolve":
        return replace(u, ended_on=day)
    return u


def _person(r: PersonAt, trigger: str, day: dt.date, p: Mapping[str, Any],
            ids: Mapping[str, int]) -> PersonAt:
    if trigger in ("add", "edit"):
        new = p if trigger == "add" else (p.get("new") or {})
        if "name" in new:
            r = replace(r, name=new["name"])
        if "unit" in new:
            r = replace(r, unit_id=ids.get(new["unit"]) if new["unit"] else None)
        if "title" in new:
            r = replace(r, title=new["title"])
        if "roles" in new:
            r = replace(r, roles=tuple(sorted(new["roles"] or ())))
        if trigger == "add":
            r = replace(r, active=True, left_on=None)
        return r
    if trigger == "deactivate":
        return replace(r, active=False)
    if trigger == "leave":
        return replace(r, active=False, left_on=day)
    if trigger == "return":
        return replace(r, active=True, left_on=None)
    return r


class ByDate(Generic[T]):
    """Something built from the names of a date (a unit tree, people's names), for many dates
    (a list of notices, each named as of its day): built once per span between two days on
    which ``machine`` changed, since every date of a span has the same names."""

    def __init__(self, conn: Connection, machine: str, build: Callable[[dt.date], T]) -> None:
        self.build = build
        self.days = sorted(set(conn.execute(
            select(SE.c.business_date).where(SE.c.machine == machine, SE.c.trigger != "add")
            .distinct()).scalars()))
        self.built: dict[int, T] = {}

    def __call__(self, day: dt.date) -> T:
        span = bisect.bisect_right(self.days, day)
        if span not in self.built:
            self.built[span] = self.build(day)
        return self.built[span]

"""An item with its rectification, loaded together: what guards see and triggers move."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from engine.core.errors import NotFound, Refused
from engine.io.store import Prepared

from .duties import ancestor_paths
from .i18n import _, ngettext
from .runs import HEAD, Head
from .tables import CAMPAIGNS as C, ITEMS as I, RECTIFICATIONS as R, UNITS as U

_T = TypeVar("_T")


@dataclass
class ItemState:
    id: int
    state: str
    version: int
    closed_on: dt.date | None
    reopen_count: int
    entered_on: dt.date
    retired_on: dt.date | None = None  # an undo of its creation retired it (campaigns.undo)


@dataclass
class RectState:
    id: int
    state: str
    version: int
    deadline: dt.date | None
    returns: int
    submitted_on: dt.date | None
    completed_on: dt.date | None
    entered_on: dt.date
    level: str | None
    level_base: dt.date | None
    requested_deadline: dt.date | None


@dataclass(frozen=True)
class Responsible:
    """The people a judge may not be: who leads and does the rectification, who submitted it."""

    leader: str | None
    person: str | None
    submitter: str | None


@dataclass
class Record:
    """One problem item and its rectification, the two subjects of a definition's machines."""

    code: str
    campaign_id: int
    unit_path: str
    item: ItemState
    rectification: RectState
    campaign: Head | None = None  # its campaign's head, when read in the same statement
    # the kinds along unit_path once read, and what reads them (not part of what a record is)
    kinds: tuple[str | None, ...] | None = field(default=None, compare=False, repr=False)
    loader: Callable[[Record], tuple[str | None, ...]] | None = field(default=None, compare=False,
                                                                     repr=False)
    # who answers for it and who last asked to close it, read when a duty first asks
    people: Responsible | None = field(default=None, compare=False, repr=False)
    people_loader: Callable[[Record], Responsible] | None = field(default=None, compare=False,
                                                                  repr=False)

    @property
    def responsible(self) -> Responsible:
        """The 责任领导, the 责任人 and the last submitter (person keys): read on first ask."""
        if self.people is None:
            self.people = (self.people_loader(self) if self.people_loader is not None
                           else Responsible(None, None, None))
        return self.people

    @property
    def unit_kinds(self) -> tuple[str | None, ...]:
        """The kinds of the units on ``unit_path``, root first: read when a guard first asks
        (most steps never do), for every record loaded with this one at once."""
        if self.kinds is None:
            self.kinds = self.loader(self) if self.loader is not None else ()
        return self.kinds

    def subject(self, machine: str) -> Any:
        return self.item if machine == "item" else self.rectification

    def copy(self) -> Record:
        """A working copy for the planner: its subjects may move, this record's do not."""
        work = _clone(self)
        work.item, work.rectification = _clone(self.item), _clone(self.rectification)
        return work


def _clone(obj: _T) -> _T:
    """A shallow copy of a plain dataclass: a fifth of ``dataclasses.replace``'s cost."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


_ITEM_COLS = [I.c[f.name] for f in fields(ItemState)]
_RECT_COLS = [R.c[f.name].label(f"r_{f.name}") for f in fields(RectState)]
_JOINS = I.join(R, R.c.item_id == I.c.id).join(U, U.c.id == I.c.unit_id)
_COLUMNS = (I.c.code, I.c.campaign_id, U.c.path, *_ITEM_COLS, *_RECT_COLS)
# One item (the common case) comes with its campaign's head, saving a statement; many items
# come without (the head's latest-date subquery per row would double the read) and their
# campaigns are read once each.
_ONE = Prepared(select(*_COLUMNS, *HEAD).select_from(_JOINS.join(C, C.c.id == I.c.campaign_id))
                .where(I.c.code == bindparam("code")))
_MANY = select(*_COLUMNS).select_from(_JOINS).where(I.c.code.in_(bindparam("codes", expanding=True)))
_I, _R = len(_ITEM_COLS), len(_RECT_COLS)
_SLOTS = 16  # unit paths per read: a tree deeper than this takes two
_KINDS = Prepared(select(U.c.path, U.c.kind)
                  .where(U.c.path.in_([bindparam(f"p{i}") for i in range(_SLOTS)])))


def load_records(conn: Connection, codes: list[str], *, live: bool = True) -> list[Record]:
    """Records for ``codes`` in the order given; every unknown code is named at once.

    An item an undo retired takes no further change: with ``live`` (every command that
    changes an item) it is refused, saying so; views and undo pass ``live=False``.
    """
    found: dict[str, Record] = {}
    for chunk in range(0, len(codes), 500):
        part = codes[chunk:chunk + 500]
        rows = (_ONE.rows(conn, {"code": part[0]}) if len(part) == 1
                else conn.execute(_MANY, {"codes": part}))
        for row in rows:
            found[row[0]] = Record(row[0], row[1], row[2], ItemState(*row[3:3 + _I]),
                                   RectState(*row[3 + _I:3 + _I + _R]),
                                   Head(*row[3 + _I + _R:]) if len(row) > 3 + _I + _R else None)
    batch = list(found.values())

    def load_kinds(record: Record) -> tuple[str | None, ...]:
        _add_unit_kinds(conn, [r for r in (*batch, record) if r.kinds is None])
        return record.kinds or ()

    for record in batch:
        record.loader = load_kinds
        record.people_loader = functools.partial(_responsible, conn)
    missing = [c for c in codes if c not in found]
    if missing:
        from .filters import closest_codes

        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise NotFound(ngettext("unknown item code: {codes}", "unknown item codes: {codes}",
                                len(missing)).format(codes=shown), closest_codes(conn, missing[0]))
    retired = [r for r in batch if r.item.retired_on is not None] if live else []
    if retired:
        first = retired[0]
        raise Refused(_("{code} was withdrawn by an undo of its recording on {retired_on}: it counts nowhere "
                        "and takes no further change").format(
                            code=first.code, retired_on=first.item.retired_on),
                      _("record the problem again with 'rectify item add' (it gets a new code); see 'rectify "
                        "item show CODE' for its history"))
    return [found[c] for c in codes]


def _responsible(conn: Connection, record: Record) -> Responsible:
    """Read only for a judging step by a person: never on the clock's paths."""
    from sqlalchemy import desc
    from sqlalchemy.orm import aliased

    from .tables import EVENTS as E, PEOPLE as P

    leader, person = aliased(P), aliased(P)
    row = conn.execute(select(leader.c.key, person.c.key).select_from(
        R.outerjoin(leader, leader.c.id == R.c.leader_id)
        .outerjoin(person, person.c.id == R.c.person_id))
        .where(R.c.id == record.rectification.id)).first()
    submitter = conn.execute(select(E.c.actor).where(
        E.c.item_id == record.item.id, E.c.machine == "rectification", E.c.trigger == "submit")
        .order_by(desc(E.c.id)).limit(1)).scalar()
    return Responsible(row[0] if row else None, row[1] if row else None, submitter)


def _add_unit_kinds(conn: Connection, records: list[Record]) -> None:
    """The kinds along each record's unit path, which decide the unit that rectifies it.

    The paths are known from the records, so this is an indexed read of a few rows, prepared
    like the record's own (an expanding IN list would cost ~4 times as much per command).
    """
    wanted = sorted({p for path in {r.unit_path for r in records} for p in ancestor_paths(path)})
    kinds: dict[str, str | None] = {}
    for start in range(0, len(wanted), _SLOTS):
        chunk = wanted[start:start + _SLOTS]
        kinds.update(_KINDS.rows(conn, {f"p{i}": chunk[i] if i < len(chunk) else None
                                        for i in range(_SLOTS)}))
    for record in records:
        record.kinds = tuple(kinds.get(p) for p in ancestor_paths(record.unit_path))

"""The unit tree (county → department/township → office) and finding a unit by what users type."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import EngineError, InvalidInput, NotFound, Refused

from .admins import require_admin
from .events import (
    Origin,
    PersonEdited,
    UnitAdded,
    UnitDissolved,
    UnitEdited,
    UnitMerged,
    site_entry,
    write_site,
)
from .i18n import _
from .tables import UNITS as U, insert_id

if TYPE_CHECKING:
    from .tabular import Row

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SITE_TIMEZONE = "Asia/Shanghai"


def site_today() -> dt.date:
    """The business date of a site change made without --as-of."""
    from .dates import today

    return today(SITE_TIMEZONE)


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    title: str
    kind: str | None
    parent_id: int | None
    path: str
    depth: int
    ended_on: dt.date | None = None  # merged into another (``merged_into``) or dissolved
    merged_into: int | None = None


class UnitTree:
    """All units in memory: a county has at most a few thousand, and lookups need the tree."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.by_id = {r.id: UnitRow(r.id, r.code, r.title, r.kind, r.parent_id, r.path, r.depth,
                                    getattr(r, "ended_on", None), getattr(r, "merged_into", None))
                      for r in rows}
        self.by_code = {u.code: u for u in self.by_id.values()}
        self.later: UnitTree | None = None  # today's tree, when this one is of a past date

    @classmethod
    def load(cls, conn: Connection) -> UnitTree:
        return cls(conn.execute(select(U)).all())

    @classmethod
    def at(cls, conn: Connection, as_of: dt.date) -> UnitTree:
        """The tree at the end of ``as_of`` (``campaigns.names``): titles and parents as they
        were then, so a view of that date names units as its readers knew them.  A unit is
        also found by today's title."""
        from .names import changed_after, site_at

        if not changed_after(conn, as_of, "unit"):
            return cls.load(conn)
        units = site_at(conn, as_of, replay=True, with_people=False).units
        rows = []
        for u in units.values():
            codes: list[str] = []
            node, seen = u, set()
            while node is not None and node.id not in seen:
                seen.add(node.id)
                codes.append(node.code)
                node = units.get(node.parent_id) if node.parent_id else None  # type: ignore[assignment]
            rows.append(UnitRow(u.id, u.code, u.title, u.kind, u.parent_id,
                                "/" + "/".join(reversed(codes)), len(codes) - 1, u.ended_on,
                                u.merged_into))
        tree = cls(rows)
        tree.later = cls.load(conn)
        return tree

    def live(self, unit: UnitRow) -> bool:
        return unit.ended_on is None

    def title_path(self, unit: UnitRow) -> str:
        parts = []
        node: UnitRow | None = unit
        while node is not None:
            parts.append(node.title)
            node = self.by_id.get(node.parent_id) if node.parent_id else None
        return "/".join(reversed(parts))

    def chain(self, unit: UnitRow) -> list[UnitRow]:
        """The units from the root down to ``unit`` itself."""
        out = [unit]
        while out[-1].parent_id and out[-1].parent_id in self.by_id:
            out.append(self.by_id[out[-1].parent_id])
        return out[::-1]

    def unique_name(self, unit: UnitRow) -> str:
        """The unit's title, or the shortest tail of its title path no other unit shares
        ('县财政局/办公室' where two 办公室 exist): a name a reader cannot take for another."""
        titles = [u.title for u in self.chain(unit)]
        others = [[u.title for u in self.chain(o)] for o in self.by_id.values()
                  if o.title == unit.title and o.id != unit.id]
        for n in range(1, len(titles) + 1):
            if all(o[-n:] != titles[-n:] for o in others):
                return "/".join(titles[-n:])
        return "/".join(titles)

    def find(self, text: str) -> UnitRow:
        """By code, by title when unique, or by a path of titles ('财政局/办公室'); in a tree of
        a past date, also by today's title."""
        try:
            return self._find(text)
        except NotFound:
            if self.later is None:
                raise
            try:
                found = self.by_id.get(self.later._find(text).id)
            except EngineError:
                found = None
            if found is None:
                raise
            return found

    def _find(self, text: str) -> UnitRow:
        text = text.strip()
        if text in self.by_code:
            return self.by_code[text]
        parts = [p for p in text.split("/") if p]
        if not parts:
            raise InvalidInput(_("empty unit name"), _("give a unit code or title"))
        matches = [u for u in self.by_id.values()
                   if u.title == parts[-1] and self._ancestors_match(u, parts[:-1])]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            import difflib

            names = list(self.by_code) + [u.title for u in self.by_id.values()]
            close = difflib.get_close_matches(parts[-1], names, n=1)
            raise NotFound(_("unknown unit '{text}'").format(text=text),
                           _("did you mean '{value}'?").format(
                               value=close[0]) if close else _("see 'rectify unit list'"))
        options = ", ".join(f"{self.title_path(u)} ({u.code})" for u in matches[:5])
        raise InvalidInput(_("unit '{text}' is ambiguous: {count} units have that title").format(
            text=text, count=len(matches)),
                           _("give its code or path: {options}").format(options=options))

    def _ancestors_match(self, unit: UnitRow, titles: list[str]) -> bool:
        node = unit
        for title in reversed(titles):
            parent = self.by_id.get(node.parent_id) if node.parent_id else None
            while parent is not None and parent.title != title:
                parent = self.by_id.get(parent.parent_id) if parent.parent_id else None
            if parent is None:
                return False
            node = parent
        return True

    def reload(self, conn: Connection) -> None:
        """Read the tree again after a change (an import's next row finds the new state)."""
        fresh = UnitTree.load(conn)
        self.by_id, self.by_code = fresh.by_id, fresh.by_code

    def subtree_ids(self, unit: UnitRow) -> list[int]:
        prefix = unit.path + "/"
        return [u.id for u in self.by_id.values() if u.id == unit.id or u.path.startswith(prefix)]


def add_unit(conn: Connection, tree: UnitTree, code: str, title: str, parent: str | None,
             kind: str | None = None, *, actor: str | None, day: dt.date | None = None,
             origin: Origin | None = None) -> UnitRow:
    """Add a unit and record it in the site log as done by ``actor``, who must be an
    administrator (``origin``: the imported file's row)."""
    actor = require_admin(conn, actor)
    if not CODE.fullmatch(code):
        raise InvalidInput(_("unit code '{code}' is not valid").format(code=code),
                           _("use letters, digits, '-', '_' or '.', e.g. czj or xc-01"))
    if code in tree.by_code:
        raise InvalidInput(_("unit code '{code}' already exists").format(code=code), _("choose another code"))
    if not title.strip():
        raise InvalidInput(_("a unit needs a title"), _("give --title"))
    parent_row = tree.find(parent) if parent else None
    if parent_row is not None:
        require_live(parent_row, tree)
    path = (parent_row.path if parent_row else "") + "/" + code
    depth = parent_row.depth + 1 if parent_row else 0
    uid = insert_id(conn, insert(U).values(code=code, title=title.strip(), kind=kind,
                                           parent_id=parent_row.id if parent_row else None,
                                           path=path, depth=depth))
    row = UnitRow(uid, code, title.strip(), kind, parent_row.id if parent_row else None, path, depth)
    write_site(conn, [site_entry(UnitAdded(title.strip(), parent_row.code if parent_row else None,
                                           kind, origin),
                                 subject=code, actor=actor, day=day or site_today(), subject_id=uid)])
    tree.by_id[uid] = row
    tree.by_code[code] = row
    return row


def effective_day(conn: Connection, machine: str, subject_id: int, day: dt.date | None) -> dt.date:
    """The date a change to a unit or person takes effect (default: today): never ahead of
    today, and never before the subject's latest change (its history moves forward, so a view
    of any date has one answer)."""
    from sqlalchemy import func

    from .tables import SITE_EVENTS as SE

    today = site_today()
    day = day or today
    if day > today:
        raise InvalidInput(_("{day} is after today ({today}): a change takes effect when it is "
                             "recorded").format(day=day, today=today),
                           _("record it on the day, or give --on {today} or earlier").format(
                               today=today))
    latest = conn.execute(select(func.max(SE.c.business_date)).where(
        SE.c.machine == machine, SE.c.subject_id == subject_id, SE.c.trigger != "add")).scalar()
    if latest is not None and day < latest:
        said = (_("{day} is before this unit's latest change ({latest})") if machine == "unit"
                else _("{day} is before this person's latest change ({latest})"))
        raise InvalidInput(said.format(day=day, latest=latest),
                           _("changes only move forward: give --on {latest} or later").format(
                               latest=latest))
    return day


def require_live(unit: UnitRow, tree: UnitTree) -> None:
    """Refuse a unit merged or dissolved (by the tree's date): it takes no new items, people,
    units under it or changes."""
    if unit.ended_on is not None:
        into = tree.by_id.get(unit.merged_into) if unit.merged_into else None
        raise InvalidInput(
            _("unit '{code}' was merged into '{into}' on {day}").format(
                code=unit.code, into=into.code, day=unit.ended_on) if into else
            _("unit '{code}' was dissolved on {day}").format(code=unit.code, day=unit.ended_on),
            _("use a unit that still exists; see 'rectify unit list'"))


def edit_unit(conn: Connection, tree: UnitTree, code: str, *, title: str | None = None,
              parent: str | None = None, kind: str | None = None, actor: str | None,
              day: dt.date | None = None, origin: Origin | None = None,
              ) -> dict[str, tuple[Any, Any]]:
    """Rename unit ``code`` (``title``), move it under ``parent`` ('' for the top) or change its
    kind, from ``day`` on, as the administrator ``actor``: one ``unit edited`` event with the
    old and new values.  Items keep their unit (they point at it, not at its name), and views
    of earlier dates show the old name (``campaigns.names``).  Returns field → (old, new) of
    what changed; nothing changed: nothing written."""
    actor = require_admin(conn, actor)
    unit = tree.find(code)
    require_live(unit, tree)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if title is not None:
        if not title.strip():
            raise InvalidInput(_("a unit needs a title"), _("give a --name that is not empty"))
        if title.strip() != unit.title:
            old["title"] = unit.title
            new["title"] = values["title"] = title.strip()
    parent_row = tree.find(parent) if parent else None  # '': the top of the tree
    if parent is not None and (parent_row.id if parent_row else None) != unit.parent_id:
        if parent_row is not None:
            require_live(parent_row, tree)
            if parent_row.id in tree.subtree_ids(unit):
                raise InvalidInput(
                    _("unit '{code}' cannot be moved under '{parent}': that is {code} itself or "
                      "a unit under it").format(code=unit.code, parent=parent_row.code),
                    _("give a --parent outside its subtree"))
        was = tree.by_id.get(unit.parent_id) if unit.parent_id else None
        old["parent"] = was.code if was else None
        new["parent"] = parent_row.code if parent_row else None
        values["parent_id"] = parent_row.id if parent_row else None
    if kind is not None and (kind or None) != unit.kind:
        old["kind"] = unit.kind
        new["kind"] = values["kind"] = kind or None
    if not new:
        return {}
    day = effective_day(conn, "unit", unit.id, day)
    _write_unit(conn, tree, unit, values)
    write_site(conn, [site_entry(UnitEdited(old, new, origin), subject=unit.code, actor=actor,
                                 day=day, subject_id=unit.id)])
    tree.reload(conn)
    return {k: (old[k], new[k]) for k in new}


def _write_unit(conn: Connection, tree: UnitTree, unit: UnitRow, values: Mapping[str, Any]) -> None:
    """The unit's row changed through the writer's versioned edit; a new parent gives it and
    every unit under it a new path."""
    from engine.core.moves import Edit
    from engine.io.writer import apply_edits

    from .events import lock
    from .tables import SITE

    lock(conn, [SITE])  # the chain head first: the writers' one lock order
    versions = dict(conn.execute(select(U.c.id, U.c.version)).all())
    first = dict(values)
    edits = [Edit(unit.id, versions[unit.id], "unit", first)]
    if "parent_id" in values:
        parent = tree.by_id.get(values["parent_id"]) if values["parent_id"] else None
        path = (parent.path if parent else "") + "/" + unit.code
        depth = parent.depth + 1 if parent else 0
        first.update(path=path, depth=depth)
        for uid in tree.subtree_ids(unit):
            if uid != unit.id:
                below = tree.by_id[uid]
                edits.append(Edit(uid, versions[uid], "unit",
                                  {"path": path + below.path[len(unit.path):],
                                   "depth": below.depth - unit.depth + depth}))
        # a unique path may not be taken twice mid-way: move the subtree aside, then in place
        apply_edits(conn, {"unit": U}, [Edit(e.subject_id, e.version, "unit",
                                             {"path": f"#{e.subject_id}"}) for e in edits])
        edits = [Edit(e.subject_id, e.version + 1, "unit", e.changes) for e in edits]
    apply_edits(conn, {"unit": U}, edits)


def merge_unit(conn: Connection, tree: UnitTree, code: str, into: str, *, actor: str | None,
               day: dt.date | None = None, note: str | None = None) -> dict[str, Any]:
    """Merge unit ``code`` into ``into`` (机构改革) from ``day`` on, as the administrator
    ``actor``: its open items move there (an ``item moved`` event each), its active people
    join it (a ``person edited`` each), and the unit ends (``unit merged``), kept for history."""
    from .handover import move_items, open_items

    actor = require_admin(conn, actor)
    unit, target = tree.find(code), tree.find(into)
    if unit.id == target.id:
        raise InvalidInput(_("unit '{code}' cannot be merged into itself").format(code=unit.code),
                           _("give --into another unit"))
    if target.id in tree.subtree_ids(unit):
        raise InvalidInput(_("unit '{code}' cannot be merged into '{into}', a unit under it")
                           .format(code=unit.code, into=target.code),
                           _("merge '{into}' into '{code}' instead, or give another --into")
                           .format(code=unit.code, into=target.code))
    require_live(unit, tree)
    require_live(target, tree)
    _require_no_live_children(tree, unit)
    day = effective_day(conn, "unit", unit.id, day)
    items = open_items(conn, unit_ids=[unit.id])
    said = note or _("unit {code} merged into {into}").format(code=unit.code, into=target.code)
    move_items(conn, items, unit.code, target.id, target.code, actor=actor, day=day, note=said)
    moved_people = _move_people(conn, unit, target, actor=actor, day=day)
    _write_unit(conn, tree, unit, {"ended_on": day, "merged_into": target.id})
    write_site(conn, [site_entry(UnitMerged(target.code, [it.code for it in items]),
                                 subject=unit.code, actor=actor, day=day, subject_id=unit.id,
                                 note=note)])
    tree.reload(conn)
    return {"unit": unit.code, "into": target.code, "items": [it.code for it in items],
            "people": moved_people}


def dissolve_unit(conn: Connection, tree: UnitTree, code: str, *, actor: str | None,
                  day: dt.date | None = None, note: str | None = None) -> None:
    """Dissolve unit ``code`` from ``day`` on: refused while it has open items, units under it
    or active people (each must go somewhere first); the unit is kept for history."""
    from .handover import open_items
    from .tables import PEOPLE as P

    actor = require_admin(conn, actor)
    unit = tree.find(code)
    require_live(unit, tree)
    _require_no_live_children(tree, unit)
    items = open_items(conn, unit_ids=[unit.id])
    if items:
        codes = ", ".join(it.code for it in items[:5]) + (" …" if len(items) > 5 else "")
        raise Refused(_("unit '{code}' still has {n} open item(s): {codes}").format(
                          code=unit.code, n=len(items), codes=codes),
                      _("merge it into another unit (rectify unit edit {code} --into OTHER), or "
                        "move its items first (rectify item move CODE --to UNIT)").format(
                          code=unit.code))
    people = [r.key for r in conn.execute(select(P.c.key).where(
        P.c.unit_id == unit.id, P.c.active.is_(True)).order_by(P.c.key))]
    if people:
        raise Refused(_("unit '{code}' still has active people: {keys}").format(
                          code=unit.code, keys=", ".join(people[:10])),
                      _("move them first (rectify person edit KEY --unit UNIT), or merge the "
                        "unit into another (rectify unit edit {code} --into OTHER)").format(
                          code=unit.code))
    day = effective_day(conn, "unit", unit.id, day)
    _write_unit(conn, tree, unit, {"ended_on": day})
    write_site(conn, [site_entry(UnitDissolved(), subject=unit.code, actor=actor, day=day,
                                 subject_id=unit.id, note=note)])
    tree.reload(conn)


def _require_no_live_children(tree: UnitTree, unit: UnitRow) -> None:
    children = sorted(u.code for u in tree.by_id.values()
                      if u.parent_id == unit.id and u.ended_on is None)
    if children:
        raise Refused(_("unit '{code}' has units under it: {children}").format(
                          code=unit.code, children=", ".join(children[:10])),
                      _("move or merge them first (rectify unit edit CHILD --parent UNIT)"))


def _move_people(conn: Connection, unit: UnitRow, target: UnitRow, *, actor: str,
                 day: dt.date) -> list[str]:
    """The unit's active people join ``target``: a ``person edited`` each."""
    from engine.core.moves import Edit
    from engine.io.writer import apply_edits

    from .tables import PEOPLE as P

    rows = conn.execute(select(P.c.id, P.c.key, P.c.version).where(
        P.c.unit_id == unit.id, P.c.active.is_(True)).order_by(P.c.key)).all()
    apply_edits(conn, {"person": P}, [Edit(r.id, r.version, "person", {"unit_id": target.id})
                                      for r in rows])
    write_site(conn, [site_entry(PersonEdited({"unit": unit.code}, {"unit": target.code}),
                                 subject=r.key, actor=actor, day=day, subject_id=r.id)
                      for r in rows])
    return [r.key for r in rows]


@dataclass
class ImportReport:
    """What an import of units or people did (or, dry, would do)."""

    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # key → fields changed
    unchanged: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged,
                "dry_run": self.dry_run}


class DryRun(Exception):
    """Raised inside a dry run's savepoint so that everything it wrote is rolled back."""


def import_units(conn: Connection, file: str, rows: Sequence[Row], *, actor: str | None,
                 day: dt.date | None = None, update: bool = False,
                 dry_run: bool = False) -> ImportReport:
    """Add every unit of ``rows`` (read from ``file`` before the transaction), all or nothing:
    every bad row is reported, and none is written if one is.  With ``update`` a row whose code
    exists changes that unit to the file's values (title, parent, kind: the columns it has);
    without, it is refused.  ``dry_run``: the same checks and report, nothing written."""
    import os

    from .tabular import ImportErrors

    actor = require_admin(conn, actor)  # once, before any row: not a refusal per row
    tree = UnitTree.load(conn)
    problems: list[str] = []
    report = ImportReport(dry_run=dry_run)
    outer = conn.begin_nested() if dry_run else None
    for row in rows:
        v = row.values
        code = v.get("code", "")
        origin = Origin(os.path.basename(file), None, row.number)
        try:
            with conn.begin_nested():
                if code in tree.by_code:
                    if not update:
                        raise InvalidInput(_("unit code '{code}' already exists (import with "
                                             "--update to change it to the file's values)")
                                           .format(code=code), _("import with --update"))
                    changed = edit_unit(conn, tree, code, title=v.get("title"),
                                        parent=v.get("parent", None), kind=v.get("kind"),
                                        actor=actor, day=day, origin=origin)
                    if changed:
                        report.changed[code] = sorted(changed)
                    else:
                        report.unchanged += 1
                else:
                    add_unit(conn, tree, code, v.get("title", ""), v.get("parent") or None,
                             v.get("kind") or None, actor=actor, day=day, origin=origin)
                    report.added.append(code)
        except EngineError as exc:
            problems.append(f"{file}: row {row.number}: {exc.message}")
    if outer is not None:
        outer.rollback()
    if problems:
        raise ImportErrors(file, problems)
    return report


def list_units(tree: UnitTree, include_ended: bool = False) -> list[dict[str, Any]]:
    """The units in tree order; merged and dissolved ones only with ``include_ended`` (and
    then with the day they ended)."""
    rows = sorted((u for u in tree.by_id.values() if include_ended or u.ended_on is None),
                  key=lambda u: u.path)
    return [{"code": u.code, "title": u.title, "kind": u.kind or "", "depth": u.depth,
             "path": tree.title_path(u),
             **({"ended": u.ended_on.isoformat() if u.ended_on else ""} if include_ended else {})}
            for u in rows]


UNIT_COLUMNS: Mapping[str, str] = {
    "code": "code", "代码": "code", "编码": "code", "单位代码": "code",
    "title": "title", "名称": "title", "单位": "title", "单位名称": "title",
    "parent": "parent", "上级": "parent", "上级单位": "parent",
    "kind": "kind", "类型": "kind", "类别": "kind",
}

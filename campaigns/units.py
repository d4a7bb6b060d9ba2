"""The unit tree (county → department/township → office) and finding a unit by what users type."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import EngineError, InvalidInput, NotFound

from .admins import require_admin
from .events import Origin, UnitAdded, site_entry, write_site
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


class UnitTree:
    """All units in memory: a county has at most a few thousand, and lookups need the tree."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.by_id = {r.id: UnitRow(r.id, r.code, r.title, r.kind, r.parent_id, r.path, r.depth)
                      for r in rows}
        self.by_code = {u.code: u for u in self.by_id.values()}

    @classmethod
    def load(cls, conn: Connection) -> UnitTree:
        return cls(conn.execute(select(U)).all())

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
        """By code, by title when unique, or by a path of titles ('财政局/办公室')."""
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


def import_units(conn: Connection, file: str, rows: Sequence[Row], *, actor: str | None,
                 day: dt.date | None = None) -> int:
    """Add every unit of ``rows`` (read from ``file`` before the transaction), all or nothing:
    every bad row is reported, and none is written if one is."""
    import os

    from .tabular import ImportErrors

    actor = require_admin(conn, actor)  # once, before any row: not a refusal per row
    tree = UnitTree.load(conn)
    problems: list[str] = []
    for row in rows:
        try:
            with conn.begin_nested():
                add_unit(conn, tree, row.values.get("code", ""), row.values.get("title", ""),
                         row.values.get("parent") or None, row.values.get("kind") or None,
                         actor=actor, day=day,
                         origin=Origin(os.path.basename(file), None, row.number))
        except EngineError as exc:
            problems.append(f"{file}: row {row.number}: {exc.message}")
    if problems:
        raise ImportErrors(file, problems)
    return len(rows)


def list_units(tree: UnitTree) -> list[dict[str, Any]]:
    rows = sorted(tree.by_id.values(), key=lambda u: u.path)
    return [{"code": u.code, "title": u.title, "kind": u.kind or "", "depth": u.depth,
             "path": tree.title_path(u)} for u in rows]


UNIT_COLUMNS: Mapping[str, str] = {
    "code": "code", "代码": "code", "编码": "code", "单位代码": "code",
    "title": "title", "名称": "title", "单位": "title", "单位名称": "title",
    "parent": "parent", "上级": "parent", "上级单位": "parent",
    "kind": "kind", "类型": "kind", "类别": "kind",
}

"""Finding the people a ledger names (责任领导, 责任人)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound

from ..i18n import _
from ..tables import PEOPLE as P
from ..units import UnitRow, UnitTree


class UnknownPerson(NotFound):
    """No person of that name (or key): one ``--create-missing people`` may create."""


def unknown_person(text: str) -> UnknownPerson:
    return UnknownPerson(_("unknown person '{name}'").format(name=text),
                         _("add the person ('rectify person add', or --create-missing people), "
                           "or give a person key"))


class PeopleIndex:
    """Finding a 责任领导/责任人 by key, or by name near the item's unit."""

    def __init__(self, conn: Connection, tree: UnitTree) -> None:
        self.tree = tree
        self.by_key: dict[str, int] = {}
        self.by_name: dict[str, list[tuple[int, str, int | None]]] = {}
        self.names: dict[int, str] = {}
        for r in conn.execute(select(P.c.id, P.c.key, P.c.name, P.c.unit_id)):
            self.by_key[r.key] = r.id
            self.by_name.setdefault(r.name, []).append((r.id, r.key, r.unit_id))
            self.names[r.id] = r.name
        self._cache: dict[tuple[str, int, bool], int] = {}
        self._path_of: dict[int, str] = {}

    def _paths(self) -> dict[int, str]:
        """Unit id → path, read again only when units were added (``creating``)."""
        if len(self._path_of) != len(self.tree.by_id):
            self._path_of = {uid: u.path for uid, u in self.tree.by_id.items()}
        return self._path_of

    def add(self, pid: int, key: str, name: str, unit_id: int | None) -> None:
        """A person created by this import (``creating.Creator``)."""
        self.by_key[key] = pid
        self.by_name.setdefault(name, []).append((pid, key, unit_id))
        self.names[pid] = name
        self._cache.clear()

    def find(self, text: str, unit: UnitRow, local: bool = False) -> int:
        """The person ``text`` names for a row of ``unit``; ``local``: only a person in the
        unit, below it or above it counts (a name known elsewhere only is unknown here)."""
        key = (text, unit.id, local)
        if key not in self._cache:
            self._cache[key] = self._find(text, unit, local)
        return self._cache[key]

    def _find(self, text: str, unit: UnitRow, local: bool) -> int:
        if text in self.by_key:
            return self.by_key[text]
        found = self.by_name.get(text, [])
        if local:
            paths = self._paths()
            found = [f for f in found if f[2] is not None and f[2] in paths and (
                f[2] == unit.id or paths[f[2]].startswith(unit.path + "/")
                or (unit.path + "/").startswith(paths[f[2]] + "/"))]
        if not found:
            raise unknown_person(text)
        if len(found) == 1:
            return found[0][0]
        paths = self._paths()
        own = [f for f in found if f[2] == unit.id]
        below = [f for f in found if f[2] and paths[f[2]].startswith(unit.path + "/")]
        above = [f for f in found if f[2] and (unit.path + "/").startswith(paths[f[2]] + "/")]
        for group in (own, below, above):
            if len(group) == 1:
                return group[0][0]
            if group:
                found = group
                break
        options = ", ".join(
            f"{k} ({self.tree.title_path(self.tree.by_id[u]) if u else 'no unit'})"
            for _pid, k, u in found[:5])
        raise InvalidInput(_("'{text}' is ambiguous: {count} people of that name").format(
            text=text, count=len(found)),
                           _("give the person key instead: {options}").format(options=options))

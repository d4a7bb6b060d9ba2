"""Finding the people a ledger names (责任领导, 责任人)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from campaigns.i18n import _
from engine.core.errors import InvalidInput

from ..tables import PEOPLE as P
from ..units import UnitRow, UnitTree


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
        self._cache: dict[tuple[str, int], int] = {}

    def find(self, text: str, unit: UnitRow) -> int:
        key = (text, unit.id)
        if key not in self._cache:
            self._cache[key] = self._find(text, unit)
        return self._cache[key]

    def _find(self, text: str, unit: UnitRow) -> int:
        if text in self.by_key:
            return self.by_key[text]
        found = self.by_name.get(text, [])
        if not found:
            raise InvalidInput(_("unknown person '{text}'").format(text=text),
                               _("give a person key or a name; add people with 'rectify person add'"))
        if len(found) == 1:
            return found[0][0]
        paths = {uid: u.path for uid, u in self.tree.by_id.items()}
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
            for _, k, u in found[:5])
        raise InvalidInput(_("'{text}' is ambiguous: {count} people of that name").format(
            text=text, count=len(found)),
                           _("give the person key instead: {options}").format(options=options))

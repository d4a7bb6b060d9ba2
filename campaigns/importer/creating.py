"""Units and people a ledger names that the site does not know yet (``--create-missing``).

They are created by the administrator importing, through the same services as
``rectify unit add`` and ``person add`` (each with its site event, whose ``import`` names the
file's row), in the import's own transaction: a failed import creates none of them.  A dry run
plans them in memory and writes nothing.

Keys are generated, since a name is not a key (names repeat, and Chinese names have no
spelling to derive one from here).  The rules (docs/cli.md, "item import"):

- a unit is created under ``--parent`` with the cell's text as its title and the code
  ``PARENT-`` followed by the first 6 hex digits of SHA-256 of the title (more digits while
  that code is taken): the same title under the same parent gets the same code in every
  database and every run;
- a person is created in the row's unit with the cell's text as their name and the key
  ``UNIT-`` followed by the first 6 hex digits of SHA-256 of the name (more digits while taken);
- a name is first looked for in the row's unit, then in the units below it, then above it
  (as without the option); one person of that name there is that person; a name known only
  in other units is a new person in the row's unit, so one name in two unrelated units is two
  people.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from engine.core.errors import InvalidInput

from ..admins import require_admin
from ..context import Scope
from ..events import Origin
from ..i18n import _
from ..people import KEY, add_person
from ..units import CODE, UnitRow, add_unit
from .people import PeopleIndex


def generated_key(prefix: str, text: str, taken: Callable[[str], bool]) -> str:
    """``PREFIX-`` and the first hex digits of SHA-256 of ``text``: 6, or more while taken."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    head = prefix[:64 - 17]  # room for '-' and up to 16 digits in a 64-character key
    for n in range(6, 17):
        key = f"{head}-{digest[:n]}"
        if not taken(key):
            return key
    raise InvalidInput(_("no free key for '{text}'").format(text=text),
                       _("add it by hand with a key of your own"))


class Creator:
    """Creates (or, in a dry run, plans) the units and people rows name."""

    def __init__(self, scope: Scope, path: str, sheet: str | None, kinds: frozenset[str],
                 parent: str | None, dry_run: bool) -> None:
        self.scope, self.file, self.sheet = scope, path, sheet
        self.units, self.people = "units" in kinds, "people" in kinds
        self.dry_run = dry_run
        self.admin = require_admin(scope.conn, scope.acting.key) if kinds else ""
        self.parent: UnitRow | None = None
        if self.units:
            if not parent:
                raise InvalidInput(_("--create-missing units needs --parent UNIT"),
                                   _("name the unit the new units go under, e.g. --parent county"))
            self.parent = scope.tree.find(parent)
        self.new_units: list[dict[str, str]] = []
        self.new_people: list[dict[str, str]] = []
        self._next_id = -1

    def _fake_id(self) -> int:
        self._next_id -= 1
        return self._next_id

    def unit(self, title: str, row: int) -> UnitRow:
        """A new unit titled ``title`` under the parent."""
        assert self.parent is not None
        tree = self.scope.tree
        if "/" in title:
            raise InvalidInput(_("unknown unit '{unit}'").format(unit=title),
                               _("a path of units is not created; add the units with "
                                 "'rectify unit add'"))
        code = generated_key(self.parent.code, title.strip(), lambda c: c in tree.by_code)
        if not CODE.fullmatch(code):
            raise InvalidInput(_("no valid unit code for '{unit}'").format(unit=title),
                               _("add the unit with 'rectify unit add'"))
        self.new_units.append({"code": code, "title": title.strip(), "parent": self.parent.code,
                               "row": str(row)})
        if self.dry_run:
            fake = UnitRow(self._fake_id(), code, title.strip(), None, self.parent.id,
                           f"{self.parent.path}/{code}", self.parent.depth + 1)
            tree.by_id[fake.id] = fake
            tree.by_code[code] = fake
            return fake
        return add_unit(self.scope.conn, tree, code, title.strip(), self.parent.code, None,
                        actor=self.admin, day=self.scope.as_of,
                        origin=Origin(self.file, self.sheet, row))

    def person(self, index: PeopleIndex, name: str, unit: UnitRow, row: int) -> int:
        """A new person named ``name`` in ``unit``."""
        key = generated_key(unit.code, name.strip(), lambda k: k in index.by_key)
        if not KEY.fullmatch(key):
            raise InvalidInput(_("no valid person key for '{name}'").format(name=name),
                               _("add the person with 'rectify person add'"))
        self.new_people.append({"key": key, "name": name.strip(), "unit": unit.code,
                                "row": str(row)})
        if self.dry_run:
            pid = self._fake_id()
        else:
            add_person(self.scope.conn, self.scope.tree, key, name.strip(), unit.code, [], None,
                       actor=self.admin, day=self.scope.as_of,
                       origin=Origin(self.file, self.sheet, row))
            from sqlalchemy import select

            from ..tables import PEOPLE as P

            pid = int(self.scope.conn.execute(select(P.c.id).where(P.c.key == key)).scalar_one())
        index.add(pid, key, name.strip(), unit.id)
        return pid

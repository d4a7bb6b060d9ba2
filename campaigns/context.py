"""The setting most service functions work in, passed as one value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.core.machines import Actor

from .i18n import _
from .runs import Run
from .units import UnitRow, UnitTree

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """This campaign, on this connection, by this actor, as of this business date.

    Nearly every function that reads or changes a campaign needs these together; passing
    them as one keeps signatures to what a function adds (a file, a code, options) and lets a
    new piece of setting arrive without touching every call.

    ``actor`` is None only in a view nobody signed for (``rectify item list``); a change asks
    for ``acting``.  The unit tree and people's names are read on first use, in the same
    transaction, so a change that never names a unit does not pay for them.
    """

    conn: Connection
    run: Run
    actor: Actor | None
    as_of: dt.date
    # an output cut for one unit (``--unit``): only the items of its subtree are counted
    unit: UnitRow | None = None

    @cached_property
    def tree(self) -> UnitTree:
        """The unit tree at the end of the scope's date: names as they were then
        (``campaigns.names``); today's when nothing changed since."""
        return UnitTree.at(self.conn, self.as_of)

    @cached_property
    def people(self) -> dict[int, str]:
        """People's names (by id) at the end of the scope's date (``campaigns.names``)."""
        from .names import person_names_at

        return person_names_at(self.conn, self.as_of)

    @cached_property
    def unit_ids(self) -> frozenset[int] | None:
        """The ids of the unit's subtree; None when the output covers the whole campaign."""
        return frozenset(self.tree.subtree_ids(self.unit)) if self.unit is not None else None

    def within(self, items: Iterable[T]) -> list[T]:
        """The items (anything with a ``unit_id``) that fall in the scope's unit subtree."""
        ids = self.unit_ids
        if ids is None:
            return list(items)
        keep: Any = ids
        return [it for it in items if getattr(it, "unit_id", None) in keep]

    @property
    def unit_name(self) -> str:
        """The scope's unit as a reader names it ('' for the whole campaign)."""
        return self.tree.title_path(self.unit) if self.unit is not None else ""

    @property
    def acting(self) -> Actor:
        """The actor of a change: every change has one."""
        if self.actor is None:
            raise InvalidInput(_("who is doing this? --actor is required for every change"),
                               _("pass --actor PERSON-KEY or set RECTIFY_ACTOR"))
        return self.actor

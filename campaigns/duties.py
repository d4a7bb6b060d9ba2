"""Separation of duties by position in the unit tree: which unit rectifies an item.

The unit that does the work may not also judge it.  Which unit that is depends on the shape of
the tree, not on a fixed level: in county → bureau → office it is the bureau, in province →
city → county → bureau → section it is still the bureau, so the county's own offices above it
may judge.  A definition names the kinds of unit that rectify (``campaign.rectifying_kinds``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.core.spec import Definition

if TYPE_CHECKING:
    from .units import UnitRow, UnitTree

DEFAULT_RECTIFYING_KINDS = ("department", "township")


def rectifying_kinds(definition: Definition) -> frozenset[str]:
    """The unit kinds that rectify their items, as the definition gives them or by default."""
    meta = definition.sections.get("campaign") or {}
    return frozenset(meta.get("rectifying_kinds") or DEFAULT_RECTIFYING_KINDS)


def ancestor_paths(unit_path: str) -> list[str]:
    """The paths from the root down to ``unit_path`` itself: '/a/b' gives ['/a', '/a/b']."""
    parts = [p for p in unit_path.split("/") if p]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def rectifying_unit(unit_path: str, kinds_along: Sequence[str | None],
                    kinds: frozenset[str]) -> str:
    """The path of the nearest unit at or above ``unit_path`` whose kind is in ``kinds``.

    ``kinds_along`` are the kinds of the units on the way, root first.  A tree whose units
    carry none of those kinds (kinds are optional) falls back to the unit just below the root,
    the stricter choice: separation of duties must not vanish because a kind was left out.
    """
    paths = ancestor_paths(unit_path)
    if not paths:
        return ""
    for depth in range(len(paths) - 1, -1, -1):
        if depth < len(kinds_along) and kinds_along[depth] in kinds:
            return paths[depth]
    return paths[1] if len(paths) > 1 else paths[0]


def rectifying_row(tree: UnitTree, unit: UnitRow, definition: Definition) -> UnitRow:
    """The unit that rectifies ``unit``'s items, as a row of ``tree`` (``rectifying_unit``)."""
    chain = tree.chain(unit)
    path = rectifying_unit(unit.path, [u.kind for u in chain], rectifying_kinds(definition))
    return tree.by_code.get(path.rsplit("/", 1)[-1], unit)


def within(path: str, unit: str) -> bool:
    """Whether ``path`` is ``unit`` or lies under it (by whole codes, not by prefix)."""
    return (path.rstrip("/") + "/").startswith(unit.rstrip("/") + "/")

"""Whom the people's assessment rates: persons of the site as they stood in a period, found
by key or by name within a unit, and sorted into peer groups.

People are read from the site log's one reducer (campaigns.names.site_at) at the end of the
period (or the as-of date before it), so a past period ranks the people it had then, in the
units and posts they held then, whenever it is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound

from .i18n import _
from .names import PersonAt, site_at
from .units import UnitRow, UnitTree


@dataclass(frozen=True)
class Group:
    """A peer group: units of ``kinds``; or people matching every filter given, ranked per
    unit or per post when ``per`` says so."""

    key: str
    title: str
    kinds: frozenset[str]
    roles: frozenset[str] = frozenset()
    posts: frozenset[str] = frozenset()
    per: str | None = None


def people_at(conn: Connection, day: dt.date) -> dict[int, PersonAt]:
    """Every person as they stood at the end of ``day``."""
    return site_at(conn, day, with_units=False).people


def serving(p: PersonAt, first: dt.date) -> bool:
    """Whether ``p`` served in a period beginning ``first``: active, or left during it."""
    return p.unit_id is not None and (p.active or (p.left_on is not None and p.left_on >= first))


def find_person(people: Mapping[int, PersonAt], tree: UnitTree, text: str,
                unit_text: str = "") -> PersonAt:
    """A person by key, or by name (within ``unit_text``'s unit when given)."""
    text = text.strip()
    for p in people.values():
        if p.key == text:
            if unit_text.strip():  # a key and a unit: they must agree
                unit = tree.find(unit_text)
                if p.unit_id != unit.id:
                    held = tree.by_id.get(p.unit_id or 0)
                    raise InvalidInput(_("{person} is of {held}, not of {unit}").format(
                        person=p.key, held=held.code if held else "—", unit=unit.code),
                        _("give the person's own unit, or leave the unit out"))
            return p
    named = [p for p in people.values() if p.name == text]
    if unit_text.strip():
        unit = tree.find(unit_text)
        named = [p for p in named if p.unit_id == unit.id]
        if not named:
            raise NotFound(_("no person '{name}' in {unit}").format(name=text, unit=unit.code),
                           _("give the person's key, or the unit they belong to"))
    if not named:
        raise NotFound(_("no person '{name}'").format(name=text),
                       _("give a person's key or name (see 'rectify person list')"))
    if len(named) > 1:
        units = ", ".join(sorted(tree.by_id[p.unit_id].code for p in named
                                 if p.unit_id in tree.by_id))
        raise InvalidInput(_("{n} people are named '{name}' ({units})").format(
            n=len(named), name=text, units=units),
            _("give the person's key, or their unit (a column 单位, or --unit)"))
    return named[0]


def names_hidden(run: Any, actor: Any, sanction: bool = False) -> bool:
    """Whether people's names are left out for ``actor``: when the campaign keeps the
    responsible person confidential and the viewer is not entitled; for a sanction (a
    bottom-rule proposal), also when the accountability register's names are not public."""
    from .accountability import names_shown
    from .confidential import hidden

    return "person" in hidden(run, actor) or (sanction and not names_shown(run, actor))


def group_of(groups: Sequence[Group], p: PersonAt, unit: UnitRow) -> Group | None:
    """The first group that takes ``p`` (in ``unit``), or None."""
    for g in groups:
        if g.kinds and unit.kind not in g.kinds:
            continue
        if g.roles and not set(p.roles) & g.roles:
            continue
        if g.posts and (p.title or "") not in g.posts:
            continue
        return g
    return None


def peer_groups(groups: Sequence[Group], people: Mapping[int, PersonAt], tree: UnitTree,
                first: dt.date) -> list[tuple[Group, list[PersonAt]]]:
    """The people serving in a period beginning ``first``, in their groups, each group split
    per unit or per post when it says so; in the order of the groups, then of units' paths."""
    split: dict[tuple[str, str], tuple[Group, list[PersonAt]]] = {}
    order = {g.key: i for i, g in enumerate(groups)}
    for p in sorted(people.values(), key=lambda p: p.key):
        unit = tree.by_id.get(p.unit_id or 0)
        if unit is None or not serving(p, first):
            continue
        g = group_of(groups, p, unit)
        if g is None:
            continue
        if g.per == "unit":
            part, title = unit.path, f"{g.title}·{tree.unique_name(unit)}"
        elif g.per == "post":
            part, title = p.title or "", f"{g.title}·{p.title or _('no post')}"
        else:
            part, title = "", g.title
        key = f"{g.key}:{part}" if g.per else g.key
        split.setdefault((g.key, part), (Group(key, title, g.kinds, g.roles, g.posts, g.per),
                                         []))[1].append(p)
    return [split[k] for k in sorted(split, key=lambda k: (order[k[0]], k[1]))]

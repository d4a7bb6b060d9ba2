"""Separation of duties by position in the unit tree: which unit rectifies an item.

The unit that does the work may not also judge it.  Which unit that is depends on the shape of
the tree, not on a fixed level: in county → bureau → office it is the bureau, in province →
city → county → bureau → section it is still the bureau, so the county's own offices above it
may judge.  A definition names the kinds of unit that rectify (``campaign.rectifying_kinds``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine.core.machines import Actor
from engine.core.spec import Definition, DutySpec, RoleSpec

from .i18n import _

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


# --- duties by side and by person ----------------------------------------------------------------

RECTIFYING, SUPERVISING, OFFICE = "rectifying", "supervising", "office"
SIDES = {
    RECTIFYING: "the unit that does the work: plans, reports progress, asks to close or for time",
    SUPERVISING: "those who judge the work: verify, return, dismiss, merge, reopen, decide requests",
    OFFICE: "the campaign's leading office: everything a judge does, plus long-term and moves",
}
JUDGING = frozenset({SUPERVISING, OFFICE})
# What a judgement may not come from: the unit that rectifies, the people answerable for the
# work, and the person who asked for it to be closed.
JUDGE = ("actor_not_in_unit", "actor_not_responsible", "actor_not_submitter")
DUTIES = {
    "confirm": DutySpec(frozenset({RECTIFYING, SUPERVISING, OFFICE}), ("actor_in_unit_if_rectifying",)),
    "plan": DutySpec(frozenset({RECTIFYING}), ("actor_in_unit",)),
    "submit": DutySpec(frozenset({RECTIFYING}), ("actor_in_unit",)),
    "request-extension": DutySpec(frozenset({RECTIFYING}), ("actor_in_unit",)),
    "verify": DutySpec(JUDGING, JUDGE),
    "return": DutySpec(JUDGING, JUDGE),
    "dismiss": DutySpec(JUDGING, JUDGE),
    "merge": DutySpec(JUDGING, JUDGE),
    "reopen": DutySpec(JUDGING, ("actor_not_in_unit",)),
    "approve-extension": DutySpec(JUDGING, ("actor_not_in_unit",)),
    "refuse-extension": DutySpec(JUDGING, ("actor_not_in_unit",)),
    "close": DutySpec(JUDGING, ("actor_not_in_unit",)),
    "defer": DutySpec(frozenset({OFFICE}), ("actor_not_in_unit",)),
    # the long-term mechanisms register (campaigns.mechanisms) is the office's
    "issue": DutySpec(frozenset({OFFICE}), ()),
    "enforce": DutySpec(frozenset({OFFICE}), ()),
    "review": DutySpec(frozenset({OFFICE}), ()),
    "repeal": DutySpec(frozenset({OFFICE}), ()),
    # so is publishing and reviewing public commitments (campaigns.commitments)
    "publish-commitment": DutySpec(frozenset({OFFICE}), ()),
    "fulfil": DutySpec(frozenset({OFFICE}), ()),
    "fulfil-partly": DutySpec(frozenset({OFFICE}), ()),
    "break": DutySpec(frozenset({OFFICE}), ()),
}
"""Per trigger: the sides a role must act for, and the guards that always apply (docs/definitions.md)."""

JUDGING_TRIGGERS = frozenset(t for t, d in DUTIES.items() if d.sides == JUDGING)


def default_side(role: Mapping[str, Any]) -> str:
    """A role that names no side: office if it may override, a judge if it may judge, else a doer."""
    if role.get("overrides"):
        return OFFICE
    if JUDGING_TRIGGERS & set(role.get("triggers") or ()):
        return SUPERVISING
    return RECTIFYING


# The fields each side may correct with 'item edit' when a role names no 'edits'; the unit an
# item belongs to is never edited: 'item move' changes it, by the office, as its own event.
PLAN_FIELDS = frozenset({"measures", "target", "department", "leader", "person"})
FACT_FIELDS = frozenset({"title", "description", "category", "source", "typical"})
SIDE_EDITS = {RECTIFYING: PLAN_FIELDS, SUPERVISING: FACT_FIELDS, OFFICE: PLAN_FIELDS | FACT_FIELDS}


def may_edit(role: RoleSpec) -> frozenset[str]:
    """The fields ``role`` may correct: as the definition says, else its side's."""
    fields = role.edits if role.edits is not None else SIDE_EDITS.get(role.side, frozenset())
    return frozenset(fields) - {"unit"}


def edit_refusals(definition: Definition, actor: Actor, fields: Sequence[str], item_path: str,
                  kinds_along: Sequence[str | None]) -> list[str]:
    """Why ``actor`` may not correct ``fields`` of an item in ``item_path`` (empty: they may).

    Each field needs a role of the actor's that may correct it; a role acting for the unit
    that does the work corrects only that unit's items.  The unit an item belongs to is not a
    field: moving an item is the office's own step ('item move').
    """
    if actor.is_system or not definition.roles:
        return []
    owner = rectifying_unit(item_path, kinds_along, rectifying_kinds(definition))
    inside = within(actor.attrs.get("unit_path") or "", owner) if item_path else True
    roles = [definition.roles[r] for r in sorted(actor.roles) if r in definition.roles]
    refusals = []
    for name in fields:
        if name == "unit":
            refusals.append("the unit is not corrected by 'item edit': the office moves an item "
                            "with 'rectify item move CODE --to UNIT --note WHY'")
            continue
        allowing = [r for r in roles if name in may_edit(r)]
        if any(r.side != RECTIFYING or inside for r in allowing):
            continue
        may = [r.key for r in definition.roles.values() if name in may_edit(r)]
        if allowing:
            refusals.append(_("'{actor}' may correct '{name}' only on items of its own unit "
                              "'{unit}'").format(actor=actor.key, name=name, unit=owner.rsplit('/', 1)[-1]))
        else:
            refusals.append(_("'{actor}' holds no role that may correct '{name}' (roles that may: "
                              "{may})").format(actor=actor.key, name=name, may=", ".join(may) or _("none")))
    return refusals


def move_refusals(definition: Definition, actor: Actor) -> list[str]:
    """Why ``actor`` may not move an item to another unit: only the office does."""
    if actor.is_system or not definition.roles:
        return []
    if any(definition.roles[r].side == OFFICE for r in actor.roles if r in definition.roles):
        return []
    may = [r.key for r in definition.roles.values() if r.side == OFFICE]
    return [_("'{actor}' holds no role of side office, which alone moves an item to another unit "
              "(roles that may: {may})").format(actor=actor.key, may=", ".join(may) or _("none"))]


def register_refusals(definition: Definition, actor: Actor, register: str) -> list[str]:
    """Why ``actor`` may not record in a register (问责, 长效机制): only the office does."""
    if actor.is_system or not definition.roles:
        return []
    if any(definition.roles[r].side == OFFICE for r in actor.roles if r in definition.roles):
        return []
    may = [r.key for r in definition.roles.values() if r.side == OFFICE]
    return [_("'{actor}' holds no role of side office, which alone records in the {register} "
              "register (roles that may: {may})").format(actor=actor.key, register=register,
                                                         may=", ".join(may) or _("none"))]

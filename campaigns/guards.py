"""Guards that need the rectification domain: units, items and their rectifications."""

from __future__ import annotations

from engine.core.machines import Context

from .duties import rectifying_kinds, rectifying_unit, within


def actor_not_in_unit(ctx: Context) -> str | None:
    """The unit that rectifies never verifies or closes its own item (separation of duties).

    That unit is the nearest one at or above the item's unit whose kind the definition lists
    in ``rectifying_kinds`` (see campaigns.duties); its people and those under it, offices
    included, may not judge the item, while units above or beside it may.
    """
    if ctx.actor.is_system or ctx.record is None:
        return None
    actor_path = ctx.actor.attrs.get("unit_path") or ""
    item_path = getattr(ctx.record, "unit_path", "") or ""
    if not actor_path or not item_path:
        return None
    owner = rectifying_unit(item_path, getattr(ctx.record, "unit_kinds", ()),
                            rectifying_kinds(ctx.definition))
    if within(actor_path, owner):
        return (f"'{ctx.actor.key}' belongs to the item's own unit '{owner.rsplit('/', 1)[-1]}' "
                "(the unit that rectifies it); a unit may not judge its own item")
    return None


def rectification_done(ctx: Context) -> str | None:
    rect = getattr(ctx.record, "rectification", None)
    if rect is None:
        return "the item has no rectification"
    done = ctx.definition.machines["rectification"].done_states
    if rect.state not in done:
        return f"its rectification is '{rect.state}', not finished"
    return None


def item_confirmed(ctx: Context) -> str | None:
    item = getattr(ctx.record, "item", None)
    if item is not None and item.state == ctx.definition.machines["item"].initial:
        return "the problem has not been confirmed yet: fire 'confirm' first"
    return None


def all_items_closed_or_long_term(ctx: Context) -> str | None:
    """No concluding a campaign while items are open, unless they are marked long-term."""
    if ctx.figures is None:
        return None
    open_items = ctx.figures.figure("open_not_long_term")
    if open_items:
        return f"{open_items} item(s) are still open and not marked long-term"
    return None

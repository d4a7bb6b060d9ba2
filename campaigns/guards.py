"""Guards that need the rectification domain: units, items and their rectifications."""

from __future__ import annotations

from engine.core.machines import Context


def actor_not_in_unit(ctx: Context) -> str | None:
    """The unit that rectifies never verifies or closes its own item (separation of duties).

    "Its own" is the department or township the item belongs to, offices included: a
    bureau's people may not close their own office's item, while the county's leaders
    (the root of the tree) and other departments, such as the supervision office, may.
    """
    if ctx.actor.is_system or ctx.record is None:
        return None
    actor_path = ctx.actor.attrs.get("unit_path") or ""
    item_path = getattr(ctx.record, "unit_path", "") or ""
    if not actor_path or not item_path:
        return None
    parts = item_path.strip("/").split("/")
    owner = "/" + "/".join(parts[:2]) if len(parts) > 1 else item_path
    if (actor_path.rstrip("/") + "/").startswith(owner.rstrip("/") + "/"):
        return (f"'{ctx.actor.key}' belongs to the item's own unit; "
                "the unit that rectifies may not verify or close its own item")
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

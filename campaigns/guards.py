"""Guards that need the rectification domain: units, items and their rectifications."""

from __future__ import annotations

from engine.core.machines import Context
from engine.core.text import Text, declare

from .duties import JUDGING, rectifying_kinds, rectifying_unit, within

# the reasons these guards give, declared so that a reason stored in a log is shown translated
OWN_UNIT = declare("'{actor}' belongs to the item's own unit '{unit}' (the unit that rectifies "
                   "it); a unit may not judge its own item")
NOT_IN_UNIT = declare("'{actor}' is not in the unit that rectifies the item ('{unit}'); only that "
                      "unit's people do its work")
IS_PERSON = declare("'{actor}' is the item's 责任人; who answers for the work may not judge it")
IS_LEADER = declare("'{actor}' is the item's 责任领导; who answers for the work may not judge it")
SUBMITTER = declare("'{actor}' submitted it for closing; someone else must judge it")
NO_RECTIFICATION = declare("the item has no rectification")
NOT_FINISHED = declare("its rectification is '{state}', not finished")
NOT_CONFIRMED = declare("the problem has not been confirmed yet: fire 'confirm' first")
STILL_OPEN = declare("{count} item(s) are still open and not marked long-term")
NO_DOCUMENT = declare("a mechanism in force needs its document number and date: give --number "
                      "and --on")
NO_MECHANISM = declare("{count} categor(ies) with confirmed items have no long-term mechanism in "
                       "force (see 'rectify mechanism list')")


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
        return Text(OWN_UNIT, actor=ctx.actor.key, unit=owner.rsplit('/', 1)[-1])
    return None


def _unit_that_rectifies(ctx: Context) -> tuple[str, str] | None:
    """The actor's unit path and the item's rectifying unit; None when either is unknown."""
    item_path = getattr(ctx.record, "unit_path", "") or ""
    if not item_path:
        return None
    owner = rectifying_unit(item_path, getattr(ctx.record, "unit_kinds", ()),
                            rectifying_kinds(ctx.definition))
    return ctx.actor.attrs.get("unit_path") or "", owner


def actor_in_unit(ctx: Context) -> str | None:
    """The work is done by the unit that rectifies the item, not by a unit head elsewhere."""
    if ctx.actor.is_system or ctx.record is None:
        return None
    paths = _unit_that_rectifies(ctx)
    if paths is None:
        return None
    actor_path, owner = paths
    if actor_path and within(actor_path, owner):
        return None
    return Text(NOT_IN_UNIT, actor=ctx.actor.key, unit=owner.rsplit('/', 1)[-1])


def actor_in_unit_if_rectifying(ctx: Context) -> str | None:
    """Who fires it only as the unit that does the work must belong to that unit."""
    trigger = ctx.transition.trigger if ctx.transition else ""
    roles = ctx.definition.roles
    if any(r in roles and roles[r].side in JUDGING and trigger in roles[r].triggers
           for r in ctx.actor.roles):
        return None
    return actor_in_unit(ctx)


def actor_not_responsible(ctx: Context) -> str | None:
    """The 责任领导 and the 责任人 of an item never judge it, wherever their unit is."""
    if ctx.actor.is_system or ctx.record is None:
        return None
    who = getattr(ctx.record, "responsible", None)  # a record that knows no people: none
    if who is None:
        return None
    for key, template in ((who.person, IS_PERSON), (who.leader, IS_LEADER)):
        if key and key == ctx.actor.key:
            return Text(template, actor=ctx.actor.key)
    return None


def actor_not_submitter(ctx: Context) -> str | None:
    """Who asked for the item to be closed does not decide that request."""
    if ctx.actor.is_system or ctx.record is None:
        return None
    who = getattr(ctx.record, "responsible", None)
    if who is not None and who.submitter == ctx.actor.key:
        return Text(SUBMITTER, actor=ctx.actor.key)
    return None


def rectification_done(ctx: Context) -> str | None:
    rect = getattr(ctx.record, "rectification", None)
    if rect is None:
        return Text(NO_RECTIFICATION)
    done = ctx.definition.machines["rectification"].done_states
    if rect.state not in done:
        return Text(NOT_FINISHED, state=rect.state)
    return None


def item_confirmed(ctx: Context) -> str | None:
    item = getattr(ctx.record, "item", None)
    if item is not None and item.state == ctx.definition.machines["item"].initial:
        return Text(NOT_CONFIRMED)
    return None


def all_items_closed_or_long_term(ctx: Context) -> str | None:
    """No concluding a campaign while items are open, unless they are marked long-term."""
    if ctx.figures is None:
        return None
    open_items = ctx.figures.figure("open_not_long_term")
    if open_items:
        return Text(STILL_OPEN, count=open_items)
    return None


def mechanism_document_given(ctx: Context) -> str | None:
    """A mechanism is in force by a document: its number (文号) and the day it takes effect."""
    subject = ctx.subject
    if not getattr(subject, "document_number", None) or not getattr(subject, "in_force_on", None):
        return Text(NO_DOCUMENT)
    return None


def mechanisms_in_force(ctx: Context) -> str | None:
    """建章立制: no closing the stage while a category with confirmed items lacks a mechanism
    in force (campaigns.mechanisms)."""
    if ctx.figures is None:
        return None
    missing = ctx.figures.figure("categories_without_mechanism")
    if missing:
        return Text(NO_MECHANISM, count=missing)
    return None


NOT_DUE = declare("the commitment is due on {due}: it can be judged partly fulfilled or broken "
                  "from that day")


def commitment_due_reached(ctx: Context) -> str | None:
    """一年一兑现: a commitment is judged partly fulfilled or broken only once its completion
    date has come (fulfilled it may be at any time)."""
    due = getattr(ctx.subject, "due_on", None)
    if due is not None and ctx.as_of < due:
        return Text(NOT_DUE, due=due.isoformat())
    return None

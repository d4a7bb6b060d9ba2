"""Which items a person may see through the web door and the API.

Those who judge or lead (a role of side ``supervising`` or ``office`` in the campaign's
definition, see campaigns.duties) see every item of the campaign; everyone else sees the items
of their own unit and the units under it, and nothing when they belong to no unit.  What they
may *do* to an item is not decided here: the planner's guards and duties decide it, as for the
command line.  Which fields they see is campaigns.confidential's.
"""

from __future__ import annotations

from engine.core.errors import NotFound
from engine.core.machines import Actor

from .duties import JUDGING, within
from .i18n import _
from .records import Record
from .runs import Run


def sees_all(run: Run, actor: Actor) -> bool:
    """Whether ``actor`` holds a judging or leading role of ``run``."""
    roles = run.definition.roles
    return any(roles[r].side in JUDGING for r in actor.roles if r in roles)


def own_unit(actor: Actor) -> str:
    """The path of the actor's unit ('' when they belong to none)."""
    return str(actor.attrs.get("unit_path") or "")


def may_see(run: Run, actor: Actor, unit_path: str) -> bool:
    """Whether ``actor`` may see an item of the unit at ``unit_path``."""
    if sees_all(run, actor):
        return True
    mine = own_unit(actor)
    return bool(mine) and within(unit_path, mine)


def require_visible(run: Run, actor: Actor, record: Record) -> Record:
    """``record``, or NotFound: an item one may not see is answered as one that is not there,
    so its code tells an outsider nothing."""
    if record.campaign_id != run.id or not may_see(run, actor, record.unit_path):
        raise NotFound(_("no item {code}").format(code=record.code), _("check the code"))
    return record

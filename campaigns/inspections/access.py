"""Who may load and publish the county's inspection plan, and record inspections.

The plan is the county's, not a campaign's, so the roles are the site's own (as ``admin``):
``inspection-office`` (督查办) loads and publishes it, and once it is published only an
administrator may change it, with a reason.  Anyone active may record an inspection: a real
finding is never refused for want of a role.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from campaigns.i18n import _
from engine.core.errors import InvalidInput, NotFound, Refused

from ..admins import ADMIN_ROLE
from ..tables import PEOPLE as P

OFFICE_ROLE = "inspection-office"


def require_person(conn: Connection, actor: str | None) -> tuple[str, set[str]]:
    """The active person behind ``--actor`` and their site roles."""
    if not actor:
        raise InvalidInput(_('who is doing this? --actor is required for every change'),
                           _('pass --actor PERSON-KEY or set RECTIFY_ACTOR'))
    row = conn.execute(select(P.c.roles, P.c.active).where(P.c.key == actor)).first()
    if row is None:
        raise NotFound(_("unknown actor '{actor}'")
                       .format(actor=actor), _("add the person with 'rectify person add' first"))
    if not row.active:
        raise Refused(_("actor '{actor}' has been deactivated")
                      .format(actor=actor), _('act as an active person'))
    return actor, set((row.roles or "").split())


def require_planner(conn: Connection, actor: str | None) -> str:
    """An actor who may load or publish a plan: the inspection office or an administrator."""
    key, roles = require_person(conn, actor)
    if not roles & {OFFICE_ROLE, ADMIN_ROLE}:
        raise Refused(_("'{key}' may not load or publish the inspection plan").format(key=key),
                      _("ask someone with the role '{OFFICE_ROLE}' or an administrator")
                      .format(OFFICE_ROLE=OFFICE_ROLE))
    return key


def require_changer(conn: Connection, actor: str | None, reason: str | None) -> str:
    """An actor who may change a published plan: an administrator giving a reason."""
    key, roles = require_person(conn, actor)
    if ADMIN_ROLE not in roles:
        raise Refused(_('the plan is published: only an administrator may change it'),
                      _('ask an administrator to load the change with --reason'))
    if not (reason or "").strip():
        raise InvalidInput(_('a change to a published plan needs a reason'),
                           _("give --reason (e.g. the approval's document number)"))
    return key

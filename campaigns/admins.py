"""Who may change the site's people and units: an active person holding the site role ``admin``.

The check lives here, below ``units`` and ``people``, so that the services themselves
(``add_unit``, ``add_person``, ``deactivate`` and their imports) make it: every door (the CLI,
a future web door, a script) gets it by calling them, none can forget it.  The one way in
without an administrator is ``people.first_admin`` (``rectify init --admin``), and only while
the site has none.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import NotFound, Refused

from .i18n import _
from .tables import PEOPLE as P

ADMIN_ROLE = "admin"  # the site's own role: changes people and units (no definition gives it)
FIRST = "the first administrator is created by 'rectify init --admin KEY --name NAME'"


def require_admin(conn: Connection, actor: str | None) -> str:
    """The key of the administrator making a change to people or units, or a refusal."""
    if not actor:
        raise Refused(_("who is doing this? people and units are changed only by an administrator"),
                      _("pass --actor ADMIN-KEY (or set RECTIFY_ACTOR); {FIRST}").format(FIRST=FIRST))
    row = conn.execute(select(P.c.roles, P.c.active).where(P.c.key == actor)).first()
    if row is None:
        raise NotFound(_("unknown actor '{actor}'").format(actor=actor), FIRST)
    if not row.active:
        raise Refused(_("actor '{actor}' has been deactivated").format(
            actor=actor), _("act as an active administrator"))
    if ADMIN_ROLE not in (row.roles or "").split():
        raise Refused(_("'{actor}' is not an administrator (role '{ADMIN_ROLE}'); people and units are "
                        "changed only by one").format(actor=actor, ADMIN_ROLE=ADMIN_ROLE),
                      _("ask an administrator; {FIRST}").format(FIRST=FIRST))
    return actor

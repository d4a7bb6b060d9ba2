"""People (keys, since Chinese names repeat) and turning ``--actor`` into an engine Actor."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import EngineError, InvalidInput, NotFound, Refused
from engine.core.machines import SYSTEM_ACTOR, Actor
from engine.core.moves import Edit
from engine.io.writer import apply_edits

from .admins import ADMIN_ROLE, require_admin
from .events import Origin, PersonAdded, PersonDeactivated, lock, site_entry, write_site
from .i18n import _
from .tables import PEOPLE as P, SITE, UNITS as U, insert_id
from .units import UnitTree, site_today

if TYPE_CHECKING:
    from .tabular import Row

__all__ = ["ADMIN_ROLE", "require_admin"]  # where the CLI has always found them

KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PERSON_COLUMNS = {
    "key": "key", "编号": "key", "工号": "key", "人员编号": "key",
    "name": "name", "姓名": "name",
    "unit": "unit", "单位": "unit", "所在单位": "unit",
    "roles": "roles", "角色": "roles",
    "title": "title", "职务": "title",
}


def add_person(conn: Connection, tree: UnitTree, key: str, name: str, unit: str | None,
               roles: list[str], title: str | None = None, *, actor: str | None,
               day: dt.date | None = None, origin: Origin | None = None) -> dict[str, Any]:
    """Add a person and record it in the site log as done by ``actor``, who must be an
    administrator (``origin``: the imported file's row)."""
    return _insert_person(conn, tree, key, name, unit, roles, title,
                          actor=require_admin(conn, actor), day=day, origin=origin)


def import_people(conn: Connection, file: str, rows: Sequence[Row], *, actor: str | None,
                  day: dt.date | None = None) -> int:
    """Add every person of ``rows`` (read from ``file`` before the transaction), all or
    nothing: every bad row is reported, and none is written if one is."""
    import os

    from .tabular import ImportErrors

    actor = require_admin(conn, actor)  # once, before any row: not a refusal per row
    tree = UnitTree.load(conn)
    problems: list[str] = []
    for row in rows:
        v = row.values
        try:
            with conn.begin_nested():
                add_person(conn, tree, v.get("key", ""), v.get("name", ""), v.get("unit") or None,
                           (v.get("roles") or "").replace(";", " ").replace(",", " ").split(),
                           v.get("title") or None, actor=actor, day=day,
                           origin=Origin(os.path.basename(file), None, row.number))
        except EngineError as exc:
            problems.append(f"{file}: row {row.number}: {exc.message}")
    if problems:
        raise ImportErrors(file, problems)
    return len(rows)


def _insert_person(conn: Connection, tree: UnitTree, key: str, name: str, unit: str | None,
                   roles: list[str], title: str | None, *, actor: str, day: dt.date | None,
                   origin: Origin | None) -> dict[str, Any]:
    """The row and its site event, once the actor is known to be allowed (``add_person``,
    ``first_admin``)."""
    if not KEY.fullmatch(key):
        raise InvalidInput(_("person key '{key}' is not valid").format(key=key),
                           _("use letters, digits, '-', '_' or '.', e.g. zhangwei-czj"))
    if key == SYSTEM_ACTOR:
        raise InvalidInput(_("'system' is reserved for the clock"), _("choose another key"))
    if conn.execute(select(P.c.id).where(P.c.key == key)).first():
        raise InvalidInput(_("person '{key}' already exists").format(key=key), _("person keys are unique"))
    if not name.strip():
        raise InvalidInput(_("a person needs a name"), _("give --name"))
    for role in roles:
        if not KEY.fullmatch(role):
            raise InvalidInput(_("role '{role}' is not a valid role key").format(role=role),
                               _("roles are keys from the definition, e.g. supervision-office"))
    unit_row = tree.find(unit) if unit else None
    pid = insert_id(conn, insert(P).values(key=key, name=name.strip(), title=title,
                                           unit_id=unit_row.id if unit_row else None,
                                           roles=" ".join(sorted(set(roles))), active=True))
    write_site(conn, [site_entry(
        PersonAdded(name.strip(), unit_row.code if unit_row else None, sorted(set(roles)), title,
                    origin), subject=key, actor=actor, day=day or site_today(), subject_id=pid)])
    return {"key": key, "name": name, "unit": unit_row.code if unit_row else None, "roles": roles}


def list_people(conn: Connection, tree: UnitTree, unit: str | None = None,
                include_inactive: bool = False) -> list[dict[str, Any]]:
    query = select(P).order_by(P.c.key)
    if unit:
        from .choices import filter_unit

        query = query.where(P.c.unit_id.in_(tree.subtree_ids(filter_unit(tree, unit))))
    if not include_inactive:
        query = query.where(P.c.active.is_(True))
    out = []
    for r in conn.execute(query):
        u = tree.by_id.get(r.unit_id) if r.unit_id else None
        out.append({"key": r.key, "name": r.name, "title": r.title or "",
                    "unit": tree.title_path(u) if u else "", "roles": r.roles,
                    "active": bool(r.active)})
    return out


def deactivate(conn: Connection, key: str, *, actor: str | None,
               day: dt.date | None = None) -> None:
    """Stop ``key`` acting, as the administrator ``actor``: the row keeps its history, the
    change checks the version read."""
    actor = require_admin(conn, actor)
    row = conn.execute(select(P.c.id, P.c.version, P.c.active).where(P.c.key == key)).first()
    if row is None:
        raise NotFound(_("unknown person '{key}'").format(key=key), _("see 'rectify person list'"))
    if not row.active:
        raise InvalidInput(_("person '{key}' is already deactivated").format(key=key), _("nothing to do"))
    if key == actor:
        raise Refused(_("'{actor}' may not deactivate themselves").format(actor=actor),
                      _("ask another administrator, so that one always remains"))
    lock(conn, [SITE])  # the chain head first: the writers' one lock order
    apply_edits(conn, {"person": P}, [Edit(row.id, row.version, "person", {"active": False})])
    write_site(conn, [site_entry(PersonDeactivated(), subject=key, actor=actor,
                                 day=day or site_today(), subject_id=row.id)])


def first_admin(conn: Connection, tree: UnitTree, key: str, name: str | None) -> str:
    """Create the site's first administrator (``rectify init --admin``), once."""
    admins = [r.key for r in conn.execute(select(P.c.key, P.c.roles).where(P.c.active.is_(True)))
              if ADMIN_ROLE in (r.roles or "").split()]
    if key in admins:
        return f"administrator {key} exists"
    if admins:
        raise Refused(_("the site already has an administrator ({names})").format(
            names=', '.join(sorted(admins))),
                      _("ask them: rectify person add {key} --name NAME --role {ADMIN_ROLE} --actor "
                        "ADMIN-KEY").format(key=key, ADMIN_ROLE=ADMIN_ROLE))
    if conn.execute(select(P.c.id).where(P.c.key == key)).first():
        raise InvalidInput(_("person '{key}' already exists and is not an administrator").format(key=key),
                           _("give a new key to --admin"))
    # the one change to people made without an administrator: there is none yet
    _insert_person(conn, tree, key, name or key, None, [ADMIN_ROLE], None, actor=key, day=None,
                   origin=None)
    return f"administrator {key} added"


def resolve_actor(conn: Connection, key: str | None, role_keys: set[str] | None = None) -> Actor:
    """The person behind ``--actor``; the clock alone may act as 'system'."""
    if not key:
        raise InvalidInput(_("who is doing this? --actor is required for every change"),
                           _("pass --actor PERSON-KEY or set RECTIFY_ACTOR"))
    if key == SYSTEM_ACTOR:
        raise Refused(_("'system' is reserved for the clock (rectify tick)"),
                      _("pass your own person key with --actor"))
    row = conn.execute(select(P.c.id, P.c.roles, P.c.active, U.c.path)
                       .select_from(P.outerjoin(U, U.c.id == P.c.unit_id))
                       .where(P.c.key == key)).first()
    if row is None:
        raise NotFound(_("unknown actor '{key}'").format(
            key=key), _("add the person with 'rectify person add' first"))
    if not row.active:
        raise Refused(_("actor '{key}' has been deactivated").format(key=key), _("act as an active person"))
    roles = frozenset(r for r in (row.roles or "").split() if role_keys is None or r in role_keys)
    return Actor(key, roles, {"unit_path": row.path or "", "person_id": row.id})


def person_id(conn: Connection, key: str) -> int:
    pid = conn.execute(select(P.c.id).where(P.c.key == key)).scalar()
    if pid is None:
        raise NotFound(_("unknown person '{key}'").format(key=key), _("see 'rectify person list'"))
    return int(pid)

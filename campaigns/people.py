"""People (keys, since Chinese names repeat) and turning ``--actor`` into an engine Actor."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import EngineError, InvalidInput, NotFound, Refused
from engine.core.machines import SYSTEM_ACTOR, Actor
from engine.core.moves import Edit
from engine.io.store import Prepared
from engine.io.writer import apply_edits

from .admins import ADMIN_ROLE, require_admin
from .events import (
    Origin,
    PersonAdded,
    PersonDeactivated,
    PersonEdited,
    PersonLeft,
    PersonReturned,
    lock,
    site_entry,
    write_site,
)
from .i18n import _
from .tables import PEOPLE as P, SITE, UNITS as U, insert_id
from .units import ImportReport, UnitTree, effective_day, site_today

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
                  day: dt.date | None = None, update: bool = False,
                  dry_run: bool = False) -> ImportReport:
    """Add every person of ``rows`` (read from ``file`` before the transaction), all or
    nothing: every bad row is reported, and none is written if one is.  With ``update`` a row
    whose key exists changes that person to the file's values (name, unit, roles, post: the
    columns it has); without, it is refused.  ``dry_run``: the same checks and report, nothing
    written."""
    import os

    from .tabular import ImportErrors

    actor = require_admin(conn, actor)  # once, before any row: not a refusal per row
    tree = UnitTree.load(conn)
    problems: list[str] = []
    report = ImportReport(dry_run=dry_run)
    known = {r.key for r in conn.execute(select(P.c.key))}
    outer = conn.begin_nested() if dry_run else None
    for row in rows:
        v = row.values
        key = v.get("key", "")
        roles = _roles(v["roles"]) if "roles" in v else None
        origin = Origin(os.path.basename(file), None, row.number)
        try:
            with conn.begin_nested():
                if key in known:
                    if not update:
                        raise InvalidInput(_("person '{key}' already exists (import with "
                                             "--update to change them to the file's values)")
                                           .format(key=key), _("import with --update"))
                    changed = edit_person(conn, tree, key, name=v.get("name"),
                                          unit=v.get("unit"), roles=roles,
                                          title=v.get("title"), actor=actor, day=day,
                                          origin=origin)
                    if changed:
                        report.changed[key] = sorted(changed)
                    else:
                        report.unchanged += 1
                else:
                    add_person(conn, tree, key, v.get("name", ""), v.get("unit") or None,
                               roles or [], v.get("title") or None, actor=actor, day=day,
                               origin=origin)
                    report.added.append(key)
                    known.add(key)
        except EngineError as exc:
            problems.append(f"{file}: row {row.number}: {exc.message}")
    if outer is not None:
        outer.rollback()
    if problems:
        raise ImportErrors(file, problems)
    return report


def _roles(text: str) -> list[str]:
    return text.replace(";", " ").replace(",", " ").replace("，", " ").replace("；", " ").split()


def edit_person(conn: Connection, tree: UnitTree, key: str, *, name: str | None = None,
                unit: str | None = None, roles: Sequence[str] | None = None,
                title: str | None = None, actor: str | None, day: dt.date | None = None,
                origin: Origin | None = None) -> dict[str, tuple[Any, Any]]:
    """Change person ``key``'s name, unit ('' for none), roles (the whole set) or post ('' for
    none) from ``day`` on, as the administrator ``actor``: one ``person edited`` event with the
    old and new values.  Returns field → (old, new) of what changed; nothing: nothing written."""
    actor = require_admin(conn, actor)
    row = conn.execute(select(P).where(P.c.key == key)).first()
    if row is None:
        raise NotFound(_("unknown person '{key}'").format(key=key), _suggest_person(conn, key))
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if name is not None and name.strip() != row.name:
        if not name.strip():
            raise InvalidInput(_("a person needs a name"), _("give a --name that is not empty"))
        old["name"], new["name"] = row.name, name.strip()
        values["name"] = name.strip()
    if unit is not None:
        unit_row = tree.find(unit) if unit.strip() else None
        if unit_row is not None and unit_row.ended_on is not None:
            raise InvalidInput(_("unit '{code}' no longer exists (ended {day})").format(
                                   code=unit_row.code, day=unit_row.ended_on),
                               _("use a unit that still exists; see 'rectify unit list'"))
        now_id = unit_row.id if unit_row else None
        if now_id != row.unit_id:
            was = tree.by_id.get(row.unit_id) if row.unit_id else None
            old["unit"] = was.code if was else None
            new["unit"] = unit_row.code if unit_row else None
            values["unit_id"] = now_id
    if roles is not None:
        for role in roles:
            if not KEY.fullmatch(role):
                raise InvalidInput(_("role '{role}' is not a valid role key").format(role=role),
                                   _("roles are keys from the definition, e.g. "
                                     "supervision-office"))
        was_roles, now_roles = sorted(set((row.roles or "").split())), sorted(set(roles))
        if was_roles != now_roles:
            if key == actor and ADMIN_ROLE in was_roles and ADMIN_ROLE not in now_roles:
                raise Refused(_("'{actor}' may not give up their own role '{role}'").format(
                                  actor=actor, role=ADMIN_ROLE),
                              _("ask another administrator, so that one always remains"))
            old["roles"], new["roles"] = was_roles, now_roles
            values["roles"] = " ".join(now_roles)
    if title is not None and (title.strip() or None) != row.title:
        old["title"], new["title"] = row.title, title.strip() or None
        values["title"] = title.strip() or None
    if not new:
        return {}
    day = effective_day(conn, "person", row.id, day)
    lock(conn, [SITE])  # the chain head first: the writers' one lock order
    apply_edits(conn, {"person": P}, [Edit(row.id, row.version, "person", values)])
    write_site(conn, [site_entry(PersonEdited(old, new, origin), subject=key, actor=actor,
                                 day=day, subject_id=row.id)])
    return {k: (old[k], new[k]) for k in new}


def leave(conn: Connection, key: str, successor: str | None, *, actor: str | None,
          day: dt.date | None = None, note: str | None = None) -> dict[str, Any]:
    """Person ``key`` leaves on ``day`` (no longer acts; kept for history), as the
    administrator ``actor``: every open item they answer for (责任人 or 责任领导) goes to
    ``successor``, with an ``edit`` event each in its campaign's log; then ``person left``."""
    from .handover import hand_over, open_items

    actor = require_admin(conn, actor)
    row = conn.execute(select(P.c.id, P.c.version, P.c.active, P.c.left_on)
                       .where(P.c.key == key)).first()
    if row is None:
        raise NotFound(_("unknown person '{key}'").format(key=key), _suggest_person(conn, key))
    if not row.active:
        raise InvalidInput(_("person '{key}' has already left or been deactivated").format(key=key),
                           _("nothing to do; 'rectify person edit {key} --return' brings them "
                             "back").format(key=key))
    if key == actor:
        raise Refused(_("'{actor}' may not deactivate themselves").format(actor=actor),
                      _("ask another administrator, so that one always remains"))
    items = open_items(conn, person_id=row.id)
    successor_id: int | None = None
    if successor is not None:
        found = conn.execute(select(P.c.id, P.c.active).where(P.c.key == successor)).first()
        if found is None:
            raise NotFound(_("unknown successor '{key}'").format(key=successor),
                           _suggest_person(conn, successor))
        if found.id == row.id:
            raise InvalidInput(_("'{key}' cannot succeed themselves").format(key=key),
                               _("give --successor another person"))
        if not found.active:
            raise InvalidInput(_("successor '{key}' no longer acts").format(key=successor),
                               _("give an active person as --successor"))
        successor_id = found.id
    elif items:
        codes = ", ".join(it.code for it in items[:5]) + (" …" if len(items) > 5 else "")
        raise InvalidInput(_("'{key}' answers for {n} open item(s): {codes}").format(
                               key=key, n=len(items), codes=codes),
                           _("name who takes them over: --successor KEY"))
    day = effective_day(conn, "person", row.id, day)
    said = note or _("{key} left; handed to {successor}").format(key=key, successor=successor)
    if successor_id is not None:
        hand_over(conn, items, row.id, successor_id, actor=actor, day=day, note=said)
    else:
        lock(conn, [SITE])  # the chain head first: the writers' one lock order
    apply_edits(conn, {"person": P}, [Edit(row.id, row.version, "person",
                                           {"active": False, "left_on": day})])
    write_site(conn, [site_entry(PersonLeft(successor,
                                            [it.code for it in items]),
                                 subject=key, actor=actor, day=day, subject_id=row.id, note=note)])
    return {"key": key, "successor": successor, "items": [it.code for it in items]}


def return_person(conn: Connection, key: str, *, actor: str | None,
                  day: dt.date | None = None) -> None:
    """Person ``key``, who left or was deactivated, acts again from ``day`` on."""
    actor = require_admin(conn, actor)
    row = conn.execute(select(P.c.id, P.c.version, P.c.active).where(P.c.key == key)).first()
    if row is None:
        raise NotFound(_("unknown person '{key}'").format(key=key), _suggest_person(conn, key))
    if row.active:
        raise InvalidInput(_("person '{key}' has not left").format(key=key), _("nothing to do"))
    day = effective_day(conn, "person", row.id, day)
    lock(conn, [SITE])  # the chain head first: the writers' one lock order
    apply_edits(conn, {"person": P}, [Edit(row.id, row.version, "person",
                                           {"active": True, "left_on": None})])
    write_site(conn, [site_entry(PersonReturned(), subject=key, actor=actor, day=day,
                                 subject_id=row.id)])


def _suggest_person(conn: Connection, text: str) -> str:
    """The closest person keys or names to ``text``, as a hint."""
    import difflib

    rows = conn.execute(select(P.c.key, P.c.name)).all()
    keys = difflib.get_close_matches(text, [r.key for r in rows], n=3)
    by_name = [r.key for r in rows if r.name == text]
    close = list(dict.fromkeys(by_name + keys))
    if close:
        return _("did you mean {keys}?").format(keys=", ".join(f"'{k}'" for k in close))
    return _("see 'rectify person list'")


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
    if unit_row is not None and unit_row.ended_on is not None:
        raise InvalidInput(_("unit '{code}' no longer exists (ended {day})").format(
                               code=unit_row.code, day=unit_row.ended_on),
                           _("use a unit that still exists; see 'rectify unit list'"))
    pid = insert_id(conn, insert(P).values(key=key, name=name.strip(), title=title,
                                           unit_id=unit_row.id if unit_row else None,
                                           roles=" ".join(sorted(set(roles))), active=True))
    write_site(conn, [site_entry(
        PersonAdded(name.strip(), unit_row.code if unit_row else None, sorted(set(roles)), title,
                    origin), subject=key, actor=actor, day=day or site_today(), subject_id=pid)])
    return {"key": key, "name": name, "unit": unit_row.code if unit_row else None, "roles": roles}


def list_people(conn: Connection, tree: UnitTree, unit: str | None = None,
                include_inactive: bool = False, as_of: dt.date | None = None
                ) -> list[dict[str, Any]]:
    """People in key order, active ones unless ``include_inactive``; with ``as_of``, as they
    were at the end of that date (``campaigns.names``; ``tree``: the tree of that date)."""
    from .filters import filter_unit
    from .names import site_at

    inside = set(tree.subtree_ids(filter_unit(tree, unit))) if unit else None
    out = []
    for r in sorted(site_at(conn, as_of).people.values(), key=lambda p: p.key):
        if (inside is not None and r.unit_id not in inside) or not (include_inactive or r.active):
            continue
        u = tree.by_id.get(r.unit_id) if r.unit_id else None
        out.append({"key": r.key, "name": r.name, "title": r.title or "",
                    "unit": tree.title_path(u) if u else "", "roles": " ".join(r.roles),
                    "active": r.active})
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
    rows = _ACTOR.rows(conn, {"key": key})
    if not rows:
        raise NotFound(_("unknown actor '{key}'").format(
            key=key), _("add the person with 'rectify person add' first"))
    pid, held, active, path = rows[0]
    if not active:
        raise Refused(_("actor '{key}' has been deactivated").format(key=key), _("act as an active person"))
    roles = frozenset(r for r in (held or "").split() if role_keys is None or r in role_keys)
    return Actor(key, roles, {"unit_path": path or "", "person_id": pid})


# compiled once: every change and every request of the web door resolves its actor
_ACTOR = Prepared(select(P.c.id, P.c.roles, P.c.active, U.c.path)
                  .select_from(P.outerjoin(U, U.c.id == P.c.unit_id))
                  .where(P.c.key == bindparam("key")))


def person_id(conn: Connection, key: str) -> int:
    pid = conn.execute(select(P.c.id).where(P.c.key == key)).scalar()
    if pid is None:
        raise NotFound(_("unknown person '{key}'").format(key=key), _("see 'rectify person list'"))
    return int(pid)

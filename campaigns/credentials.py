"""People's credentials for the web door: passwords (argon2id hashes) and API tokens (SHA-256).

A password is set by an administrator or by the person themselves; only its argon2id hash is
kept (argon2-cffi, the reference implementation's binding, with its default parameters), and
the log records that it changed, never what it is.  An API token is 32 random bytes shown once;
the table keeps its SHA-256, so a stolen copy of the database grants nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound, Refused
from engine.core.moves import Edit
from engine.io.store import Prepared, now
from engine.io.writer import apply_edits

from . import events as ev
from .admins import ADMIN_ROLE
from .tables import API_TOKENS as T, CREDENTIALS as C, PEOPLE as P, SITE, insert_id
from .units import site_today

MIN_PASSWORD = 10  # characters; a pass phrase is welcome
MAX_PASSWORD = 1024  # argon2 takes any length; a bound keeps a request's work bounded
TOKEN_PREFIX = "rct_"
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory defaults


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` with its time zone: SQLite hands back the UTC times it stored without one."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def digest(secret: str) -> str:
    """The SHA-256 kept for a token or a session cookie."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _person(conn: Connection, key: str) -> Any:
    row = conn.execute(select(P.c.id, P.c.key, P.c.roles, P.c.active).where(P.c.key == key)).first()
    if row is None:
        raise NotFound(f"unknown person '{key}'", "see 'rectify person list'")
    return row


def _allowed(conn: Connection, key: str, actor: str | None, what: str) -> Any:
    """The person ``key``, when ``actor`` is an administrator or that person."""
    if not actor:
        raise Refused(f"who is doing this? a {what} is set by an administrator or the person",
                      "pass --actor PERSON-KEY (or set RECTIFY_ACTOR)")
    me = _person(conn, actor)
    if not me.active:
        raise Refused(f"actor '{actor}' has been deactivated", "act as an active person")
    if actor != key and ADMIN_ROLE not in (me.roles or "").split():
        raise Refused(f"'{actor}' may not set the {what} of '{key}'",
                      "only an administrator or the person themselves may")
    person = _person(conn, key)
    if not person.active:
        raise Refused(f"person '{key}' has been deactivated", "reactivate them first")
    return person


def check_password(password: str) -> str:
    """``password`` if it may be used, or a refusal that says why."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters",
                           "choose a longer one, e.g. a phrase of several words")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password may have at most {MAX_PASSWORD} characters",
                           "choose a shorter one")
    if password.strip() != password or "\x00" in password:
        raise InvalidInput("a password may not begin or end with a space, nor hold a NUL",
                           "type it again without them")
    return password


def set_password(conn: Connection, key: str, password: str, *, actor: str | None) -> None:
    """Set (or change) ``key``'s password, as an administrator or the person themselves."""
    person = _allowed(conn, key, actor, "password")
    hashed = _hasher.hash(check_password(password))
    assert actor is not None
    ev.lock(conn, [SITE])  # the chain head first: the writers' one lock order
    row = conn.execute(select(C.c.id, C.c.version).where(C.c.person_id == person.id)).first()
    if row is None:
        insert_id(conn, insert(C).values(person_id=person.id, password_hash=hashed, set_at=now(),
                                         version=0))
    else:
        apply_edits(conn, {"credential": C}, [Edit(row.id, row.version, "credential",
                                                    {"password_hash": hashed, "set_at": now()})])
    ev.write_site(conn, [ev.site_entry(ev.PasswordSet(), subject=key, actor=actor,
                                       day=site_today(), subject_id=person.id)])


def password_matches(conn: Connection, person_id: int, password: str) -> bool | None:
    """Whether ``password`` is the person's (None: they have none).  The hash is upgraded to
    the hasher's current parameters when it matches on older ones."""
    row = conn.execute(select(C.c.id, C.c.version, C.c.password_hash)
                       .where(C.c.person_id == person_id)).first()
    if row is None:
        return None
    try:
        _hasher.verify(row.password_hash, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(row.password_hash):
        apply_edits(conn, {"credential": C}, [Edit(row.id, row.version, "credential",
                                                    {"password_hash": _hasher.hash(password)})])
    return True


def burn() -> None:
    """Spend the time a verification takes, for a person without a password (or none at all),
    so the answer's timing does not tell whether a key exists."""
    global _dummy
    if _dummy is None:
        _dummy = _hasher.hash(secrets.token_hex(16))
    try:
        _hasher.verify(_dummy, "nobody's password")
    except VerificationError:
        pass


_dummy: str | None = None


def issue_token(conn: Connection, key: str, *, actor: str | None, label: str | None = None,
                expires: dt.date | None = None) -> str:
    """A new API token for ``key``: returned once, kept as its SHA-256 only."""
    person = _allowed(conn, key, actor, "token")
    assert actor is not None
    today = site_today()
    if expires is not None and expires <= today:
        raise InvalidInput(f"--expires {expires} is not after today ({today})",
                           "give a later date, or leave it out for a token that does not expire")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ev.lock(conn, [SITE])
    tid = insert_id(conn, insert(T).values(person_id=person.id, sha256=digest(token), label=label,
                                           created_at=now(), expires_on=expires))
    ev.write_site(conn, [ev.site_entry(ev.TokenIssued(tid, label or None, expires), subject=key,
                                       actor=actor, day=today, subject_id=person.id)])
    return token


def token_person(conn: Connection, token: str, today: dt.date) -> str | None:
    """The key of the active person ``token`` belongs to, while it has not expired."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    rows = _TOKEN.rows(conn, {"sha256": digest(token)})
    if not rows:
        return None
    key, active, expires_on = rows[0]
    if not active or (expires_on is not None and expires_on <= today):
        return None
    return str(key)


# compiled once: every request of the JSON API looks its token up
_TOKEN = Prepared(select(P.c.key, P.c.active, T.c.expires_on)
                  .select_from(T.join(P, P.c.id == T.c.person_id))
                  .where(T.c.sha256 == bindparam("sha256")))

"""Signing in to the web door: sessions with an expiry, throttling, and a record of every try.

Every sign-in, refused or not, is an event of the site log (``login`` / ``login failed``), so
the audit chain says who came in from where.  Refusals are counted from those same events:
after ``PER_PERSON`` failures for one key, or ``PER_ADDRESS`` from one address, within
``WINDOW``, further tries are refused without looking at the password until the window has
passed.  The log being the counter, every server process against the database agrees.

A session is a random cookie whose SHA-256 is kept with its own CSRF secret and its expiry;
signing out ends it at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from engine.core.moves import Edit
from engine.io.store import now
from engine.io.writer import apply_edits

from . import events as ev
from .credentials import burn, digest, password_matches, utc
from .tables import PEOPLE as P, SITE, SITE_EVENTS as SE, WEB_SESSIONS as S, insert_id
from .units import site_today

WINDOW = dt.timedelta(minutes=15)
PER_PERSON = 5
PER_ADDRESS = 20
SESSION_LENGTH = dt.timedelta(hours=8)  # a working day; then sign in again
MAX_KEY = 64


@dataclass(frozen=True)
class Login:
    """The outcome of a sign-in: a session (``cookie``, ``csrf``) or the reason it was refused."""

    ok: bool
    reason: str = ""
    person: str = ""
    cookie: str = ""
    csrf: str = ""


@dataclass(frozen=True)
class Session:
    """A signed-in browser: whose, its CSRF secret, its row."""

    id: int
    version: int
    person: str
    csrf: str


def _failures(conn: Connection, key: str, address: str, since: dt.datetime) -> tuple[int, int]:
    """Failed sign-ins since ``since``: for ``key``, and from ``address``."""
    recent = (select(SE.c.subject_key, SE.c.payload)
              .where(SE.c.machine == "login", SE.c.trigger == "fail", SE.c.recorded_at >= since))
    by_key = by_address = 0
    for subject, payload in conn.execute(recent):
        by_key += subject == key
        by_address += (payload or {}).get("address") == address
    return by_key, by_address


def login(conn: Connection, key: str, password: str, address: str,
          length: dt.timedelta = SESSION_LENGTH) -> Login:
    """Try to sign ``key`` in from ``address``; the try is recorded whatever its outcome."""
    key = key.strip()[:MAX_KEY]
    address = address[:64]
    moment = now()
    by_key, by_address = _failures(conn, key, address, moment - WINDOW)
    row = conn.execute(select(P.c.id, P.c.active).where(P.c.key == key)).first()
    if by_key >= PER_PERSON or by_address >= PER_ADDRESS:
        reason = "throttled"
    elif row is None:
        burn()
        reason = "unknown"
    else:
        matched = password_matches(conn, row.id, password)
        if matched is None:
            burn()
        reason = ("no-password" if matched is None else "password" if not matched
                  else "inactive" if not row.active else "")
    ev.lock(conn, [SITE])
    if reason or row is None:
        ev.write_site(conn, [ev.site_entry(ev.LoginFailed(address, reason), subject=key or "-",
                                           actor=key or "-", day=site_today())])
        return Login(False, reason, key)
    return _open(conn, key, row.id, address, length)


def _open(conn: Connection, key: str, person_id: int, address: str,
          length: dt.timedelta) -> Login:
    """A new session of ``key``, and its ``login`` event."""
    moment = now()
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    insert_id(conn, insert(S).values(sha256=digest(cookie), person_id=person_id, csrf=csrf,
                                     address=address, created_at=moment,
                                     expires_at=moment + length, version=0))
    ev.write_site(conn, [ev.site_entry(ev.LoggedIn(address), subject=key, actor=key,
                                       day=site_today(), subject_id=person_id)])
    return Login(True, "", key, cookie, csrf)


def login_vouched(conn: Connection, key: str, address: str,
                  length: dt.timedelta = SESSION_LENGTH, refusal: str = "") -> Login:
    """Sign ``key`` in on the word of the site's OpenID Connect provider (no password), or
    record why not: ``refusal`` (the provider's answer did not hold), or the person is
    unknown or inactive.  Recorded as every sign-in is."""
    key = key.strip()[:MAX_KEY]
    address = address[:64]
    row = conn.execute(select(P.c.id, P.c.active).where(P.c.key == key)).first() if key else None
    reason = (f"openid: {refusal}"[:64] if refusal else "unknown" if row is None
              else "inactive" if not row.active else "")
    ev.lock(conn, [SITE])
    if reason or row is None:
        ev.write_site(conn, [ev.site_entry(ev.LoginFailed(address, reason), subject=key or "-",
                                           actor=key or "-", day=site_today())])
        return Login(False, reason, key)
    return _open(conn, key, row.id, address, length)


def session(conn: Connection, cookie: str) -> Session | None:
    """The live session of ``cookie`` (None: unknown, ended, expired, or its person inactive)."""
    if not cookie or len(cookie) > 200:
        return None
    row = conn.execute(select(S.c.id, S.c.version, S.c.csrf, S.c.expires_at, S.c.ended_at,
                              P.c.key, P.c.active)
                       .select_from(S.join(P, P.c.id == S.c.person_id))
                       .where(S.c.sha256 == digest(cookie))).first()
    if row is None or row.ended_at is not None or not row.active or utc(row.expires_at) <= now():
        return None
    return Session(row.id, row.version, row.key, row.csrf)


def logout(conn: Connection, cookie: str) -> bool:
    """End the session of ``cookie``; whether there was one to end."""
    live = session(conn, cookie)
    if live is None:
        return False
    ev.lock(conn, [SITE])
    apply_edits(conn, {"session": S}, [Edit(live.id, live.version, "session", {"ended_at": now()})])
    ev.write_site(conn, [ev.site_entry(ev.LoggedOut(), subject=live.person, actor=live.person,
                                       day=site_today())])
    return True


def live_sessions(conn: Connection, key: str) -> int:
    """How many sessions of ``key`` are open now (for tests and an administrator's view)."""
    pid = select(P.c.id).where(P.c.key == key).scalar_subquery()
    return int(conn.execute(select(func.count()).select_from(S).where(
        S.c.person_id == pid, S.c.ended_at.is_(None), S.c.expires_at > now())).scalar() or 0)

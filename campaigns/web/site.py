"""What every request of the web door shares: the database, the business date, the templates,
the language, and who is signed in.

A request's database work runs in the event loop's thread, one request at a time per
process: SQLite has one writer anyway, and every view of an entitled person writes (a read of
confidential fields is recorded, campaigns.confidential), so the transactions are write ones,
as the command line's ``--actor`` views are.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse

from campaigns import i18n
from campaigns.db import Database
from campaigns.items import MAX_EVIDENCE
from campaigns.logins import SESSION_LENGTH, Session, session

from .work import Today, default_today

HERE = os.path.dirname(__file__)
SESSION_COOKIE = "rectify_session"
LOGIN_COOKIE = "rectify_login"  # the CSRF secret of the sign-in form (no session yet)
LANG_COOKIE = "rectify_lang"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


@dataclass
class Site:
    """One running web door: its database and settings."""

    db: Database
    today: Today = default_today
    session_length: dt.timedelta = SESSION_LENGTH
    max_upload: int = MAX_EVIDENCE
    env: Environment = field(default_factory=lambda: templates())


def templates() -> Environment:
    """Jinja2 with every value escaped: a title holding ``<script>`` is shown, never run."""
    return Environment(loader=FileSystemLoader(os.path.join(HERE, "templates")),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


@contextlib.contextmanager
def reading(db: Database) -> Iterator[Connection]:
    """A page's transaction when it changes nothing: a read transaction, so that on SQLite a
    page being read holds no writer's lock and a command or a form is not kept waiting.  The
    one thing a page records, an entitled person's read of confidential fields, is written
    after it in a short write transaction of its own, before the page is shown."""
    from campaigns.confidential import reads_kept, write_reads

    with reads_kept() as pending:
        with db.read() as conn:
            yield conn
    if pending:
        with db.write() as conn:
            write_reads(conn, pending)


def site(request: Request) -> Site:
    found: Site = request.app.state.site
    return found


class LoginNeeded(Exception):
    """No valid session (or token) came with a request that needs one."""


class CsrfRefused(Exception):
    """A form came without the secret its page carried."""


def signed_in(conn: Connection, request: Request) -> Session:
    """The session the request's cookie names, or LoginNeeded."""
    found = session(conn, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise LoginNeeded()
    return found


def check_csrf(expected: str, form: Any) -> None:
    """The form's ``csrf`` field must equal the session's secret (constant-time)."""
    given = form.get("csrf") if form is not None else None
    if not isinstance(given, str) or not expected or not hmac.compare_digest(given, expected):
        raise CsrfRefused()


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _catalog(lang: str) -> Any:
    return i18n.translations(lang)


def address(request: Request) -> str:
    """The client's address (behind nginx: the forwarded one, which uvicorn trusts only from
    the addresses given to ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else "-"


def secure(request: Request) -> bool:
    """Whether cookies may be marked Secure: the request came over HTTPS (also via nginx)."""
    return request.url.scheme == "https"


def render(request: Request, name: str, http_status: int = 200, **values: Any) -> HTMLResponse:
    """Template ``name`` in the request's language."""
    lang = language(request)
    catalog = _catalog(lang)
    html = site(request).env.get_template(name).render(
        _=catalog.gettext, ngettext=catalog.ngettext,
        column=lambda key: catalog.pgettext("column", key), lang=lang, request=request, **values)
    return HTMLResponse(html, status_code=http_status)

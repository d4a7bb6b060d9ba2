"""Options every command shares: --db, --as-of, --actor; and opening what they name."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from campaigns.context import Scope
    from campaigns.runs import Run

DB = click.option("--db", envvar="RECTIFY_DB", metavar="URL",
                  help="SQLite file or database URL [env RECTIFY_DB; default ./rectify.db].")
AS_OF = click.option("--as-of", "as_of", metavar="DATE",
                     help="Business date (YYYY-MM-DD); default today in the campaign's time zone.")
ACTOR = click.option("--actor", envvar="RECTIFY_ACTOR", metavar="PERSON",
                     help="Person key of who acts [env RECTIFY_ACTOR].")


def common(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--db and --as-of: for commands that change things on a business date, and for views
    that show a campaign as it stood at the end of one (``campaigns.reducer``)."""
    return DB(AS_OF(fn))


def db_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--db alone: listings that cannot be shown as of a past date take no --as-of."""
    return DB(fn)


def database(url: str | None) -> Any:
    """The database the command names; by now its modules are loaded, so collect garbage again."""
    from campaigns.db import Database

    if not gc.isenabled():  # switched off by main() for start-up; never on in a library caller
        gc.freeze()  # what start-up made lives as long as the process: never scan it again
        gc.enable()
    return Database(url)


def as_of_date(text: str | None, timezone: str = "Asia/Shanghai") -> dt.date:
    from campaigns.dates import parse_date, today

    return parse_date(text, "--as-of") if text else today(timezone)


def scope_of(conn: Connection, run: Run, as_of: str | None, actor: str | None,
             need_actor: bool = True) -> Scope:
    """What a command works in: its campaign, who acts (``--actor``), its business date.

    A view that needs no actor still takes one when given (an entitled viewer sees more).
    """
    from campaigns.context import Scope
    from campaigns.people import resolve_actor

    who = resolve_actor(conn, actor, set(run.definition.roles)) if (need_actor or actor) else None
    return Scope(conn, run, who, as_of_date(as_of, run.timezone))


def viewing(url: str | None, actor: str | None) -> Any:
    """A view's transaction: a writing one when --actor is given, because what an entitled
    viewer is shown of confidential fields is recorded as an event (campaigns.confidential)."""
    db = database(url)
    return db.write() if actor else db.read()

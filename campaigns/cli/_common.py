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
UNIT = click.option("--unit", metavar="UNIT",
                    help="Only this unit and the units under it (code, title or path).")
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
             need_actor: bool = True, unit: str | None = None) -> Scope:
    """What a command works in: its campaign, who acts (``--actor``), its business date, and
    for an output cut for one unit (``--unit``), that unit with its subtree.

    A view that needs no actor still takes one when given (an entitled viewer sees more).
    """
    from campaigns.context import Scope
    from campaigns.people import resolve_actor

    who = resolve_actor(conn, actor, set(run.definition.roles)) if (need_actor or actor) else None
    scope = Scope(conn, run, who, as_of_date(as_of, run.timezone))
    if unit:
        tree = scope.tree
        from campaigns.filters import filter_unit

        scope = Scope(conn, run, who, scope.as_of, filter_unit(tree, unit))
        scope.__dict__["tree"] = tree  # already read in this transaction
    return scope


def viewing(url: str | None, actor: str | None) -> Any:
    """A view's transaction: a writing one when --actor is given, because what an entitled
    viewer is shown of confidential fields is recorded as an event (campaigns.confidential)."""
    db = database(url)
    return db.write() if actor else db.read()


OUTPUT_HINT = "'-o' / '--output'"


def output_file(path: str, extensions: tuple[str, ...], what: str) -> str:
    """An output file's name, checked before any work: a wrong extension is a usage error
    (exit 2) in every command that writes a file (docs/cli.md, "Exit codes")."""
    import errno
    import os

    from campaigns.i18n import _

    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in extensions:
        has = _("extension .{ext}").format(ext=ext) if ext else _("no extension")
        raise click.BadParameter(
            _("cannot write {what} to '{path}': it has {has}; give a file ending in {exts}").format(
                what=what, path=path, has=has, exts=", ".join("." + e for e in extensions)),
            param_hint=OUTPUT_HINT)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):  # as when the file itself cannot be written: exit 4
        from engine.core.errors import EnvironmentProblem

        raise EnvironmentProblem(
            _("cannot write or read {name}: {reason}").format(
                name=path, reason=os.strerror(errno.ENOENT)),
            _("check the folder exists and may be written"))
    return path

"""``rectify person password`` and ``rectify person token``: credentials for the web door."""

from __future__ import annotations

import sys

import click

from campaigns.i18n import _

from ._common import ACTOR, database, db_only


def _read_password() -> str:
    """From a hidden prompt (typed twice) at a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        value: str = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


@click.command("password")
@click.argument("key")
@ACTOR
@db_only
def person_password(key: str, actor: str | None, db: str | None) -> None:
    """Set the web password of person KEY (an administrator, or KEY themselves).

    The password is read from a hidden prompt, or from the first line of standard input
    when that is not a terminal; only its argon2 hash is kept.
    """
    from campaigns.credentials import check_password, set_password

    password = check_password(_read_password())  # refused before the database is opened
    with database(db).write() as conn:
        set_password(conn, key, password, actor=actor)
    click.echo(_("password set for {key}").format(key=key))


@click.command("token")
@click.argument("key")
@click.option("--label", help="What the token is for, e.g. the system that uses it.")
@click.option("--expires", metavar="DATE", help="Last day before it stops working (none: never).")
@ACTOR
@db_only
def person_token(key: str, label: str | None, expires: str | None, actor: str | None,
                 db: str | None) -> None:
    """Issue an API token for person KEY and print it once (only its SHA-256 is kept)."""
    from campaigns.credentials import issue_token
    from campaigns.dates import parse_date

    until = parse_date(expires, "--expires") if expires else None
    with database(db).write() as conn:
        token = issue_token(conn, key, actor=actor, label=label, expires=until)
    click.echo(token)
    click.echo(_("token issued for {key}; it is shown only this once").format(key=key),
               err=True)

"""``rectify db``: the database itself — keys of confidential values, backups, retention."""

from __future__ import annotations

import click

from campaigns.i18n import _

from ._common import database


@click.group("db")
def db_group() -> None:
    """The database itself: encryption keys, consistent backups, retention of personal data."""


@db_group.command("keygen")
@click.argument("file", type=click.Path(dir_okay=False))
def keygen(file: str) -> None:
    """Write a new random key for confidential values into FILE (0600; never overwritten)."""
    import base64
    import os

    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.UsageError(_("{file} exists: a key is never overwritten, choose another name").format(
            file=file)) from None
    except OSError as e:
        raise click.UsageError(_("cannot write {file}: {strerror}").format(
            file=file, strerror=e.strerror)) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(os.urandom(32)) + b"\n")
    from campaigns.secrets import Vault, read_key_file

    click.echo(_("wrote key {key_id} to {file}: keep a copy apart from the database's backups, and set "
                 "RECTIFY_KEY_FILE to it").format(key_id=Vault(read_key_file(file)).key_id, file=file))


@db_group.command("rotate-key")
@click.option("--new-key-file", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The new key (from 'rectify db keygen'); the current one is RECTIFY_KEY_FILE.")
@click.option("--db", envvar="RECTIFY_DB", metavar="URL",
              help="SQLite file or database URL [env RECTIFY_DB; default ./rectify.db].")
def rotate_key(new_key_file: str, db: str | None) -> None:
    """Re-encrypt every confidential value with a new key, in one transaction.

    Only the secrets table is rewritten: events carry no values, so the log is untouched.
    Values still in plain text (kept before a key was set) are encrypted too.
    """
    from campaigns.secrets import Vault, read_key_file, rotate, vault

    old, new = vault(), Vault(read_key_file(new_key_file))
    with database(db).write() as conn:
        n = rotate(conn, old, new)
    click.echo(_("re-encrypted {n} value(s) with key {key_id}: set RECTIFY_KEY_FILE={new_key_file} from now "
                 "on").format(n=n, key_id=new.key_id, new_key_file=new_key_file))


@db_group.command("backup")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--db", envvar="RECTIFY_DB", metavar="URL",
              help="SQLite file or database URL [env RECTIFY_DB; default ./rectify.db].")
def backup(out: str, db: str | None) -> None:
    """Copy the database to OUT (0600), consistent even while writers run.

    SQLite: the online backup API copies one snapshot of the whole file.  PostgreSQL: use
    pg_dump, which does the same on the server.
    """
    from campaigns.backup import backup_sqlite

    pages = backup_sqlite(database(db), out)
    click.echo(_("wrote {out}: {pages} page(s), a consistent copy (0600); confidential values in it stay "
                 "encrypted with RECTIFY_KEY_FILE's key, kept apart").format(out=out, pages=pages))


@db_group.command("purge")
@click.option("--actor", envvar="RECTIFY_ACTOR", metavar="PERSON", default="system",
              help="Who purges [env RECTIFY_ACTOR; default system].")
@click.option("--db", envvar="RECTIFY_DB", metavar="URL",
              help="SQLite file or database URL [env RECTIFY_DB; default ./rectify.db].")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Business date (YYYY-MM-DD); default today in each campaign's time zone.")
def purge(actor: str, db: str | None, as_of: str | None) -> None:
    """Purge reporters' details of every campaign whose retention rule says their time is up.

    Each purge removes the values from the secrets table and appends a 'reporters purged'
    event to the campaign's log; campaigns without a rule, or not yet due, are left alone.
    """
    from sqlalchemy import select

    from campaigns.retention import purge as purge_run
    from campaigns.runs import load_run
    from campaigns.tables import CAMPAIGNS

    from ._common import as_of_date

    done = []
    with database(db).write() as conn:
        for key in conn.execute(select(CAMPAIGNS.c.key).order_by(CAMPAIGNS.c.key)).scalars():
            run = load_run(conn, key)
            result = purge_run(conn, run, as_of_date(as_of, run.timezone), actor)
            if result:
                done.append(result)
    for r in done:
        click.echo(_("{campaign}: reporters' details of {items} item(s) purged (due {due})").format(
            campaign=r['campaign'], items=r['items'], due=r['due']))
    if not done:
        click.echo(_("nothing to purge"))


@db_group.command("copy")
@click.argument("source", metavar="SOURCE_URL")
@click.argument("target", metavar="TARGET_URL")
@click.option("--campaign", metavar="KEY",
              help="Copy only this campaign, with the site's units, people and log.")
def copy(source: str, target: str, campaign: str | None) -> None:
    """Copy a whole database, or one campaign, into an empty one (e.g. SQLite to PostgreSQL).

    Ids, evidence, encrypted values and every event's hash chain travel unchanged; the rows of
    every table are counted on both sides and every copied log is verified on the target
    before the copy is committed.
    """
    from campaigns.copying import copy_database
    from campaigns.db import Database
    from engine.io.store import check_url

    for url in (source, target):
        if "://" in url:
            check_url(url)
    done = copy_database(Database(source), Database(target), campaign)
    rows = sum(done.rows.values())
    click.echo(_("copied {rows} row(s) in {tables} table(s): {campaigns}, with the site's units, "
                 "people and log").format(rows=rows, tables=sum(1 for n in done.rows.values() if n),
                                          campaigns=", ".join(done.campaigns) or _("no campaign")))
    for stream, head in sorted(done.streams.items()):
        click.echo("  " + _("{stream}: chain verified, head {head}").format(
            stream=stream, head=head[:16] or _("(empty)")))

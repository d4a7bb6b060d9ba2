"""``rectify db``: the database itself — keys of confidential values, backups, retention."""

from __future__ import annotations

import click

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
        raise click.UsageError(f"{file} exists: a key is never overwritten, choose another "
                               "name") from None
    except OSError as e:
        raise click.UsageError(f"cannot write {file}: {e.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(os.urandom(32)) + b"\n")
    from campaigns.secrets import Vault, read_key_file

    click.echo(f"wrote key {Vault(read_key_file(file)).key_id} to {file}: keep a copy apart "
               "from the database's backups, and set RECTIFY_KEY_FILE to it")


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
    click.echo(f"re-encrypted {n} value(s) with key {new.key_id}: set "
               f"RECTIFY_KEY_FILE={new_key_file} from now on")

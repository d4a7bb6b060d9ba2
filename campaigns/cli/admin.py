"""``rectify init``: create or upgrade the database schema, and name the first administrator."""

from __future__ import annotations

import click

from campaigns.i18n import _

from ._common import DB, database


@click.command()
@click.option("--admin", "admin", metavar="KEY",
              help="Create the site's first administrator (role 'admin'), who adds units and "
                   "people; only while the site has none.")
@click.option("--name", help="The administrator's name (default: the key).")
@DB
def init(admin: str | None, name: str | None, db: str | None) -> None:
    """Create the database, or upgrade it to this version's schema."""
    database_ = database(db)
    click.echo(_("{shown}: {value}").format(shown=database_.shown, value=database_.init()))
    if admin:
        from campaigns.people import first_admin
        from campaigns.units import UnitTree

        with database_.write() as conn:
            click.echo(first_admin(conn, UnitTree.load(conn), admin, name))

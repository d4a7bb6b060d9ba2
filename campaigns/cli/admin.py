"""``rectify init``: create or upgrade the database schema."""

from __future__ import annotations

import click

from ._common import DB, database


@click.command()
@DB
def init(db: str | None) -> None:
    """Create the database, or upgrade it to this version's schema."""
    database_ = database(db)
    click.echo(f"{database_.shown}: {database_.init()}")

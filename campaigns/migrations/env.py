"""Alembic environment: migrations run on the connection ``rectify init`` hands over."""

from __future__ import annotations

from alembic import context

import campaigns.tables  # noqa: F401  (declares the tables in the metadata)
from engine.io.store import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` run by hand from a checkout, for autogenerate
    from sqlalchemy import create_engine

    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("set sqlalchemy.url in alembic.ini, or run 'rectify init'")
    connection = create_engine(url).connect()

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()

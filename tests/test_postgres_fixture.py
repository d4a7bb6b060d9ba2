"""The PostgreSQL fixtures give real, empty databases that tests don't share."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres

metadata = sa.MetaData()
item = sa.Table(
    "item",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
)


@pytest.fixture
def engine(pg_db_url: str):
    engine = sa.create_engine(pg_db_url)
    yield engine
    engine.dispose()


def _table_count(conn: sa.Connection) -> int:
    return conn.execute(
        sa.text("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
    ).scalar_one()


def test_database_is_real_postgres_and_empty(engine: sa.Engine, pg_db_url: str) -> None:
    assert pg_db_url.startswith("postgresql+psycopg://")
    with engine.connect() as conn:
        assert conn.dialect.name == "postgresql"
        assert conn.execute(sa.text("SHOW server_encoding")).scalar_one() == "UTF8"
        database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        assert database == sa.make_url(pg_db_url).database
        assert _table_count(conn) == 0


@pytest.mark.parametrize("run", [1, 2])
def test_tables_do_not_leak_between_tests(engine: sa.Engine, run: int) -> None:
    # Both runs create the same table: the second would fail if it saw the first one's.
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(item.insert(), [{"title": f"run {run}"}])
    with engine.connect() as conn:
        assert conn.execute(sa.select(item.c.title)).scalars().all() == [f"run {run}"]


def test_two_connections_see_committed_data(engine: sa.Engine) -> None:
    metadata.create_all(engine)
    with engine.connect() as writer, engine.connect() as reader:
        pid = sa.text("SELECT pg_backend_pid()")
        assert writer.execute(pid).scalar_one() != reader.execute(pid).scalar_one()
        reader.rollback()

        writer.execute(item.insert(), [{"title": "开展专项整治"}, {"title": "自查自纠"}])
        assert reader.execute(sa.select(sa.func.count()).select_from(item)).scalar_one() == 0
        reader.rollback()

        writer.commit()
        rows = reader.execute(sa.select(item.c.title).order_by(item.c.id)).scalars().all()
        assert rows == ["开展专项整治", "自查自纠"]


def test_session_database_is_separate(pg_url: str, pg_db_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg://")
    assert sa.make_url(pg_url).database != sa.make_url(pg_db_url).database
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_dropping_a_database_ends_its_sessions(pg_server) -> None:
    name = pg_server.create_database("rectify_droptest")
    engine = sa.create_engine(pg_server.url(name))
    exists = "SELECT count(*) FROM pg_database WHERE datname = %s"
    try:
        with engine.connect() as conn:  # still open while the database is dropped
            conn.execute(sa.text("SELECT 1"))
            with pg_server.connect() as admin:
                assert admin.execute(exists, (name,)).fetchone() == (1,)
            pg_server.drop_database(name)
            with pg_server.connect() as admin:
                assert admin.execute(exists, (name,)).fetchone() == (0,)
            conn.invalidate()
    finally:
        engine.dispose()

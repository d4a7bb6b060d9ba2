"""On a real PostgreSQL server: over-long keys and 序号 are refused before the database sees
them, and a value the server refuses (DataError) is reported without its SQL or parameters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_cli_common import CAMPAIGN, WGBW, Cli, populate

from campaigns.db import Database
from campaigns.tables import UNITS as U
from engine.core.errors import InvalidInput

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_db_url: str) -> Iterator[Cli]:
    c = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(c)
    c.ok("campaign", "start", str(WGBW), "--start", "2015-07-01", "--actor", "lead")
    yield c


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_a_70_character_campaign_key(pg: Cli) -> None:
    out = pg.fails(1, "campaign", "start", str(WGBW), "--start", "2016-07-01", "--key",
                   "k" * 70, "--actor", "lead")
    assert "is not a campaign key" in out and "at most 64 characters" in out
    assert "INSERT" not in out and "unexpected" not in out
    assert _count(str(pg.db), "campaigns") == 1


def test_a_200_digit_seq(pg: Cli, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("序号,单位,问题描述,问题类别,问题来源\n" + "9" * 200 + ",czj,a,服务群众不热心,自查\n",
                    encoding="utf-8")
    out = pg.fails(1, "item", "import", CAMPAIGN, str(path), "--actor", "lead",
                   "--as-of", "2015-08-03")
    assert "row 2" in out and "序号 is 200 characters long" in out and "unexpected" not in out
    assert _count(str(pg.db), "items") == 0


def test_a_data_error_never_prints_sql_or_parameters(pg_db_url: str) -> None:
    Cli(pg_db_url).ok("init")  # type: ignore[arg-type]
    db = Database(pg_db_url)
    with pytest.raises(InvalidInput) as caught, db.write() as conn:
        conn.execute(sa.insert(U).values(code="secret-" + "x" * 100, title="t", path="/p",
                                         depth=0))
    text = caught.value.format()
    assert "the database refused a value: value too long" in text
    assert "INSERT" not in text and "secret-" not in text and "[parameters" not in text

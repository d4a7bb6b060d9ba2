"""rectify db copy: a whole SQLite database, or one campaign with the site's data, copied into an
empty PostgreSQL database (and back), ids, blobs, secrets and hash chains intact, verified
before it commits; a target in use is refused and left as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign

SECOND = "zf-2015"


@pytest.fixture
def source(tmp_path: Path) -> str:
    """Two campaigns with items, progress with evidence, notices and a tick, on SQLite."""
    db = county(str(tmp_path / "src.db"))
    codes = progressed_campaign(db)
    evidence = tmp_path / "培训签到表.pdf"
    evidence.write_bytes(b"%PDF-1.4 sign-in sheet")
    invoke(db, "item", "progress", codes[1], "--note", "已拨付一半", "--evidence", str(evidence),
           "--actor", "zhang-czj", "--as-of", "2015-08-21")
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-09-15")
    other = tmp_path / "zf.yaml"
    text = (Path(__file__).resolve().parent.parent / "definitions" / "wgbw-2015.yaml").read_text(
        encoding="utf-8")
    other.write_text(text.replace("code_prefix: WGBW", "code_prefix: ZF"), encoding="utf-8")
    invoke(db, "campaign", "start", str(other), "--start", "2015-08-01", "--key", SECOND,
           "--actor", "lead")
    invoke(db, "item", "add", SECOND, "--title", "作风问题", "--unit", "jyj", "--category",
           "passive-attitude", "--source", "self-inspection", "--actor", "sup",
           "--as-of", "2015-09-16")
    return db


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as conn:
            names = sorted(n for n in sa.inspect(conn).get_table_names() if n != "alembic_version")
            return {n: conn.execute(sa.text(f"SELECT count(*) FROM {n}")).scalar() or 0
                    for n in names}
    finally:
        engine.dispose()


def verify(url: str) -> str:
    return invoke(url, "audit", "verify", "--all").output


def test_a_whole_database_moves_to_postgresql_and_keeps_working(source: str,
                                                                pg_db_url: str) -> None:
    out = invoke(source, "db", "copy", source, pg_db_url).output
    assert f"{CAMPAIGN}, {SECOND}, with the site's units, people and log" in out
    assert f"  {CAMPAIGN}: chain verified, head " in out and "  site: chain verified" in out
    assert counts(pg_db_url) == counts(source)
    assert verify(pg_db_url) == verify(source)
    engine = sa.create_engine(pg_db_url)
    with engine.connect() as conn:
        blob = conn.execute(sa.text("SELECT content FROM blobs")).scalar()
    engine.dispose()
    assert blob == b"%PDF-1.4 sign-in sheet"
    # the copy is a working database: new rows get new ids, the chain goes on
    code = invoke(pg_db_url, "item", "add", CAMPAIGN, "--title", "新问题", "--unit", "czj",
                  "--category", "passive-attitude", "--source", "self-inspection",
                  "--actor", "sup", "--as-of", "2015-09-20").output.strip()
    assert code == "WGBW-2015-0005"
    invoke(pg_db_url, "item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-09-20")
    assert f"{CAMPAIGN}: ok" in verify(pg_db_url)


def test_one_campaign_is_copied_with_the_site_only(source: str, pg_db_url: str,
                                                   tmp_path: Path) -> None:
    invoke(source, "db", "copy", source, pg_db_url, "--campaign", SECOND)
    there = counts(pg_db_url)
    assert there["campaigns"] == 1 and there["items"] == 1 and there["blobs"] == 0
    assert there["units"] == counts(source)["units"] and there["notices"] == 0
    assert f"{SECOND}: ok" in verify(pg_db_url) and "site: ok" in verify(pg_db_url)
    assert CAMPAIGN not in verify(pg_db_url)
    back = str(tmp_path / "back.db")  # and from the server to a new SQLite file
    invoke(back, "db", "copy", pg_db_url, back)
    assert counts(back) == there


def test_a_target_in_use_is_refused_and_left_alone(source: str, tmp_path: Path) -> None:
    other = county(str(tmp_path / "other.db"))
    before = counts(other)
    result = invoke(source, "db", "copy", source, other, ok=False)
    assert result.exit_code == 1
    assert "already holds data (campaigns, units, people, events, site_events)" in result.output
    assert "copy into a new, empty database" in result.output
    assert counts(other) == before
    same = invoke(source, "db", "copy", source, source, ok=False)
    assert same.exit_code == 1 and "the same database" in same.output
    unknown = invoke(source, "db", "copy", source, str(tmp_path / "n.db"), "--campaign", "zf-2051",
                     ok=False)
    assert unknown.exit_code == 1 and "did you mean 'zf-2015'?" in unknown.output


def test_a_copy_that_does_not_verify_writes_nothing(source: str, tmp_path: Path) -> None:
    with sqlite3.connect(source) as conn:  # an edited event: the source's own chain is broken
        conn.execute("UPDATE events SET note = 'edited' WHERE id = 3")
    target = str(tmp_path / "t.db")
    result = invoke(source, "db", "copy", source, target, ok=False)
    assert result.exit_code == 4 and "does not verify" in result.output, result.output
    assert "rectify audit verify --all" in result.output
    assert not any(counts(target)[n] for n in ("campaigns", "units", "events"))


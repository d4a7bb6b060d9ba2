"""Data at rest: the database, its -wal and -shm files, and every file a command writes are
created readable by their owner only (0600), whatever the umask the command started with."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    before = os.umask(0o022)  # what most shells start with: files 0644
    yield
    os.umask(before)


@pytest.fixture
def db(tmp_path: Path, loose_umask: None) -> str:
    db = county(str(tmp_path / "c.db"))
    code = invoke(db, "item", "add", CAMPAIGN, "--title", "窗口服务态度生硬", "--unit", "czj",
                  "--category", "cold-service", "--source", "public-report", "--reporter", "周某",
                  "--actor", "sup", "--as-of", "2015-08-03").output.strip()
    invoke(db, "item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-08-04")
    invoke(db, "item", "rectify", code, "--measures", "培训", "--deadline", "2015-08-20",
           "--person", "li-czj", "--actor", "zhang-czj", "--as-of", "2015-08-05")
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-09-30")
    return db


def test_the_database_and_its_wal_and_shm_are_0600(db: str) -> None:
    assert mode(Path(db)) == 0o600
    conn = sqlite3.connect(db, isolation_level=None)  # open: -wal and -shm stay in place
    try:
        conn.execute("UPDATE meta SET key = key")
        for suffix in ("-wal", "-shm"):
            assert mode(Path(db + suffix)) == 0o600, suffix
    finally:
        conn.close()
    assert os.umask(0o022) == 0o022  # the command gave the umask it changed back


def test_every_output_is_0600(db: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for args in (("ledger", CAMPAIGN, "-o", f"{out}/l.csv"), ("ledger", CAMPAIGN, "-o", f"{out}/l.xlsx"),
                 ("report", CAMPAIGN, "--month", "2015-08", "-o", f"{out}/r.md"),
                 ("report", CAMPAIGN, "--month", "2015-08", "-o", f"{out}/r.html"),
                 ("board", CAMPAIGN, "-o", f"{out}/b.html"),
                 ("dashboard", CAMPAIGN, "-o", f"{out}/d.html"),
                 ("notices", CAMPAIGN, "-o", f"{out}/notices"),
                 ("notices", CAMPAIGN, "-o", f"{out}/n.docx"),
                 ("notices", CAMPAIGN, "-o", f"{out}/n.pdf"),
                 ("diagram", CAMPAIGN, "-o", f"{out}/s.dot")):
        invoke(db, *args, "--as-of", "2015-09-30")
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 10
    for path in files:
        assert mode(path) == 0o600, path.name

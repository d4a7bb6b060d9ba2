"""Undo on a real PostgreSQL server: the migrations that brought it, an import undone as a batch,
and an undo racing an advance of the same item from another connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_cli_common import CAMPAIGN, Cli
from test_postgres_store import WAIT, Writer, counts, pg, wait_until_blocked  # noqa: F401

from campaigns import db as dbmod
from campaigns.advance import advance
from campaigns.context import Scope
from campaigns.db import Database
from campaigns.people import resolve_actor
from campaigns.records import load_records
from campaigns.runs import load_run
from campaigns.undo import undo_item
from engine.core.errors import Conflict

pytestmark = pytest.mark.postgres
DAY = "2015-08-04"


def migrate(url: str, to: str, down: bool = False) -> None:
    """Alembic on the server, as 'rectify init' runs it, to revision ``to``."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", dbmod.MIGRATIONS)
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, to)
            conn.commit()
    finally:
        engine.dispose()


def test_the_undo_migrations_run_on_postgresql(pg_db_url: str) -> None:
    """A database made before undo (0006: unique notices and documents, no batches) is upgraded
    by 'rectify init'; the retirement columns come off and back again."""
    migrate(pg_db_url, "0006")
    c = Cli(pg_db_url)  # type: ignore[arg-type]
    assert c.ok("init").endswith(f"schema upgraded from 0006 at {dbmod.HEAD}\n")
    engine = sa.create_engine(pg_db_url)
    try:
        inspector = sa.inspect(engine)
        assert {"batches", "undone"} <= set(inspector.get_table_names())
        for table in ("items", "rectifications"):
            assert "retired_on" in {c["name"] for c in inspector.get_columns(table)}
        live = {i["name"]: i for i in inspector.get_indexes("notices")}["uq_notices_live"]
        assert live["unique"] and "withdrawn_on IS NULL" in str(live["dialect_options"])
        assert not inspector.get_unique_constraints("notices")  # the old one is gone
    finally:
        engine.dispose()
    migrate(pg_db_url, "0009_duties", down=True)
    assert c.ok("init").endswith(f"schema upgraded from 0009_duties at {dbmod.HEAD}\n")


def test_an_import_undone_on_postgresql(pg: Cli, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "a.csv"
    path.write_text("序号,单位,问题描述,问题类别,问题来源,整改时限\n"
                    "1,czj,窗口服务态度生硬,passive-attitude,public-report,2015-09-30\n"
                    "2,czj,项目资金拨付拖延,passive-attitude,public-report,2015-10-30\n",
                    encoding="utf-8")
    assert "imported 2 new item(s)" in pg.ok("item", "import", CAMPAIGN, str(path), "--actor",
                                             "sup", "--as-of", "2015-08-10")
    batch = next(line.split()[0] for line in pg.ok("campaign", "batches", CAMPAIGN).splitlines()
                 if " import " in line)
    out = pg.ok("campaign", "undo", CAMPAIGN, "--batch", batch, "--note", "导错", "--actor",
                "lead", "--as-of", "2015-08-11")
    assert "2 item(s) withdrawn" in out
    assert pg.ok("item", "list", CAMPAIGN, "--as-of", "2015-08-10", "--json").count("code") == 2
    assert pg.ok("item", "list", CAMPAIGN, "--json").strip() == "[]"
    assert pg.add_item(as_of="2015-08-11") == "WGBW-2015-0003"
    pg.ok("tick", CAMPAIGN, "--as-of", "2015-12-31")
    assert pg.ok("audit", "verify", CAMPAIGN) == f"{CAMPAIGN}: ok\n"


def _undo(code: str) -> Callable[[sa.Connection], Any]:
    def work(conn: sa.Connection) -> Any:
        run = load_run(conn, CAMPAIGN)
        who = resolve_actor(conn, "lead", set(run.definition.roles))
        import datetime as dt

        day = dt.date.fromisoformat(DAY)
        return undo_item(Scope(conn, run, who, day), code, "重复登记", day)
    return work


def _advance(code: str) -> Callable[[sa.Connection], Any]:
    import datetime as dt

    return lambda conn: advance(conn, "confirm", [code], None, "sup", dt.date.fromisoformat(DAY),
                                resolve=resolve_actor)


@pytest.mark.parametrize("first", ["undo", "advance"])
def test_an_undo_and_an_advance_of_one_item_one_wins_the_other_conflicts(
        pg: Cli, first: str) -> None:  # noqa: F811
    """Two connections: the first holds its change uncommitted while the second waits for the
    campaign's log head; the second then finds the item changed and stops with exit 3."""
    code = pg.add_item(as_of=DAY)
    url = str(pg.db)
    before = counts(url)["events"]
    works = {"undo": _undo(code), "advance": _advance(code)}
    release = threading.Event()
    a = Writer(url, works[first], hold=release)
    a.start()
    assert a.written.wait(WAIT) and a.outcome is None
    b = Writer(url, works["advance" if first == "undo" else "undo"])
    b.start()
    while b.pid is None and b.is_alive():
        threading.Event().wait(0.01)
    wait_until_blocked(url, b)
    release.set()
    a.join(WAIT)
    b.join(WAIT)
    assert a.outcome == "ok"
    assert isinstance(b.outcome, Conflict) and b.outcome.exit_code == 3, b.outcome
    assert "changed by someone else" in b.outcome.message
    with Database(url).read() as conn:
        record = load_records(conn, [code], live=False)[0]
    if first == "undo":
        assert record.item.retired_on is not None and record.item.state == "reported"
        assert counts(url)["events"] == before + 2  # the item's undo and its rectification's
    else:
        assert record.item.retired_on is None and record.item.state == "confirmed"
        assert counts(url)["events"] == before + 1
    assert pg.ok("audit", "verify", CAMPAIGN) == f"{CAMPAIGN}: ok\n"
    # the loser, run again, is decided on what now stands
    if first == "undo":
        assert "withdrawn by an undo" in pg.fails(1, "item", "advance", "confirm", code,
                                                  "--actor", "sup", "--as-of", DAY)
    else:
        assert "undid 'confirm'" in pg.ok("item", "undo", code, "--note", "误点", "--actor",
                                          "lead", "--as-of", DAY)

"""Scope: the campaign, connection, actor and business date a service function works in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county
from sqlalchemy import select

from campaigns.context import Scope
from campaigns.db import Database
from campaigns.items import add_item
from campaigns.people import resolve_actor
from campaigns.queries import list_items
from campaigns.runs import load_run
from campaigns.tables import EVENTS as E
from campaigns.units import UnitTree, add_unit
from engine.core.errors import InvalidInput

DAY = dt.date(2015, 8, 3)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    store = Database(county(str(tmp_path / "c.db")))
    yield store
    store.engine.dispose()


def test_the_unit_tree_is_read_on_first_use_then_kept(db: Database) -> None:
    with db.write() as conn:
        scope = Scope(conn, load_run(conn, CAMPAIGN), None, DAY)
        add_unit(conn, UnitTree.load(conn), "new-a", "新单位甲", None, actor="admin")  # seen
        assert "new-a" in scope.tree.by_code
        add_unit(conn, UnitTree.load(conn), "new-b", "新单位乙", None, actor="admin")  # kept
        assert "new-b" not in scope.tree.by_code
        assert scope.tree is scope.tree


def test_a_change_without_an_actor_is_refused_and_writes_nothing(db: Database) -> None:
    with db.write() as conn:
        scope = Scope(conn, load_run(conn, CAMPAIGN), None, DAY)
        with pytest.raises(InvalidInput, match="--actor is required") as caught:
            add_item(scope, title="窗口办事刁难", unit="czj", category="no-drive",
                     source="inspection")
        assert "RECTIFY_ACTOR" in caught.value.format()
        assert list_items(scope) == []  # a view needs no actor


def test_a_change_records_the_scopes_actor_and_date(db: Database) -> None:
    with db.write() as conn:
        run = load_run(conn, CAMPAIGN)
        who = resolve_actor(conn, "sup", set(run.definition.roles))
        scope = Scope(conn, run, who, DAY)
        assert scope.acting is who
        code = add_item(scope, title="窗口办事刁难", unit="czj", category="no-drive",
                        source="inspection")
        assert conn.execute(select(E.c.actor, E.c.business_date).where(E.c.subject_key == code)
                            ).one() == ("sup", DAY)
    with db.read() as conn:
        rows = list_items(Scope(conn, load_run(conn, CAMPAIGN), None, DAY))
    assert [r["code"] for r in rows] == [code]

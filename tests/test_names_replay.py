"""The site log is the history of units and people: replaying it gives the tables the services
wrote, and a replay of any past date gives the names each unit had then (campaigns.names)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Connection

from campaigns.db import Database
from campaigns.names import person_names_at, site_at
from campaigns.people import add_person, edit_person, first_admin, leave, return_person
from campaigns.tables import PEOPLE as P, UNITS as U
from campaigns.units import UnitTree, add_unit, dissolve_unit, edit_unit, merge_unit
from engine.core.errors import EngineError

START = dt.date(2015, 1, 1)
TITLES = ("县财政局", "县教育局", "办公室", "新城镇", "县财政和国有资产管理局")
NAMES = ("王伟", "李娜", "张敏")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = Database(str(tmp_path_factory.mktemp("names") / "names.db"))
    db.init()
    with db.write() as conn:
        first_admin(conn, UnitTree.load(conn), "admin", "管理员")
    return db


@pytest.fixture
def conn(db: Database) -> Iterator[Connection]:
    """A transaction of its own for each example, rolled back after it."""
    with db.engine.connect() as c:
        trans = c.begin()
        yield c
        trans.rollback()


step = st.tuples(st.sampled_from(("unit", "rename", "move", "top", "merge", "dissolve", "person",
                                  "edit", "leave", "return")),
                 st.integers(0, 7), st.integers(0, 7), st.integers(0, 4),
                 st.integers(0, 400))


def apply(conn: Connection, op: tuple[str, int, int, int, int], n: int,
          renames: dict[int, list[tuple[dt.date, str]]]) -> None:
    """One change through the services, refused or not (a refusal leaves nothing behind)."""
    kind, i, j, k, days = op
    day = START + dt.timedelta(days=n * 10 + days % 40 - 20)  # mostly forward, sometimes not
    tree = UnitTree.load(conn)
    units = sorted(tree.by_code)
    people = [r[0] for r in conn.execute(select(P.c.key).order_by(P.c.key))]
    unit = units[i % len(units)] if units else None
    other = units[j % len(units)] if units else None
    person = people[i % len(people)]
    try:
        with conn.begin_nested():
            if kind == "unit":
                add_unit(conn, tree, f"u{n}", TITLES[k], other if j % 3 else None,
                         actor="admin", day=day)
                uid = tree.by_code[f"u{n}"].id
                renames[uid] = [(dt.date.min, TITLES[k])]
            elif unit is None:
                return
            elif kind == "rename":
                uid = tree.by_code[unit].id
                if edit_unit(conn, tree, unit, title=TITLES[k], actor="admin", day=day):
                    renames[uid].append((day, TITLES[k]))
            elif kind in ("move", "top"):
                edit_unit(conn, tree, unit, parent="" if kind == "top" else other, actor="admin",
                          day=day)
            elif kind == "merge" and other is not None:
                merge_unit(conn, tree, unit, other, actor="admin", day=day)
            elif kind == "dissolve":
                dissolve_unit(conn, tree, unit, actor="admin", day=day)
            elif kind == "person":
                add_person(conn, tree, f"p{n}", NAMES[k % 3], unit, ["unit-head"],
                           actor="admin", day=day)
            elif kind == "edit":
                edit_person(conn, tree, person, name=NAMES[k % 3], unit=other,
                            roles=["admin"] if person == "admin" else ["r" + str(k)],
                            title=str(j) if j % 2 else "", actor="admin", day=day)
            elif kind == "leave":
                leave(conn, person, None, actor="admin", day=day)
            elif kind == "return":
                return_person(conn, person, actor="admin", day=day)
    except EngineError:
        pass


def title_then(history: list[tuple[dt.date, str]], day: dt.date) -> str:
    """The model: the title given last among the renames dated ``day`` or earlier."""
    title = history[0][1]
    for when, new in history[1:]:
        if when <= day:
            title = new
    return title


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=25), probes=st.lists(st.integers(0, 400),
                                                                       max_size=4))
def test_replaying_the_site_log_gives_the_tables_and_the_names_of_then(
        conn: Connection, steps: list[Any], probes: list[int]) -> None:
    trans = conn.begin_nested()
    try:
        renames: dict[int, list[tuple[dt.date, str]]] = {}
        for n, op in enumerate([("unit", 0, 0, 0, 0), ("unit", 0, 1, 1, 0), ("unit", 0, 2, 2, 0),
                                ("person", 0, 0, 0, 0), ("person", 1, 0, 1, 0)]):
            apply(conn, op, 100 + n, renames)
        for n, op in enumerate(steps):
            apply(conn, op, n, renames)
        tables, replayed = site_at(conn), site_at(conn, None, replay=True)
        assert replayed.units == tables.units
        assert replayed.people == tables.people
        paths = dict(conn.execute(select(U.c.id, U.c.path)).all())
        latest = START + dt.timedelta(days=401)
        at_end = UnitTree.at(conn, latest)
        assert {u.id: u.path for u in at_end.by_id.values()} == paths
        for days in probes:
            day = START + dt.timedelta(days=days)
            then = site_at(conn, day, replay=True)
            for uid, history in renames.items():
                assert then.units[uid].title == title_then(history, day)
            assert person_names_at(conn, day) == then.person_names()
            tree = UnitTree.at(conn, day)
            assert {u.id: u.title for u in tree.by_id.values()} == \
                {uid: u.title for uid, u in then.units.items()}
    finally:
        trans.rollback()

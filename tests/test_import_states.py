"""A ledger's rows in later states are stored straight in those states by the writer's bulk
form (engine.io.writer.create): the rows, versions, dates and events must be what inserting
each item in its first states and then moving it would have written, and the audit's replay
of the log must give the state tables back."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ledger_fixtures import CAMPAIGN, HEADERS, ROWS, county, invoke, query, write_csv
from sqlalchemy import select

from campaigns.db import Database
from campaigns.tables import EVENTS, ITEMS, RECTIFICATIONS, SUBJECT_TABLES
from engine.core.chain import canonical_json
from engine.core.moves import Move
from engine.io.writer import create, reserve_ids

# 状态 → (item state, rectification state)
STATES = {"待核实": ("reported", "pending"), "待制定方案": ("confirmed", "pending"),
          "整改中": ("confirmed", "in_progress"), "申请销号": ("confirmed", "submitted"),
          "长期整改": ("confirmed", "long_term"), "不属实": ("dismissed", "cancelled"),
          "已销号": ("closed", "verified")}
FIRST = ("reported", "pending")
AS_OF = "2015-08-10"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = county(str(tmp_path_factory.mktemp("site") / "r.db"))
    with sqlite3.connect(db) as conn:  # the whole site in the file, to be copied
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def _import(template: str, folder: Path, states: list[str]) -> str:
    db = str(folder / "r.db")
    shutil.copy(template, db)
    rows = [[i + 1, base[1], f"问题{i}", *base[3:6], "2015-09-30", *base[7:], s,
             "2015-08-09" if s == "已销号" else None]
            for i, s in enumerate(states) for base in [ROWS[i % len(ROWS)]]]
    path = write_csv(folder / "l.csv", rows, [*HEADERS, "状态", "销号日期"])
    invoke(db, "item", "import", CAMPAIGN, str(path), "--actor", "lead", "--as-of", AS_OF)
    return db


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(STATES)), min_size=1, max_size=9))
def test_items_imported_in_later_states_are_what_their_moves_make_them(
        template: str, tmp_path_factory: pytest.TempPathFactory, states: list[str]) -> None:
    db = _import(template, tmp_path_factory.mktemp("i"), states)
    items = query(db, "SELECT i.id, i.seq, i.state, i.version, i.entered_on, i.closed_on, r.id, "
                      "r.state, r.version, r.entered_on, r.submitted_on, r.completed_on "
                      "FROM items i JOIN rectifications r ON r.item_id = i.id ORDER BY i.seq")
    assert len(items) == len(states)
    for s, (item_id, _seq, i_state, i_version, i_entered, closed_on, rect_id, r_state,
            r_version, r_entered, submitted, completed) in zip(states, items, strict=True):
        pair = STATES[s]
        assert (i_state, r_state) == pair
        events = query(db, "SELECT machine, subject_id, trigger, from_state, to_state FROM events "
                           "WHERE item_id = ? AND machine IN ('item', 'rectification') "
                           "ORDER BY seq", item_id)
        assert events[0][:3] == ("item", item_id, "add")
        moves = [e for e in events if e[2] == "import"]
        # one move per machine that left its first state, in the state tables' versions
        assert [(e[0], e[3], e[4]) for e in moves] == [
            (m, f, t) for m, f, t in zip(("item", "rectification"), FIRST, pair, strict=True)
            if f != t]
        assert [e[1] for e in moves] == [item_id if e[0] == "item" else rect_id for e in moves]
        assert i_version == 1 + (pair[0] != FIRST[0])
        assert r_version == 1 + (pair[1] != FIRST[1])
        assert i_entered == r_entered == AS_OF
        assert closed_on == ("2015-08-09" if s == "已销号" else None)
        assert submitted == (AS_OF if s in ("申请销号", "已销号") else None)
        assert completed == (AS_OF if s == "已销号" else None)
    # the chain is whole, and a replay of the log gives the state tables back
    verified = invoke(db, "audit", "verify", CAMPAIGN, "--json")
    assert json.loads(verified.output)["ok"] is True, verified.output
    # each payload is stored as the very text that was hashed: canonical JSON
    for (text,) in query(db, "SELECT payload FROM events WHERE item_id IS NOT NULL"):
        assert text == canonical_json(json.loads(text)).decode("utf-8")


def test_a_move_must_start_where_the_new_row_stands(template: str, tmp_path: Path) -> None:
    db = _import(template, tmp_path, ["待核实"])
    database = Database(db)
    with database.read() as conn:
        item = dict(conn.execute(select(ITEMS)).mappings().one())
        rect = dict(conn.execute(select(RECTIFICATIONS)).mappings().one())
    before = query(db, "SELECT count(*) FROM events")

    def attempt(**wrong: Any) -> None:
        with database.write() as conn:
            (item_id,), (rect_id,) = reserve_ids(conn, ITEMS, 1), reserve_ids(conn, RECTIFICATIONS, 1)
            new_item = {**item, "id": item_id, "seq": 99, "code": "WGBW-2015-0099",
                        "external_ref": "czj#99"}
            new_rect = {**rect, "id": rect_id, "item_id": item_id}
            move = Move(item_id, 1, "item", "import", "reported", "confirmed", "lead",
                        dt.date(2015, 8, 10), stream=CAMPAIGN, subject_key="WGBW-2015-0099",
                        event_values={"campaign_id": item["campaign_id"], "item_id": item_id})
            for name, value in wrong.items():
                setattr(move, name, value)
            create(conn, SUBJECT_TABLES, EVENTS, {"item": [new_item], "rectification": [new_rect]},
                   [], [move])

    with pytest.raises(AssertionError, match="does not start where the new row stands"):
        attempt(from_state="confirmed")
    with pytest.raises(AssertionError, match="does not start where the new row stands"):
        attempt(version=2)
    with pytest.raises(AssertionError, match="does not start where the new row stands"):
        attempt(subject_id=-1)
    assert query(db, "SELECT count(*) FROM items") == [(1,)]  # each attempt rolled back whole
    assert query(db, "SELECT count(*) FROM events") == before
    attempt()  # the same move from where the row stands is stored
    assert query(db, "SELECT state, version, entered_on FROM items WHERE seq = 99") == [
        ("confirmed", 2, "2015-08-10")]
    last = query(db, "SELECT max(seq) FROM events WHERE seq IS NOT NULL "
                     "AND id < (SELECT max(id) FROM events)")[0][0]
    assert query(db, "SELECT seq, machine, from_state, to_state, prev_hash = (SELECT hash FROM "
                     "events e WHERE e.seq = events.seq - 1 AND e.campaign_id = events.campaign_id) "
                     "FROM events ORDER BY id DESC LIMIT 1") == [
        (last + 1, "item", "reported", "confirmed", 1)]  # its event chained on the log

"""The store: a state change and its event commit together or not at all; a stale version is a
Conflict (exit 3), never a lost update; driver errors become the tool's own."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from test_cli_common import Cli, scalar, seeded

from campaigns import db as dbmod
from campaigns.advance import TABLES, advance
from campaigns.db import Database
from campaigns.people import resolve_actor
from campaigns.records import Record, load_records
from campaigns.tables import EVENTS, ITEMS
from engine.core.errors import Conflict, EnvironmentProblem, ExitCode
from engine.core.moves import Edit, Move
from engine.io.store import translate_errors
from engine.io.writer import apply_edits, apply_moves

DAY = dt.date(2015, 8, 4)


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def fire(db: Database, trigger: str, codes: list[str], actor: str, note: str | None = None) -> None:
    with db.write() as conn:
        advance(conn, trigger, codes, None, actor, DAY, note, resolve=resolve_actor)


def read(db: Database, code: str) -> Record:
    with db.read() as conn:
        return load_records(conn, [code])[0]


def count_events(db: Database, trigger: str | None = None) -> int:
    with db.read() as conn:
        query = select(EVENTS.c.id)
        if trigger:
            query = query.where(EVENTS.c.trigger == trigger)
        return len(conn.execute(query).all())


def confirm_move(record: Record, version: int | None = None, state: str | None = None) -> Move:
    return Move(record.item.id, record.item.version if version is None else version, "item", "confirm",
                state or record.item.state, "confirmed", "sup", DAY,
                event_values={"campaign_id": record.campaign_id, "item_id": record.item.id},
                stream="wgbw-2015", subject_key=record.code)


# --- atomic: both or neither ----------------------------------------------------------------------


def test_a_move_writes_state_version_and_event_together(cli: Cli) -> None:
    code = cli.add_item()
    db = Database(str(cli.db))
    before = read(db, code)
    events = count_events(db)
    fire(db, "confirm", [code], "sup")
    after = read(db, code)
    assert (after.item.state, after.item.version) == ("confirmed", before.item.version + 1)
    assert count_events(db) == events + 1
    with db.read() as conn:
        row = conn.execute(select(EVENTS).order_by(EVENTS.c.id.desc()).limit(1)).one()
        entered = conn.execute(select(ITEMS.c.entered_on).where(ITEMS.c.id == after.item.id)).scalar()
    assert (row.trigger, row.from_state, row.to_state, row.actor, row.business_date) == \
        ("confirm", "reported", "confirmed", "sup", DAY)
    assert entered == DAY


def test_a_failure_later_in_the_transaction_undoes_the_move_and_its_event(cli: Cli) -> None:
    code = cli.add_item()
    db = Database(str(cli.db))
    before, events = read(db, code), count_events(db)
    with pytest.raises(RuntimeError, match="power cut"), db.write() as conn:
        advance(conn, "confirm", [code], None, "sup", DAY, resolve=resolve_actor)
        assert load_records(conn, [code])[0].item.state == "confirmed"  # visible inside
        raise RuntimeError("power cut")
    assert read(db, code) == before
    assert count_events(db) == events


def test_a_consequence_is_logged_after_its_cause(cli: Cli) -> None:
    code = cli.submitted()
    db = Database(str(cli.db))
    fire(db, "verify", [code], "sup")
    with db.read() as conn:
        last = conn.execute(select(EVENTS.c.machine, EVENTS.c.trigger)
                            .order_by(EVENTS.c.id.desc()).limit(2)).all()
    assert last[::-1] == [("rectification", "verify"), ("item", "close")]
    record = read(db, code)
    assert (record.item.state, record.rectification.state) == ("closed", "verified")


def subjects(record: Record) -> tuple[object, object]:
    return record.item, record.rectification


# --- optimistic locking -------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_nothing_is_lost(cli: Cli) -> None:
    code = cli.add_item()
    db = Database(str(cli.db))
    stale = read(db, code)  # B reads version v ...
    fire(db, "confirm", [code], "sup")  # ... A moves it to v + 1 ...
    events = count_events(db)
    with pytest.raises(Conflict) as caught, db.write() as conn:  # ... B writes with v
        apply_moves(conn, TABLES, EVENTS, [confirm_move(stale)])
    assert caught.value.exit_code == ExitCode.CONFLICT
    assert "changed by someone else" in caught.value.message and "retry" in (caught.value.hint or "")
    assert read(db, code).item.version == stale.item.version + 1
    assert count_events(db) == events  # no event without its state change
    assert count_events(db, "confirm") == 1


def test_a_field_edit_checks_the_version_too(cli: Cli) -> None:
    code = cli.add_item()
    db = Database(str(cli.db))
    stale = read(db, code)
    fire(db, "confirm", [code], "sup")  # moved on since it was read
    with pytest.raises(Conflict), db.write() as conn:
        apply_edits(conn, TABLES, [Edit(stale.item.id, stale.item.version, "item", {"title": "改"})])
    fresh = read(db, code)
    with db.write() as conn:
        apply_edits(conn, TABLES, [Edit(fresh.item.id, fresh.item.version, "item", {"title": "改"})])
        assert conn.execute(select(ITEMS.c.title, ITEMS.c.version, ITEMS.c.state)
                            .where(ITEMS.c.id == fresh.item.id)).one() == \
            ("改", fresh.item.version + 1, "confirmed")


def test_a_stale_move_undoes_the_whole_batch(cli: Cli) -> None:
    first, second, third = cli.add_item(), cli.add_item(title="第二个"), cli.add_item(title="第三个")
    db = Database(str(cli.db))
    records = {c: read(db, c) for c in (first, second, third)}
    fire(db, "confirm", [second], "sup")  # someone else moved the middle one
    events = count_events(db)
    with pytest.raises(Conflict), db.write() as conn:  # one statement for all three (executemany)
        apply_moves(conn, TABLES, EVENTS, [confirm_move(records[c]) for c in (first, second, third)])
    for code in (first, third):  # the rows as they were (the campaign's latest date moved on)
        assert subjects(read(db, code)) == subjects(records[code])
    assert count_events(db) == events


def test_a_stale_move_among_different_statements_undoes_the_batch(cli: Cli) -> None:
    first, second = cli.add_item(), cli.add_item(title="第二个")
    db = Database(str(cli.db))
    a, b = read(db, first), read(db, second)
    fire(db, "confirm", [second], "sup")
    events = count_events(db)
    with_changes = Move(a.rectification.id, a.rectification.version, "rectification", "defer",
                        a.rectification.state, "long_term", "sup", DAY, changes={"returns": 5},
                        event_values={"campaign_id": a.campaign_id, "item_id": a.item.id},
                        stream="wgbw-2015", subject_key=first)
    with pytest.raises(Conflict), db.write() as conn:
        apply_moves(conn, TABLES, EVENTS, [with_changes, confirm_move(b)])
    assert subjects(read(db, first)) == subjects(a)
    assert count_events(db) == events


def test_the_state_read_must_still_hold(cli: Cli) -> None:
    code = cli.add_item()
    db = Database(str(cli.db))
    record = read(db, code)
    with pytest.raises(Conflict), db.write() as conn:  # right version, wrong state
        apply_moves(conn, TABLES, EVENTS, [confirm_move(record, state="confirmed")])
    assert read(db, code) == record


# --- SQLite: the writer's lock is taken up front; readers are never blocked ---------------------------


def test_a_write_transaction_takes_the_lock_at_begin(cli: Cli) -> None:
    db = Database(str(cli.db))
    other = sqlite3.connect(cli.db, timeout=0, isolation_level=None)
    try:
        with db.write():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once committed
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_readers_see_the_last_commit_while_a_writer_works(cli: Cli) -> None:
    code = cli.add_item()
    db = Database(str(cli.db))
    with db.write() as conn:
        advance(conn, "confirm", [code], None, "sup", DAY, resolve=resolve_actor)
        # a second handle, as another process would have, sees the last commit
        assert read(Database(str(cli.db)), code).item.state == "reported"
    assert read(db, code).item.state == "confirmed"


# --- driver errors become the tool's own -------------------------------------------------------------


def _wrapped(cls: type[DBAPIError], message: str, orig: type[Exception] = sqlite3.OperationalError
             ) -> DBAPIError:
    return cls("UPDATE items ...", {}, orig(message))


@pytest.mark.parametrize(("error", "kind", "code"), [
    (_wrapped(OperationalError, "database is locked"), Conflict, ExitCode.CONFLICT),
    (_wrapped(OperationalError, "database table is locked"), Conflict, ExitCode.CONFLICT),
    (_wrapped(OperationalError, "could not serialize access due to concurrent update"), Conflict,
     ExitCode.CONFLICT),
    (_wrapped(IntegrityError, "UNIQUE constraint failed: items.code", sqlite3.IntegrityError), Conflict,
     ExitCode.CONFLICT),
    (_wrapped(DBAPIError, "deadlock detected", Exception), Conflict, ExitCode.CONFLICT),
    (_wrapped(OperationalError, "attempt to write a readonly database"), EnvironmentProblem,
     ExitCode.ENVIRONMENT),
    (_wrapped(OperationalError, "unable to open database file"), EnvironmentProblem, ExitCode.ENVIRONMENT),
    (_wrapped(DBAPIError, "file is not a database", sqlite3.DatabaseError), EnvironmentProblem,
     ExitCode.ENVIRONMENT),
])
def test_translate_errors(error: DBAPIError, kind: type[Exception], code: ExitCode) -> None:
    with pytest.raises(kind) as caught, translate_errors("sqlite:///x.db"):
        raise error
    assert caught.value.exit_code == code  # type: ignore[attr-defined]
    assert caught.value.hint  # type: ignore[attr-defined]


def test_other_errors_pass_through() -> None:
    with pytest.raises(ValueError), translate_errors("sqlite:///x.db"):
        raise ValueError("not a database problem")


# --- the schema version ---------------------------------------------------------------------------


def _set_version(path: Path, version: str | None) -> None:
    conn = sqlite3.connect(path)
    if version is None:
        conn.execute("DROP TABLE alembic_version")
    else:
        conn.execute("UPDATE alembic_version SET version_num = ?", (version,))
    conn.commit()
    conn.close()


def test_a_newer_schema_is_refused_for_reading_and_writing(cli: Cli) -> None:
    _set_version(cli.db, "9999")
    for open_ in (Database(str(cli.db)).read, Database(str(cli.db)).write):
        with pytest.raises(EnvironmentProblem, match="newer than this version") as caught, open_():
            pass
        assert "upgrade rectify" in (caught.value.hint or "")
    with pytest.raises(EnvironmentProblem, match="newer"):
        Database(str(cli.db)).init()
    assert scalar(cli.db, "SELECT version_num FROM alembic_version") == "9999"


def test_no_schema_is_refused(cli: Cli) -> None:
    _set_version(cli.db, None)
    with pytest.raises(EnvironmentProblem, match="no Rectify schema"), Database(str(cli.db)).read():
        pass


def test_init_twice_is_harmless(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "r.db"))
    assert db.init() == f"schema created at {dbmod.HEAD}"
    assert db.init() == f"schema is up to date ({dbmod.HEAD})"
    with db.read() as conn:
        assert conn.execute(select(ITEMS.c.id)).all() == []


def test_the_password_of_a_url_is_never_shown() -> None:
    db = Database("postgresql+psycopg://rectify:s3cret@db.example:5432/county")
    assert "s3cret" not in db.shown and db.shown.startswith("postgresql+psycopg://rectify:***@")
    assert Database("sqlite:///x.db").shown == "sqlite:///x.db"


@pytest.mark.parametrize(("url", "path"), [
    ("rectify.db", "rectify.db"),
    ("/srv/r.db", "/srv/r.db"),
    ("sqlite:///rel/r.db", "rel/r.db"),
    ("sqlite:////abs/r.db", "/abs/r.db"),
    ("sqlite:///file:/abs/r.db?mode=ro&uri=true", "/abs/r.db"),
    ("sqlite:///file:/abs/%E5%8E%BF.db?mode=ro&uri=true", "/abs/县.db"),
    ("postgresql+psycopg://u@h/d", None),
])
def test_sqlite_path(url: str, path: str | None) -> None:
    assert Database(url).sqlite_path == path


def test_a_bulk_write_binds_each_row_as_a_single_write_would() -> None:
    """Values repeated down a column are converted once; every row still gets its own."""
    from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Table, create_engine, insert

    from engine.io.store import Prepared

    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("d", Date),
              Column("at", DateTime(timezone=True)), Column("b", Boolean), Column("n", Integer))
    statement = Prepared(insert(t))
    compiled = statement._compiled(create_engine("sqlite://").connect())
    at = dt.datetime(2015, 8, 20, 1, 2, 3, 4, tzinfo=dt.UTC)
    rows = [{"id": i, "d": dt.date(2015, 8, 20 + i % 2), "at": at, "b": i % 2 == 0,
             "n": i % 2} for i in range(6)] + [{"id": 9, "d": None, "at": None, "b": None}]
    assert compiled.params_many(rows) == [compiled.params(r) for r in rows]
    assert compiled.params_many(rows)[0][3] != compiled.params_many(rows)[1][3]  # True vs False


def test_a_bulk_advance_pauses_the_cyclic_collector(cli: Cli) -> None:
    """Each collection rescans the whole heap: in a long-lived process with a large one, they
    cost a bulk advance more than a third of its time.  They run after it instead."""
    import gc

    codes = [cli.add_item() for _ in range(40)]
    held = [[i] for i in range(200_000)]  # a large heap, as a long-lived process has
    collections: list[str] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(phase)
    db = Database(str(cli.db))
    with db.write() as conn:
        gc.collect()
        gc.set_threshold(50, 1, 1)  # a collection every 50 allocations: many in an advance
        gc.callbacks.append(seen)
        try:
            advance(conn, "confirm", codes, None, "sup", DAY, resolve=resolve_actor)
        finally:
            gc.callbacks.remove(seen)
            gc.set_threshold(700, 10, 10)
    assert len(collections) < 10 and len(held) == 200_000  # those after the pause; 70 without
    assert {read(db, c).item.state for c in codes} == {"confirmed"}

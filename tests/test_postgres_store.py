"""The same store on a real PostgreSQL server: ``rectify init``, a whole campaign through the CLI,
and the conflicts of concurrent writers — so that nothing SQLite-only creeps in."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_cli_common import CAMPAIGN, WGBW, Cli, populate

from campaigns import db as dbmod
from campaigns.advance import EVENTS, TABLES, advance
from campaigns.context import Scope
from campaigns.db import Database
from campaigns.items import add_item
from campaigns.people import resolve_actor
from campaigns.records import Record, load_records
from campaigns.runs import load_run
from engine.core.errors import Conflict
from engine.core.moves import Move
from engine.io.writer import apply_moves

pytestmark = pytest.mark.postgres
DAY = dt.date(2015, 8, 4)
WAIT = 60  # seconds: a guard against hanging only


@pytest.fixture
def pg(pg_db_url: str) -> Iterator[Cli]:
    """A Rectify database on the server, with the seed's units and people and the campaign."""
    c = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(c)
    c.ok("campaign", "start", str(WGBW), "--start", "2015-07-01", "--actor", "lead")
    yield c


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in ("items", "rectifications", "events", "progress", "blobs", "units", "people")}
    finally:
        engine.dispose()


def read(db: Database, code: str) -> Record:
    with db.read() as conn:
        return load_records(conn, [code])[0]


# --- init and a whole campaign -------------------------------------------------------------------


def test_init_creates_the_schema_and_hides_the_password(pg_db_url: str) -> None:
    password = sa.make_url(pg_db_url).password
    c = Cli(pg_db_url)  # type: ignore[arg-type]
    out = c.ok("init")
    assert out.endswith(f": schema created at {dbmod.HEAD}\n")
    assert password and password not in out and "***" in out
    assert c.ok("init").endswith(f": schema is up to date ({dbmod.HEAD})\n")


def test_a_whole_campaign(pg: Cli, tmp_path: Path) -> None:
    code = pg.add_item("群众举报办事刁难", "czj-bgs", "2015-08-03", "sup", "--reporter", "张举报")
    dup = pg.add_item(title="重复举报")
    pg.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-08-03")
    pg.ok("item", "merge", dup, "--into", code, "--actor", "sup", "--as-of", "2015-08-03")
    pg.ok("item", "rectify", code, "--measures", "建立首问负责制", "--leader", "head", "--person", "clerk",
          "--actor", "head", "--as-of", "2015-08-04")
    evidence = tmp_path / "照片.jpg"
    evidence.write_bytes(b"\xff\xd8 photo")
    pg.ok("item", "progress", code, "--note", "已设立导办台", "--evidence", str(evidence), "--actor", "clerk",
          "--as-of", "2015-08-05")
    pg.ok("item", "edit", code, "--title", "办事刁难", "--note", "更正", "--actor", "sup",
          "--as-of", "2015-08-05")
    pg.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-06")
    assert "belongs to the item's own unit" in pg.fails(
        1, "item", "advance", "verify", code, "--actor", "sup-czj", "--as-of", "2015-08-06")
    pg.ok("item", "advance", "return", code, "--note", "佐证不足", "--actor", "sup", "--as-of", "2015-08-07")
    pg.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-08")
    pg.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-10")
    pg.ok("item", "advance", "reopen", code, "--note", "回头看", "--actor", "jw-zhao",
          "--as-of", "2015-08-11")
    assert "business time only moves forward" in pg.fails(
        1, "item", "advance", "defer", code, "--note", "n", "--actor", "lead", "--as-of", "2015-08-10")
    pg.ok("item", "advance", "defer", code, "--note", "转长效机制", "--actor", "lead",
          "--as-of", "2015-08-11")

    detail = json.loads(pg.ok("item", "show", code, "--json", "--actor", "head", "--as-of", "2015-08-11"))
    assert (detail["state"], detail["rectification"], detail["returns"], detail["reopened"]) == \
        ("confirmed", "long_term", 1, 1)
    assert (detail["title"], detail["leader"], detail["person"]) == ("办事刁难", "李局长", "王伟")
    assert "reporter" not in detail
    assert json.loads(pg.ok("item", "show", code, "--json", "--actor", "sup"))["reporter"] == "张举报"
    assert [h["trigger"] for h in detail["history"]] == [
        "add", "confirm", "plan", "progress", "edit", "submit", "return", "submit", "verify", "close",
        "reopen", "rework", "defer"]
    assert json.loads(pg.ok("item", "show", dup, "--json"))["state"] == "merged"
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    engine = sa.create_engine(str(pg.db))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT content FROM blobs WHERE sha256 = :d"),
                                {"d": digest}).scalar_one() == evidence.read_bytes()
    finally:
        engine.dispose()

    triggers = {r["trigger"]: r for r in json.loads(pg.ok("item", "triggers", code, "--actor", "head",
                                                          "--json", "--as-of", "2015-08-11"))}
    assert triggers["submit"]["possible"] is True
    listing = json.loads(pg.ok("item", "list", CAMPAIGN, "--json", "--state", "long_term"))
    assert [r["code"] for r in listing] == [code]
    assert "张举报" not in pg.ok("item", "list", CAMPAIGN, "--csv")

    # the stages, to the end: the long-term item does not stop the conclusion
    pg.ok("campaign", "advance", CAMPAIGN, "--to", "supervise", "--actor", "lead", "--as-of", "2015-08-11")
    assert "window opens on 2015-12-01" in pg.fails(
        1, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-11-30")
    pg.ok("campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-01")
    lines = pg.ok("campaign", "advance", CAMPAIGN, "--force", "--actor", "lead",
                  "--as-of", "2015-12-31").splitlines()
    assert lines[-1] == "campaign wgbw-2015 concluded on 2015-12-31"
    assert "[forced]" in lines[0]  # supervise's 90 % gate: 1 of 2 items done
    status = json.loads(pg.ok("campaign", "status", CAMPAIGN, "--json", "--as-of", "2015-12-31"))
    assert status["status"] == "concluded 2015-12-31"
    assert status["items_by_state"] == {"confirmed": 1, "merged": 1}


def test_bad_input_changes_nothing(pg: Cli) -> None:
    code = pg.add_item()
    url = str(pg.db)
    before = counts(url)
    assert "unknown campaign" in pg.fails(1, "item", "list", "nope")
    assert "unknown item code" in pg.fails(1, "item", "show", "WGBW-2015-0404")
    assert "is ambiguous" in pg.fails(1, "item", "add", CAMPAIGN, "--title", "t", "--unit", "办公室",
                                      "--category", "no-drive", "--source", "media", "--actor", "sup",
                                      "--as-of", "2015-08-04")
    assert "not allowed from state" in pg.fails(1, "item", "advance", "submit", code, "--actor", "head",
                                                "--as-of", "2015-08-04")
    assert "unknown trigger" in pg.fails(1, "item", "advance", "sumbit", code, "--actor", "head",
                                         "--as-of", "2015-08-04")
    assert counts(url) == before


def test_a_newer_schema_and_a_missing_database(pg: Cli) -> None:
    url = str(pg.db)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    assert "upgrade rectify" in pg.fails(4, "unit", "list")
    missing = sa.make_url(url).set(database="rectify_no_such_db").render_as_string(hide_password=False)
    err = Cli(missing).fails(4, "unit", "list")  # type: ignore[arg-type]
    assert "rectify_no_such_db" in err
    assert sa.make_url(url).password not in err


# --- concurrent writers --------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict(pg: Cli) -> None:
    code = pg.add_item()
    db = Database(str(pg.db))
    stale = read(db, code)
    with db.write() as conn:
        advance(conn, "confirm", [code], None, "sup", DAY, resolve=resolve_actor)
    events = counts(str(pg.db))["events"]
    move = Move(stale.item.id, stale.item.version, "item", "confirm", "reported", "confirmed", "jw-zhao",
                DAY, event_values={"campaign_id": stale.campaign_id, "item_id": stale.item.id},
                stream=CAMPAIGN, subject_key=code)
    with pytest.raises(Conflict) as caught, db.write() as conn:
        apply_moves(conn, TABLES, EVENTS, [move])
    assert caught.value.exit_code == 3
    assert read(db, code).item.version == stale.item.version + 1
    assert counts(str(pg.db))["events"] == events


class Writer(threading.Thread):
    """A writer on a connection of its own: runs ``work`` in a write transaction, keeps the outcome."""

    def __init__(self, url: str, work: Callable[[sa.Connection], Any],
                 hold: threading.Event | None = None) -> None:
        super().__init__(daemon=True)
        self.db, self.work, self.hold = Database(url), work, hold
        self.written = threading.Event()
        self.outcome: Any = None
        self.pid: int | None = None

    def run(self) -> None:
        try:
            with self.db.write() as conn:
                self.pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
                self.work(conn)
                self.written.set()
                if self.hold is not None:
                    self.hold.wait(WAIT)
            self.outcome = "ok"
        except Exception as exc:  # noqa: BLE001 - the test looks at what it was
            self.outcome = exc
        finally:
            self.written.set()
            self.db.engine.dispose()


def wait_until_blocked(url: str, writer: Writer) -> None:
    """Until ``writer``'s backend waits for a lock another transaction holds."""
    engine = sa.create_engine(url)
    try:
        for _ in range(WAIT * 100):
            with engine.connect() as conn:
                waiting = conn.execute(sa.text(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": writer.pid}).scalar()
            if waiting:
                return
            threading.Event().wait(0.01)
        raise AssertionError("the second writer never waited for the first")
    finally:
        engine.dispose()


def _advance(code: str, actor: str) -> Callable[[sa.Connection], Any]:
    return lambda conn: advance(conn, "confirm", [code], None, actor, DAY, resolve=resolve_actor)


def test_two_writers_on_one_item_one_wins_the_other_retries(pg: Cli) -> None:
    code = pg.add_item()
    url = str(pg.db)
    before = counts(url)
    version = read(Database(url), code).item.version
    release = threading.Event()
    a = Writer(url, _advance(code, "sup"), hold=release)
    a.start()
    assert a.written.wait(WAIT) and a.outcome is None  # A has moved the item, not yet committed
    b = Writer(url, _advance(code, "jw-zhao"))  # B reads the committed version, then updates
    b.start()
    while b.pid is None and b.is_alive():
        threading.Event().wait(0.01)
    wait_until_blocked(url, b)  # B's UPDATE waits for A's row lock
    release.set()
    a.join(WAIT)
    b.join(WAIT)
    assert a.outcome == "ok"
    assert isinstance(b.outcome, Conflict) and b.outcome.exit_code == 3, b.outcome
    assert "changed by someone else" in b.outcome.message
    record = read(Database(url), code)
    assert (record.item.state, record.item.version) == ("confirmed", version + 1)
    assert counts(url)["events"] == before["events"] + 1


def test_two_writers_numbering_new_items_queue_on_the_chain_head(pg: Cli) -> None:
    """Adding an item locks the campaign's chain head before it numbers the item, so the second
    writer waits for the first, then reads the next free number: no clash, no retry."""
    url = str(pg.db)
    before = counts(url)

    def add(actor: str) -> Callable[[sa.Connection], Any]:
        def work(conn: sa.Connection) -> Any:
            run = load_run(conn, CAMPAIGN)
            who = resolve_actor(conn, actor, set(run.definition.roles))
            return add_item(Scope(conn, run, who, DAY), title=f"{actor} 发现的问题",
                            unit="jyj", category="no-drive", source="inspection")
        return work

    release = threading.Event()
    a = Writer(url, add("sup"), hold=release)
    a.start()
    assert a.written.wait(WAIT) and a.outcome is None
    b = Writer(url, add("jw-zhao"))  # waits on the head before numbering
    b.start()
    while b.pid is None and b.is_alive():
        threading.Event().wait(0.01)
    wait_until_blocked(url, b)
    release.set()
    a.join(WAIT)
    b.join(WAIT)
    assert (a.outcome, b.outcome) == ("ok", "ok")
    after = counts(url)
    assert after["items"] == before["items"] + 2 and after["rectifications"] == before["rectifications"] + 2
    assert after["events"] == before["events"] + 2
    assert pg.add_item(as_of="2015-08-04") == "WGBW-2015-0003"
    assert pg.ok("audit", "verify", CAMPAIGN) == f"{CAMPAIGN}: ok\n"


def test_the_clock_and_every_output_run_on_postgresql(pg: Cli, tmp_path: Path) -> None:
    """The commands other modules add: nothing in them may be SQLite-only."""
    late = pg.planned()  # deadline 2015-09-30
    pg.closed(title="已整改的问题")
    pg.add_item("举报：窗口刁难", "jyj-bgs", "2015-08-03", "sup", "--reporter", "张举报")
    ticked = pg.ok("tick", CAMPAIGN, "--as-of", "2015-10-30")
    assert "escalation.supervision" in ticked
    assert late in pg.ok("notices", CAMPAIGN)
    assert json.loads(pg.ok("notices", CAMPAIGN, "--json"))
    assert "nothing due" in pg.ok("tick", "--all", "--as-of", "2015-10-30")
    outputs = {
        "ledger.csv": ["ledger", CAMPAIGN], "ledger.xlsx": ["ledger", CAMPAIGN],
        "report.md": ["report", CAMPAIGN, "--month", "2015-08"],
        "board.html": ["board", CAMPAIGN], "dashboard.html": ["dashboard", CAMPAIGN],
        "units.dot": ["diagram", CAMPAIGN, "--kind", "units"],
        "items.dot": ["diagram", CAMPAIGN, "--kind", "items"],
        "notices.html": ["notices", CAMPAIGN],
    }
    for name, args in outputs.items():
        path = tmp_path / name
        pg.ok(*args, "-o", str(path), *(["--as-of", "2015-10-30"] if args[0] != "notices" else []))
        assert path.stat().st_size > 0, name
        if name.endswith((".csv", ".md", ".html")):
            assert "张举报" not in path.read_text(encoding="utf-8"), name
    ledger = tmp_path / "ledger-import.csv"
    ledger.write_text("序号,单位,问题描述,问题类别,问题来源,整改措施,整改时限\n"
                      "1,县教育局,学籍证明需跑三次,工作态度不积极,自查,网上办理,2015-12-30\n",
                      encoding="utf-8")
    assert "imported 1 new item(s)" in pg.ok("item", "import", CAMPAIGN, str(ledger), "--actor", "sup",
                                             "--as-of", "2015-10-30")


def test_past_dates_are_replayed_from_the_log_on_postgresql(pg: Cli) -> None:
    """A replay reads events and notices as the driver decodes them (dates, JSON payloads)."""
    from campaigns.reducer import campaign_at
    from campaigns.report import build, to_markdown

    late = pg.planned()  # deadline 2015-09-30
    done = pg.closed(title="已整改的问题")
    pg.ok("tick", CAMPAIGN, "--as-of", "2015-10-30")  # escalations, each with a notice
    pg.ok("item", "advance", "submit", late, "--actor", "head", "--as-of", "2015-11-02")
    db = Database(pg.db)  # type: ignore[arg-type]
    try:
        with db.read() as conn:
            run = load_run(conn, CAMPAIGN)
            now = campaign_at(conn, run, dt.date(2015, 11, 2))
            assert not now.replayed
            assert campaign_at(conn, run, dt.date(2015, 11, 2), replay=True).items == now.items
            then = {it.code: it for it in campaign_at(conn, run, dt.date(2015, 10, 30)).items}
            rep = build(Scope(conn, run, None, dt.date(2015, 11, 2)), dt.date(2015, 10, 1))
    finally:
        db.engine.dispose()
    assert then[late].rect_state != "submitted" and then[late].level is not None
    assert then[done].closed_on == dt.date(2015, 8, 3) and then[done].found_on == dt.date(2015, 8, 3)
    assert {n["code"] for n in rep.notices} == {late}
    assert all(isinstance(n["issued_on"], dt.date) for n in rep.notices)
    assert late in to_markdown(rep)

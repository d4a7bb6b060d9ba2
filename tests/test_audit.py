"""The tamper-evident event log, as an auditor uses it: ``rectify audit`` on a real SQLite file.

Each kind of tampering is done with plain SQL, as someone with the file and a SQL shell would,
and must be caught and named; a consistent forgery (a cut tail, a recomputed chain) only by a
head published earlier. Then: the site log, the monthly report's head, and a database from
before the chain (schema 0002) upgraded by ``rectify init``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_cli_common import CAMPAIGN, Cli, scalar, seeded

from campaigns import db as dbmod
from campaigns.events import Escalated
from engine.core.chain import ALG, GENESIS, Link, digest, utc_text


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


@pytest.fixture
def busy(cli: Cli) -> Cli:
    """A campaign with a few of everything: adds, moves, a plan, progress, an edit, the clock
    (ticked through July first, as a daily tick would have, so July's log ends before August's)."""
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-08-02")
    closed = cli.closed()
    cli.planned(title="材料不全反复退回", as_of="2015-08-04")
    cli.ok("item", "progress", closed, "--note", "已建立台账", "--actor", "head", "--as-of", "2015-08-05")
    cli.ok("item", "edit", closed, "--title", "群众办事多次往返（更正）", "--actor", "sup",
           "--as-of", "2015-08-05")
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-10-20")
    return cli


def sql(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def verify(cli: Cli, *args: str) -> tuple[int, str]:
    result = cli.invoke("audit", "verify", *args)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_an_untouched_log_verifies(busy: Cli) -> None:
    assert verify(busy, "--all") == (0, f"{CAMPAIGN}: ok\nsite: ok\n")
    events = scalar(busy.db, "SELECT count(*) FROM events")
    assert scalar(busy.db, "SELECT max(seq) FROM events") == events > 10
    assert scalar(busy.db, "SELECT count(*) FROM events WHERE hash IS NULL") == 0
    assert {r for (r,) in _rows(busy.db, "SELECT DISTINCT trigger FROM events")} >= {
        "start", "add", "confirm", "plan", "progress", "edit", "escalate", "open", "verify"}
    out = json.loads(busy.ok("audit", "verify", CAMPAIGN, "--json"))
    assert out == {"ok": True, "logs": {CAMPAIGN: []}}


def _rows(db: Path, query: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


SWAP_SEQ = ("UPDATE events SET seq = -1 WHERE seq = 4", "UPDATE events SET seq = 4 WHERE seq = 5",
            "UPDATE events SET seq = 5 WHERE seq = -1")


@pytest.mark.parametrize(("tampering", "kind", "named"), [
    (("UPDATE events SET to_state = 'closed' WHERE seq = 4",), "edited", "event #4 "),
    (("UPDATE events SET payload = '{\"title\": \"无\"}' WHERE seq = 2",), "edited", "event #2 "),
    (("UPDATE events SET business_date = '2015-08-01' WHERE seq = 6",), "edited", "event #6 "),
    (("DELETE FROM events WHERE seq = 5",), "deleted", "event #5 was deleted"),
    (("INSERT INTO events (campaign_id, item_id, machine, subject_id, trigger, from_state, "
      "to_state, actor, business_date, recorded_at) SELECT campaign_id, item_id, machine, "
      "subject_id, 'verify', 'submitted', 'verified', 'sup', business_date, recorded_at "
      "FROM events WHERE seq = 5",), "inserted", "is not in the chain"),
    (("UPDATE events SET seq = seq + 1000 WHERE seq >= 5",
      "UPDATE events SET seq = seq - 999 WHERE seq >= 1005",
      "INSERT INTO events (campaign_id, item_id, machine, subject_id, trigger, from_state, "
      "to_state, actor, business_date, recorded_at, seq, prev_hash, hash, alg, subject_key, "
      "payload_version) SELECT campaign_id, item_id, machine, subject_id, 'verify', 'submitted', "
      "'verified', 'sup', business_date, recorded_at, 5, hash, hash, alg, subject_key, 1 "
      "FROM events WHERE seq = 4"), "inserted", "event #5 "),
    (SWAP_SEQ, "reordered", "event #4 "),
])
def test_tampering_is_caught_and_named(busy: Cli, tampering: tuple[str, ...], kind: str,
                                       named: str) -> None:
    sql(busy.db, *tampering)
    code, out = verify(busy, CAMPAIGN)
    assert code == 1, out
    assert out.startswith(f"{CAMPAIGN}: {kind}: "), out
    assert named in out, out
    assert len(out.splitlines()) == 1  # the first problem, not every event after it
    err = busy.invoke("audit", "verify", CAMPAIGN).stderr
    assert err == "Error: 1 of 1 log(s) failed verification\n"


def test_rows_swapped_under_their_numbers_are_reordered(busy: Cli) -> None:
    a, b = (r[0] for r in _rows(busy.db, "SELECT id FROM events WHERE seq IN (4, 5) ORDER BY seq"))
    sql(busy.db, f"UPDATE events SET id = -1 WHERE id = {a}", f"UPDATE events SET id = {a} WHERE id = {b}",
        f"UPDATE events SET id = {b} WHERE id = -1")
    code, out = verify(busy, CAMPAIGN)
    assert (code, out.split(": ")[1]) == (1, "reordered"), out
    assert f"event #5 (row {a}) is stored before #4 (row {b})" in out


def test_a_cut_tail_is_caught_by_the_head_row_or_by_a_published_head(busy: Cli) -> None:
    published = busy.ok("audit", "head", CAMPAIGN).split()[-1]
    last = scalar(busy.db, "SELECT max(seq) FROM events")
    sql(busy.db, f"DELETE FROM events WHERE seq = {last}")
    code, out = verify(busy, CAMPAIGN)
    assert code == 1 and f"events #{last} to #{last} were deleted" in out, out
    # cut together with the head row: a chain consistent in itself, but the state tables still
    # hold what the cut event did, and the replay names the item
    sql(busy.db, f"UPDATE chain_heads SET seq = {last - 1}, hash = (SELECT hash FROM events "
                 f"WHERE seq = {last - 1}) WHERE stream = '{CAMPAIGN}'")
    code, out = verify(busy, CAMPAIGN)
    assert code == 1 and out.startswith(f"{CAMPAIGN}: state: "), out
    code, out = verify(busy, CAMPAIGN, "--expect", published)
    assert code == 1 and f"the published head {published} is not in the log" in out, out


def test_a_recomputed_chain_is_caught_by_a_published_head(busy: Cli) -> None:
    published = busy.ok("audit", "head", CAMPAIGN).split()[-1]
    earlier = _rows(busy.db, "SELECT hash FROM events WHERE seq = 3")[0][0]
    assert verify(busy, CAMPAIGN, "--expect", earlier)[0] == 0  # an older head is still in it
    sql(busy.db, "UPDATE events SET note = '改过' WHERE seq = 3")
    _rehash(busy.db)
    assert verify(busy, CAMPAIGN) == (0, f"{CAMPAIGN}: ok\n")
    code, out = verify(busy, CAMPAIGN, "--expect", published)
    assert code == 1 and "recomputed" in out
    assert verify(busy, CAMPAIGN, "--expect", earlier)[0] == 1  # #3 itself was re-hashed


def _rehash(db: Path) -> None:
    """What a forger with this project's source would do: recompute every hash and the head."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, actor, business_date, from_state, machine, note, payload, "
                        "recorded_at, rule, seq, subject_key, to_state, trigger, payload_version "
                        "FROM events WHERE seq IS NOT NULL ORDER BY seq").fetchall()
    import datetime as dt

    prev = GENESIS
    for (rid, actor, day, src, machine, note, payload, at, rule, seq, subject, dest, trigger,
         version) in rows:
        link = Link(actor, ALG, day, src, machine, note, json.loads(payload) if payload else None,
                    prev, utc_text(dt.datetime.fromisoformat(at)), rule, seq, CAMPAIGN, subject,
                    dest, trigger, version)
        h = digest(link)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, rid))
        prev = h
    conn.execute("UPDATE chain_heads SET hash = ? WHERE stream = ?", (prev, CAMPAIGN))
    conn.commit()
    conn.close()


def test_expect_names_one_log(busy: Cli) -> None:
    err = busy.fails(1, "audit", "verify", "--all", "--expect", "0" * 64)
    assert "one CAMPAIGN" in err
    assert "Usage" in busy.fails(2, "audit", "verify")
    assert "unknown campaign 'wgbw-2016'" in busy.fails(1, "audit", "verify", "wgbw-2016")


def test_units_and_people_are_in_the_site_log(cli: Cli) -> None:
    before = scalar(cli.db, "SELECT count(*) FROM site_events")
    cli.ok("unit", "add", "gaj", "--title", "县公安局", "--parent", "county", "--actor", "admin",
           "--as-of", "2015-08-01")
    cli.ok("person", "add", "zhou", "--name", "周警官", "--unit", "gaj", "--role", "unit-head",
           "--actor", "admin")
    cli.ok("person", "deactivate", "zhou", "--actor", "admin")
    rows = _rows(cli.db, f"SELECT machine, trigger, subject_key, actor, business_date, seq "
                         f"FROM site_events WHERE seq > {before} ORDER BY seq")
    assert [r[:4] for r in rows] == [("unit", "add", "gaj", "admin"), ("person", "add", "zhou", "admin"),
                                     ("person", "deactivate", "zhou", "admin")]
    assert rows[0][4] == "2015-08-01" and [r[5] for r in rows] == [before + 1, before + 2, before + 3]
    assert verify(cli, "--site") == (0, "site: ok\n")
    sql(cli.db, "UPDATE site_events SET actor = 'someone' WHERE subject_key = 'gaj'")
    code, out = verify(cli, "--all")
    assert code == 1 and out.startswith(f"{CAMPAIGN}: ok\nsite: edited: event #{before + 1} ")


def test_a_failed_import_of_people_writes_no_site_event(cli: Cli, tmp_path: Path) -> None:
    before = scalar(cli.db, "SELECT count(*) FROM site_events")
    csv = tmp_path / "people.csv"
    csv.write_text("key,name,unit,roles\nwu,吴某,county,\nsup,重复,county,\n", encoding="utf-8")
    cli.fails(1, "person", "import", "--actor", "admin", str(csv))
    assert scalar(cli.db, "SELECT count(*) FROM site_events") == before
    csv.write_text("key,name,unit,roles\nwu,吴某,county,\nzheng,郑某,czj,unit-head\n", encoding="utf-8")
    cli.ok("person", "import", "--actor", "admin", str(csv))
    payload = json.loads(_rows(cli.db, "SELECT payload FROM site_events ORDER BY seq DESC")[0][0])
    assert payload == {"name": "郑某", "unit": "czj", "roles": ["unit-head"], "title": None,
                       "import": {"file": "people.csv", "sheet": None, "row": 3}}
    assert verify(cli, "--site")[0] == 0


def test_the_clock_writes_the_escalated_kind(busy: Cli) -> None:
    payloads = [json.loads(p) for (p,) in _rows(busy.db, "SELECT payload FROM events WHERE "
                                                      "trigger = 'escalate' ORDER BY seq")]
    assert payloads
    for p in payloads:
        assert Escalated(**p).as_payload() == p


def test_the_monthly_report_prints_the_head_as_of_its_month(busy: Cli, tmp_path: Path) -> None:
    out = tmp_path / "2015-08.md"
    busy.ok("report", CAMPAIGN, "--month", "2015-08", "-o", str(out), "--as-of", "2015-10-20")
    head = json.loads(busy.ok("audit", "head", CAMPAIGN, "--as-of", "2015-08-31", "--json"))
    now = busy.ok("audit", "head", CAMPAIGN).split()
    assert head["seq"] < int(now[1][1:])  # September's and October's events came after
    assert f"第 {head['seq']} 条，SHA-256 {head['hash']}" in out.read_text(encoding="utf-8")
    assert verify(busy, CAMPAIGN, "--expect", head["hash"])[0] == 0


# --- a database from before the chain ------------------------------------------------------------


def test_a_0002_database_gets_its_chain_started(busy: Cli) -> None:
    """Downgrade to 0002 (events without chain), upgrade with `rectify init`: the old events are
    covered by a "chain started" event, new ones are chained after it, an old one edited is caught."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    # a database of schema 0002 has no filings (new in 0013): their rows and events go first
    sql(busy.db, "DELETE FROM filing_notices", "DELETE FROM filings",
        "DELETE FROM events WHERE machine = 'filing'")
    events = scalar(busy.db, "SELECT count(*) FROM events")
    engine = create_engine(f"sqlite:///{busy.db}")
    with engine.connect() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", dbmod.MIGRATIONS)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        conn.commit()
    engine.dispose()
    assert scalar(busy.db, "SELECT version_num FROM alembic_version") == "0002"
    assert "seq" not in [r[1] for r in _rows(busy.db, "PRAGMA table_info(events)")]
    assert "older than this tool's" in busy.fails(4, "audit", "verify", CAMPAIGN)
    assert busy.ok("init").endswith(f"schema upgraded from 0002 at {dbmod.HEAD}\n")
    first = _rows(busy.db, "SELECT seq, trigger, machine, subject_key, payload FROM events "
                           "WHERE seq IS NOT NULL")
    assert len(first) == 1 and first[0][:4] == (1, "chain-start", "campaign", CAMPAIGN)
    covered = json.loads(first[0][4])
    assert covered["events"] == events and len(covered["digest"]) == 64
    assert scalar(busy.db, "SELECT count(*) FROM events WHERE subject_key IS NULL") == 0
    assert verify(busy, "--all") == (0, f"{CAMPAIGN}: ok\nsite: ok\n")
    site = _rows(busy.db, "SELECT trigger, payload FROM site_events")
    assert site[0][0] == "chain-start" and json.loads(site[0][1])["people"] > 0
    code = busy.add_item(as_of="2015-10-21")
    busy.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-10-21")
    assert scalar(busy.db, "SELECT max(seq) FROM events") == 3
    assert verify(busy, CAMPAIGN) == (0, f"{CAMPAIGN}: ok\n")
    sql(busy.db, "UPDATE events SET actor = 'jw-zhao' WHERE id = (SELECT min(id) FROM events)")
    code_, out = verify(busy, CAMPAIGN)
    assert code_ == 1 and "from before the chain" in out and "edited" in out, out
    sql(busy.db, "DELETE FROM events WHERE seq IS NULL AND trigger = 'progress'")
    assert "were deleted" in verify(busy, CAMPAIGN)[1]


# --- the state tables and snapshots against a replay of the log ---------------------------------


def test_a_state_changed_outside_the_log_is_named(busy: Cli) -> None:
    code = scalar(busy.db, "SELECT code FROM items WHERE state = 'confirmed' LIMIT 1")
    sql(busy.db, f"UPDATE items SET state = 'closed', version = version + 1 WHERE code = '{code}'")
    status, out = verify(busy, CAMPAIGN)
    assert status == 1, out
    assert out.startswith(f"{CAMPAIGN}: state: {code}: stored state differs: state 'closed' "
                          "(log: 'confirmed')"), out


def test_snapshots_record_their_head_and_a_spoilt_one_is_named_and_repaired(busy: Cli) -> None:
    # the tick writes none (derived data, kept out of the clock); 'audit snapshots' does
    assert scalar(busy.db, "SELECT count(*) FROM snapshots") == 0
    assert busy.ok("audit", "snapshots", CAMPAIGN).startswith(f"{CAMPAIGN}: 3 snapshot(s) written")
    heads = _rows(busy.db, "SELECT s.head_hash, e.hash FROM snapshots s "
                           "JOIN events e ON e.id = s.last_event_id")
    assert len(heads) == 3 and all(h == e and h for h, e in heads)
    sql(busy.db, "UPDATE snapshots SET state = (SELECT state FROM snapshots ORDER BY as_of LIMIT 1) "
                 "WHERE as_of = (SELECT max(as_of) FROM snapshots)")
    status, out = verify(busy, CAMPAIGN)
    assert status == 1 and f"{CAMPAIGN}: snapshot: " in out, out
    repaired = busy.ok("audit", "verify", CAMPAIGN, "--repair-snapshots")
    assert repaired.startswith(f"{CAMPAIGN}: {len(heads)} snapshot(s) rebuilt\n"), repaired
    assert repaired.endswith(f"{CAMPAIGN}: ok\n")

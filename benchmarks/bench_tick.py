"""The clock at scale: one ``rectify tick`` over a campaign of N rectifications, beside a raw-SQL floor.

The campaign (seed 001's definition) has N rectifications: 30% overdue, their deadline the day
before the tick, so the 督办 level (+1 calendar day, with a new deadline) is due for all of them;
50% in progress with deadlines weeks ahead (nothing due); 20% verified long ago (the ladder has
stopped).  Each item also carries its 'add' event, so the log is not empty.

Two measurements on copies of the same database, each in its own process:

* ``rectify tick`` for one day, the whole command (`campaigns.cli.main`) timed in the process
  after its imports, with the process's peak memory (``getrusage`` maxrss via ``wait4``), the
  number of write transactions it committed and the longest of them (BEGIN to COMMIT: how long
  it held SQLite's write lock at most);
* the floor: the same writes by hand in raw SQL — the chain head locked, the due rows read and
  their events hashed in order with the same encoding (engine.core.chain) and inserted with one
  executemany, the head moved, ``INSERT ... SELECT`` of the notices, one ``UPDATE`` of level,
  deadline and version — and COMMIT.

    python benchmarks/bench_tick.py [--n 1000000] [--keep DIR]
    RECTIFY_BENCH_PG=postgresql+psycopg://... python benchmarks/bench_tick.py --pg-n 100000

``RECTIFY_BENCH_PG`` must name a scratch database: its Rectify tables are dropped and rebuilt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

DEFINITION = os.path.join(ROOT, "definitions", "wgbw-2015.yaml")
KEY = "wgbw-2015"
START = dt.date(2015, 7, 1)
FOUND = dt.date(2015, 8, 10)
AS_OF = dt.date(2015, 10, 9)  # Friday after National Day; the overdue deadline is the day before
DUE = AS_OF - dt.timedelta(days=1)
UNITS = 200
PEOPLE = 400

# The floor's writes, exactly what the tick writes for the 督办 step (new deadline 10 working days
# from 2015-10-09 = 2015-10-22).
FLOOR_DUE = """
SELECT r.id, r.campaign_id, r.item_id, r.state, i.code
FROM rectifications r JOIN items i ON i.id = r.item_id
WHERE r.campaign_id = :cid AND r.level = 'reminder' AND r.state IN ('in_progress', 'pending')
  AND r.level_base <= :base AND r.entered_on <= :day
ORDER BY r.id
"""
FLOOR_EVENTS = """
INSERT INTO events (campaign_id, item_id, machine, subject_id, "trigger", from_state, to_state, actor,
                    business_date, recorded_at, note, payload, rule, seq, prev_hash, hash, alg,
                    subject_key, payload_version)
VALUES (:campaign_id, :item_id, 'rectification', :id, 'escalate', :state, :state, 'system', :day,
        :stamp, :note, :payload, 'escalation.supervision', :seq, :prev, :hash, :alg, :code, 1)
"""
FLOOR_NOTICES = {
    "sqlite": """
INSERT INTO notices (campaign_id, rectification_id, level, issued_on, deadline, days_overdue,
                     new_deadline, action, event_id)
SELECT r.campaign_id, r.id, 'supervision', :day, r.level_base,
       CAST(julianday(:day) - julianday(r.level_base) AS INTEGER), :new, :action, e.id
FROM events e JOIN rectifications r ON r.id = e.subject_id
WHERE e.id > :mark AND e.rule = 'escalation.supervision'
""",
    "postgresql": """
INSERT INTO notices (campaign_id, rectification_id, level, issued_on, deadline, days_overdue,
                     new_deadline, action, event_id)
SELECT r.campaign_id, r.id, 'supervision', CAST(:day AS DATE), r.level_base,
       CAST(:day AS DATE) - r.level_base, CAST(:new AS DATE), :action, e.id
FROM events e JOIN rectifications r ON r.id = e.subject_id
WHERE e.id > :mark AND e.rule = 'escalation.supervision'
"""}
FLOOR_UPDATE = """
UPDATE rectifications SET level = 'supervision', deadline = :new, level_base = :new,
       version = version + 1
WHERE campaign_id = :cid AND level = 'reminder' AND state IN ('in_progress', 'pending')
  AND level_base <= :base AND entered_on <= :day
"""


# -- building the campaign ---------------------------------------------------------------------


def build(url: str, n: int) -> int:
    """A fresh database at ``url`` with the campaign and ``n`` rectifications; returns its id."""
    from campaigns.db import Database
    from campaigns.people import add_person, first_admin
    from campaigns.runs import start
    from campaigns.units import UnitTree, add_unit
    from engine.io.store import metadata

    db = Database(url)
    if url.startswith("postgresql"):
        with db.engine.begin() as conn:
            metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    db.init()
    with db.write() as conn:
        tree = UnitTree.load(conn)
        first_admin(conn, tree, "admin", "管理员")  # people and units are an administrator's
        add_unit(conn, tree, "county", "县", None, actor="admin")
        tree = UnitTree.load(conn)
        for u in range(UNITS):
            add_unit(conn, tree, f"u{u:03d}", f"单位{u:03d}", "county", actor="admin")
        tree = UnitTree.load(conn)
        for p in range(PEOPLE):
            add_person(conn, tree, f"p{p:03d}", f"干部{p:03d}", f"u{p % UNITS:03d}", ["unit-head"],
                       actor="admin")
        add_person(conn, tree, "super", "督查员", "county", ["supervision-office"], actor="admin")
        run = start(conn, DEFINITION, START, "super", START)
        cid = run.id
        first_unit = tree.find("u000").id
        first_person = conn.exec_driver_sql("SELECT id FROM people WHERE key = 'p000'").scalar()
        conn.exec_driver_sql(f"INSERT INTO ticks (campaign_id, ticked_to) VALUES ({cid}, '{DUE}')")
        conn.exec_driver_sql(f"UPDATE stages SET state = 'open', opened_on = '2015-08-01' "
                             f"WHERE campaign_id = {cid} AND key IN ('self-inspect', 'supervise')")
    sqlite = db.sqlite_path is not None
    fill = _fill_sqlite if sqlite else _fill_pg
    fill(db, cid, n, first_unit, first_person)
    db.engine.dispose()
    if sqlite:
        con = sqlite3.connect(db.sqlite_path or "")
        con.execute("ANALYZE")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
    return cid


# Row k (0-based) of the campaign: k % 10 in 0-2 overdue (督办 due), 3-7 in progress, 8-9 verified.
_ROWS_SQLITE = """
WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < :n)
"""


def _fill_sqlite(db: object, cid: int, n: int, unit0: int, person0: int) -> None:
    con = sqlite3.connect(db.sqlite_path)  # type: ignore[attr-defined]
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")  # building only; the measured runs are durable
    p = {"n": n, "cid": cid, "unit0": unit0, "person0": person0, "found": FOUND.isoformat(),
         "due": DUE.isoformat(), "old": "2015-09-15", "units": UNITS, "people": PEOPLE}
    con.execute(_ROWS_SQLITE + """
INSERT INTO items (id, campaign_id, code, seq, title, unit_id, category, source, stage, found_on,
                   reopen_count, typical, state, version, entered_on)
SELECT n + 1, :cid, printf('WGBW-2015-%07d', n + 1), n + 1, '问题' || n, :unit0 + n % :units,
       'cold-service', 'self-inspection', 'self-inspect', :found, 0, 0,
       CASE WHEN n % 10 >= 8 THEN 'closed' ELSE 'confirmed' END, 2, :found FROM k""", p)
    con.execute(_ROWS_SQLITE + """
INSERT INTO rectifications (id, item_id, campaign_id, measures, leader_id, person_id, deadline,
                            original_deadline, level, level_base, returns, state, version, entered_on,
                            completed_on)
SELECT n + 1, n + 1, :cid, '整改措施', :person0 + n % :people, :person0 + (n + 1) % :people,
       d, d, CASE WHEN n % 10 < 3 THEN 'reminder' END, d, 0,
       CASE WHEN n % 10 >= 8 THEN 'verified' ELSE 'in_progress' END, 2, :found,
       CASE WHEN n % 10 >= 8 THEN :old END
FROM (SELECT n, CASE WHEN n % 10 < 3 THEN :due
                     WHEN n % 10 < 8 THEN date('2015-10-26', '+' || (n % 60) || ' days')
                     ELSE :old END AS d FROM k)""", p)
    con.execute("""
INSERT INTO events (campaign_id, item_id, machine, subject_id, "trigger", to_state, actor,
                    business_date, recorded_at)
SELECT :cid, id, 'item', id, 'add', 'reported', 'super', :found, '2015-08-10 09:00:00.000000'
FROM items WHERE campaign_id = :cid""", p)
    con.commit()
    con.close()


def _fill_pg(db: object, cid: int, n: int, unit0: int, person0: int) -> None:
    from sqlalchemy import text

    p = {"n": n, "cid": cid, "unit0": unit0, "person0": person0, "found": FOUND, "due": DUE,
         "old": dt.date(2015, 9, 15), "units": UNITS, "people": PEOPLE}
    with db.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("""
INSERT INTO items (id, campaign_id, code, seq, title, unit_id, category, source, stage, found_on,
                   reopen_count, typical, state, version, entered_on)
SELECT g + 1, :cid, 'WGBW-2015-' || lpad((g + 1)::text, 7, '0'), g + 1, '问题' || g,
       :unit0 + g % :units, 'cold-service', 'self-inspection', 'self-inspect', :found, 0, false,
       CASE WHEN g % 10 >= 8 THEN 'closed' ELSE 'confirmed' END, 2, :found
FROM generate_series(0, :n - 1) g"""), p)
        conn.execute(text("""
INSERT INTO rectifications (id, item_id, campaign_id, measures, leader_id, person_id, deadline,
                            original_deadline, level, level_base, returns, state, version, entered_on,
                            completed_on)
SELECT g + 1, g + 1, :cid, '整改措施', :person0 + g % :people, :person0 + (g + 1) % :people,
       d, d, CASE WHEN g % 10 < 3 THEN 'reminder' END, d, 0,
       CASE WHEN g % 10 >= 8 THEN 'verified' ELSE 'in_progress' END, 2, :found,
       CASE WHEN g % 10 >= 8 THEN CAST(:old AS DATE) END
FROM (SELECT g, CASE WHEN g % 10 < 3 THEN CAST(:due AS DATE)
                     WHEN g % 10 < 8 THEN DATE '2015-10-26' + g % 60
                     ELSE CAST(:old AS DATE) END AS d
      FROM generate_series(0, :n - 1) g) s"""), p)
        conn.execute(text("""
INSERT INTO events (campaign_id, item_id, machine, subject_id, "trigger", to_state, actor,
                    business_date, recorded_at)
SELECT :cid, id, 'item', id, 'add', 'reported', 'super', :found, now()
FROM items WHERE campaign_id = :cid"""), p)
        for table in ("items", "rectifications", "events"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))


# -- the two measured runs ---------------------------------------------------------------------

TICK_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from campaigns.cli import main
import campaigns.cli.clock, campaigns.clock, engine.io.clock  # imports are not what is measured
reports = []
batched = campaigns.clock.tick_in_batches
def keep(*args, **kwargs):  # the report, for its transactions' lock holds
    reports.append(batched(*args, **kwargs))
    return reports[-1]
campaigns.clock.tick_in_batches = keep
t = time.perf_counter()
try:
    main(["tick", {key!r}, "--as-of", {day!r}, "--db", {url!r}, "--json"])
except SystemExit as exc:
    if exc.code:
        raise
print(json.dumps({{"seconds": time.perf_counter() - t, "holds": reports[-1].holds}}), file=sys.stderr)
"""

FLOOR_CHILD = """
import datetime as dt, json, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})
from bench_tick import floor
print(json.dumps({{"seconds": floor({url!r}, {cid})}}), file=sys.stderr)
"""


def floor(url: str, cid: int) -> float:
    """The raw-SQL floor, timed from the first statement to COMMIT."""
    from sqlalchemy import create_engine, text

    from engine.io.store import open_engine, resolve_url

    url = resolve_url(url)
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    engine = open_engine(url) if dialect == "sqlite" else create_engine(url)
    stamp = dt.datetime.now(dt.UTC)
    p: dict[str, Any] = {
         "cid": cid, "day": AS_OF.isoformat(), "base": DUE.isoformat(), "new": "2015-10-22",
         "stamp": stamp.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else stamp,
         "note": "督办: 下发督办意见，明确整改措施和整改时限",
         "action": "下发督办意见，明确整改措施和整改时限",
         "payload": json.dumps({"level": "supervision", "from_level": "reminder",
                                "new_deadline": "2015-10-22"})}
    with engine.connect() as raw:
        conn = raw.execution_options(write=True)
        t = time.perf_counter()
        with conn.begin():
            p["mark"] = conn.execute(text("SELECT max(id) FROM events")).scalar()
            added = _floor_events(conn, p, dialect, stamp)
            conn.execute(text(FLOOR_NOTICES[dialect]), p)
            update_sql = FLOOR_UPDATE if dialect == "sqlite" else FLOOR_UPDATE.replace(
                ":day", "CAST(:day AS DATE)")
            moved = conn.execute(text(update_sql), p).rowcount
            assert added == moved, (added, moved)
        return time.perf_counter() - t


def _floor_events(conn: Any, p: dict[str, Any], dialect: str, stamp: dt.datetime) -> int:
    """The events, chained as the tick chains them: lock the head, hash each in order, insert."""
    from sqlalchemy import text

    from engine.core.chain import ALG, Link, digest, utc_text

    lock = "" if dialect == "sqlite" else " FOR UPDATE"
    seq, prev = conn.execute(text(f"SELECT seq, hash FROM chain_heads WHERE stream = :s{lock}"),
                             {"s": KEY}).one()
    due_sql = FLOOR_DUE if dialect == "sqlite" else FLOOR_DUE.replace(":day", "CAST(:day AS DATE)")
    payload = json.loads(p["payload"])
    at, rows = utc_text(stamp), []
    for rid, cid, item_id, state, code in conn.execute(text(due_sql), p):
        seq += 1
        h = digest(Link("system", ALG, p["day"], state, "rectification", p["note"], payload, prev,
                        at, "escalation.supervision", seq, KEY, code, state, "escalate", 1))
        rows.append({**p, "id": rid, "campaign_id": cid, "item_id": item_id, "state": state,
                     "code": code, "seq": seq, "prev": prev, "hash": h, "alg": ALG})
        prev = h
    events_sql = FLOOR_EVENTS if dialect == "sqlite" else FLOOR_EVENTS.replace(
        ":payload", "CAST(:payload AS JSON)").replace(":day", "CAST(:day AS DATE)")
    if rows:
        conn.execute(text(events_sql), rows)
    conn.execute(text("UPDATE chain_heads SET seq = :seq, hash = :h WHERE stream = :s"),
                 {"seq": seq, "h": prev, "s": KEY})
    return len(rows)


def measure(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python; its own timing (stderr JSON) and its peak memory."""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    t = time.perf_counter()
    out, err = "", ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"benchmark child failed:\n{out}\n{err}")
    result = json.loads(err.strip().splitlines()[-1])
    result["wall"] = wall
    result["maxrss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    if out.strip():
        result["output"] = out
    return result


def bench(tick_url: str, floor_url: str, cid: int, n: int, label: str,
          rebuild: Callable[[], object] | None = None) -> dict[str, Any]:
    tick = measure(TICK_CHILD.format(root=ROOT, key=KEY, day=AS_OF.isoformat(), url=tick_url))
    report = json.loads(tick.pop("output"))
    if rebuild is not None:
        rebuild()
    floor_ = measure(FLOOR_CHILD.format(root=ROOT, here=HERE, url=floor_url, cid=cid))
    return {"database": label, "n": n, "changes": report["changes"],
            "tick_s": tick["seconds"], "tick_wall_s": tick["wall"], "tick_maxrss_mb": tick["maxrss_mb"],
            "floor_s": floor_["seconds"], "floor_maxrss_mb": floor_["maxrss_mb"],
            "ratio": tick["seconds"] / floor_["seconds"], "transactions": len(tick["holds"]),
            "longest_hold_s": max(tick["holds"])}


def sqlite_bench(n: int, keep: str | None) -> dict[str, object]:
    folder = keep or tempfile.mkdtemp(prefix="bench-tick-")
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, "base.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(base + suffix):
            os.remove(base + suffix)
    t = time.perf_counter()
    cid = build(base, n)
    print(f"built {n:,} rectifications on SQLite in {time.perf_counter() - t:.1f} s "
          f"({os.path.getsize(base) / 2**20:.0f} MB)", file=sys.stderr)
    tick_db, floor_db = os.path.join(folder, "tick.db"), os.path.join(folder, "floor.db")
    shutil.copyfile(base, tick_db)
    shutil.copyfile(base, floor_db)
    try:
        return bench(tick_db, floor_db, cid, n, "SQLite")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def pg_bench(url: str, n: int) -> dict[str, object]:
    t = time.perf_counter()
    cid = build(url, n)
    print(f"built {n:,} rectifications on PostgreSQL in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)
    return bench(url, url, cid, n, "PostgreSQL", rebuild=lambda: build(url, n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rectifications on SQLite")
    parser.add_argument("--pg-n", type=int, default=100_000,
                        help="rectifications on PostgreSQL (with RECTIFY_BENCH_PG)")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep the databases")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = [sqlite_bench(args.n, args.keep)] if args.n else []
    pg = os.environ.get("RECTIFY_BENCH_PG")
    if pg and args.pg_n:
        results.append(pg_bench(pg, args.pg_n))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("| database | rectifications | due (changes) | tick | transactions | longest lock hold "
          "| peak memory | raw-SQL floor (one transaction) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['database']} | {r['n']:,} | {r['changes']:,} | {r['tick_s']:.2f} s "
              f"(process {r['tick_wall_s']:.2f} s) | {r['transactions']} | "
              f"{r['longest_hold_s']:.3f} s | {r['tick_maxrss_mb']:.0f} MB | "
              f"{r['floor_s']:.2f} s | {r['ratio']:.2f}x |")


if __name__ == "__main__":
    main()

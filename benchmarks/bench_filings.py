"""Filings at scale: a county's year of daily filings (每日) and weekly circulars, ticked and listed.

The campaign is seed 001's definition run for the whole of 2015 (its first stage starting on
1 January), with its monthly report made daily, filed by N units of kind department (the county
of the issue: 500), and a weekly circular (周通报, 每周一) filed by the county office.  Nobody
files, so every occurrence is reminded, urged and circulated on the filings' ladder.  Measured
in one run:

* ``rectify tick`` from 2015-01-01 to 2015-12-31 in one command (the clock opens each working
  day's occurrences and climbs their ladder), beside its floor: plain SQL (sqlite3
  ``executemany``) making the same writes on a copy of the database as it was before the tick,
  in one transaction: the occurrences inserted as they were opened, every event and notice
  inserted as the tick wrote it (hashes and all), each ladder step an ``UPDATE`` of its
  occurrence, and the few rows of other tables (stages, the tick's mark) written as they ended.
  The floor's tables are then compared with the tick's, row for row;
* ``rectify filing status`` over the year as of 2015-12-31, beside the floor: one hand-written
  SQL query computing the same per-unit, per-period figures (due, filed on, status) on the same
  database.  Two ratios: the figures as the library computes them, and the whole command
  printing them as CSV.

    python benchmarks/bench_filings.py [--units 500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

KEY = "wgbw-2015"
START = dt.date(2015, 1, 1)
AS_OF = dt.date(2015, 12, 31)
WEEKLY = """
    - key: weekly-circular
      title: 周通报
      schedule: 每周一
      units: [county]
      document: true
      office: lead-office
"""

FLOOR = """
SELECT f.filing, f.period, u.code, u.title, f.due, f.filed_on,
       CASE WHEN f.accepted_on IS NOT NULL
                 AND (f.returned_on IS NULL OR f.accepted_on >= f.returned_on) THEN 'accepted'
            WHEN f.returned_on IS NOT NULL AND (f.filed_on IS NULL OR f.filed_on <= f.returned_on)
                 THEN 'returned'
            WHEN f.filed_on IS NOT NULL AND f.filed_on <= f.due THEN 'on time'
            WHEN f.filed_on IS NOT NULL THEN 'late'
            WHEN ? > f.due THEN 'missing' ELSE 'pending' END,
       f.level, f.document_name
FROM filings f JOIN units u ON u.id = f.unit_id
WHERE f.campaign_id = 1 AND f.opened_on <= ?
ORDER BY f.filing, f.due, f.period, u.path
"""


def seed(path: str, units: int, folder: str) -> None:
    from campaigns.db import Database
    from campaigns.people import add_person, first_admin
    from campaigns.runs import start
    from campaigns.units import UnitTree, add_unit

    text = open(os.path.join(ROOT, "definitions", "wgbw-2015.yaml"), encoding="utf-8").read()
    daily = os.path.join(folder, "daily.yaml")
    text = text.replace("schedule: 每月底前", "schedule: 每日").replace(
        "    start: 2015-07-01\n    end: 2015-07-31", "    start: 2015-01-01\n    end: 2015-07-31")
    with open(daily, "w", encoding="utf-8") as fh:
        fh.write(text.rstrip("\n") + "\n" + WEEKLY)
    db = Database(path)
    db.init()
    with db.write() as conn:
        tree = UnitTree.load(conn)
        first_admin(conn, tree, "admin", "管理员")
        add_unit(conn, tree, "county", "县", None, "county", actor="admin")
        tree = UnitTree.load(conn)
        for u in range(units):
            add_unit(conn, tree, f"u{u:03d}", f"单位{u:03d}", "county", "department", actor="admin")
        tree = UnitTree.load(conn)
        add_person(conn, tree, "lead", "组织部", "county", ["lead-office"], actor="admin")
        start(conn, daily, START, "lead", START)


def table_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version' ORDER BY name")]


def marks(path: str) -> dict[str, int]:
    """Each table's highest rowid before the tick: the rows after it are the tick's."""
    conn = sqlite3.connect(path)
    out = {t: conn.execute(f'SELECT coalesce(max(rowid), 0) FROM "{t}"').fetchone()[0]
           for t in table_names(conn)}
    conn.close()
    return out


def contents(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()


class Writes:
    """What the tick wrote, read back from its database: the floor writes the same."""

    def __init__(self, path: str, before: str, mark: dict[str, int]) -> None:
        conn, old = sqlite3.connect(path), sqlite3.connect(before)
        self.columns = {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
                        for t in table_names(conn)}
        self.new: dict[str, list[tuple[object, ...]]] = {}
        self.replaced: dict[str, list[tuple[object, ...]]] = {}
        for t in self.columns:
            rows = conn.execute(f'SELECT * FROM "{t}" WHERE rowid > ?', (mark[t],)).fetchall()
            if t == "filings":
                rows = [self.opened(r) for r in rows]
            if rows:
                self.new[t] = rows
            if t not in ("filings", "events", "filing_notices", "blobs") and \
                    contents(old, t) != [r for r in contents(conn, t) if r not in rows]:
                self.replaced[t] = [r for r in contents(conn, t)]  # changed in place: few rows
        cols = self.columns["filings"]
        # each ladder step, in the order written: the occurrence's level and version after it
        self.steps = conn.execute(
            "SELECT e.rule, e.subject_id FROM events e WHERE e.machine = 'filing' "
            "AND e.trigger = 'escalate' ORDER BY e.id").fetchall()
        self.level_of = {r.split(".", 1)[1] if "." in r else r for r, _ in self.steps}
        self.cols = cols
        # what hashing each new event needs, in hand as the tick has it (payloads as objects)
        ev = self.columns["events"]
        self.links = []
        for row in self.new.get("events", []):
            v = dict(zip(ev, row, strict=True))
            stamp = dt.datetime.fromisoformat(str(v["recorded_at"]))
            self.links.append((v["actor"], v["alg"], str(v["business_date"]), v["from_state"],
                               v["machine"], v["note"],
                               json.loads(v["payload"]) if v["payload"] else None,
                               v["prev_hash"], stamp, v["rule"], v["seq"], v["subject_key"],
                               v["to_state"], v["trigger"], v["payload_version"], v["hash"]))
        conn.close()
        old.close()

    def opened(self, row: tuple[object, ...]) -> tuple[object, ...]:
        """A stored occurrence as the tick inserted it: version 1, no level, its first state."""
        cols = self.columns["filings"]
        values = dict(zip(cols, row, strict=True))
        values.update(version=1, level=None, state="due", entered_on=values["opened_on"])
        return tuple(values[c] for c in cols)

    def write(self, path: str, hashing: bool = False) -> tuple[float, float]:
        """The same writes with plain SQL in one transaction, until they are in the database
        file (the WAL checkpointed when the connection closes, as the tick's are while it runs
        and when it ends) (``hashing``: each event first
        hashed on its chain with the engine's encoding, as any writer of them must, and checked
        against the tick's); wall and CPU seconds taken."""
        from engine.core.chain import Link, digest, utc_text

        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        t, c = time.perf_counter(), time.process_time()
        if hashing:
            prev = None
            for (actor, alg, day, frm, machine, note, payload, prev_hash, stamp, rule, seq,
                 subject, to, trigger, version, stored) in self.links:
                prev = prev_hash if prev is None else prev
                h = digest(Link(actor, alg, day, frm, machine, note, payload, prev,
                                utc_text(stamp), rule, seq, KEY, subject, to, trigger, version))
                assert h == stored, (seq, h, stored)
                prev = h
        conn.execute("BEGIN IMMEDIATE")
        for table, rows in self.new.items():
            if table in self.replaced:
                continue
            marks_ = ", ".join("?" * len(self.columns[table]))
            conn.executemany(f'INSERT INTO "{table}" VALUES ({marks_})', rows)
        versions: dict[int, int] = {}
        updates = []
        for rule, sid in self.steps:
            versions[sid] = versions.get(sid, 1) + 1
            updates.append((rule.split(".", 1)[1], versions[sid], sid))
        conn.executemany("UPDATE filings SET level = ?, version = ? WHERE id = ?", updates)
        for table, rows in self.replaced.items():
            marks_ = ", ".join("?" * len(self.columns[table]))
            conn.execute(f'DELETE FROM "{table}"')
            conn.executemany(f'INSERT INTO "{table}" VALUES ({marks_})', rows)
        conn.execute("COMMIT")
        conn.close()  # the last connection: its WAL checkpointed into the file, as the tick's is
        return time.perf_counter() - t, time.process_time() - c


def same_tables(a: str, b: str) -> list[str]:
    """The tables whose rows differ between two databases (empty: the same writes)."""
    x, y = sqlite3.connect(a), sqlite3.connect(b)
    out = [t for t in table_names(x) if contents(x, t) != contents(y, t)]
    x.close()
    y.close()
    return out


def run_cli(*args: str) -> float:
    return timed_cli(*args)[0]


def timed_cli(*args: str) -> tuple[float, float]:
    """One command in this process: its wall time and its CPU time (the machine is shared:
    the CPU time is what the command itself spent)."""
    from click.testing import CliRunner

    from campaigns.cli import cli

    t, c = time.perf_counter(), time.process_time()
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    took, cpu = time.perf_counter() - t, time.process_time() - c
    assert result.exit_code == 0, result.output
    return took, cpu


def backup(src: str, dst: str) -> None:
    """A consistent copy (the WAL included)."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def library_status(path: str) -> float:
    from campaigns.db import Database
    from campaigns.filings import status
    from campaigns.runs import load_run

    with Database(path).read() as conn:
        run = load_run(conn, KEY)
        t = time.perf_counter()
        status(conn, run, AS_OF)
        return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--keep", metavar="DIR")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="bench-filings-")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "filings.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    seed(path, args.units, folder)
    before, floor_db = os.path.join(folder, "before.db"), os.path.join(folder, "floor.db")
    for copy in (before, floor_db):
        backup(path, copy)
    mark = marks(path)
    tick, tick_cpu = timed_cli("tick", KEY, "--as-of", AS_OF.isoformat(), "--db", path)
    writes = Writes(path, before, mark)
    tick_floor, floor_cpu = writes.write(floor_db)
    differ = same_tables(path, floor_db)
    hashed_db = os.path.join(folder, "hashed.db")
    backup(before, hashed_db)
    hashed, hashed_cpu = writes.write(hashed_db, hashing=True)
    differ += [f"{t} (hashed)" for t in same_tables(path, hashed_db)]
    conn = sqlite3.connect(path)
    occurrences = conn.execute("SELECT count(*) FROM filings").fetchone()[0]
    events = conn.execute("SELECT count(*) FROM events WHERE machine = 'filing'").fetchone()[0]
    notices = conn.execute("SELECT count(*) FROM filing_notices").fetchone()[0]
    status = min(run_cli("filing", "status", KEY, "--csv", "--as-of", AS_OF.isoformat(),
                         "--db", path) for _ in range(3))
    figures = min(library_status(path) for _ in range(3))
    floor = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        rows = conn.execute(FLOOR, (AS_OF.isoformat(), AS_OF.isoformat())).fetchall()
        floor = min(floor, time.perf_counter() - t)
    conn.close()
    print(f"units {args.units}, occurrences {occurrences}, filing events {events}, "
          f"notices {notices}")
    print(f"tick {START}..{AS_OF}: {tick:.2f} s ({tick / max(occurrences, 1) * 1e6:.0f} µs "
          "per occurrence, opening and ladder)")
    print(f"tick floor (plain SQL, the same writes, {sum(map(len, writes.new.values()))} rows "
          f"inserted, {len(writes.steps)} updated): {tick_floor:.2f} s; "
          f"tables that differ: {', '.join(differ) or 'none'}")
    print(f"tick / floor: wall {tick:.2f} / {tick_floor:.2f} s = {tick / tick_floor:.2f}x; "
          f"CPU {tick_cpu:.2f} / {floor_cpu:.2f} s = {tick_cpu / floor_cpu:.2f}x")
    print(f"tick / floor hashing the events: wall {tick:.2f} / {hashed:.2f} s = "
          f"{tick / hashed:.2f}x; CPU {tick_cpu:.2f} / {hashed_cpu:.2f} s = "
          f"{tick_cpu / hashed_cpu:.2f}x")
    print(f"floor (one SQL query, {len(rows)} rows): {floor:.3f} s")
    print(f"filing status, the figures (campaigns.filings.status): {figures:.3f} s; "
          f"ratio {figures / floor:.1f}x")
    print(f"filing status, the whole command printing CSV: {status:.2f} s; "
          f"ratio {status / floor:.1f}x")
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()

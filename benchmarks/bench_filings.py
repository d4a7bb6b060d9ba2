"""Filings at scale: daily filings (每日) of N units over seed 001's half year, ticked and listed.

The campaign is seed 001's definition with its monthly report made daily, filed by N units of
kind department (the county of the issue: 500).  Measured in one run:

* ``rectify tick`` from the campaign's start to 2015-12-31 in one command (the clock opens each
  working day's N occurrences and climbs their ladder), with the occurrences, events and
  notices it wrote and the time per occurrence;
* ``rectify filing status`` over the whole campaign as of 2015-12-31, beside the floor: one
  hand-written SQL query computing the same per-unit, per-period figures (due, filed on, status)
  on the same database.  Two ratios: the figures as the library computes them, and the whole
  command printing them as CSV.

    python benchmarks/bench_filings.py [--units 500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
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
START = dt.date(2015, 7, 1)
AS_OF = dt.date(2015, 12, 31)

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
    with open(daily, "w", encoding="utf-8") as fh:
        fh.write(text.replace("schedule: 每月底前", "schedule: 每日"))
    db = Database(path)
    db.init()
    with db.write() as conn:
        tree = UnitTree.load(conn)
        first_admin(conn, tree, "admin", "管理员")
        add_unit(conn, tree, "county", "县", None, actor="admin")
        tree = UnitTree.load(conn)
        for u in range(units):
            add_unit(conn, tree, f"u{u:03d}", f"单位{u:03d}", "county", "department", actor="admin")
        tree = UnitTree.load(conn)
        add_person(conn, tree, "lead", "组织部", "county", ["lead-office"], actor="admin")
        start(conn, daily, START, "lead", START)


def run_cli(*args: str) -> float:
    from click.testing import CliRunner

    from campaigns.cli import cli

    t = time.perf_counter()
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    took = time.perf_counter() - t
    assert result.exit_code == 0, result.output
    return took


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
    tick = run_cli("tick", KEY, "--as-of", AS_OF.isoformat(), "--db", path)
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
    print(f"floor (one SQL query, {len(rows)} rows): {floor:.3f} s")
    print(f"filing status, the figures (campaigns.filings.status): {figures:.3f} s; "
          f"ratio {figures / floor:.1f}x")
    print(f"filing status, the whole command printing CSV: {status:.2f} s; "
          f"ratio {status / floor:.1f}x")
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()

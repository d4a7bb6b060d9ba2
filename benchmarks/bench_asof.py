"""As-of views at scale, beside a raw read of the snapshot they start from plus the events after it.

Builds an N-item campaign whose events span four months (an import on 2015-07-01 with 20%
待核实, 60% 整改中, 20% 已销号; confirmations, submissions, ticks with escalations and
verifications through September; a few submissions in October), so a date in September is in
the past; ticks write the month-end snapshots.  Then, in this process:

* the floor: raw sqlite3 reading the newest snapshot at or before D (zlib + JSON decoded) and
  every event of the campaign dated after it up to D; and the same with the cyclic garbage
  collector paused, as the views pause it while they build a campaign's items;
* ``campaign_at`` at D (the reducer: snapshot plus those events), ``campaign status`` and the
  dashboard's figures at D, and the monthly report (Markdown) of September;
* the same reducer without snapshots (every event replayed), for comparison.

``python benchmarks/bench_asof.py [--n 100000] [--runs 3] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from bench_ledger import CATEGORIES, KEY, SOURCES, UNITS, base_db  # noqa: E402

START = dt.date(2015, 7, 1)
HEADERS = ["序号", "单位", "问题描述", "问题类别", "问题来源", "整改措施", "整改目标", "整改时限",
           "责任领导", "状态"]


def write_csv(folder: str, n: int) -> str:
    path = os.path.join(folder, "ledger.csv")
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i in range(n):
            unit = i % UNITS
            writer.writerow([i // UNITS + 1, f"第{unit:03d}局", f"问题{i}：窗口服务推诿拖延",
                             CATEGORIES[i % 8], SOURCES[i % 4], f"措施{i}", "群众满意",
                             (dt.date(2015, 8, 20) + dt.timedelta(days=i % 60)).isoformat(),
                             f"局长{unit:03d}", ("待核实", "整改中", "整改中", "整改中", "已销号")[i % 5]])
    return path


def _codes(conn: Any, run: Any, item_state: str, rect_state: str, every: int
           ) -> dict[str, list[str]]:
    """Every ``every``-th item in those states, by the code of its unit."""
    from sqlalchemy import select

    from campaigns.tables import ITEMS as I, RECTIFICATIONS as R, UNITS as U

    rows = conn.execute(select(I.c.code, U.c.code).select_from(
        I.join(R, R.c.item_id == I.c.id).join(U, U.c.id == I.c.unit_id))
        .where(I.c.campaign_id == run.id, I.c.state == item_state, R.c.state == rect_state)
        .order_by(I.c.seq)).all()
    by_unit: dict[str, list[str]] = {}
    for code, unit in rows[::every]:
        by_unit.setdefault(unit, []).append(code)
    return by_unit


def build(folder: str, n: int) -> str:
    from campaigns.advance import advance
    from campaigns.clock import tick
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.importer import import_items
    from campaigns.people import add_person, resolve_actor
    from campaigns.runs import load_run
    from campaigns.snapshots import write_missing
    from campaigns.units import UnitTree

    path = base_db(folder)
    db = Database(path)
    with db.write() as conn:
        add_person(conn, UnitTree.load(conn), "sup", "督查室", "county", ["supervision-office"],
                   actor="admin")
    with db.write() as conn:
        run = load_run(conn, KEY)
        lead = resolve_actor(conn, "lead", set(run.definition.roles))
        import_items(Scope(conn, run, lead, START), write_csv(folder, n))

    def step(day: dt.date, trigger: str, states: tuple[str, str], every: int, who: str) -> None:
        with db.write() as conn:
            run = load_run(conn, KEY)
            tick(Scope(conn, run, None, day))
            write_missing(conn, run)
            params = {"deadline": day + dt.timedelta(days=30)} if trigger.startswith("approve") else {}
            for unit, codes in _codes(conn, run, *states, every).items():
                # a unit's own head submits its work (the duties): "head" means each unit's
                key = f"head{unit[1:]}" if who == "head" else who
                actor = resolve_actor(conn, key, set(run.definition.roles))
                advance(conn, trigger, codes, actor, key, day, "n", params)

    step(dt.date(2015, 8, 5), "confirm", ("reported", "pending"), 1, "lead")
    step(dt.date(2015, 8, 25), "submit", ("confirmed", "in_progress"), 2, "head")
    step(dt.date(2015, 9, 10), "verify", ("confirmed", "submitted"), 2, "sup")
    step(dt.date(2015, 9, 25), "submit", ("confirmed", "in_progress"), 5, "head")
    step(dt.date(2015, 10, 12), "verify", ("confirmed", "submitted"), 3, "sup")
    db.engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def floor(path: str, day: dt.date) -> int:
    """Raw sqlite3: the newest snapshot at or before ``day`` decoded, and the events after it."""
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT as_of, state FROM snapshots WHERE as_of <= ? ORDER BY as_of DESC "
                       "LIMIT 1", (day.isoformat(),)).fetchone()
    since = row[0] if row else "0000-00-00"
    items = json.loads(zlib.decompress(row[1])) if row else []
    events = conn.execute("SELECT id, item_id, machine, trigger, to_state, business_date, payload, "
                          "note FROM events WHERE campaign_id = 1 AND item_id IS NOT NULL AND "
                          "business_date > ? AND business_date <= ? ORDER BY id",
                          (since, day.isoformat())).fetchall()
    conn.close()
    return len(items) + len(events)


def floor_without_gc(path: str, day: dt.date) -> int:
    """The floor with the cyclic garbage collector paused, as the views pause it while they build."""
    gc.disable()
    try:
        return floor(path, day)
    finally:
        gc.enable()


def best(runs: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="keep the files in this folder")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="bench-asof-")
    os.makedirs(folder, exist_ok=True)
    try:
        t0 = time.perf_counter()
        path = build(folder, args.n)
        from campaigns import dashboard, queries, report
        from campaigns.context import Scope
        from campaigns.db import Database
        from campaigns.reducer import campaign_at
        from campaigns.runs import load_run

        raw = sqlite3.connect(path)
        events = raw.execute("SELECT count(*) FROM events").fetchone()[0]
        snaps = [r[0] for r in raw.execute("SELECT as_of FROM snapshots ORDER BY as_of")]
        raw.close()
        print(f"built {args.n:,} items, {events:,} events, snapshots {', '.join(snaps)} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        db = Database(path)

        def view(fn: Callable[[Any, Any, Any], Any], day: dt.date) -> Callable[[], Any]:
            def run_it() -> Any:
                with db.read() as conn:
                    run = load_run(conn, KEY)
                    return fn(conn, run, Scope(conn, run, None, day))
            return run_it

        rows = []
        for day in (dt.date(2015, 9, 20), dt.date(2015, 9, 30)):
            base = best(args.runs, lambda d=day: floor(path, d))
            strict = best(args.runs, lambda d=day: floor_without_gc(path, d))
            measured = {
                "reducer (campaign_at)": view(lambda c, r, s: campaign_at(c, r, s.as_of), day),
                "campaign status": view(lambda c, r, s: queries.status(s), day),
                "dashboard figures": view(lambda c, r, s: dashboard.figures(s), day),
                "reducer without snapshots": view(
                    lambda c, r, s: campaign_at(c, r, s.as_of, replay=True, snapshots=False), day),
            }
            if day.day == 30:
                measured["monthly report 2015-09 (Markdown)"] = view(
                    lambda c, r, s: report.to_markdown(report.build(s, dt.date(2015, 9, 1))),
                    dt.date(2015, 10, 12))
            for name, fn in measured.items():
                took = best(args.runs, fn)
                rows.append((f"{name} as of {day}", took, base, strict))
                print(rows[-1], flush=True)
        db.engine.dispose()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print(f"| as of ({args.n:,} items, {events:,} events) | Rectify | raw read of snapshot + "
          "later events | ratio | same read, GC paused | ratio |")
    print("|---|---|---|---|---|---|")
    for name, took, base, strict in rows:
        print(f"| {name} | {took:.3f} s | {base:.3f} s | {took / base:.2f}x | {strict:.3f} s | "
              f"{took / strict:.2f}x |")


if __name__ == "__main__":
    main()

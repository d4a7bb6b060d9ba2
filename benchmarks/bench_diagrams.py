"""Diagrams: what counting a big campaign adds to drawing the same diagram from its definition.

Builds a SQLite campaign of ``--items`` problem items (default 100,000) with raw inserts, spread
over 121 units, every state, stage and escalation level.  Then, for each diagram kind:

* whole processes, interleaved: ``rectify diagram --definition FILE --kind K -o out.svg``
  against ``rectify diagram CAMPAIGN --kind K -o out.svg`` on the big database; their ratio
  is the target (at most 1.2x: counting adds at most 20%);
* in process, the parts: building and rendering the graph from an already loaded definition,
  the same with counts from an already open connection, and the counting queries alone.

    python benchmarks/bench_diagrams.py [--items 100000] [--runs 7] [--keep DB]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

DEFINITION = os.path.join(ROOT, "definitions", "wgbw-2015.yaml")
START = dt.date(2015, 7, 1)
AS_OF = dt.date(2015, 10, 15)
KINDS = ("stages", "items", "rectifications", "escalation")
TARGET = 1.2

# (item state, rectification state, weight): a campaign in mid-October
MIX = [("reported", "pending", 6), ("confirmed", "pending", 4), ("confirmed", "in_progress", 30),
       ("confirmed", "extension_requested", 2), ("confirmed", "submitted", 5),
       ("confirmed", "long_term", 3), ("closed", "verified", 44), ("dismissed", "cancelled", 4),
       ("merged", "cancelled", 2)]


def build(path: str, n: int, seed: int = 7) -> float:
    """A campaign with ``n`` items written by raw sqlite3 inserts; returns the seconds taken."""
    from campaigns.db import Database
    from campaigns.runs import start
    from engine.core.calendar import calendar_for
    from engine.core.loader import load

    began = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = Database(path)
    db.init()
    with db.write() as conn:
        start(conn, DEFINITION, START, "bench", START)
    db.engine.dispose()

    rnd = random.Random(seed)
    definition = load(DEFINITION)
    ladder = definition.ladder
    assert ladder is not None
    cal = calendar_for(definition.calendar)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA synchronous=OFF")
    # units: a county, 40 departments and townships, two offices each
    units = [(1, "county", "某县", "county", None, "/county", 0)]
    for d in range(40):
        uid = len(units) + 1
        code = f"d{d:02d}"
        units.append((uid, code, f"{'县局' if d < 25 else '乡镇'}{d:02d}", "department", 1,
                      f"/county/{code}", 1))
        for o in range(2):
            units.append((len(units) + 1, f"{code}-{o}", f"科室{o}", "office", uid,
                          f"/county/{code}/{code}-{o}", 2))
    raw.executemany("INSERT INTO units (id, code, title, kind, parent_id, path, depth) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", units)
    # a few units lag: they get more items and most of their deadlines early
    weights = [1 + (8 if u[0] % 17 == 0 else 0) for u in units[1:]]
    unit_ids = [u[0] for u in units[1:]]
    windows = [(s.key, *s.window(START)) for s in definition.stages]
    states = [(i, r) for i, r, _ in MIX]
    mix_weights = [w for *_, w in MIX]
    levels = [lv for lv in ladder.levels]
    finished = ladder.stop_states | definition.machines["rectification"].done_states
    items, rects = [], []
    for k in range(1, n + 1):
        found = START + dt.timedelta(days=rnd.randrange((AS_OF - START).days))
        stage = next((key for key, lo, hi in reversed(windows) if lo <= found <= hi), windows[0][0])
        item_state, rect_state = rnd.choices(states, mix_weights)[0]
        unit = rnd.choices(unit_ids, weights)[0]
        deadline = found + dt.timedelta(days=rnd.randrange(10, 60)) if rect_state != "pending" else None
        level = None
        if deadline and rect_state not in finished and rect_state not in ladder.hold_states:
            for lv in levels:
                if AS_OF >= cal.add(deadline, lv.at):
                    level = lv.key
        items.append((k, 1, f"WGBW-2015-{k:06d}", k, f"问题{k}", unit, "cold-service",
                      "self-inspection", stage, found.isoformat(), item_state, 1,
                      found.isoformat(), 0, 0))
        rects.append((k, k, 1, rect_state, 1, found.isoformat(),
                      deadline.isoformat() if deadline else None,
                      deadline.isoformat() if deadline else None, level, 0))
    raw.executemany("INSERT INTO items (id, campaign_id, code, seq, title, unit_id, category, "
                    "source, stage, found_on, state, version, entered_on, reopen_count, typical) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    raw.executemany("INSERT INTO rectifications (id, item_id, campaign_id, state, version, "
                    "entered_on, deadline, original_deadline, level, returns) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rects)
    # stages as they stand in mid-October
    raw.execute("UPDATE stages SET state = 'closed', closed_on = '2015-08-31' "
                "WHERE key IN ('mobilize', 'self-inspect')")
    raw.execute("UPDATE stages SET state = 'open', opened_on = '2015-08-01' WHERE key = 'supervise'")
    raw.commit()
    raw.execute("ANALYZE")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    return time.perf_counter() - began


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm: first statement compilation, dot's font cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def process_times(a: list[str], b: list[str], runs: int) -> tuple[float, float]:
    """Medians of two commands run alternately (a shared machine drifts)."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(runs + 1):
        for args, acc in ((a, times[0]), (b, times[1])):
            t = time.perf_counter()
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
            if i:  # the first round warms the page cache and dot's font cache
                acc.append(time.perf_counter() - t)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", metavar="DB", help="build the database here and keep it")
    args = parser.parse_args()

    from campaigns import diagrams as domain
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.runs import load_run
    from campaigns.units import UnitTree
    from engine.core.loader import load
    from engine.io import diagrams as draw

    tmp = tempfile.mkdtemp(prefix="rectify-bench-diagrams-")
    path = args.keep or os.path.join(tmp, "campaign.db")
    seconds = build(path, args.items)
    size = os.path.getsize(path) / 1e6
    print(f"built {args.items:,} items in {seconds:.1f} s ({size:.0f} MB) at {path}")
    out = os.path.join(tmp, "out.svg")
    definition = load(DEFINITION)
    db = Database(path)
    rows = []
    with db.read() as conn:
        run = load_run(conn, "wgbw-2015")
        scope = Scope(conn, run, None, AS_OF)
        counters: dict[str, Callable[[], object]] = {
            "stages": lambda: domain.stage_figures(run, domain._items(scope, None)),
            "items": lambda: domain.state_counts(domain._items(scope, None), "item"),
            "rectifications": lambda: domain.state_counts(
                domain._items(scope, None), "rectification"),
            "escalation": lambda: domain.level_counts(run, domain._items(scope, None)),
        }
        for kind in KINDS:
            alone = median_time(lambda k=kind: draw.render(
                domain.definition_diagram(definition, DEFINITION, k, START, AS_OF), out), args.runs)
            counted = median_time(lambda k=kind: draw.render(
                domain.campaign_diagram(scope, k), out), args.runs)
            counting = median_time(counters[kind], args.runs)
            rows.append((kind, alone, counted, counting, counted / alone))
        unit = UnitTree.load(conn).find("d17")
        subtree = median_time(lambda: draw.render(
            domain.campaign_diagram(scope, "items", "d17"), out), args.runs)
        subtree_count = median_time(lambda: domain.state_counts(
            domain._items(scope, unit), "item"), args.runs)
        units = median_time(lambda: draw.render(
            domain.campaign_diagram(scope, "units"), out), args.runs)
        units_count = median_time(lambda: domain.unit_figures(
            run, domain._items(scope, None), AS_OF), args.runs)
        units1 = median_time(lambda: draw.render(
            domain.campaign_diagram(scope, "units", depth=1), out), args.runs)
    db.engine.dispose()

    rectify = os.path.join(os.path.dirname(sys.executable), "rectify")
    print(f"\nwhole process, SVG, median of {args.runs}:")
    print(f"{'kind':<16}{'--definition':>14}{'campaign':>12}{'ratio':>8}")
    worst = 0.0
    for kind in KINDS:
        alone, counted = process_times(
            [rectify, "diagram", "--definition", DEFINITION, "--kind", kind, "--start",
             START.isoformat(), "--as-of", AS_OF.isoformat(), "-o", out],
            [rectify, "diagram", "wgbw-2015", "--kind", kind, "--as-of", AS_OF.isoformat(),
             "--db", path, "-o", out], args.runs)
        worst = max(worst, counted / alone)
        print(f"{kind:<16}{alone * 1e3:>12.0f}ms{counted * 1e3:>10.0f}ms{counted / alone:>7.2f}x")
    _, units_whole = process_times([sys.executable, "-c", "pass"],
                                   [rectify, "diagram", "wgbw-2015", "--kind", "units", "--as-of",
                                    AS_OF.isoformat(), "--db", path, "-o", out], args.runs)
    print(f"{'units':<16}{'':>14}{units_whole * 1e3:>10.0f}ms   (no definition-only counterpart)")
    print(f"worst ratio {worst:.2f}x (target <= {TARGET}x)")

    print(f"\nin process, the parts, median of {args.runs} (dot renders SVG each time):")
    print(f"{'kind':<16}{'definition':>12}{'campaign':>12}{'counting':>12}")
    for kind, alone, counted, counting, _ratio in rows:
        print(f"{kind:<16}{alone * 1e3:>10.1f}ms{counted * 1e3:>10.1f}ms{counting * 1e3:>10.1f}ms")
    print(f"{'items --unit':<16}{'':>12}{subtree * 1e3:>10.1f}ms{subtree_count * 1e3:>10.1f}ms")
    print(f"{'units':<16}{'':>12}{units * 1e3:>10.1f}ms{units_count * 1e3:>10.1f}ms")
    print(f"{'units --depth 1':<16}{'':>12}{units1 * 1e3:>10.1f}ms")


if __name__ == "__main__":
    main()

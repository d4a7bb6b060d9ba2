"""A year's assessment of 500 units from a million events, beside a raw-SQL floor.

Builds a campaign (wgbw-2015 with a 4321 ``assessment:`` section, started 2015-01-01) whose
500 departments have ~146,000 items between them, and writes their lives through the one
writer in bulk: recorded, confirmed, planned, some returned and resubmitted, most verified and
closed (a third after their deadline, escalated first with a new deadline), a tenth still open;
twelve monthly filings a unit, some late; three entered scores a unit.  About 1,000,000 events.

Then, in this process, for the year 2015 as of 2016-01-10:

* the floor: raw sqlite3 with hand-written GROUP BYs computing the same measures (closures,
  on time against the agreed deadline, returns, escalations, items found, inspection findings,
  overdue item-days, filings due and on time, each rater's latest score), undone events left
  out as the engine does;
* ``campaigns.assessment.compute``: the same figures through campaigns.measures, the formulas,
  normalisation and ranking;
* the engine's figures are checked equal to the floor's, and its peak memory is measured in a
  child process (its VmHWM).

``python benchmarks/bench_assess.py [--units 500] [--items 146000] [--runs 3] [--keep DIR]``
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
YEAR_START, YEAR_END, AS_OF = dt.date(2015, 1, 1), dt.date(2015, 12, 31), dt.date(2016, 1, 10)
ASSESSMENT = """
assessment:
  periods: [year]
  groups:
    - {key: departments, title: 县直部门, kinds: [department]}
  indicators:
    - {key: on_time, title: 按期销号率, ratio: [closed_on_time, closed], default: 1, normalise: min-max}
    - {key: overdue, title: 超期天数, measure: overdue_days, better: lower, normalise: min-max}
    - {key: returned, title: 驳回重办, measure: returns, better: lower, normalise: rank}
    - {key: escalated, title: 升级督办, measure: escalations, better: lower, normalise: min-max}
    - {key: found, title: 督查发现, measure: inspection_findings, better: lower, normalise: min-max}
    - {key: filed, title: 按时报送率, ratio: [filings_on_time, filings_due], default: 1, normalise: min-max}
    - key: daily
      title: 日常工作
      weighted: {on_time: 30, overdue: 20, returned: 15, escalated: 15, found: 10, filed: 10}
  scores:
    - {key: annual, title: 年度考核, by: [lead-office]}
    - {key: democratic, title: 民主测评, by: [lead-office]}
    - {key: standing, title: 常委会综合评价, by: [lead-office]}
  total:
    weights: {daily: 40, annual: 30, democratic: 20, standing: 10}
"""


def day(n: int) -> dt.date:
    return YEAR_START + dt.timedelta(days=n)


def build(folder: str, units: int, items: int) -> str:
    """The database; returns its path."""
    from sqlalchemy import insert

    from campaigns.assessment import Entry as Score, enter
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.events import ItemAdded, write
    from campaigns.people import add_person, first_admin, resolve_actor
    from campaigns.runs import load_run, start
    from campaigns.tables import FILINGS, ITEMS, NOTICES, RECTIFICATIONS
    from campaigns.units import UnitTree, add_unit
    from engine.io.writer import Entry

    definition = os.path.join(folder, "wgbw-assess.yaml")
    with open(DEFINITION, encoding="utf-8") as src, open(definition, "w", encoding="utf-8") as out:
        out.write(src.read() + "\n" + ASSESSMENT)
    path = os.path.join(folder, "assess.db")
    db = Database(path)
    db.init()
    with db.write() as conn:
        tree = UnitTree.load(conn)
        first_admin(conn, tree, "admin", "管理员")
        add_unit(conn, tree, "county", "县", None, actor="admin", kind="county")
        add_unit(conn, tree, "khb", "县考核办", "county", actor="admin", kind="office")
        add_person(conn, tree, "kh", "考核员", "khb", ["lead-office"], actor="admin")
        for u in range(units):
            add_unit(conn, tree, f"u{u:03d}", f"第{u:03d}局", "county", actor="admin",
                     kind="department")
        run = start(conn, definition, YEAR_START, "kh", YEAR_START)
        unit_ids = [tree.find(f"u{u:03d}").id for u in range(units)]
        key, cid = run.key, run.id
        rows_i, rows_r, rows_n, events = [], [], [], []

        def ev(machine: str, subject: str, trigger: str, when: dt.date, item: int,
               payload: dict[str, Any] | None = None, version: int = 1) -> None:
            events.append(Entry(key, machine, subject, trigger, "kh", when, payload=payload,
                                payload_version=version, subject_id=item,
                                values={"campaign_id": cid, "item_id": item}))

        def flush() -> None:
            if rows_i:
                conn.execute(insert(ITEMS), rows_i)
                conn.execute(insert(RECTIFICATIONS), rows_r)
            if rows_n:
                conn.execute(insert(NOTICES), rows_n)
            write(conn, events)
            rows_i.clear(), rows_r.clear(), rows_n.clear(), events.clear()

        for i in range(items):
            n = i + 1
            u = i % units
            found = day((i * 7) % 330)
            deadline = found + dt.timedelta(days=(30, 20, 10)[i % 3])
            closes = i % 10 != 9
            closed_on = found + dt.timedelta(days=25) if closes else None
            late = closed_on is None or closed_on > deadline
            code = f"WGBW-2015-{n:06d}"
            source = "inspection" if i % 6 == 0 else "self-inspection"
            escalated = late and deadline + dt.timedelta(days=1) <= AS_OF
            new_deadline = deadline + dt.timedelta(days=15) if escalated else None
            rows_i.append({"id": n, "campaign_id": cid, "code": code, "seq": n, "title": f"问题{i}",
                           "unit_id": unit_ids[u], "category": "cold-service", "source": source,
                           "found_on": found, "state": "closed" if closes else "confirmed",
                           "version": 1, "entered_on": found, "closed_on": closed_on,
                           "reopen_count": 0, "typical": False})
            rows_r.append({"id": n, "item_id": n, "campaign_id": cid,
                           "state": "verified" if closes else "in_progress", "version": 1,
                           "entered_on": found, "deadline": new_deadline or deadline,
                           "original_deadline": deadline, "level_base": new_deadline or deadline,
                           "level": "supervision" if escalated else None,
                           "returns": 1 if i % 5 == 0 else 0})
            ev("item", code, "add", found, n, ItemAdded(f"问题{i}", f"u{u:03d}", "cold-service",
                                                      source, n, None, []).as_payload(),
               ItemAdded.VERSION)
            ev("item", code, "confirm", found, n)
            ev("rectification", code, "plan", found + dt.timedelta(days=1), n,
               {"deadline": deadline.isoformat()})
            if i % 5 == 0:
                ev("rectification", code, "submit", found + dt.timedelta(days=5), n)
                ev("rectification", code, "return", found + dt.timedelta(days=6), n)
            if escalated:
                ev("rectification", code, "escalate", deadline + dt.timedelta(days=1), n,
                   {"level": "supervision", "from_level": None,
                    "new_deadline": (new_deadline or deadline).isoformat()})
                rows_n.append({"campaign_id": cid, "rectification_id": n, "level": "supervision",
                               "issued_on": deadline + dt.timedelta(days=1), "deadline": deadline,
                               "days_overdue": 1, "new_deadline": new_deadline})
            if closed_on is not None:
                ev("rectification", code, "submit", closed_on - dt.timedelta(days=2), n)
                ev("rectification", code, "verify", closed_on, n)
                ev("item", code, "close", closed_on, n)
            if len(rows_i) >= 5000:
                flush()
        flush()
        fid = 0
        for u in range(units):
            for month in range(1, 13):
                fid += 1
                due = (dt.date(2015 + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
                filed = due + dt.timedelta(days=(0, 0, 0, 3)[(u + month) % 4])
                conn.execute(insert(FILINGS).values(
                    id=fid, campaign_id=cid, filing="monthly-report", unit_id=unit_ids[u],
                    period=f"2015-{month:02d}", due=due, opened_on=due.replace(day=1),
                    deadline=due, filed_on=filed, state="filed", version=1, entered_on=filed))
                events.append(Entry(key, "filing", f"monthly-report/u{u:03d}/2015-{month:02d}",
                                    "file", "kh", filed, payload={"filed_on": filed.isoformat()},
                                    subject_id=fid, values={"campaign_id": cid}))
        write(conn, events)
        events.clear()
        run = load_run(conn, key)
        scope = Scope(conn, run, resolve_actor(conn, "kh", set(run.definition.roles)), AS_OF)
        for score in ("annual", "democratic", "standing"):
            enter(scope, "2015", [Score(score, f"u{u:03d}", 60 + (u * 7 + len(score)) % 40)
                                  for u in range(units)])
    db.engine.dispose()
    c = sqlite3.connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.execute("ANALYZE")
    c.close()
    return path


# --- the floor ------------------------------------------------------------------------------------

PAIRS = "((e.machine = 'item' AND e.trigger IN ('add', 'close')) OR (e.machine = 'rectification' " \
        "AND e.trigger IN ('return', 'escalate')))"
AGREED = ("coalesce((SELECT min(n.deadline) FROM notices n WHERE n.rectification_id = r.id "
          "AND n.new_deadline IS NOT NULL AND n.withdrawn_on IS NULL AND n.issued_on <= :as_of), "
          "r.deadline)")
LIVE = "NOT EXISTS (SELECT 1 FROM undone u WHERE u.event_id = e.id AND u.campaign_id = :c)"


def floor(path: str) -> dict[str, dict[int, float]]:
    """The year's figures by hand-written SQL, per unit id."""
    conn = sqlite3.connect(path)
    p = {"c": 1, "first": YEAR_START.isoformat(), "to": YEAR_END.isoformat(),
         "as_of": AS_OF.isoformat()}
    out: dict[str, dict[int, float]] = {k: {} for k in (
        "items_found", "closed", "closed_on_time", "returns", "escalations", "inspection_findings",
        "overdue_days", "filings_due", "filings_on_time")}
    for unit, _machine, trigger, n, timely, inspected in conn.execute(f"""
            SELECT i.unit_id, e.machine, e.trigger, count(*),
                   sum(CASE WHEN r.deadline IS NULL OR e.business_date <= {AGREED} THEN 1 ELSE 0 END),
                   sum(CASE WHEN i.source = 'inspection' THEN 1 ELSE 0 END)
            FROM events e JOIN items i ON i.id = e.item_id JOIN rectifications r ON r.item_id = i.id
            WHERE e.campaign_id = :c AND e.business_date BETWEEN :first AND :to AND {PAIRS}
              AND i.retired_on IS NULL AND {LIVE}
            GROUP BY i.unit_id, e.machine, e.trigger""", p):
        if trigger == "add":
            out["items_found"][unit], out["inspection_findings"][unit] = n, inspected
        elif trigger == "close":
            out["closed"][unit], out["closed_on_time"][unit] = n, timely
        elif trigger == "return":
            out["returns"][unit] = n
        else:
            out["escalations"][unit] = n
    for unit, days in conn.execute(f"""
            SELECT unit_id, sum(max(0, julianday(min(:to, coalesce(closed, :to)))
                                       - julianday(max(:first, date(agreed, '+1 day'))) + 1))
            FROM (SELECT i.unit_id, {AGREED} AS agreed,
                         (SELECT max(e.business_date) FROM events e WHERE e.item_id = i.id
                            AND e.machine = 'item' AND e.trigger = 'close'
                            AND e.business_date <= :as_of AND {LIVE}) AS closed
                  FROM rectifications r JOIN items i ON i.id = r.item_id
                  WHERE r.campaign_id = :c AND r.deadline IS NOT NULL AND i.found_on <= :to
                    AND i.retired_on IS NULL AND r.state NOT IN ('long_term', 'cancelled'))
            WHERE agreed < :to AND (closed IS NULL OR closed > agreed)
            GROUP BY unit_id""", p):
        if days:
            out["overdue_days"][unit] = days
    for unit, n, ok in conn.execute("""
            SELECT f.unit_id, count(*), sum(CASE WHEN EXISTS (
                SELECT 1 FROM events e WHERE e.campaign_id = :c AND e.machine = 'filing'
                  AND e.trigger = 'file' AND e.subject_id = f.id AND e.business_date <= f.deadline
                  AND e.business_date <= :as_of AND NOT EXISTS (SELECT 1 FROM undone u
                  WHERE u.event_id = e.id AND u.campaign_id = :c)) THEN 1 ELSE 0 END)
            FROM filings f WHERE f.campaign_id = :c AND f.due BETWEEN :first AND :to
            GROUP BY f.unit_id""", p):
        out["filings_due"][unit], out["filings_on_time"][unit] = n, ok
    for score, unit, value in conn.execute("""
            SELECT s.score, s.unit_id, s.value FROM assessment_scores s
            WHERE s.campaign_id = :c AND s.period = '2015' AND s.entered_on <= :as_of
              AND s.seq = (SELECT max(t.seq) FROM assessment_scores t WHERE t.campaign_id = :c
                           AND t.period = '2015' AND t.score = s.score AND t.unit_id = s.unit_id
                           AND t.entered_on <= :as_of)""", p):
        out.setdefault("score:" + score, {})[unit] = value
    conn.close()
    return {k: {u: float(v) for u, v in d.items()} for k, d in out.items()}


def engine(path: str) -> Any:
    """The year's results through campaigns.assessment (figures, formulas, ranking)."""
    from campaigns.assessment import compute, parse_period
    from campaigns.db import Database
    from campaigns.runs import load_run
    from campaigns.units import UnitTree

    db = Database(path)
    try:
        with db.read() as conn:
            run = load_run(conn, "wgbw-2015")
            return compute(conn, run, parse_period("2015"), AS_OF, UnitTree.at(conn, AS_OF))
    finally:
        db.engine.dispose()


def engine_figures(path: str) -> dict[str, dict[int, float]]:
    from campaigns.assessment import entered, parse_period
    from campaigns.db import Database
    from campaigns.measure_names import TITLES
    from campaigns.measures import Window, read
    from campaigns.runs import load_run

    db = Database(path)
    with db.read() as conn:
        run = load_run(conn, "wgbw-2015")
        out = read(conn, run, Window(YEAR_START, YEAR_END, AS_OF), list(TITLES))
        for key, values in entered(conn, run, parse_period("2015"), AS_OF).items():
            out["score:" + key] = values
    db.engine.dispose()
    return {k: {u: v for u, v in d.items() if v} for k, d in out.items()}


def best(runs: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


CHILD = """
import sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})


def hwm():  # this process's peak resident size in kB (ru_maxrss would carry the parent's over)
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))


from bench_assess import engine
import campaigns.assessment, campaigns.db, campaigns.runs, campaigns.units  # noqa: F401
before = hwm()
results = engine({path!r})
print(hwm(), before, sum(len(r.rows) for r in results))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--items", type=int, default=146_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="build in (or reuse) this folder")
    args = ap.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="bench-assess-")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "assess.db")
    try:
        if not os.path.exists(path):
            t0 = time.perf_counter()
            build(folder, args.units, args.items)
            print(f"built in {time.perf_counter() - t0:.1f} s")
        conn = sqlite3.connect(path)
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        conn.close()
        print(f"units: {args.units}, items: {args.items}, events: {events:,}, "
              f"file: {os.path.getsize(path) / 2**20:.0f} MB")
        expected = {k: v for k, v in floor(path).items() if v}
        got = {k: v for k, v in engine_figures(path).items() if v}
        if {k: {u: round(x, 6) for u, x in d.items()} for k, d in got.items()} != \
                {k: {u: round(x, 6) for u, x in d.items() if x} for k, d in expected.items()}:
            raise SystemExit("the engine's figures differ from the floor's")
        print("figures: engine == floor (" + ", ".join(f"{k} {sum(v.values()):,.0f}"
                                                       for k, v in sorted(got.items())) + ")")
        engine(path)  # warm the page cache and imports alike for both
        t_floor = best(args.runs, lambda: floor(path))
        t_engine = best(args.runs, lambda: engine(path))
        child = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT, here=HERE,
                                                                   path=path)],
                               capture_output=True, text=True, check=True)
        peak_kb, start_kb, ranked = (int(x) for x in child.stdout.split())
        print(f"floor (raw SQL, GROUP BY):  {t_floor * 1000:8.0f} ms")
        print(f"rectify assess (compute):   {t_engine * 1000:8.0f} ms   "
              f"ratio {t_engine / t_floor:.2f}x (target <= 3x)")
        print(f"peak memory of a process computing it: {peak_kb / 1024:.0f} MB "
              f"({start_kb / 1024:.0f} MB after imports; target < 300 MB); units ranked: {ranked}")
        print(json.dumps({"events": events, "floor_s": round(t_floor, 3),
                          "engine_s": round(t_engine, 3), "ratio": round(t_engine / t_floor, 2),
                          "peak_mb": round(peak_kb / 1024)}))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

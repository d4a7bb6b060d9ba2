"""Names as of a date (campaigns.names) beside the plain reads of today's tables they replace.

Builds a site of U units under one county and P people (their adding events dated 2015-01-01),
then renames a tenth of the units and of the people on 2015-10-10.  Measured, best of R runs:

* the floor: ``UnitTree.load`` (today's tree) and a plain read of people's names, as every view
  did before names had a history;
* ``UnitTree.at`` and ``person_names_at`` for a date after every change (the fast path: one
  index probe, then the same reads), and for 2015-09-30 (before the renames: the unit tree from
  a replay of the units' events; people's names from the later changes' old values);
* the whole forward replay of the site log (``site_at(..., replay=True)``), what the tests hold
  the other paths to.

``python benchmarks/bench_names.py [--units 2000] [--people 20000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import select  # noqa: E402

from campaigns.db import Database  # noqa: E402
from campaigns.names import person_names_at, site_at  # noqa: E402
from campaigns.people import add_person, edit_person, first_admin  # noqa: E402
from campaigns.tables import PEOPLE as P  # noqa: E402
from campaigns.units import UnitTree, add_unit, edit_unit  # noqa: E402

ADDED, RENAMED = dt.date(2015, 1, 1), dt.date(2015, 10, 10)
BEFORE, AFTER = dt.date(2015, 9, 30), dt.date(2015, 10, 31)


def best(fn: Callable[[], Any], runs: int) -> float:
    """The fastest of ``runs`` calls, in milliseconds."""
    out = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - start)
    return out * 1000


def build(db: Database, units: int, people: int) -> None:
    with db.write() as conn:
        first_admin(conn, UnitTree.load(conn), "admin", "管理员")
        tree = UnitTree.load(conn)
        add_unit(conn, tree, "county", "某县", None, actor="admin", day=ADDED)
        for i in range(units):
            add_unit(conn, tree, f"u{i}", f"单位{i}", "county", actor="admin", day=ADDED)
        for i in range(people):
            add_person(conn, tree, f"p{i}", f"人员{i}", f"u{i % units}", ["unit-head"],
                       actor="admin", day=ADDED)
        for i in range(0, units, 10):
            edit_unit(conn, tree, f"u{i}", title=f"新单位{i}", actor="admin", day=RENAMED)
        for i in range(0, people, 10):
            edit_person(conn, tree, f"p{i}", name=f"新人员{i}", actor="admin", day=RENAMED)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    db = Database(os.path.join(tempfile.mkdtemp(prefix="bench-names-"), "names.db"))
    db.init()
    build(db, args.units, args.people)
    with db.read() as conn:
        tree = best(lambda: UnitTree.load(conn), args.runs)
        names = best(lambda: dict(conn.execute(select(P.c.id, P.c.name)).all()), args.runs)
        rows = [
            ("unit tree, today's tables (floor)", tree, tree),
            ("UnitTree.at after every change", best(lambda: UnitTree.at(conn, AFTER), args.runs),
             tree),
            ("UnitTree.at before the renames", best(lambda: UnitTree.at(conn, BEFORE), args.runs),
             tree),
            ("people's names, today's tables (floor)", names, names),
            ("person_names_at after every change",
             best(lambda: person_names_at(conn, AFTER), args.runs), names),
            ("person_names_at before the renames",
             best(lambda: person_names_at(conn, BEFORE), args.runs), names),
            ("site_at, whole forward replay",
             best(lambda: site_at(conn, BEFORE, replay=True), args.runs), tree + names),
        ]
    print(f"{args.units} units, {args.people} people, a tenth of each renamed; best of "
          f"{args.runs}")
    for what, ms, floor in rows:
        print(f"  {what:<42} {ms:9.1f} ms  {ms / floor:6.2f}x")


if __name__ == "__main__":
    main()

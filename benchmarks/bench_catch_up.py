"""What the clock's catch-up adds to every change to an item, in the three cases that matter.

Before a change dated D, ``campaigns.clock.catch_up`` brings the item and its rectification up to
D.  Measured in process on the seeded campaign of ``bench_advance.py`` (records already loaded,
best of 5 passes over 1,000 records), when nothing is due:

* the campaign was ticked today: the dates alone say so;
* it was never ticked and the rectification has no ladder base yet (``bench_advance.py``'s case);
* it was never ticked and the rectification is planned: the ladder's levels are looked at.

    python benchmarks/bench_catch_up.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _seed import seed  # noqa: E402

DAY = dt.date(2015, 8, 20)


def main() -> None:
    from campaigns.clock import catch_up
    from campaigns.db import Database
    from campaigns.records import Record, load_records
    from campaigns.runs import Run, load_run

    def per_record(run: Run, records: list[Record]) -> float:
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            for record in records:
                catch_up(conn, run, [record], DAY)
            best = min(best, (time.perf_counter() - t) / len(records))
        return best * 1e6

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "catch-up.db")
        codes = seed(path, 1000)
        db = Database(path)
        with db.write() as conn:
            run = load_run(conn, "wgbw-2015")
            records = load_records(conn, codes)
            ticked = per_record(dataclasses.replace(run, ticked_to=DAY), records)
            bare = per_record(run, records)
            for record in records:
                record.rectification.state = "in_progress"
                record.rectification.level_base = DAY + dt.timedelta(days=40)
            planned = per_record(run, records)
        print("catch-up before a change, nothing due (µs per record)")
        print(f"  campaign ticked today            {ticked:6.2f}")
        print(f"  never ticked, no ladder base     {bare:6.2f}")
        print(f"  never ticked, ladder looked at   {planned:6.2f}")


if __name__ == "__main__":
    main()

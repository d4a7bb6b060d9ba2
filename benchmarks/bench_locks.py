"""Writers beside a long tick: editors loop on the campaign's items while ``rectify tick`` runs.

The campaign is bench_tick's (N rectifications, 30% of them due for 督办 on the tick's day).
While one process runs ``rectify tick`` for that day, E editor processes loop ``rectify item
edit`` (each command in process, through `campaigns.cli.main`) on random items, the due ones
included, as their unit's head; every command is timed.  Printed: the tick's time and its
longest write transaction, the editors' commands, how many failed (after the commands' own
retries), their p50/p99 latency, and on PostgreSQL the deadlocks the server counted for the
database during the run (``pg_stat_database.deadlocks``).

    python benchmarks/bench_locks.py [--n 100000] [--editors 4]
    RECTIFY_BENCH_PG=postgresql+psycopg://... python benchmarks/bench_locks.py --pg-n 100000

``RECTIFY_BENCH_PG`` must name a scratch database: its Rectify tables are dropped and rebuilt.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from bench_tick import AS_OF, KEY, UNITS, build  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")


def editor(url: str, n: int, seed: int, day: str, ready: Any, stop: Any, out: Any) -> None:
    """Edit random items until ``stop``; puts each command's (start, end) and the failures."""
    import contextlib
    import io

    from campaigns.cli import main

    rng = random.Random(seed)
    spans: list[tuple[float, float]] = []
    failures: list[str] = []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:  # the command's modules imported before the clock starts: not what is measured
            main(["item", "show", "WGBW-2015-0000001", "--db", url])
        except SystemExit:
            pass
    ready.set()
    k = 0
    while not stop.is_set():
        row = rng.randrange(n)  # row k of bench_tick: its unit u(k % UNITS), headed by p(k % UNITS)
        code = f"WGBW-2015-{row + 1:07d}"
        k += 1
        args = ["item", "edit", code, "--department", f"科室{seed}-{k}", "--note", "更正",
                "--actor", f"p{row % UNITS:03d}", "--as-of", day, "--db", url]
        err = io.StringIO()
        t = time.time()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                main(args)
                status: Any = 0
            except SystemExit as exc:
                status = exc.code
        spans.append((t, time.time()))
        if status:
            failures.append(f"exit {status}: {err.getvalue().strip()[:300]}")
    out.put((spans, failures))


def ticker(url: str, day: str, out: Any, hold: float | None = None) -> None:
    """``rectify tick`` for the benchmark's day; puts its report's figures."""
    import contextlib
    import io

    import campaigns.clock as clock
    from campaigns.cli import main

    reports: list[Any] = []
    batched = clock.tick_in_batches

    def keep(*args: Any, **kwargs: Any) -> Any:
        if hold is not None:  # shorter transactions than the command's own, e.g. in a test
            kwargs["hold"] = hold
        reports.append(batched(*args, **kwargs))
        return reports[-1]

    clock.tick_in_batches = keep  # type: ignore[assignment]
    err = io.StringIO()
    t = time.time()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            main(["tick", KEY, "--as-of", day, "--db", url])
            status: Any = 0
        except SystemExit as exc:
            status = exc.code
    end = time.time()
    r = reports[-1] if reports else None
    out.put({"status": status, "error": err.getvalue()[-500:], "seconds": end - t, "span": (t, end),
             "changes": r.changes if r else 0, "transactions": len(r.holds) if r else 0,
             "longest_hold_s": max(r.holds) if r else 0.0})


def deadlocks(url: str) -> int:
    """Deadlocks the server has counted in this database (PostgreSQL; 0 elsewhere)."""
    if not url.startswith("postgresql"):
        return 0
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return int(conn.execute(text("SELECT deadlocks FROM pg_stat_database "
                                         "WHERE datname = current_database()")).scalar() or 0)
    finally:
        engine.dispose()


def contend(url: str, n: int, editors: int, label: str, day: str = AS_OF.isoformat(),
            settle: float = 1.0, hold: float | None = None) -> dict[str, Any]:
    """The tick with ``editors`` looping beside it, from before it starts until it ends.

    ``within`` counts the editors' commands that started and ended inside the tick, 0.5 s or
    more after it started: none can while one transaction holds the campaign for the tick.
    """
    ready = [SPAWN.Event() for _ in range(editors)]
    stop, out, tick_out = SPAWN.Event(), SPAWN.Queue(), SPAWN.Queue()
    before = deadlocks(url)
    procs = [SPAWN.Process(target=editor, args=(url, n, i, day, ready[i], stop, out))
             for i in range(editors)]
    for p in procs:
        p.start()
    for r in ready:
        r.wait(120)
    time.sleep(settle)  # the editors are at work before the tick starts
    tick = SPAWN.Process(target=ticker, args=(url, day, tick_out, hold))
    tick.start()
    tick_result = tick_out.get(timeout=3600)
    tick.join()
    time.sleep(settle)
    stop.set()
    spans: list[tuple[float, float]] = []
    failures: list[str] = []
    for _ in procs:
        span, fail = out.get(timeout=600)
        spans += span
        failures += fail
    for p in procs:
        p.join()
    latencies = sorted(end - start for start, end in spans)
    begun, ended = tick_result["span"]
    within = sum(1 for start, end in spans if start >= begun + 0.5 and end <= ended)

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    return {"database": label, "n": n, "editors": editors, **tick_result,
            "commands": len(latencies), "within": within, "failed": len(failures), "failures": failures[:5],
            "p50_s": pct(0.50), "p99_s": pct(0.99), "max_s": latencies[-1] if latencies else 0.0,
            "deadlocks": deadlocks(url) - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="rectifications on SQLite (0: none)")
    parser.add_argument("--pg-n", type=int, default=100_000,
                        help="rectifications on PostgreSQL (with RECTIFY_BENCH_PG)")
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = []
    if args.n:
        folder = tempfile.mkdtemp(prefix="bench-locks-")
        try:
            path = os.path.join(folder, "locks.db")
            build(path, args.n)
            results.append(contend(path, args.n, args.editors, "SQLite"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    pg = os.environ.get("RECTIFY_BENCH_PG")
    if pg and args.pg_n:
        build(pg, args.pg_n)
        results.append(contend(pg, args.pg_n, args.editors, "PostgreSQL"))
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return
    print("| database | rectifications | tick changes | tick | longest transaction | editors | "
          "commands (within the tick) | failed | deadlocks | editor p50 / p99 / max |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['database']} | {r['n']:,} | {r['changes']:,} | {r['seconds']:.2f} s "
              f"({r['transactions']} transactions) | {r['longest_hold_s']:.3f} s | {r['editors']} | "
              f"{r['commands']:,} ({r['within']:,}) | {r['failed']} | {r['deadlocks']} | "
              f"{r['p50_s'] * 1000:.0f} / {r['p99_s'] * 1000:.0f} / {r['max_s'] * 1000:.0f} ms |")
        for f in r["failures"]:
            print(f"  failed: {f}")


if __name__ == "__main__":
    main()

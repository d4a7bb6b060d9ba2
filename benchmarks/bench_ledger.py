"""Ledgers and reports at scale, each beside a floor measured in the same run.

* import N rows from a CSV ledger (200 units, names of responsible leaders, a 状态 column:
  20% 待核实, 60% 整改中, 20% 已销号) — floor: ``csv.reader`` over the file, then raw
  sqlite3 ``executemany`` inserting the very rows the import wrote (items, rectifications,
  events, progress notes) into a copy of the same database, in one transaction;
* import the same ledger as XLSX (a merged title row, Chinese headers, Excel date cells) —
  floor: python-calamine reading every cell of the file, plus the CSV import above;
* import the same CSV again (every row unchanged, as ``--update`` does), in a process of its
  own whose peak RSS is reported;
* export the N-item ledger as XLSX and CSV — floor: xlsxwriter (constant memory) writing the
  same values (no styles), and ``csv.writer``;
* build the monthly report (Markdown and HTML) of the N-item campaign, rebuilt from its event
  log — beside the floor of reading every event row with raw sqlite3.

Each measurement runs in this process on its own fresh copy of the database; times are the
best of ``--runs``.  Beside each wall-clock figure the CPU time of the process that did the work
is reported, with its own ratio: on a shared machine other jobs stretch the wall clock of
whichever contender they overlap, while the CPU each spends moves much less (it leaves out
waiting for the disk, which both sides do alike).
``python benchmarks/bench_ledger.py [--n 100000] [--runs 1] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
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
AS_OF = dt.date(2015, 9, 30)
UNITS = 200
HEADERS = ["序号", "单位", "问题描述", "问题类别", "问题来源", "整改措施", "整改目标", "整改时限",
           "责任领导", "状态", "整改进展", "销号日期"]
CATEGORIES = ["促进发展不敢为", "履行职责不担当", "工作态度不积极", "推诿扯皮不主动", "降低标准不尽责",
              "服务群众不热心", "缺乏激情不进取", "因循守旧不敢闯"]
SOURCES = ["自查", "上级点评", "群众反映举报", "督查检查"]


def rows(n: int) -> list[list[Any]]:
    out = []
    for i in range(n):
        unit = i % UNITS
        state = ("待核实", "整改中", "整改中", "整改中", "已销号")[i % 5]
        out.append([i // UNITS + 1, f"第{unit:03d}局", f"问题{i}：窗口服务推诿拖延，群众反映办事难",
                    CATEGORIES[i % 8], SOURCES[i % 4], f"措施{i}：建立首问负责和限时办结制度",
                    "群众满意", dt.datetime(2015, 9, 1) + dt.timedelta(days=i % 90), f"局长{unit:03d}",
                    state, "已完成制度修订" if i % 3 == 0 else None,
                    dt.datetime(2015, 9, 20) if state == "已销号" else None])
    return out


def write_inputs(folder: str, n: int) -> tuple[str, str]:
    from openpyxl import Workbook
    from openpyxl.worksheet.cell_range import MultiCellRange

    data = rows(n)
    xlsx = os.path.join(folder, "ledger.xlsx")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.merged_cells = MultiCellRange(["A1:L1"])
    ws.append(["某县为官不为问题整改台账"])
    ws.append(HEADERS)
    for row in data:
        ws.append(row)
    wb.save(xlsx)
    path = os.path.join(folder, "ledger.csv")
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for row in data:
            writer.writerow(["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime)
                                                   else v) for v in row])
    return xlsx, path


def base_db(folder: str) -> str:
    """Units, one leader each, the supervising office, and the campaign started."""
    from campaigns.db import Database
    from campaigns.people import add_person, first_admin
    from campaigns.runs import start
    from campaigns.units import UnitTree, add_unit

    path = os.path.join(folder, "base.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = Database(path)
    db.init()
    with db.write() as conn:
        tree = UnitTree.load(conn)
        first_admin(conn, tree, "admin", "管理员")  # people and units are an administrator's
        add_unit(conn, tree, "county", "某县", None, actor="admin")
        for u in range(UNITS):
            add_unit(conn, tree, f"u{u:03d}", f"第{u:03d}局", "county", actor="admin")
            add_person(conn, tree, f"head{u:03d}", f"局长{u:03d}", f"u{u:03d}", ["unit-head"], actor="admin")
        add_person(conn, tree, "lead", "组织部", "county", ["lead-office"], actor="admin")
        start(conn, DEFINITION, START, "lead", START)
    db.engine.dispose()
    _checkpoint(path)
    return path


def _checkpoint(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def copy_db(src: str, dst: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
    shutil.copy(src, dst)
    return dst


def best(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    took, _cpu, result = best_cpu(runs, fn)
    return took, result


def best_cpu(runs: int, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """The best wall-clock time of ``runs``, the best CPU time of this process, the result."""
    times, cpus, result = [], [], None
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(times), min(cpus), result


def import_file(db_path: str, path: str) -> int:
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.importer import import_items
    from campaigns.people import resolve_actor
    from campaigns.runs import load_run

    db = Database(db_path)
    with db.write() as conn:
        run = load_run(conn, KEY)
        actor = resolve_actor(conn, "lead", set(run.definition.roles))
        result = import_items(Scope(conn, run, actor, AS_OF), path)
    db.engine.dispose()
    return len(result.new)


def import_in_child(db_path: str, path: str) -> tuple[float, int, float, float]:
    """Import in a process of its own: (seconds after imports, new items, peak RSS in MB, CPU
    seconds)."""
    out = subprocess.run([sys.executable, __file__, "--child-import", db_path, path],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["new"], data["maxrss_mb"], data["cpu"]


def child_import(db_path: str, path: str) -> None:
    import python_calamine  # noqa: F401

    import campaigns.importer  # noqa: F401  (imports are not what is measured)
    import campaigns.xlsx  # noqa: F401

    c0, t0 = time.process_time(), time.perf_counter()
    n = import_file(db_path, path)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"seconds": took, "new": n, "maxrss_mb": peak_rss_mb(), "cpu": cpu}))


def peak_rss_mb() -> int:
    """This process's peak resident memory.  Linux's VmHWM is the process's own: ru_maxrss
    also counts the parent's memory at the fork, which would hide the child's."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def floor_in_child(path: str) -> tuple[float, float, float]:
    out = subprocess.run([sys.executable, __file__, "--child-floor", path],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["maxrss_mb"], data["cpu"]


def child_floor(path: str) -> None:
    import python_calamine  # noqa: F401

    c0, t0 = time.process_time(), time.perf_counter()
    floor_read_xlsx(path)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"seconds": took, "maxrss_mb": peak_rss_mb(), "cpu": cpu}))


def floor_read_xlsx(path: str) -> int:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(path) as wb:
        return sum(1 for _ in wb.get_sheet_by_index(0).iter_rows())


WRITTEN = ("items", "rectifications", "events", "progress")


def written_rows(base: str, imported: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The rows an import added to each table (those past the base database's last id)."""
    conn = sqlite3.connect(imported)
    conn.execute("ATTACH DATABASE ? AS base", (base,))
    out = {}
    for table in WRITTEN:
        cur = conn.execute(f"SELECT * FROM {table} WHERE id > "  # noqa: S608
                           f"(SELECT coalesce(max(id), 0) FROM base.{table}) ORDER BY id")
        out[table] = ([d[0] for d in cur.description], cur.fetchall())
    conn.close()
    return out


def floor_csv(base: str, imported: str, csv_path: str, target: str) -> tuple[float, float]:
    """The floor's wall-clock and CPU seconds."""
    written = written_rows(base, imported)
    took, cpu, _ = best_cpu(1, lambda: floor_insert_csv(csv_path, target, written))
    return took, cpu


def floor_insert_csv(csv_path: str, db: str,
                     rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> int:
    """csv.reader over the file, then the import's rows inserted with executemany."""
    n = floor_read_csv(csv_path)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    for table, (names, values) in rows.items():
        conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
                         f"VALUES ({', '.join('?' * len(names))})", values)
    conn.execute("COMMIT")
    conn.close()
    return n


def floor_read_csv(path: str) -> int:
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8-sig")
    return sum(1 for _ in csv.reader(text.splitlines()))


def export(db_path: str, out: str) -> int:
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.ledger import export as write
    from campaigns.runs import load_run

    db = Database(db_path)
    with db.read() as conn:
        n = write(Scope(conn, load_run(conn, KEY), None, AS_OF), out)
    db.engine.dispose()
    return n


def ledger_values(db_path: str) -> list[list[Any]]:
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.ledger import columns_for, ledger_rows
    from campaigns.runs import load_run

    db = Database(db_path)
    with db.read() as conn:
        run = load_run(conn, KEY)
        cols = columns_for(run)
        values = [[r[c.field] for c in cols] for r in ledger_rows(Scope(conn, run, None, AS_OF))]
    db.engine.dispose()
    return values


def floor_write_xlsx(values: list[list[Any]], out: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = wb.add_worksheet("台账")
    for r, row in enumerate(values):
        ws.write_row(r, 0, row)
    wb.close()


def floor_write_csv(values: list[list[Any]], out: str) -> None:
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(values)


def report(db_path: str, out: str) -> None:
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.report import write_report
    from campaigns.runs import load_run

    db = Database(db_path)
    with db.read() as conn:
        write_report(Scope(conn, load_run(conn, KEY), None, AS_OF), dt.date(2015, 9, 1), out)
    db.engine.dispose()


def floor_events(db_path: str) -> int:
    conn = sqlite3.connect(db_path)
    n = sum(1 for _ in conn.execute("SELECT item_id, machine, trigger, to_state, business_date, "
                                    "payload, note FROM events ORDER BY id"))
    conn.close()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", help="keep the files in this folder")
    parser.add_argument("--child-import", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-floor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        return child_import(*args.child_import)
    if args.child_floor:
        return child_floor(args.child_floor)
    folder = args.keep or tempfile.mkdtemp(prefix="bench-ledger-")
    os.makedirs(folder, exist_ok=True)
    figures: list[tuple[str, float, str, float]] = []
    cpu: dict[str, tuple[float, float]] = {}  # figure → CPU seconds of Rectify and of its floor
    memory = ""
    try:
        t0 = time.perf_counter()
        xlsx, csv_path = write_inputs(folder, args.n)
        base = base_db(folder)
        print(f"inputs: {args.n:,} rows, xlsx {os.path.getsize(xlsx) / 1e6:.1f} MB, "
              f"csv {os.path.getsize(csv_path) / 1e6:.1f} MB ({time.perf_counter() - t0:.1f} s)",
              flush=True)

        # on a shared machine, each run measures Rectify and its floors one after the other,
        # and the best of each is kept: the ratios compare like moments
        csv_runs, xlsx_runs = [], []
        for _ in range(args.runs):
            took_csv, n, rss_csv, cpu_csv = import_in_child(
                copy_db(base, os.path.join(folder, "c.db")), csv_path)
            assert n == args.n, n
            floor, floor_cpu = floor_csv(base, os.path.join(folder, "c.db"), csv_path,
                                         copy_db(base, os.path.join(folder, "f.db")))
            csv_runs.append((took_csv, floor, rss_csv, cpu_csv, floor_cpu))
            read, read_rss, read_cpu = floor_in_child(xlsx)
            took, n, rss, took_cpu = import_in_child(copy_db(base, os.path.join(folder, "x.db")),
                                                     xlsx)
            assert n == args.n, n
            xlsx_runs.append((took, read, rss, read_rss, took_cpu, read_cpu))
        took_csv, floor = min(r[0] for r in csv_runs), min(r[1] for r in csv_runs)
        rss_csv = max(r[2] for r in csv_runs)
        cpu_csv = min(r[3] for r in csv_runs)
        cpu["import CSV"] = (cpu_csv, min(r[4] for r in csv_runs))
        figures.append(("import CSV", took_csv,
                        "csv.reader + executemany of the same rows", floor))
        print(figures[-1], f"CPU {cpu['import CSV']}", flush=True)
        took, read = min(r[0] for r in xlsx_runs), min(r[1] for r in xlsx_runs)
        rss, read_rss = max(r[2] for r in xlsx_runs), max(r[3] for r in xlsx_runs)
        read_cpu = min(r[5] for r in xlsx_runs)
        cpu["import XLSX"] = (min(r[4] for r in xlsx_runs), read_cpu + cpu_csv)
        figures.append(("import XLSX", took, "python-calamine reading every cell + import CSV",
                        read + took_csv))
        print(figures[-1], f"(calamine alone {read:.2f} s) CPU {cpu['import XLSX']}", flush=True)
        memory = (f"peak memory: import CSV {rss_csv} MB, import XLSX {rss} MB "
                  f"(python-calamine alone {read_rss} MB)")

        took, n, rss, _ = min(import_in_child(os.path.join(folder, "c.db"), csv_path)
                              for _ in range(args.runs))
        assert n == 0, n
        memory += f", importing the CSV again {rss} MB"
        floor = best(args.runs, lambda: floor_read_csv(csv_path))[0]
        figures.append(("import the same CSV again (all unchanged)", took,
                        "csv.reader over the file", floor))
        print(figures[-1], f"peak RSS {rss} MB", flush=True)

        db = os.path.join(folder, "x.db")
        _checkpoint(db)
        values = ledger_values(db)
        out_xlsx, out_csv = os.path.join(folder, "out.xlsx"), os.path.join(folder, "out.csv")
        pairs = [(best_cpu(1, lambda: floor_write_xlsx(values, os.path.join(folder, "f.xlsx"))),
                  best_cpu(1, lambda: export(db, out_xlsx))) for _ in range(args.runs)]
        floor, took = min(p[0][0] for p in pairs), min(p[1][0] for p in pairs)
        cpu["export ledger XLSX"] = (min(p[1][1] for p in pairs), min(p[0][1] for p in pairs))
        figures.append(("export ledger XLSX", took, "xlsxwriter constant_memory, same values",
                        floor))
        print(figures[-1], f"CPU {cpu['export ledger XLSX']}", flush=True)
        floor, _ = best(args.runs, lambda: floor_write_csv(values, os.path.join(folder, "f.csv")))
        took, n = best(args.runs, lambda: export(db, out_csv))
        figures.append(("export ledger CSV", took, "csv.writer, same values", floor))
        print(figures[-1], flush=True)

        events = floor_events(db)
        floor, _ = best(args.runs, lambda: floor_events(db))
        took, _ = best(args.runs, lambda: report(db, os.path.join(folder, "r.md")))
        figures.append(("monthly report, Markdown", took, f"sqlite3 reading all {events:,} events",
                        floor))
        print(figures[-1], flush=True)
        took, _ = best(args.runs, lambda: report(db, os.path.join(folder, "r.html")))
        figures.append(("monthly report, HTML with diagrams", took,
                        f"sqlite3 reading all {events:,} events", floor))
        print(figures[-1], flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print(f"| figure ({args.n:,} items) | Rectify | floor (same run) | floor time | ratio "
          "| CPU: Rectify / floor |")
    print("|---|---|---|---|---|---|")
    for name, took, what, floor in figures:
        spent = (f"{cpu[name][0]:.2f} / {cpu[name][1]:.2f} s = {cpu[name][0] / cpu[name][1]:.2f}x"
                 if name in cpu else "")
        print(f"| {name} | {took:.2f} s | {what} | {floor:.2f} s | {took / floor:.2f}x | {spent} |")
    print(memory)
    print(json.dumps({name: {"seconds": round(took, 3), "floor": round(floor, 3)}
                      for name, took, _, floor in figures}))


if __name__ == "__main__":
    main()

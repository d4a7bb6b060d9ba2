"""Advances: whole-process cost, in-process rate, bulk rate, each beside its baseline.

Every figure is measured in this run, on copies of the same seeded SQLite database
(WAL, synchronous=FULL), and reported as a ratio: this machine is shared and noisy.

    python benchmarks/bench_advance.py [--n 2000] [--runs 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _seed import seed  # noqa: E402

BIN = os.path.dirname(sys.executable)
DAY = dt.date(2015, 8, 20)
STREAM = "wgbw-2015"  # the campaign's key: its event log's chain


def timed_process(args: list[str], runs: int) -> float:
    times = []
    for i in range(runs):
        argv = [a.replace("{i}", str(i + 1)) for a in args]
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def copy(src: str, dst: str) -> str:
    shutil.copy(src, dst)
    return dst


def process_figures(base: str, tmp: str, runs: int) -> dict[str, float]:
    floor = timed_process([sys.executable, "-c", "import sqlalchemy.orm, click, transitions"], runs)
    python = timed_process([sys.executable, "-c", "pass"], runs)
    help_ = timed_process([os.path.join(BIN, "rectify"), "--help"], runs)
    db = copy(base, os.path.join(tmp, "proc.db"))
    ours = timed_process([os.path.join(BIN, "rectify"), "item", "advance", "confirm",
                          "WGBW-2015-{i:04d}".replace("{i:04d}", "000{i}"), "--actor", "super",
                          "--as-of", DAY.isoformat(), "--db", db], runs)
    naive_db = copy(base, os.path.join(tmp, "naive.db"))
    naive = timed_process([sys.executable, os.path.join(HERE, "naive_advance.py"), naive_db,
                           "WGBW-2015-000{i}"], runs)
    return {"python": python, "floor": floor, "help": help_, "advance": ours, "naive": naive}


class Contender:
    """One way of advancing items on its own copy of the seeded database.

    Contenders take turns (``interleaved``), a round of the same codes each, so a burst of
    load on this shared machine falls on all of them rather than on whichever ran then.
    """

    def __init__(self, name: str, path: str, batch: int) -> None:
        self.name, self.path, self.batch, self.seconds, self.count = name, path, batch, 0.0, 0

    def advance(self, codes: list[str]) -> None:
        raise NotImplementedError

    def timed(self, codes: list[str]) -> None:
        t = time.perf_counter()
        for lo in range(0, len(codes), self.batch):
            self.advance(codes[lo:lo + self.batch])
        self.seconds += time.perf_counter() - t
        self.count += len(codes)

    @property
    def rate(self) -> float:
        return self.count / self.seconds


class Rectify(Contender):
    """``campaigns.advance`` in one ``Database.write`` transaction per batch."""

    def __init__(self, name: str, path: str, batch: int) -> None:
        super().__init__(name, path, batch)
        from campaigns.advance import advance
        from campaigns.db import Database
        from campaigns.people import resolve_actor

        self.db, self.fire = Database(path), advance
        with self.db.read() as conn:
            self.actor = resolve_actor(conn, "super")

    def advance(self, codes: list[str]) -> None:
        with self.db.write() as conn:
            self.fire(conn, "confirm", codes, self.actor, self.actor.key, DAY)


class Raw(Contender):
    """The floor: bare sqlite3 doing what an advance must, the chain included.

    BEGIN IMMEDIATE, read the chain head, SELECT the item, UPDATE ... WHERE version = ?, hash the
    event with the same encoding (engine.core.chain), INSERT it, move the head, COMMIT.
    """

    def __init__(self, name: str, path: str, batch: int) -> None:
        super().__init__(name, path, batch)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")

    def advance(self, codes: list[str]) -> None:
        from engine.core.chain import ALG, Link, digest, utc_text

        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        seq, prev = conn.execute("SELECT seq, hash FROM chain_heads WHERE stream = ?",
                                 (STREAM,)).fetchone()
        stamp = dt.datetime.now(dt.UTC)
        at, day = utc_text(stamp), DAY.isoformat()
        for code in codes:
            item_id, version, state = conn.execute(
                "SELECT id, version, state FROM items WHERE code = ?", (code,)).fetchone()
            cur = conn.execute("UPDATE items SET state = ?, version = ? WHERE id = ? AND version = ?",
                               ("confirmed", version + 1, item_id, version))
            assert cur.rowcount == 1
            seq += 1
            h = digest(Link("super", ALG, day, state, "item", None, None, prev, at, None, seq,
                            STREAM, code, "confirmed", "confirm", 1))
            conn.execute("INSERT INTO events (campaign_id, item_id, machine, subject_id, trigger, "
                         "from_state, to_state, actor, business_date, recorded_at, seq, prev_hash, "
                         "hash, alg, subject_key, payload_version) "
                         "VALUES (1, ?, 'item', ?, 'confirm', ?, 'confirmed', 'super', ?, ?, ?, ?, "
                         "?, ?, ?, 1)",
                         (item_id, item_id, state, day, stamp.strftime("%Y-%m-%d %H:%M:%S.%f"),
                          seq, prev, h, ALG, code))
            prev = h
        conn.execute("UPDATE chain_heads SET seq = ?, hash = ? WHERE stream = ?", (seq, prev, STREAM))
        conn.execute("COMMIT")


class Naive(Contender):
    """The naive design: an ORM Session per batch and a fresh Machine per item."""

    def __init__(self, name: str, path: str, batch: int) -> None:
        super().__init__(name, path, batch)
        from naive_advance import advance, engine

        self.engine, self.fire = engine(path), advance

    def advance(self, codes: list[str]) -> None:
        from sqlalchemy.orm import Session

        with Session(self.engine) as session:
            for code in codes:
                self.fire(session, code, "confirm")
            session.commit()


def interleaved(contenders: list[Contender], codes: list[str], round_size: int) -> None:
    """Every contender advances the same codes, taking turns a round at a time."""
    warm = min(round_size, len(codes) // 10)
    for c in contenders:  # first connection, first compilation, definition built
        c.advance(codes[:warm])
    for lo in range(warm, len(codes), round_size):
        for c in contenders:
            c.timed(codes[lo:lo + round_size])


def rectify_lifecycles(db_path: str, codes: list[str]) -> float:
    """Whole lifecycles in bulk: confirm, plan, submit, return, submit, verify (+close).

    The plan goes through ``item rectify`` (measures and deadline with it), one call per item
    in one transaction; every other step is one bulk ``item advance``.
    """
    from campaigns.advance import advance
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.items import plan
    from campaigns.people import resolve_actor
    from campaigns.runs import load_run

    db = Database(db_path)
    with db.read() as conn:
        head, sup = resolve_actor(conn, "head"), resolve_actor(conn, "super")
    steps = [("confirm", head, None), ("plan", head, None), ("submit", head, None),
             ("return", sup, "材料不全"), ("submit", head, None), ("verify", sup, None)]
    deadline = DAY + dt.timedelta(days=30)
    t = time.perf_counter()
    for trigger, actor, note in steps:
        with db.write() as conn:
            if trigger == "plan":
                run = load_run(conn, "wgbw-2015")
                for code in codes:
                    plan(Scope(conn, run, actor, DAY), code, measures="建立首问负责制", target=None,
                         deadline=deadline, leader=None, person=None)
            else:
                advance(conn, trigger, codes, actor, actor.key, DAY, note)
    return len(codes) / (time.perf_counter() - t)


def spiff_lifecycles(n: int) -> float | None:
    """SpiffWorkflow 3, each instance a JSON blob in SQLite, one transaction per advance."""
    try:
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState
    except ImportError:
        return None
    parser = BpmnParser()
    parser.add_bpmn_file(os.path.join(HERE, "rectification.bpmn"))
    spec = parser.get_spec("rectification")
    serializer = BpmnWorkflowSerializer()
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(os.path.join(tmp, "spiff.db"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE wf (id INTEGER PRIMARY KEY, blob TEXT)")
        for i in range(n):
            wf = BpmnWorkflow(spec)
            wf.do_engine_steps()
            conn.execute("INSERT INTO wf VALUES (?, ?)", (i, serializer.serialize_json(wf)))
        path = [None, None, None, False, None, True]
        t = time.perf_counter()
        for i in range(n):
            for approved in path:
                conn.execute("BEGIN IMMEDIATE")
                blob = conn.execute("SELECT blob FROM wf WHERE id = ?", (i,)).fetchone()[0]
                wf = serializer.deserialize_json(blob)
                task = wf.get_next_task(state=TaskState.READY, manual=True)
                if approved is not None:
                    task.data["approved"] = approved
                task.run()
                wf.do_engine_steps()
                conn.execute("UPDATE wf SET blob = ? WHERE id = ?",
                             (serializer.serialize_json(wf), i))
                conn.execute("COMMIT")
        return n / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="advances per in-process figure")
    parser.add_argument("--runs", type=int, default=7, help="process runs per median")
    parser.add_argument("--spiff", type=int, default=200, help="SpiffWorkflow lifecycles")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base.db")
        codes = seed(base, args.n + 2000)
        p = process_figures(base, tmp, args.runs)
        print(f"whole process (median of {args.runs} runs)")
        print(f"  python -c pass                      {p['python'] * 1000:7.0f} ms")
        print(f"  import floor (sqlalchemy.orm, click, transitions) {p['floor'] * 1000:7.0f} ms")
        print(f"  rectify --help                      {p['help'] * 1000:7.0f} ms  "
              f"= {p['help'] / p['floor']:.2f}x floor (target < 0.33x)")
        print(f"  rectify item advance                {p['advance'] * 1000:7.0f} ms  "
              f"= {p['advance'] / p['floor']:.2f}x floor (target <= 1.2x)")
        print(f"  naive design advance                {p['naive'] * 1000:7.0f} ms  "
              f"= {p['advance'] / p['naive']:.2f}x of naive")
        sample = codes[: args.n + 100]
        single = [cls(name, copy(base, os.path.join(tmp, f"{name}.db")), 1)
                  for cls, name in ((Rectify, "a"), (Raw, "b"), (Naive, "c"))]
        interleaved(single, sample, 100)
        ours, raw, naive = (c.rate for c in single)
        print("in-process, one transaction per advance, hash chain included (interleaved rounds of 100)")
        print(f"  raw sqlite3 floor   {raw:9.0f}/s  {1e6 / raw:6.0f} µs/advance (same hash, same chain)")
        print(f"  naive ORM           {naive:9.0f}/s  {1e6 / naive:6.0f} µs/advance")
        print(f"  rectify             {ours:9.0f}/s  {1e6 / ours:6.0f} µs/advance = "
              f"{ours / raw:.2f}x floor, +{1e6 / ours - 1e6 / raw:.0f} µs over it "
              f"(target <= 200 µs), {ours / naive:.1f}x naive")
        batched = [cls(name, copy(base, os.path.join(tmp, f"{name}.db")), 1000)
                   for cls, name in ((Rectify, "d"), (Raw, "e"), (Naive, "f"))]
        interleaved(batched, codes[: args.n + 1000], 1000)
        bulk, raw_b, naive_b = (c.rate for c in batched)
        cycles = rectify_lifecycles(copy(base, os.path.join(tmp, "g.db")), codes[:1000])
        spiff = spiff_lifecycles(args.spiff)
        print("bulk, 1,000 advances per transaction (interleaved rounds of 1,000)")
        print(f"  raw sqlite3 floor   {raw_b:9.0f}/s")
        print(f"  naive ORM           {naive_b:9.0f}/s")
        print(f"  rectify             {bulk:9.0f}/s  = {bulk / naive_b:.1f}x naive (target >= 10x),"
              f" {bulk / raw_b:.2f}x raw")
        print("whole lifecycles (6 advances + close), persisted")
        print(f"  rectify bulk        {cycles:9.0f} lifecycles/s")
        if spiff is None:
            print("  SpiffWorkflow       not installed (pip install 'SpiffWorkflow>=3,<4')")
        else:
            print(f"  SpiffWorkflow       {spiff:9.0f} lifecycles/s  → rectify = "
                  f"{cycles / spiff:.0f}x (target >= 10x)")


if __name__ == "__main__":
    main()

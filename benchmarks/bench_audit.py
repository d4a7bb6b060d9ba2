"""The event chain's costs: verifying a log, and several writers queueing on one chain head.

* ``audit verify`` (the chain check and the check of events older than the chain) over a
  campaign of N events, against the floor: reading the same rows with bare sqlite3 and hashing
  them in a plain loop (same encoding, same comparisons). Target: <= 2x.
* W writer processes advancing items of one campaign, one transaction per advance: every
  writer locks the campaign's chain head first, so they queue on it. The rate with 1, 2 and 4
  writers shows what the queue costs (on SQLite writers queue on the file's lock anyway; give
  --pg URL for a PostgreSQL database, emptied first, where the head lock is the only queue).

    python benchmarks/bench_audit.py [--n 200000] [--writers 1,2,4] [--per 300] [--pg URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _seed import DEFINITION, seed  # noqa: E402

DAY = dt.date(2015, 8, 10)
STREAM = "wgbw-2015"


def verify_rectify(path: str) -> tuple[float, int]:
    from campaigns.audit import Stream, check_chain, check_unchained, verify
    from campaigns.db import Database

    db = Database(path)
    with db.read() as conn:
        t = time.perf_counter()
        found = verify(conn, [Stream(STREAM, 1)], checks=[check_chain, check_unchained])
        seconds = time.perf_counter() - t
    assert found == {STREAM: []}, found
    return seconds, 0


def verify_plain(path: str) -> tuple[float, int]:
    """Read every chained event with sqlite3 and check its link and hash in a loop."""
    from engine.core.chain import GENESIS, Link, digest

    conn = sqlite3.connect(path)
    t = time.perf_counter()
    prev, n = GENESIS, 0
    for (seq, p, h, actor, alg, day, src, machine, note, payload, at, rule, subject, dest,
         trigger, v) in conn.execute(
            "SELECT seq, prev_hash, hash, actor, alg, business_date, from_state, machine, note, "
            "payload, recorded_at, rule, subject_key, to_state, trigger, payload_version "
            "FROM events WHERE campaign_id = 1 AND seq IS NOT NULL ORDER BY seq"):
        at_utc = at.replace(" ", "T") + ("Z" if "." in at else ".000000Z")
        link = Link(actor, alg, day, src, machine, note, json.loads(payload) if payload else None,
                    p, at_utc, rule, seq, STREAM, subject, dest, trigger, v)
        assert p == prev and digest(link) == h, seq
        prev, n = h, n + 1
    seconds = time.perf_counter() - t
    conn.close()
    return seconds, n


def replay_rectify(path: str) -> float:
    """``audit verify``'s replay check: the state tables against a replay of the whole log."""
    from campaigns.audit import Stream, check_replay
    from campaigns.db import Database

    db = Database(path)
    with db.read() as conn:
        t = time.perf_counter()
        found = check_replay(conn, Stream(STREAM, 1))
        seconds = time.perf_counter() - t
    assert found == [], found[:3]
    return seconds


def replay_plain(path: str) -> float:
    """The floor: every event read with sqlite3, its payload decoded, and applied to a plain
    list per item (both states, level, deadline, title, unit, category, source: the facts the
    events carry), then compared with the tables' rows, in a plain loop."""
    conn = sqlite3.connect(path)
    t = time.perf_counter()
    units = dict(conn.execute("SELECT code, id FROM units"))
    items: dict[int, list[Any]] = {}
    for item_id, machine, trigger, to_state, payload in conn.execute(
            "SELECT item_id, machine, trigger, to_state, payload FROM events "
            "WHERE campaign_id = 1 ORDER BY id"):
        p = json.loads(payload) if payload else {}
        if trigger == "add":
            items[item_id] = [to_state, "pending", None, p.get("deadline"), p.get("title"),
                              units.get(p.get("unit")), p.get("category"), p.get("source")]
            continue
        it = items.get(item_id)
        if it is None:
            continue
        if machine == "item" and to_state:
            it[0] = to_state
        elif machine == "rectification" and to_state:
            it[1] = to_state
        if trigger == "escalate":
            it[2] = p["level"]
            it[3] = p.get("new_deadline") or it[3]
        elif "deadline" in p:
            it[3] = p["deadline"]
        new = p.get("new") if trigger == "edit" else None
        for k, i in (("title", 4), ("unit_id", 5), ("category", 6), ("source", 7)):
            if new and k in new:
                it[i] = new[k]
    wrong = 0
    for row in conn.execute(
            "SELECT i.id, i.state, r.state, r.level, r.deadline, i.title, i.unit_id, i.category, "
            "i.source FROM items i JOIN rectifications r ON r.item_id = i.id "
            "WHERE i.campaign_id = 1"):
        if items.get(row[0]) != list(row[1:]):
            wrong += 1
    seconds = time.perf_counter() - t
    conn.close()
    assert wrong == 0, wrong
    return seconds


def writer(url: str, codes: list[str], start: Any, out: Any) -> None:
    from campaigns.advance import advance
    from campaigns.db import Database
    from campaigns.people import resolve_actor

    db = Database(url)
    with db.read() as conn:
        actor = resolve_actor(conn, "super")
    with db.write() as conn:  # warm: the definition built, statements compiled
        advance(conn, "confirm", codes[:1], actor, actor.key, DAY)
    start.wait()
    t = time.perf_counter()
    for code in codes[1:]:
        with db.write() as conn:
            advance(conn, "confirm", [code], actor, actor.key, DAY)
    out.put((len(codes) - 1, time.perf_counter() - t))


def writers(url: str, codes: list[str], count: int, per: int) -> float:
    """Advances per second of ``count`` processes writing at once, ``per`` each."""
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(count), ctx.Queue()
    parts = [codes[i * per:(i + 1) * per] for i in range(count)]
    procs = [ctx.Process(target=writer, args=(url, part, start, out)) for part in parts]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    done = sum(n for n, _ in results)
    return done / max(s for _, s in results)


def _renumbered(definition: str, prefix: str) -> str:
    """A copy of ``definition`` numbering its items PREFIX-YEAR-NNNN: item codes are unique
    in a database, so each campaign of the same year needs its own prefix."""
    with open(definition, encoding="utf-8") as fh:
        text = fh.read().replace("code_prefix: WGBW", f"code_prefix: {prefix}")
    fd, path = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def more_campaigns(url: str, count: int, n: int) -> list[list[str]]:
    """``count`` further campaigns of ``n`` items each (codes C<j>-<i>), beside the seed's."""
    from sqlalchemy import insert

    from campaigns.db import Database
    from campaigns.events import write
    from campaigns.runs import start
    from campaigns.tables import ITEMS, RECTIFICATIONS
    from campaigns.units import UnitTree
    from engine.io.writer import Entry

    db = Database(url)
    out = []
    with db.write() as conn:
        unit_id = UnitTree.load(conn).find("czj").id
        first = conn.execute(ITEMS.select().with_only_columns(ITEMS.c.id)
                             .order_by(ITEMS.c.id.desc()).limit(1)).scalar() or 0
        for j in range(count):
            run = start(conn, _renumbered(DEFINITION, f"OTH{j}"), dt.date(2015, 7, 1), "super",
                        dt.date(2015, 7, 1), key=f"other-{j}")
            codes = [f"C{j}-{i:06d}" for i in range(n)]
            ids = range(first + 1, first + n + 1)
            first += n
            conn.execute(insert(ITEMS), [
                {"id": i, "campaign_id": run.id, "code": c, "seq": k + 1, "title": c,
                 "unit_id": unit_id, "category": "cold-service", "source": "self-inspection",
                 "found_on": DAY, "state": "reported", "version": 1, "entered_on": DAY,
                 "reopen_count": 0, "typical": False}
                for k, (i, c) in enumerate(zip(ids, codes, strict=True))])
            conn.execute(insert(RECTIFICATIONS), [
                {"id": i, "item_id": i, "campaign_id": run.id, "state": "pending", "version": 1,
                 "entered_on": DAY, "returns": 0} for i in ids])
            write(conn, [Entry(run.key, "item", c, "add", "super", DAY, to_state="reported",
                               subject_id=i, values={"campaign_id": run.id, "item_id": i})
                         for i, c in zip(ids, codes, strict=True)])
            out.append(codes)
    db.engine.dispose()
    return out


def pg_seed(url: str, n: int) -> list[str]:
    """Empty the PostgreSQL database, then the seed's campaign with ``n`` items."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return seed(url, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="events in the verified log")
    parser.add_argument("--writers", default="1,2,4", help="writer process counts")
    parser.add_argument("--per", type=int, default=300, help="advances per writer")
    parser.add_argument("--pg", help="also run the writers on this PostgreSQL database (emptied)")
    args = parser.parse_args()
    counts = [int(c) for c in args.writers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "audit.db")
        t = time.perf_counter()
        seed(path, args.n)
        print(f"seeded {args.n:,} items (one chained event each) in {time.perf_counter() - t:.1f} s")
        ours = min(verify_rectify(path)[0] for _ in range(3))
        plain, n = min((verify_plain(path) for _ in range(3)), key=lambda r: r[0])
        print(f"audit verify over {n:,} events (best of 3)")
        print(f"  plain loop: read + hash   {plain:7.2f} s  {1e6 * plain / n:5.1f} µs/event")
        print(f"  rectify audit verify      {ours:7.2f} s  {1e6 * ours / n:5.1f} µs/event"
              f"  = {ours / plain:.2f}x the loop (target <= 2x)")
        ours = min(replay_rectify(path) for _ in range(3))
        plain = min(replay_plain(path) for _ in range(3))
        print(f"state tables against a replay of the log, {n:,} events (best of 3)")
        print(f"  plain loop: replay + compare {plain:7.2f} s")
        print(f"  rectify audit verify (replay) {ours:7.2f} s  = {ours / plain:.2f}x the loop "
              "(target <= 2x)")
        need = max(counts) * args.per + 1
        for name, url in (("SQLite", path), *((("PostgreSQL", args.pg),) if args.pg else ())):
            base = None
            print(f"writer processes on one campaign ({name}, one transaction per advance)")
            for count in counts:
                codes = seed(path, need) if url == path else pg_seed(url, need)
                rate = writers(url, codes, count, args.per)
                base = base or rate
                line = f"  {count} writer(s)  {rate:8.0f} advances/s in all  = {rate / base:.2f}x one writer"
                if count > 1:  # the same writers, each on a campaign of its own: no shared head
                    codes = seed(path, 1) if url == path else pg_seed(url, 1)
                    own = more_campaigns(url, count, args.per + 1)
                    apart = writers(url, [c for part in own for c in part], count, args.per + 1)
                    line += f";  each on its own campaign {apart:8.0f}/s"
                print(line)


if __name__ == "__main__":
    main()

"""Build a benchmark database quickly: a real campaign, then items in bulk."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3

from sqlalchemy import insert

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFINITION = os.path.join(ROOT, "definitions", "wgbw-2015.yaml")
DAY = dt.date(2015, 8, 10)


def seed(path: str, n: int) -> list[str]:
    """A campaign with ``n`` reported items in unit 'czj'; returns their codes."""
    from campaigns.db import Database
    from campaigns.events import ItemAdded, write
    from campaigns.people import add_person, first_admin
    from campaigns.runs import start
    from campaigns.tables import ITEMS, RECTIFICATIONS
    from campaigns.units import UnitTree, add_unit
    from engine.io.writer import Entry

    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = Database(path)
    db.init()
    with db.write() as conn:
        tree = UnitTree.load(conn)
        first_admin(conn, tree, "admin", "管理员")  # people and units are an administrator's
        add_unit(conn, tree, "county", "县", None, actor="admin")
        add_unit(conn, tree, "czj", "县财政局", "county", actor="admin")
        add_unit(conn, tree, "dcs", "督查室", "county", actor="admin")
        add_person(conn, tree, "head", "单位负责人", "czj", ["unit-head"], actor="admin")
        add_person(conn, tree, "super", "督查员", "dcs", ["supervision-office"], actor="admin")
        run = start(conn, DEFINITION, dt.date(2015, 7, 1), "super", dt.date(2015, 7, 1))
        unit_id = tree.find("czj").id
        codes = [f"WGBW-2015-{i:04d}" for i in range(1, n + 1)]
        for lo in range(0, n, 10_000):
            chunk = range(lo, min(n, lo + 10_000))
            conn.execute(insert(ITEMS), [
                {"id": i + 1, "campaign_id": run.id, "code": codes[i], "seq": i + 1,
                 "title": f"问题{i}", "unit_id": unit_id, "category": "cold-service",
                 "source": "self-inspection", "found_on": DAY, "state": "reported",
                 "version": 1, "entered_on": DAY, "reopen_count": 0, "typical": False}
                for i in chunk])
            conn.execute(insert(RECTIFICATIONS), [
                {"id": i + 1, "item_id": i + 1, "campaign_id": run.id, "state": "pending",
                 "version": 1, "entered_on": DAY, "deadline": DAY + dt.timedelta(days=30),
                 "original_deadline": DAY + dt.timedelta(days=30), "level_base": DAY + dt.timedelta(days=30),
                 "returns": 0} for i in chunk])
            write(conn, [Entry(run.key, "item", codes[i], "add", "super", DAY, to_state="reported",
                               payload=ItemAdded(f"问题{i}", "czj", "cold-service",
                                                 "self-inspection", i + 1,
                                                 DAY + dt.timedelta(days=30), []).as_payload(),
                               payload_version=ItemAdded.VERSION, subject_id=i + 1,
                               values={"campaign_id": run.id, "item_id": i + 1})
                         for i in chunk])
    db.engine.dispose()
    if "://" in path:  # a server's database: nothing to checkpoint
        return codes
    checkpoint = sqlite3.connect(path)
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.close()
    return codes

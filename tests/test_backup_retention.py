"""``rectify db backup`` (a consistent 0600 copy while a writer runs) and the retention rule
that purges reporters' details a set time after the campaign concludes, as an event."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from ledger_fixtures import CAMPAIGN, DEFINITION, county, invoke


def add(db: str, title: str, as_of: str = "2015-08-03") -> str:
    return invoke(db, "item", "add", CAMPAIGN, "--title", title, "--unit", "czj", "--category",
                  "cold-service", "--source", "public-report", "--reporter", "周某",
                  "--reporter-contact", "13900000000", "--actor", "sup",
                  "--as-of", as_of).stdout.strip()


def test_a_backup_is_a_consistent_private_copy_while_a_writer_runs(tmp_path: Path) -> None:
    db = county(str(tmp_path / "c.db"))
    add(db, "第一个")
    writer = subprocess.Popen(  # adds items as fast as it can while the copies are taken
        [sys.executable, "-c", f"""
import sqlite3, time
conn = sqlite3.connect({db!r}, timeout=30, isolation_level=None)
end = time.time() + 3
while time.time() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (f"k{{time.time_ns()}}",))
    conn.execute("COMMIT")
"""])
    try:
        time.sleep(0.3)
        copies = []
        for n in range(3):
            out = tmp_path / f"b{n}.db"
            assert "a consistent copy" in invoke(db, "db", "backup", str(out)).output
            copies.append(out)
    finally:
        writer.wait(timeout=30)
    for out in copies:
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        with sqlite3.connect(out) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert invoke(str(out), "audit", "verify", CAMPAIGN).exit_code == 0
        assert json.loads(invoke(str(out), "item", "show", "WGBW-2015-0001", "--json",
                                 "--actor", "sup", "--as-of", "2015-08-31").output)["reporter"] == "周某"
    again = invoke(db, "db", "backup", str(copies[0]), ok=False)
    assert again.exit_code == 1 and "never overwrites" in again.output


def test_backup_of_a_server_database_points_to_pg_dump() -> None:
    result = invoke("postgresql://u@localhost:1/x", "db", "backup", "out.db", ok=False)
    assert result.exit_code == 4 and "pg_dump" in result.output and "Traceback" not in result.output
    assert not os.path.exists("out.db")


def test_reporters_are_purged_after_the_retention_period(tmp_path: Path) -> None:
    text = Path(DEFINITION).read_text(encoding="utf-8")
    definition = tmp_path / "d.yaml"
    definition.write_text(text + "\nretention:\n  reporters: 2 years after conclusion\n",
                          encoding="utf-8")
    assert invoke(str(tmp_path / "x.db"), "validate", str(definition)).exit_code == 0
    db = county(str(tmp_path / "c.db"), definition=str(definition))
    invoke(db, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-08-01",
           "--to", "supervise")
    code = add(db, "窗口服务态度生硬")
    invoke(db, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-01")
    invoke(db, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31",
           "--force")
    assert invoke(db, "db", "purge", "--as-of", "2017-12-30").output.strip() == "nothing to purge"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM secrets WHERE item_id IS NOT NULL").fetchone() == (2,)
    out = invoke(db, "db", "purge", "--as-of", "2017-12-31").output
    assert out.strip() == "wgbw-2015: reporters' details of 1 item(s) purged (due 2017-12-31)"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM secrets WHERE item_id IS NOT NULL").fetchone() == (0,)
        (payload, rule, actor), = conn.execute(
            "SELECT payload, rule, actor FROM events WHERE trigger = 'purge'").fetchall()
    assert json.loads(payload) == {"fields": ["reporter", "reporter_contact"], "items": 1}
    assert (rule, actor) == ("retention.reporters", "system")
    shown = json.loads(invoke(db, "item", "show", code, "--json", "--actor", "sup").output)
    assert "reporter" not in shown and shown["title"] == "窗口服务态度生硬"
    assert invoke(db, "db", "purge", "--as-of", "2018-01-05").output.strip() == "nothing to purge"
    assert invoke(db, "audit", "verify", CAMPAIGN).exit_code == 0


def test_a_retention_rule_must_say_how_long(tmp_path: Path) -> None:
    text = Path(DEFINITION).read_text(encoding="utf-8")
    definition = tmp_path / "d.yaml"
    definition.write_text(text + "\nretention:\n  reporters: forever\n", encoding="utf-8")
    result = invoke(str(tmp_path / "x.db"), "validate", str(definition), ok=False)
    assert result.exit_code == 1 and "retention" in result.output

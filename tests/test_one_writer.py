"""engine/io/writer.py is the only code that inserts events (and moves the chain heads).

A scan of the source, like tests/test_layering.py: any INSERT into an event table, or an UPDATE
of ``chain_heads``, written anywhere else in engine/ or campaigns/ fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITER = ROOT / "engine" / "io" / "writer.py"
MIGRATIONS = ROOT / "campaigns" / "migrations"  # a migration writes its own "chain started"
SOURCES = sorted(p for d in ("engine", "campaigns") for p in (ROOT / d).rglob("*.py")
                 if p != WRITER and MIGRATIONS not in p.parents)
EVENT_TABLES = r"(?:E|EVENTS|SITE_EVENTS|HEADS|CHAIN_HEADS|events|self\.events|e)"
FORBIDDEN = re.compile(
    r"insert\(\s*E\b|insert\(\s*EVENTS"  # the brief's own grep
    rf"|insert\(\s*{EVENT_TABLES}\s*[,)]"  # insert(E), insert(events, ...)
    rf"|\b{EVENT_TABLES}\.insert\(\s*\)"  # EVENTS.insert() (a list's insert(i, x) is not)
    rf"|bulk_insert\(\s*\w+\s*,\s*{EVENT_TABLES}\s*[,)]"  # the importer's executemany helper
    r"|INSERT\s+INTO\s+(?:site_)?events|UPDATE\s+chain_heads"  # plain SQL
    rf"|update\(\s*(?:HEADS|CHAIN_HEADS)\s*\)")


def hits(text: str) -> list[str]:
    return [f"{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
            if FORBIDDEN.search(line)]


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_only_the_writer_inserts_events(path: Path) -> None:
    found = hits(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} writes events itself (use engine.io.writer):\n" + \
        "\n".join(found)


@pytest.mark.parametrize("line", [
    "conn.execute(insert(E).values(campaign_id=1))", "conn.execute(insert(EVENTS), rows)",
    "conn.execute(insert(self.events).from_select(columns, query))", "bulk_insert(conn, E, events)",
    "conn.execute(EVENTS.insert().values(x=1))", "conn.execute(insert(SITE_EVENTS).values(x=1))",
    "conn.execute(text('INSERT INTO events (id) VALUES (1)'))",
    "conn.execute(update(HEADS).values(seq=2))", "insert(e).from_select(columns, query)",
])
def test_the_scan_sees_every_way_of_inserting(line: str) -> None:
    assert hits(line)


@pytest.mark.parametrize("line", [
    "conn.execute(insert(EVIDENCE).values(x=1))", "conn.execute(EVIDENCE.insert())",
    "conn.execute(insert(I).values(x=1))", "bulk_insert(conn, SECRETS, secrets)",
    "select(E.c.id).where(E.c.trigger == 'add')",
])
def test_the_scan_lets_other_tables_be(line: str) -> None:
    assert not hits(line)


def test_the_writer_itself_is_seen() -> None:
    """The scan would find the writer's own insert if it were not the writer."""
    assert "insert(table)" in WRITER.read_text(encoding="utf-8")
    assert len(SOURCES) > 40

"""Copying a database, or one campaign with the site's data, to another (``rectify db copy``).

A province moves county offices' SQLite files onto one PostgreSQL server.  Rows are copied as
they are, ids included, so every event's hash still chains (the canonical encoding holds no row
id, and business dates, payloads and UTC recording times travel unchanged); blobs of evidence
and the encrypted secrets go too (the key stays with the site, outside both databases).

The target must hold no data: its schema is created (or found empty) at this tool's version,
and everything is written in one transaction, so a failed copy leaves it empty.  Afterwards
the rows of every table are counted on both sides and every copied event log is verified on
the target (``campaigns.audit``): its chain, its state tables against a replay, and its head
equal to the source's.  Anything amiss rolls the copy back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DateTime, Integer, Table, delete, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.core.errors import InvalidInput
from engine.io.store import metadata

from . import tables as T
from .db import Database
from .i18n import _

CHUNK = 5000  # rows read and written at a time: memory stays flat on a large database
HOLDS_DATA = ("campaigns", "units", "people", "events", "site_events")


@dataclass
class Copied:
    """What a copy wrote and what it checked."""

    rows: dict[str, int] = field(default_factory=dict)  # table → rows copied (= counted on both)
    streams: dict[str, str] = field(default_factory=dict)  # event log → its head hash, verified
    campaigns: list[str] = field(default_factory=list)


def copy_database(source: Database, target: Database, campaign: str | None = None) -> Copied:
    """Copy ``source`` (or only ``campaign`` with the site's units, people and log) into the
    empty ``target``; verify counts and chains there before committing."""
    if source.url == target.url:
        raise InvalidInput(_("the source and the target are the same database"),
                           _("name another database to copy into"))
    with source.read() as src:  # a source of another version is refused before anything
        pass
    _require_empty(target)
    target.init()  # the schema at this version: created, or found up to date
    with source.read() as src, target.write() as dst:
        keys = _campaign_keys(src, campaign)
        where = _selection(src, keys) if campaign is not None else {}
        out = Copied(campaigns=keys)
        ordered = metadata.sorted_tables
        for table in reversed(ordered):  # what the migrations wrote (heads, the hashing key)
            dst.execute(delete(table))
        for table in ordered:
            out.rows[table.name] = _copy_table(src, dst, table, where.get(table.name),
                                               dst.dialect.name == "postgresql")
        if dst.dialect.name == "postgresql":
            _advance_sequences(dst, ordered)
        _check_counts(src, dst, where, out)
        out.streams = _check_chains(src, dst, keys)
    return out


def _require_empty(target: Database) -> None:
    """Before the target is touched: no Rectify data in it, whatever its schema's version."""
    from sqlalchemy import inspect

    from engine.io.store import translate_errors

    path = target.sqlite_path
    if path is not None and path != ":memory:":
        import os

        if not os.path.exists(path):
            return
    with translate_errors(target.shown), target.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        held = [name for name in HOLDS_DATA if name in names and conn.execute(
            select(func.count()).select_from(metadata.tables[name])).scalar()]
    if held:
        raise InvalidInput(_("{db} already holds data ({tables}); a copy never merges into a "
                             "database in use").format(db=target.shown, tables=", ".join(held)),
                           _("copy into a new, empty database (createdb NAME, or a new file)"))


def _campaign_keys(conn: Connection, campaign: str | None) -> list[str]:
    keys = [k for (k,) in conn.execute(select(T.CAMPAIGNS.c.key).order_by(T.CAMPAIGNS.c.id))]
    if campaign is None:
        return keys
    if campaign not in keys:
        import difflib

        close = difflib.get_close_matches(campaign, keys, n=1)
        raise InvalidInput(_("unknown campaign '{key}' in the source").format(key=campaign),
                           _("did you mean '{key}'?").format(key=close[0]) if close
                           else _("see 'rectify campaign list'"))
    return [campaign]


def _selection(conn: Connection, keys: list[str]) -> dict[str, ColumnElement[bool]]:
    """Which rows of each table belong to the campaigns ``keys`` or to the whole site.

    A table with a campaign column keeps that campaign's rows; rows reached through an item, a
    rectification or a progress report follow it; the blobs its evidence names; the chain heads
    of its log and the site's.  Everything else (units, people, the site log and calendar,
    document number series, the hashing key in ``secrets``) belongs to the site and is copied
    whole.
    """
    campaign_ids = [i for (i,) in conn.execute(select(T.CAMPAIGNS.c.id)
                                                .where(T.CAMPAIGNS.c.key.in_(keys)))]
    items = select(T.ITEMS.c.id).where(T.ITEMS.c.campaign_id.in_(campaign_ids))
    rects = select(T.RECTIFICATIONS.c.id).where(T.RECTIFICATIONS.c.campaign_id.in_(campaign_ids))
    progress = select(T.PROGRESS.c.id).where(T.PROGRESS.c.item_id.in_(items))
    out: dict[str, ColumnElement[bool]] = {
        "campaigns": T.CAMPAIGNS.c.id.in_(campaign_ids),
        "evidence": T.EVIDENCE.c.progress_id.in_(progress),
        "blobs": T.BLOBS.c.sha256.in_(select(T.EVIDENCE.c.sha256)
                                      .where(T.EVIDENCE.c.progress_id.in_(progress))),
        "chain_heads": T.HEADS.c.stream.in_([*keys, "site"]),
        # the row without an item is the site's hashing key
        "secrets": T.SECRETS.c.item_id.is_(None) | T.SECRETS.c.item_id.in_(items),
    }
    for table in metadata.sorted_tables:
        if table.name in out:
            continue
        cols = table.c
        if "campaign_id" in cols:
            out[table.name] = cols.campaign_id.in_(campaign_ids)
        elif "item_id" in cols:
            out[table.name] = cols.item_id.in_(items)
        elif "rectification_id" in cols:
            out[table.name] = cols.rectification_id.in_(rects)
    return out


def _copy_table(src: Connection, dst: Connection, table: Table, where: Any, aware: bool) -> int:
    query = select(table)
    if where is not None:
        query = query.where(where)
    key = list(table.primary_key.columns) or list(table.columns)[:1]
    zoned = [c.name for c in table.columns if isinstance(c.type, DateTime) and c.type.timezone]
    count = 0
    for rows in _chunks(src, query.order_by(*key)):
        if aware and zoned:  # SQLite keeps UTC times without their zone; the server needs it
            for row in rows:
                for name in zoned:
                    value = row[name]
                    if isinstance(value, dt.datetime) and value.tzinfo is None:
                        row[name] = value.replace(tzinfo=dt.UTC)
        dst.execute(table.insert(), rows)
        count += len(rows)
    return count


def _chunks(conn: Connection, query: Any) -> Iterator[list[dict[str, Any]]]:
    result = conn.execution_options(yield_per=CHUNK).execute(query)
    for part in result.mappings().partitions():
        yield [dict(row) for row in part]


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """Ids were copied as they were: each serial sequence moves past the largest."""
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer) or pk[0].autoincrement is False:
            continue
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                          f"COALESCE((SELECT max({pk[0].name}) FROM {table.name}), 0) + 1, false)"))


def _check_counts(src: Connection, dst: Connection, where: dict[str, Any], out: Copied) -> None:
    for table in metadata.sorted_tables:
        query = select(func.count()).select_from(table)
        if table.name in where:
            query = query.where(where[table.name])
        there = dst.execute(select(func.count()).select_from(table)).scalar()
        here = src.execute(query).scalar()
        if here != there or here != out.rows[table.name]:
            from engine.core.errors import EnvironmentProblem

            raise EnvironmentProblem(
                _("the copy of {table} holds {there} row(s), the source {here}: nothing was "
                  "copied").format(table=table.name, there=there, here=here),
                _("check the target server's log, then copy again"))


def _check_chains(src: Connection, dst: Connection, keys: list[str]) -> dict[str, str]:
    """Every copied log verified on the target, its head equal to the source's."""
    from engine.core.errors import EnvironmentProblem

    from .audit import head, streams, verify

    wanted = [*keys, "site"]
    there = [s for s in streams(dst, None, True, True) if s.key in wanted]
    found = verify(dst, there)
    broken = {k: f for k, f in found.items() if f}
    if broken:
        key, findings = next(iter(broken.items()))
        raise EnvironmentProblem(_("the copied log '{key}' does not verify: {finding}; nothing "
                                   "was copied").format(key=key, finding=findings[0]),
                                 _("run 'rectify audit verify --all' on the source first"))
    here = {s.key: s for s in streams(src, None, True, True)}
    heads: dict[str, str] = {}
    for stream in there:
        theirs, ours = head(dst, stream), head(src, here[stream.key])
        if (theirs.hash if theirs else None) != (ours.hash if ours else None):
            raise EnvironmentProblem(_("the copied log '{key}' ends elsewhere than the source's: "
                                       "nothing was copied").format(key=stream.key),
                                     _("copy again while no one writes to the source"))
        heads[stream.key] = theirs.hash if theirs else ""
    return heads

"""The store of machine instances and their event log: columns, connections, statements.

A plugin declares its tables in ``metadata`` with these column sets; engine.io.writer writes
a state change and its event in one transaction with an optimistic version check, so two
writers never lose an update and no event exists without its state change.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Text as SqlText,
    event,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from ..core.errors import Conflict, EnvironmentProblem, InvalidInput
from ..core.text import Text

metadata = MetaData()
"""One metadata for the engine's and every plugin's tables, so one migration covers them all.

Tables are SQLAlchemy Core ``Table`` objects: every read and write is a Core statement (moves
are set-based UPDATEs with a version check), so the ORM's unit of work would add only its
import and mapping cost to every command.
"""


def stateful_columns() -> list[Column[Any]]:
    """Columns of a row that a machine moves: its state, a version, and when it entered it."""
    return [
        Column("state", String(64), index=True, nullable=False),
        Column("version", Integer, default=1, nullable=False),
        Column("entered_on", Date, nullable=False),
    ]


def event_columns() -> list[Column[Any]]:
    """An append-only log row: who moved what from where to where, when (two clocks)."""
    return [
        Column("id", Integer, primary_key=True),
        Column("machine", String(64), nullable=False),
        Column("subject_id", Integer, index=True),
        Column("trigger", String(64), nullable=False),
        Column("from_state", String(64)),
        Column("to_state", String(64)),
        Column("actor", String(64), nullable=False),
        Column("business_date", Date, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("note", SqlText),
        Column("payload", JSON),
        Column("rule", String(128)),
    ]


def resolve_url(url: str | None) -> str:
    """``--db`` wins, then ``RECTIFY_DB``, then ./rectify.db; a bare path means SQLite."""
    url = url or os.environ.get("RECTIFY_DB") or "rectify.db"
    return url if "://" in url else f"sqlite:///{url}"


def open_engine(url: str, pooled: bool = False) -> Engine:
    """An engine with durable SQLite settings (WAL, synchronous=FULL) or plain PostgreSQL.

    SQLite keeps its connections in a pool: closing the last connection to a WAL file
    checkpoints it, which would cost every in-process transaction a millisecond. PostgreSQL
    has none, so a command's server connection ends with its transaction and a province's
    many short commands never hold a slot longer than they work; a long-running server
    (``pooled``) keeps a few open instead, since opening one (authentication, a new server
    process) costs ten milliseconds, more than a request's own work.
    """

    check_url(url)
    try:
        return _create(url, pooled)
    except ImportError as exc:  # e.g. postgresql+asyncpg:// without asyncpg
        raise EnvironmentProblem(Text("the database driver '{name}' is not installed", name=exc.name),
                                 Text("use postgresql://… (psycopg), or install the driver")) from None


POOL_SIZE = 4  # PostgreSQL connections a server process keeps open (one works at a time)


def _create(url: str, pooled: bool = False) -> Engine:
    from sqlalchemy import create_engine

    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"timeout": 5})
        event.listen(eng, "connect", _sqlite_pragmas)
        event.listen(eng, "begin", _sqlite_begin)
        return eng
    if pooled:  # recycled now and then, and checked when the server dropped it
        return create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_SIZE, pool_recycle=600,
                             pool_pre_ping=False)
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


BACKENDS = ("sqlite", "postgresql")


def check_url(url: str) -> None:
    """A database URL we can open: SQLite or PostgreSQL, parseable (shown without password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    scheme = url.split("://", 1)[0]
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise InvalidInput(Text("--db '{scheme}://…' is not a database URL", scheme=scheme),
                           Text("give a SQLite file path, or postgresql://user@host/dbname")) from None
    if parsed.get_backend_name() not in BACKENDS:
        raise InvalidInput(Text("--db names a {value!r} database; Rectify works with SQLite and "
                                "PostgreSQL", value=parsed.get_backend_name()),
                           Text("give a SQLite file path, or postgresql://user@host/dbname"))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   f"busy_timeout={int(BUSY_WAIT * 1000)}"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


BUSY_WAIT = 5.0  # seconds a SQLite writer waits for the write lock before "busy" (exit 3)


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the lock up front (IMMEDIATE), so a read-then-write never deadlocks;
    # readers stay deferred so they work on a read-only file and never block writers.
    # Issued on the driver itself (a third of the cost of a statement through SQLAlchemy,
    # and it runs for every transaction), with its errors made SQLAlchemy's.
    if conn.get_execution_options().get("write", False):
        _begin_writing(conn)
        return
    if conn.info.pop(_NO_WAIT, False):  # last used by a writer: readers wait as SQLite does
        _driver_cursor(conn, f"PRAGMA busy_timeout = {int(BUSY_WAIT * 1000)}", ()).close()
    cursor = _driver_cursor(conn, "BEGIN", ())
    cursor.close()


_NO_WAIT = "rectify.busy_timeout_0"
"""Set in a connection's info while its SQLite busy timeout is 0 (see ``_begin_writing``)."""


def _begin_writing(conn: Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``BUSY_WAIT`` for the write lock by trying every few ms.

    SQLite's own busy handler sleeps up to 100 ms between tries: a writer waiting behind a
    series of short transactions (a tick commits every ~0.2 s and pauses 5 ms) would seldom
    try within a pause, and fail after its timeout.  Trying every 1-4 ms, it gets in.

    The timeout stays 0 while the connection writes: once ``BEGIN IMMEDIATE`` holds the lock no
    statement of the transaction waits on another writer, and setting it back and forth cost
    two statements a transaction.  A read transaction on the same connection sets it back.
    """
    if not conn.info.get(_NO_WAIT):
        _driver_cursor(conn, "PRAGMA busy_timeout = 0", ()).close()
        conn.info[_NO_WAIT] = True
    deadline = None
    while True:
        try:
            _driver_cursor(conn, "BEGIN IMMEDIATE", ()).close()
            return
        except OperationalError as exc:
            text = str(exc.orig).lower()
            if "locked" not in text and "busy" not in text:
                raise
            deadline = deadline or time.monotonic() + BUSY_WAIT
            if time.monotonic() > deadline:
                raise
        time.sleep(random.uniform(0.001, 0.004))


@contextmanager
def translate_errors(url: str = "") -> Iterator[None]:
    """Turn driver errors into the tool's own: busy → retry (3), unwritable → environment (4)."""
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig).lower()
        if ("locked" in text or "busy" in text or "could not serialize" in text
                or "deadlock" in text):
            raise Conflict(Text("the database is busy (locked by another writer)"),
                           Text("retry in a moment")) from None
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            raise EnvironmentProblem(Text("cannot write the database {url}: {orig}", url=url, orig=exc.orig),
                                     Text("check the file's permissions and folder, or pass --db")) from None
        raise EnvironmentProblem(Text("database error: {value}", value=driver_message(exc)),
                                 Text("check --db / RECTIFY_DB")) from None
    except IntegrityError as exc:
        # Checks run before every insert, so a clash here means another writer got there
        # between our check and our insert (e.g. two offices numbering new items at once).
        raise Conflict(Text("someone else recorded the same thing at the same time ({orig})", orig=exc.orig),
                       Text("retry: the command reads the new data first")) from None
    except DBAPIError as exc:
        text = str(exc.orig).lower()
        if "serializ" in text or "deadlock" in text:
            raise Conflict(Text("changed by someone else at the same time"), Text("retry")) from None
        if "not a database" in text or "malformed" in text:
            raise EnvironmentProblem(Text("{value} is not a usable database: "
                                          "{orig}", value=url or 'the database', orig=exc.orig),
                                     Text("check --db / RECTIFY_DB names a Rectify database (or a new file, "
                                          "for 'rectify init')")) from None
        # Never the statement or its parameters (SQLAlchemy's str(exc) holds both: definition
        # text, reporters' names): the driver's first line says what was wrong.
        if isinstance(exc, DataError):
            raise InvalidInput(Text("the database refused a value: {value}", value=driver_message(exc)),
                               Text("a key or text is longer, or a number larger, than the database holds; "
                                    "shorten it")) from None
        raise EnvironmentProblem(Text("database error: {value}", value=driver_message(exc)),
                                 Text("check --db / RECTIFY_DB")) from None


def driver_message(exc: DBAPIError) -> str:
    """The driver's own message, first line only: no SQL, no parameters."""
    lines = str(exc.orig).strip().splitlines()
    return lines[0] if lines else type(exc.orig).__name__


T = TypeVar("T")

ATTEMPTS = 4  # tries of one transaction before a conflict is the user's (exit 3)
BACKOFF = 0.05  # seconds before the second try; doubled each time, with jitter


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS, backoff: float = BACKOFF) -> T:
    """Run ``work``, one whole transaction that reads what it needs inside it, again when it
    meets a conflict (busy, serialization failure, deadlock, a row changed since it was read).

    The failed try was rolled back whole, so trying again is safe; the pause is jittered so
    that writers which collided do not collide again in step.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Conflict:
            if attempt == attempts:
                raise
            time.sleep(backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


class Prepared:
    """A Core statement compiled once per dialect and run on the driver's own cursor.

    For the few statements every change runs (load the subject, the versioned UPDATE, the
    event INSERT). SQLAlchemy's execution layer costs ~25 µs a statement against ~5 µs for
    the driver, which is most of what an advance spends outside its commit. Values pass
    through the dialect's own bind and result processors, so what is written and read is
    exactly what ``conn.execute`` would write and read, and driver errors come out as
    SQLAlchemy's, which ``translate_errors`` understands. Statements with expanding IN
    lists cannot be prepared this way; they stay with ``conn.execute``.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return compiled

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, each a tuple in the statement's column order."""
        c = self._compiled(conn)
        cursor = c.run(conn, c.params(params))
        rows = cursor.fetchall()
        cursor.close()
        if not c.results:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for i, convert in c.results:
                if values[i] is not None:
                    values[i] = convert(values[i])
            converted.append(tuple(values))
        return converted

    def stream(self, conn: Connection, params: Mapping[str, Any],
               size: int = 5000) -> Iterator[tuple[Any, ...]]:
        """Every row as the driver gives it, ``size`` at a time, without value conversion.

        For long reads whose caller decodes only what it uses (a replay of the event log):
        on SQLite dates and JSON come as text, on PostgreSQL as the driver decodes them, so
        the caller must accept both.  Elsewhere than SQLite the rows come through
        SQLAlchemy's server-side cursor, so memory stays flat there too.
        """
        if conn.dialect.name != "sqlite":
            result = conn.execute(self.statement.execution_options(yield_per=size), dict(params))
            for row in result:
                yield tuple(row)
            return
        c = self._compiled(conn)
        cursor = c.run(conn, c.params(params))
        try:
            while rows := cursor.fetchmany(size):
                yield from rows
        finally:
            cursor.close()

    def converted(self, conn: Connection, params: Mapping[str, Any],
                  size: int = 5000) -> Iterator[tuple[Any, ...]]:
        """Every row as ``rows`` gives it, streamed, a text value repeated down a column (a
        date) converted once: for a long read whose rows become objects (a whole table's subjects)."""
        if conn.dialect.name != "sqlite":
            yield from self.stream(conn, params, size)  # converted by SQLAlchemy on the way
            return
        c = self._compiled(conn)
        if not c.results:
            yield from self.stream(conn, params, size)
            return
        columns: list[tuple[int, Any, dict[Any, Any]]] = [(i, convert, {}) for i, convert in c.results]
        for row in self.stream(conn, params, size):
            values = list(row)
            for i, convert, memo in columns:
                value = values[i]
                if value is not None:
                    done = memo.get(value, memo)
                    if done is memo:
                        done = convert(value)
                        if len(memo) < 50_000:
                            memo[value] = done
                    values[i] = done
            yield tuple(values)

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run once; the number of rows it changed."""
        c = self._compiled(conn)
        cursor = c.run(conn, c.params(params))
        count: int = cursor.rowcount
        cursor.close()
        return count

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run once per parameter set in one driver call; the rows changed in all."""
        c = self._compiled(conn)
        cursor = c.run(conn, c.params_many(rows), many=True)
        count: int = cursor.rowcount
        cursor.close()
        return count

    def execute_rows(self, conn: Connection, names: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> int:
        """``execute_many`` of rows given as tuples of ``names``' values (a name the statement
        does not take is dropped; one it takes that ``names`` lacks is NULL): a bulk write that
        builds its rows as tuples makes no dict per row.  The rows changed in all."""
        c = self._compiled(conn)
        cursor = c.run(conn, c.params_rows(names, rows), many=True)
        count: int = cursor.rowcount
        cursor.close()
        return count


class _Compiled:
    """One statement as one dialect's SQL, with that dialect's value conversions."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        # Parameter names in the order the driver takes them: positional (SQLite's ``?``)
        # or named (psycopg's ``%(name)s``).
        self.positional = bool(compiled.positional)
        self.names = tuple(compiled.positiontup if compiled.positional else compiled.binds)
        converters = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                      for name, bind in compiled.binds.items()}
        # values written into the statement itself (a literal, a LIMIT): used when not given
        self.defaults = {name: bind.value for name, bind in compiled.binds.items()
                         if name in self.names and not bind.required and bind.value is not None
                         and bind.callable is None}
        # each converter with the position of the value it converts (None goes through it too)
        self.converters = [(i, _none_once(converters[k])) for i, k in enumerate(self.names)
                           if converters.get(k) is not None]
        processors = [col.type.dialect_impl(dialect).result_processor(dialect, None)
                      for col in getattr(statement, "selected_columns", ())]
        self.results = [(i, p) for i, p in enumerate(processors) if p is not None]

    def params(self, values: Mapping[str, Any]) -> Any:
        if self.defaults:
            values = {**self.defaults, **values}
        converted = list(map(values.get, self.names))
        for i, convert in self.converters:
            converted[i] = convert(converted[i])
        return tuple(converted) if self.positional else dict(zip(self.names, converted, strict=True))

    def params_many(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """``params`` of each row, a value repeated down a column converted once: a bulk
        write's rows share their dates and recording time, and their conversion is most of
        its bind processing."""
        if self.defaults or not self.positional:
            return [self.params(r) for r in rows]
        names, converters, out = self.names, self.converters, []
        memo: dict[tuple[int, type, Any], Any] = {}
        for values in rows:
            converted = list(map(values.get, names))
            for i, convert in converters:
                value = converted[i]
                kind = type(value)
                if kind in _REPEATED:
                    key = (i, kind, value)
                    done = memo.get(key, memo)
                    if done is memo:
                        done = memo[key] = convert(value)
                    converted[i] = done
                else:
                    converted[i] = convert(value)
            out.append(tuple(converted))
        return out

    def params_rows(self, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Any]:
        """``params_many`` of rows given as tuples of ``names``' values, worked column by
        column in C where it can: each row reordered into the statement's order
        (``itemgetter``), the rows turned into columns, each converted column's values mapped
        through a memo of their conversions (``_Converted``), and turned back into rows."""
        if self.defaults or not rows:
            return self.params_many([dict(zip(names, row, strict=True)) for row in rows])
        where = {name: i for i, name in enumerate(names)}
        missing = len(names)  # the position of the NULL added to a row lacking a column
        picks = [where.get(name, missing) for name in self.names]
        if missing in picks:
            rows = [(*row, None) for row in rows]
        if len(picks) == 1:
            data = [(row[picks[0]],) for row in rows]
        else:
            data = list(map(itemgetter(*picks), rows))
        if self.converters:
            columns = list(zip(*data, strict=True))
            for i, convert in self.converters:
                column = columns[i]
                kinds = set(map(type, column))
                kinds.discard(type(None))
                if len(kinds) <= 1 and kinds <= _REPEATED:  # one kind: equal values are alike
                    columns[i] = tuple(map(_Converted(convert).__getitem__, column))
                else:
                    columns[i] = tuple(map(convert, column))
            data = list(zip(*columns, strict=True))
        if self.positional:
            return data
        return [dict(zip(self.names, row, strict=True)) for row in data]

    def run(self, conn: Connection, params: Any, many: bool = False) -> Any:
        return _driver_cursor(conn, self.sql, params, many)


def _none_once(convert: Any) -> Any:
    """``convert`` with its value for None worked out once: a JSON column encodes None as
    ``null`` through ``json.dumps`` (~4 µs), and most events carry no payload."""
    if_none = convert(None)

    def converted(value: Any) -> Any:
        return if_none if value is None else convert(value)

    return converted


class _Converted(dict[Any, Any]):
    """A column's values converted, each distinct one once (the values of one kind, so that
    equal values convert alike: never True beside 1)."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        done = self[value] = self.convert(value)
        return done


_REPEATED = frozenset({dt.date, dt.datetime, type(None), bool, int, str})
"""Immutable kinds whose converted value ``_Compiled.params_many`` may reuse down a column."""


def _driver_cursor(conn: Connection, sql: str, params: Any, many: bool = False) -> Any:
    """Run ``sql`` on the driver in ``conn``'s transaction; its errors made SQLAlchemy's."""
    error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except error as exc:
        cursor.close()
        raise DBAPIError.instance(sql, params, exc, error) from exc
    return cursor


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

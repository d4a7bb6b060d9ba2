"""Opening the database, checking its schema version, and creating or upgrading it."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from engine.core.errors import EnvironmentProblem
from engine.io.store import open_engine, resolve_url, translate_errors
from engine.io.writer import OBSERVERS

from .i18n import _

HEAD = "0024_assesspeople"  # newest migration this version of the tool knows
KNOWN = ("0001", "0002", "0003", "0004", "0005", "0006", "0007_undo", "0008_secrets", "0009_duties",
         "0010_undoimport", "0011_secrets13b", "0012_outbox", "0013_people", "0014_calendar",
         "0015_importspeed", "0016_registers", "0017_inspections", "0018_filings", "0019_serve",
         "0020_filingfigures", "0021_commitments", "0022_assessment", "0023_serveruns",
         "0024_assesspeople")
MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

def _notify(conn: Connection, events: Any, streams: list[str],
            rows: Sequence[dict[str, Any]]) -> None:
    """Queue the messages the site's notification rules ask for (campaigns.notify), in the
    writer's transaction; nothing is read or imported when the site sets none."""
    if _site_configured():
        from .notify.outbox import observe

        observe(conn, events, streams, rows)


_SEEN: list[Any] = [-1, False]  # the environment's size when last looked at, and the answer


def _site_configured() -> bool:
    """Whether ``RECTIFY_SITE_CONFIG`` is in the environment (the observer reads its value),
    looked up again only when a variable was added or removed: every write asks, and a lookup
    in ``os.environ`` costs more than the rest."""
    size = len(os.environ)
    if size != _SEEN[0]:
        _SEEN[0], _SEEN[1] = size, "RECTIFY_SITE_CONFIG" in os.environ
    return bool(_SEEN[1])


OBSERVERS.append(_notify)

committed: list[None] = []
"""One entry per write transaction this process committed: a command that committed nothing
yet may be run again whole after a conflict (campaigns/cli/_retry.py)."""


class Database:
    """One database (SQLite file or PostgreSQL URL) and its two kinds of transaction."""

    def __init__(self, url: str | None = None, *, pooled: bool = False) -> None:
        """``pooled``: keep PostgreSQL connections open between transactions (a server)."""
        self.url = resolve_url(url)
        self.pooled = pooled
        self._checked = False
        self._idle: dict[bool, Connection] = {}  # SQLite: one reused connection per kind

    @property
    def shown(self) -> str:
        """The URL as it may be printed: without its password."""
        if "@" not in self.url:
            return self.url
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    @cached_property
    def engine(self) -> Engine:
        engine = open_engine(self.url, self.pooled)
        me = weakref.ref(self)  # no cycle: a dropped Database frees its connections at once

        def disposed(_engine: Engine) -> None:
            db = me()
            if db is not None:
                db._close_idle()
        event.listen(engine, "engine_disposed", disposed)
        return engine

    def _close_idle(self) -> None:
        """Close the connections kept between transactions, as disposing the engine closes its
        pool's: the pool is already replaced, so each is closed itself (``invalidate``)."""
        for conn in self._idle.values():
            conn.invalidate()
            conn.close()
        self._idle.clear()

    @property
    def sqlite_path(self) -> str | None:
        """The file of a SQLite URL, also of a URI filename (``sqlite:///file:PATH?mode=ro&uri=true``)."""
        if not self.url.startswith("sqlite:///"):
            return None
        path = self.url.split("///", 1)[1].split("?", 1)[0]
        if path.startswith("file:"):
            from urllib.parse import unquote

            path = unquote(path[len("file:"):])
        return path

    def read(self) -> AbstractContextManager[Connection]:
        """A read transaction against a schema we understand."""
        return self._transaction(False)

    def write(self) -> AbstractContextManager[Connection]:
        """One all-or-nothing write transaction: everything in it commits, or nothing does."""
        return self._transaction(True)

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        """A transaction on a connection of its own; on SQLite the same one each time, when free.

        Checking a connection out of SQLAlchemy's pool and back in costs ~20 µs a
        transaction (events, reset, bookkeeping), a tenth of an in-process advance; a SQLite
        connection left open holds no lock between transactions, and the pool would keep it
        open anyway.  PostgreSQL's connections end with their transaction (see open_engine).
        A transaction begun inside another of the same kind gets a connection of its own.
        """
        self._require_file()
        with translate_errors(self.shown):
            conn = self._idle.pop(write, None)
            if conn is None or conn.invalidated:
                conn = self.engine.connect()
                if write:
                    conn = conn.execution_options(write=True)
            try:
                with conn.begin():
                    self._check_version(conn)
                    yield conn
            except BaseException:
                conn.close()
                raise
            if write:
                committed.append(None)
            if (self.url.startswith("sqlite") and write not in self._idle
                    and not conn.invalidated and not conn.in_transaction()):
                self._idle[write] = conn
            else:
                conn.close()

    def _require_file(self) -> None:
        if self._checked:  # found, with a schema we know, earlier in this command
            return
        path = self.sqlite_path
        if path and path != ":memory:" and not os.path.exists(path):
            raise EnvironmentProblem(_("no database at {path}").format(path=path),
                                     _("run 'rectify init' (or pass --db / set RECTIFY_DB)"))

    def _check_version(self, conn: Connection) -> None:
        if self._checked:
            return
        try:
            with conn.begin_nested():
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            version = None
        if version is None:
            raise EnvironmentProblem(_("the database {shown} has no Rectify schema").format(shown=self.shown),
                                     _("run 'rectify init'"))
        if version not in KNOWN:
            raise EnvironmentProblem(
                _("the database schema ({version}) is newer than this version of rectify ({HEAD})").format(
                    version=version, HEAD=HEAD),
                _("upgrade rectify: pip install -U rectify"))
        if version != HEAD:
            raise EnvironmentProblem(_("the database schema ({version}) is older than this tool's "
                                       "({HEAD})").format(
                                           version=version, HEAD=HEAD), _("run 'rectify init' to upgrade it"))
        self._checked = True

    def init(self) -> str:
        """Create the schema or upgrade it to ``HEAD``; returns what was done."""
        from alembic import command
        from alembic.config import Config

        path = self.sqlite_path
        if path and os.path.dirname(path) and not os.path.isdir(os.path.dirname(path)):
            raise EnvironmentProblem(_("folder {value} does not exist").format(value=os.path.dirname(path)),
                                     _("create it first, or choose another --db"))
        if path and path != ":memory:" and not os.path.exists(path):
            private_file(path)  # SQLite gives its -wal and -shm files the database's mode
        with translate_errors(self.shown), self.engine.connect() as conn:
            before = _current(conn)
            if before is not None and before not in KNOWN:
                raise EnvironmentProblem(
                    _("the database schema ({before}) is newer than this version of rectify").format(
                        before=before),
                    _("upgrade rectify: pip install -U rectify"))
            conn.commit()
            cfg = Config()
            cfg.set_main_option("script_location", MIGRATIONS)
            cfg.attributes["connection"] = conn
            with conn.begin():  # the schema steps and the data steps after them: all or none
                command.upgrade(cfg, "head")
                _after_upgrade(conn, before)
        if before == HEAD:
            return _("schema is up to date ({head})").format(head=HEAD)
        if before:
            return _("schema upgraded from {before} at {head}").format(before=before, head=HEAD)
        return _("schema created at {head}").format(head=HEAD)


# data steps an upgrade runs once the schema is at HEAD, in the upgrade's transaction: they
# write events, so they need the writer and the tables as this version knows them, which a
# migration (kept to the schema of its own revision) cannot use
SEAL_VALUES = "0011_secrets13b"


def _after_upgrade(conn: Connection, before: str | None) -> None:
    if before is not None and KNOWN.index(before) < KNOWN.index(SEAL_VALUES):
        from .sealed import seal_existing

        seal_existing(conn)


def private_file(path: str) -> None:
    """Create ``path`` empty, readable and writable by its owner only (0600): a database holds
    confidential values, so it is never world-readable, not even for a moment."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as e:
        raise EnvironmentProblem(_("cannot create {path}: {strerror}").format(path=path, strerror=e.strerror),
                                 _("check the folder's permissions, or choose another --db")) from None


def _current(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        conn.rollback()
        return None

"""A consistent copy of the database while writers run (``rectify db backup``)."""

from __future__ import annotations

import os
import sqlite3

from engine.core.errors import Conflict, EnvironmentProblem, InvalidInput

from .db import Database, private_file
from .i18n import _


def backup_sqlite(db: Database, out: str) -> int:
    """Copy ``db`` into the new file ``out`` (0600) with SQLite's online backup API: one
    snapshot of the whole database, taken under a read lock, so writers in WAL mode go on;
    returns the pages copied."""
    path = db.sqlite_path
    if path is None:
        raise EnvironmentProblem(
            _("rectify db backup copies SQLite files; {shown} is a server database").format(shown=db.shown),
            _("use the server's tool, e.g. pg_dump --format=custom --file=rectify.dump DBNAME (confidential "
              "values in it stay encrypted)"))
    if not os.path.exists(path):
        raise EnvironmentProblem(_("no database at {path}").format(
            path=path), _("pass --db or set RECTIFY_DB"))
    if os.path.lexists(out):
        raise InvalidInput(_("{out} exists: a backup never overwrites a file").format(out=out),
                           _("give a new file name, e.g. with today's date"))
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise InvalidInput(_("folder {folder} does not exist").format(folder=folder), _("create it first"))
    private_file(out)
    try:
        with db.read():  # checks the file is a Rectify database of a known schema
            pass
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(out)
        try:
            source.backup(target)  # pages=-1: every page in one step, one consistent snapshot
            pages = int(target.execute("PRAGMA page_count").fetchone()[0])
        finally:
            target.close()
            source.close()
    except sqlite3.OperationalError as e:
        os.remove(out)
        if "locked" in str(e) or "busy" in str(e):
            raise Conflict(_("the database stayed busy while it was copied"),
                           _("run the backup again")) from None
        raise EnvironmentProblem(_("cannot copy {path} to {out}: {e}").format(path=path, out=out, e=e),
                                 _("check the disk and the files' permissions")) from None
    except BaseException:
        os.remove(out)
        raise
    return pages

"""Evidence (佐证材料) arriving through the web door: which files are taken, and reading them back.

An upload's name is the browser's word, so it is checked, never trusted: a name that climbs
out of a folder or hides itself (``../x``, ``a/b``, ``C:\\x``, ``.htaccess``), holds control
characters, or is not of an accepted type is refused, and nothing is written.  Accepted types
are the documents and pictures offices exchange; pages and programs (``.html``, ``.svg``,
``.js``, ``.exe``) are not, because a browser would run what they hold when one is opened.  The
content is kept by its SHA-256 in the database, as ``rectify item progress --evidence`` keeps it.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound

from .i18n import _
from .items import MAX_EVIDENCE
from .tables import BLOBS, EVIDENCE, PROGRESS

TYPES = {
    ".pdf": "application/pdf", ".ofd": "application/ofd",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain", ".csv": "text/csv",
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".wps": "application/vnd.ms-works", ".et": "application/vnd.ms-excel",
    ".zip": "application/zip",
}
MAX_NAME = 200


def upload_name(name: str) -> str:
    """The upload's file name, if it is a plain name of an accepted type."""
    shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(_("evidence file name '{name}' is empty or too long").format(
                               name=shown),
                           _("rename the file to at most {n} characters").format(n=MAX_NAME))
    if (set(name) & set('/\\:"<>|?*') or name.startswith(".")
            or any(unicodedata.category(c).startswith("C") for c in name)):
        # also what Windows forbids in a name: a file saved back must keep its name
        raise InvalidInput(_("evidence file name '{name}' is not a plain file name").format(
                               name=shown),
                           _("rename the file: no folders, drive letters, leading dots, control "
                             "characters, nor any of \" < > | ? *"))
    ext = os.path.splitext(name)[1].lower()
    if ext not in TYPES:
        raise InvalidInput(_("evidence file '{name}' is not of an accepted type").format(
                               name=shown),
                           _("accepted: {types}").format(types=", ".join(sorted(TYPES))))
    return name


def check_size(name: str, size: int, limit: int = MAX_EVIDENCE) -> None:
    if size > limit:
        raise InvalidInput(_("evidence file '{name}' is larger than {mib} MiB").format(
                               name=name, mib=limit // (1024 * 1024)),
                           _("attach a smaller file or a summary"))
    if size == 0:
        raise InvalidInput(_("evidence file '{name}' is empty").format(name=name),
                           _("attach the file itself"))


@dataclass(frozen=True)
class Stored:
    """One evidence file as kept: its name, hash, size, and the type it is served as."""

    filename: str
    sha256: str
    size: int
    media_type: str


def files_of(conn: Connection, item_id: int) -> list[Stored]:
    """The evidence files recorded for an item, oldest first."""
    rows = conn.execute(select(EVIDENCE.c.filename, EVIDENCE.c.sha256, EVIDENCE.c.size)
                        .select_from(EVIDENCE.join(PROGRESS, PROGRESS.c.id == EVIDENCE.c.progress_id))
                        .where(PROGRESS.c.item_id == item_id).order_by(EVIDENCE.c.id))
    return [Stored(r.filename, r.sha256, r.size, media_type(r.filename)) for r in rows]


def media_type(filename: str) -> str:
    """What a file is served as: its accepted type, else bytes to save (never a page)."""
    return TYPES.get(os.path.splitext(filename)[1].lower(), "application/octet-stream")


def content(conn: Connection, item_id: int, sha256: str) -> tuple[Stored, bytes]:
    """One evidence file of an item, by hash: only a file recorded for that item."""
    for stored in files_of(conn, item_id):
        if stored.sha256 == sha256:
            data = conn.execute(select(BLOBS.c.content).where(BLOBS.c.sha256 == sha256)).scalar()
            if data is not None:
                return stored, bytes(data)
    raise NotFound(_("no evidence file {sha} on this item").format(sha=sha256[:12]),
                   _("see the item's page"))

"""Opening input files safely: only regular files are read.

A FIFO would block the reader forever (holding whatever it holds, a database lock
included), a device may never end, and a directory cannot be read at all; each is refused
with its own message before anything is opened for reading.
"""

from __future__ import annotations

import os
import stat

from .errors import InvalidInput, NotFound
from .text import Text

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def regular_file(path: str, what: str = "file") -> int:
    """The size of ``path``, after checking it is an existing regular file (links followed)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise NotFound(Text("cannot read {what} {path}: {strerror}", what=what, path=path,
                            strerror=exc.strerror), Text("check the path")) from None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise InvalidInput(Text("{what} {path} is {kind}, not a regular "
                                "file", what=what, path=path, kind=kind),
                           Text("give the path of an ordinary file"))
    return info.st_size


def special_kind(path: str) -> str | None:
    """What ``path`` is when it exists but is not a regular file ("a directory"), else None."""
    try:
        return _kind(os.stat(path).st_mode)
    except OSError:
        return None


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")

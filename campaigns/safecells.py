"""Text written into files other programs open: spreadsheet cells that stay text, Markdown
that stays text.

Titles and notes are typed by users and by whoever fills an imported sheet. A spreadsheet
program evaluates a CSV cell starting with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or
carriage return, whatever follows) as a formula, so CSV cells get a leading apostrophe, as
OWASP recommends ("CSV injection"); XLSX cells are typed as strings, which no program
evaluates. ``csv_value`` undoes the apostrophe on import, so Rectify's own CSV re-imports to
the same text: a value that already starts with apostrophes before a trigger gets one more,
so the mapping is exact both ways. Markdown renderers pass raw HTML through, so ``<``, ``>``
and ``&`` become entities there.
"""

from __future__ import annotations

import re
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = re.compile(r"'*[=+\-@\t\r]")
_UNSAFE = re.compile(r"[^\w.-]|\.\.")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV writer should get it: text that would run as a formula is quoted
    with an apostrophe; numbers, dates and other text pass unchanged."""
    if isinstance(value, str) and _GUARDED.match(value):
        return "'" + value
    return value


def csv_value(text: str) -> str:
    """A cell read from a CSV file, with the apostrophe ``csv_cell`` added taken off."""
    if text.startswith("'") and _GUARDED.match(text, 1):
        return text[1:]
    return text


def as_text_cell(cell: Any) -> Any:
    """An openpyxl cell holding text stored as a string cell, never a formula or an error."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def file_stem(text: str) -> str:
    """A file name made from keys (a campaign's, a unit's): no folder part, so a default
    output path stays in the folder asked for, whatever a key holds (``../../x``)."""
    stem = _UNSAFE.sub("_", text).lstrip(".-")
    return stem[:120] or "output"


def md_text(value: str) -> str:
    """Text for Markdown: HTML stays visible as text (``<script>`` is not run or hidden)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

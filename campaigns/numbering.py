"""Document numbers (文号) as offices give them: one sequence per series and year, never reused.

A pattern such as ``{issuer_short}督〔{year}〕{seq}号`` names only fixed placeholders; it is
parsed, never evaluated, so a definition cannot put code or a format spec in it.  The series is
the pattern with the office's short name filled in (its 机关代字, e.g. ``县组督〔{year}〕{seq}号``):
every campaign of that office with that pattern draws from one counter per year, as the
office's own register does.

``allocate`` takes the next number in the caller's write transaction.  The counter row is
updated in place (an upsert), so on PostgreSQL a second writer of the same series waits for the
first to commit; on SQLite the write transaction already holds the database.  A transaction that
rolls back takes its increment with it: the number is given again to the next document, and as
the first was never issued, the register has no gap and no number twice.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput

from .i18n import _

PLACEHOLDERS = ("issuer_short", "year", "seq")
REQUIRED = ("year", "seq")  # without the year, numbers of two years would collide


@dataclass(frozen=True)
class Pattern:
    """A checked pattern: literal text and placeholder names, in order."""

    parts: tuple[tuple[str, str | None], ...]  # (literal, placeholder or None)

    def render(self, issuer_short: str, year: int | None = None, seq: int | None = None) -> str:
        """The number; a missing year or seq stays as its placeholder (the series)."""
        values = {"issuer_short": issuer_short,
                  "year": str(year) if year is not None else "{year}",
                  "seq": str(seq) if seq is not None else "{seq}"}
        return "".join(text + (values[name] if name else "") for text, name in self.parts)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.parts if name)

    def series(self, issuer_short: str) -> str:
        return self.render(issuer_short)


def parse_pattern(text: str, where: str = "notices.number") -> Pattern:
    """Check a number pattern; raises InvalidInput saying what is wrong and how to write it."""
    hint = ("write the number with the placeholders {issuer_short}, {year} and {seq} only, e.g. "
            "'{issuer_short}督〔{year}〕{seq}号'; write '{{' and '}}' for a literal brace")
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidInput(_("{where}: the pattern '{text}' is not well formed ({exc})").format(
            where=where, text=text, exc=exc), hint) from None
    parts: list[tuple[str, str | None]] = []
    seen: list[str] = []
    for literal, name, spec, conversion in pieces:
        if name is None:
            parts.append((literal, None))
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise InvalidInput(_("{where}: '{shown}' in '{text}' is not a placeholder").format(
                where=where, shown=shown, text=text), hint)
        if name in seen:
            raise InvalidInput(_("{where}: '{{{name}}}' appears twice in '{text}'").format(
                where=where, name=name, text=text), hint)
        seen.append(name)
        parts.append((literal, name))
    missing = [n for n in REQUIRED if n not in seen]
    if missing:
        names = ", ".join("{" + n + "}" for n in missing)
        raise InvalidInput(_("{where}: the pattern '{text}' has no {names}").format(
            where=where, text=text, names=names), hint)
    return Pattern(tuple(parts))


def allocate(conn: Connection, series: str, year: int) -> int:
    """The next sequence number of ``series`` in ``year``, taken in the caller's transaction."""
    from .tables import DOCUMENT_SEQUENCES as S

    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    upsert = insert(S).values(series=series, year=year, last=1).on_conflict_do_update(
        index_elements=[S.c.series, S.c.year], set_={"last": S.c.last + 1})
    return int(conn.execute(upsert.returning(S.c.last)).scalar_one())


def last_given(conn: Connection, series: str, year: int) -> int:
    """The last number given in ``series`` and ``year`` (0: none yet)."""
    from .tables import DOCUMENT_SEQUENCES as S

    found = conn.execute(select(S.c.last).where(S.c.series == series, S.c.year == year)).scalar()
    return int(found or 0)

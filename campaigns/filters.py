"""Values a command line names from a known set (states, categories, levels, units, codes):
matched by key or title, and when nothing matches, refused with the closest known values.

A filter or an output's scope that names nothing is a mistake in the command line itself, so
it exits 2 like any other usage error (docs/cli.md, "Exit codes"), wherever it is checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from engine.core.errors import ExitCode, InvalidInput

from .i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .units import UnitRow, UnitTree

SHOWN = 12  # known values listed in a hint at most


class UnknownValue(InvalidInput):
    """A filter value naming nothing known: a usage error."""

    exit_code = ExitCode.USAGE


def closest(value: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known values nearest to ``value``, best first (none when nothing is near)."""
    names = list(dict.fromkeys(known))
    found = difflib.get_close_matches(value, names, n=n, cutoff=0.5)
    lowered = value.lower()
    found += [k for k in names if lowered and lowered in k.lower() and k not in found]
    return found[:n]


def suggestion(value: str, known: Iterable[str]) -> str:
    """'did you mean …?' with the closest values, else the known values (a few)."""
    names = list(dict.fromkeys(known))
    near = closest(value, names)
    if near:
        return _("did you mean {names}?").format(names=_(" or ").join(f"'{k}'" for k in near))
    more = " …" if len(names) > SHOWN else ""
    return _("known: {names}").format(names=", ".join(names[:SHOWN]) + more) if names \
        else _("there are none yet")


def pick(value: str, known: Mapping[str, str], what: str, option: str) -> str:
    """The key that ``value`` names (a key, or a title) in ``known`` (key → title).

    ``what`` says what the value is ("state", "category"), ``option`` where it was given.
    """
    text = value.strip()
    if text in known:
        return text
    for key, title in known.items():
        if title and text == title:
            return key
    raise UnknownValue(
        _("unknown {what} '{value}' for {option}").format(what=what, value=value, option=option),
        suggestion(text, [*known, *(t for t in known.values() if t)]))


def filter_unit(tree: UnitTree, text: str, option: str = "--unit") -> UnitRow:
    """The unit a filter or an output's scope names; naming none is a usage error."""
    try:
        return tree.find(text)
    except InvalidInput as exc:
        raise UnknownValue(exc.message, exc.hint) from None


def closest_codes(conn: Connection, code: str) -> str:
    """A hint for an item code that names nothing: the nearest codes of the campaign its prefix
    and year name (by number), else the campaigns' code prefixes that are nearest."""
    import re

    from sqlalchemy import func, select

    from .tables import CAMPAIGNS as C, ITEMS as I

    text = code.strip().upper()
    match = re.fullmatch(r"(.+)-(\d{4})-(\d+)", text)
    runs = conn.execute(select(C.c.id, C.c.key, C.c.code_prefix, C.c.start_date)).all()
    if match:
        prefix, year, number = match.group(1), int(match.group(2)), int(match.group(3))
        for run in runs:
            if run.code_prefix.upper() == prefix and run.start_date.year == year:
                near: list[str] = []
                if conn.execute(select(I.c.code).where(I.c.code == text)).scalar() is not None:
                    near.append(text)  # the same code, in capitals
                for cond, order in ((I.c.seq <= number, I.c.seq.desc()), (I.c.seq >= number, I.c.seq)):
                    found = conn.execute(select(I.c.code).where(I.c.campaign_id == run.id, cond)
                                         .order_by(order).limit(2)).scalars().all()
                    near += [c for c in found if c not in near]
                if not near:
                    return _("campaign '{campaign}' has no items yet").format(campaign=run.key)
                last = conn.execute(select(func.max(I.c.seq)).where(I.c.campaign_id == run.id)).scalar()
                near.sort(key=lambda c: abs(int(c.rsplit("-", 1)[1]) - number))
                return _("closest codes of campaign '{campaign}': {codes} (numbered 1 to {last})").format(
                    campaign=run.key, codes=", ".join(near[:3]), last=last)
    known = [f"{r.code_prefix}-{r.start_date.year}" for r in runs]
    head = match.group(1) + "-" + match.group(2) if match else text.rsplit("-", 1)[0]
    near = closest(head, known)
    if near:
        keys = {f"{r.code_prefix}-{r.start_date.year}": r.key for r in runs}
        return _("codes look like {example}; did you mean campaign {names}?").format(
            example=near[0] + "-0001", names=", ".join(f"'{keys[n]}' ({n}-…)" for n in near))
    return _("codes look like WGBW-2015-0042; see 'rectify item list CAMPAIGN'")

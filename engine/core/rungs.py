"""Guards on clock rungs (ladder levels): conditions the clock can decide over a whole table.

A ladder level climbs only when its guards hold.  The clock decides levels for a whole table
at once in SQL (engine.io.clock) and for a few subjects in Python (engine.core.schedule), so
a level may use only guards that are data both can evaluate the same way: ``compare`` on a
field of the subject.  The Python side evaluates them with the built-in guard itself, so a
level's ``compare`` means exactly what it means on a transition or a timer; the SQL side
compiles the same rules (engine.io.clock, ``rung_clause``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .builtin import compare
from .spec import CallRef

RUNG_GUARDS = ("compare",)  # the guards a ladder level may take, in the words of a message


@dataclass(frozen=True)
class _Subject:
    """What ``compare`` reads: the subject's fields as attributes."""

    values: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class _Ctx:
    subject: _Subject


def fields_read(guards: Iterable[CallRef]) -> frozenset[str]:
    """The subject's fields ``guards`` read (each a ``compare``)."""
    return frozenset(str(g.kwargs["field"]) for g in guards if "field" in g.kwargs)


def holds(guards: tuple[CallRef, ...], values: Mapping[str, Any]) -> bool:
    """Whether every guard holds for a subject whose fields are ``values``."""
    ctx = _Ctx(_Subject(values))
    assert all(g.name in RUNG_GUARDS for g in guards), "validated when the definition loads"
    return all(compare(ctx, **g.kwargs) is None for g in guards)  # type: ignore[arg-type]

"""Rows whose 状态 names a later state: who may import them so."""

from __future__ import annotations

from typing import Any

from engine.core.machines import Actor

from ..runs import Run
from ..standing import label
from .header import Header
from .problems import RowProblem
from .rows import Parsed


def may_import_states(run: Run, actor: Actor) -> bool:
    """Importing an item past its first states takes a role that may override."""
    return any(run.definition.roles[r].overrides for r in actor.roles if r in run.definition.roles)


def refusals(run: Run, actor: Actor, header: Header, sheet: str | None,
              fresh: list[Parsed], changed: list[tuple[Parsed, Any, Any]]) -> list[RowProblem]:
    """Rows that would put an item past its first states, when the actor may not."""
    d = run.definition
    first = (d.machines["item"].initial, d.machines["rectification"].initial)
    moving = [p for p in fresh if p.pair not in (None, first)]
    moving += [p for p, _, diff in changed if "state" in diff]
    if not moving or may_import_states(run, actor):
        return []
    roles = [r.key for r in d.roles.values() if r.overrides]
    return [RowProblem(
        header.where(sheet, p.row, "state"),
        f"importing an item as {label(d, *p.pair)} takes a role that may override "
        f"({', '.join(roles) or 'none defined'}); '{actor.key}' has none",
        f"leave 状态 empty to import as {label(d, *first)}, or import as an authorised person")
        for p in moving if p.pair is not None]

"""The statistics guards ask for, answered with grouped SQL (never by loading items)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from .tables import ITEMS as I, RECTIFICATIONS as R


class StoreFigures:
    """Implements ``engine.core.machines.Figures`` for one campaign."""

    def __init__(self, conn: Connection | None, run: Any) -> None:
        self.conn = conn
        self.run = run

    def count(self, machine: str, states: frozenset[str] | None = None,
              stage: str | None = None) -> int:
        table = I if machine == "item" else R
        query = select(func.count()).select_from(table).where(table.c.campaign_id == self.run.id,
                                                              table.c.retired_on.is_(None))
        if machine != "item" and stage:
            query = query.select_from(table.join(I, I.c.id == R.c.item_id))
        if states is not None:
            query = query.where(table.c.state.in_(sorted(states)))
        if stage:
            query = query.where(I.c.stage == stage)
        assert self.conn is not None
        return int(self.conn.execute(query).scalar() or 0)

    def figure(self, name: str) -> int:
        if name == "categories_without_mechanism":  # the guard mechanisms_in_force
            from .mechanisms import uncovered_categories

            assert self.conn is not None
            return len(uncovered_categories(self.conn, self.run))
        if name != "open_not_long_term":
            raise KeyError(name)
        d = self.run.definition
        item_done = sorted(d.machines["item"].done_states)
        long_term = sorted(d.ladder.stop_states - d.machines["rectification"].done_states
                           if d.ladder else {"long_term"})
        query = (select(func.count()).select_from(I.join(R, R.c.item_id == I.c.id))
                 .where(and_(I.c.campaign_id == self.run.id, I.c.retired_on.is_(None),
                             I.c.state.not_in(item_done),
                             R.c.state.not_in(long_term))))
        assert self.conn is not None
        return int(self.conn.execute(query).scalar() or 0)

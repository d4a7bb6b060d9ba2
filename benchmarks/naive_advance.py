"""The naive design, as a baseline: ORM row + a fresh transitions.Machine per advance.

Everything is imported eagerly, as a straightforward CLI would.  Usage:
    python benchmarks/naive_advance.py DB CODE
"""

from __future__ import annotations

import datetime as dt
import sys

import click  # noqa: F401  (imported eagerly, as the naive CLI does)
import transitions
import yaml  # noqa: F401
from sqlalchemy import create_engine, select
from sqlalchemy.orm import DeclarativeBase, Session

sys.path.insert(0, __file__.rsplit("/", 2)[0])
import campaigns.tables  # noqa: E402, F401  (declares every table)
from campaigns.lifecycle import ITEM  # noqa: E402
from engine.io.store import metadata  # noqa: E402


class Base(DeclarativeBase):
    metadata = metadata


# An ORM class for every table, as a straightforward application would declare them.
MODELS = {t.name: type(t.name.title(), (Base,), {"__table__": t}) for t in metadata.sorted_tables}
Item, Event = MODELS["items"], MODELS["events"]


class Model:
    def __init__(self, state: str) -> None:
        self.state = state


def advance(session: Session, code: str, trigger: str) -> None:
    item = session.execute(select(Item).where(Item.code == code)).scalar_one()
    model = Model(item.state)
    machine = transitions.Machine(model=model, states=[s["key"] for s in ITEM["states"]],
                                  transitions=[{"trigger": t["trigger"], "source": t["source"],
                                                "dest": t["dest"]} for t in ITEM["transitions"]],
                                  initial=item.state, auto_transitions=False)
    before = item.state
    getattr(model, trigger)()
    del machine
    item.state, item.version = model.state, item.version + 1
    session.add(Event(campaign_id=item.campaign_id, item_id=item.id, machine="item",
                      subject_id=item.id, trigger=trigger, from_state=before, to_state=model.state,
                      actor="super", business_date=dt.date(2015, 8, 20),
                      recorded_at=dt.datetime.now(dt.UTC)))


def engine(path: str):  # noqa: ANN201
    eng = create_engine(f"sqlite:///{path}")

    from sqlalchemy import event

    @event.listens_for(eng, "connect")
    def _pragmas(conn, _):  # noqa: ANN001, ANN202
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    return eng


if __name__ == "__main__":
    with Session(engine(sys.argv[1])) as s:
        advance(s, sys.argv[2], "confirm")
        s.commit()

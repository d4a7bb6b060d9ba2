"""The setting most service functions work in, passed as one value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from engine.core.machines import Actor

from .runs import Run
from .units import UnitTree


@dataclass(frozen=True)
class Scope:
    """This campaign, on this connection, by this actor, as of this business date.

    Nearly every function that reads or changes a campaign needs all five together; passing
    them as one keeps signatures to what a function adds (a file, a code, options) and lets a
    new piece of setting arrive without touching every call.
    """

    conn: Connection
    run: Run
    tree: UnitTree
    actor: Actor
    as_of: dt.date

"""Yellow and red lights (黄灯、红灯) beside items whose deadline is near or past.

Red is the one Overdue rule (campaigns.standing.Overdue) every list, report and the ladder
share.  Yellow is the same rule a few days early: the deadline falls within ``WARN_DAYS``
calendar days and the rectification is in a state the ladder would climb in.  Anything else,
finished work included, has no light.
"""

from __future__ import annotations

import datetime as dt

from engine.core.spec import Definition

from .standing import Overdue

WARN_DAYS = 7
RED, YELLOW, NONE = "red", "yellow", ""


class Lights:
    """The light of an item of one definition, as of a business date."""

    def __init__(self, d: Definition, warn_days: int = WARN_DAYS) -> None:
        self.overdue = Overdue(d)
        self.warn = dt.timedelta(days=warn_days)

    def __call__(self, deadline: dt.date | None, rect_state: str, as_of: dt.date) -> str:
        if self.overdue(deadline, rect_state, as_of):
            return RED
        if deadline and rect_state in self.overdue.states and deadline - as_of <= self.warn:
            return YELLOW
        return NONE

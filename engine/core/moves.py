"""What a change is, before it is written: the planner returns these and the writer stores them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Move:
    """One state change of one row, with what its event records."""

    subject_id: int
    version: int
    machine: str
    trigger: str
    from_state: str | None
    to_state: str
    actor: str
    business_date: dt.date
    changes: Mapping[str, Any] = field(default_factory=dict)
    event_values: Mapping[str, Any] = field(default_factory=dict)  # plugin columns, e.g. run id
    note: str | None = None
    payload: Mapping[str, Any] | None = None
    rule: str | None = None
    stream: str = ""  # the event log (hash chain) its event joins, see engine.io.writer
    subject_key: str | None = None  # the subject's stable key, hashed instead of its row id
    payload_version: int = 1


@dataclass
class Edit:
    """A change of one row's fields that moves no state: checked against the version read, like
    a move; its event (a correction, with old and new values) is the caller's."""

    subject_id: int
    version: int
    machine: str
    changes: Mapping[str, Any]

"""The measures an assessment may name, by name and title (their readers are in
campaigns.measures, which needs the store; checking a definition does not)."""

from __future__ import annotations

from typing import Any

TITLES: dict[str, str] = {
    "items_found": "发现问题数", "closed": "销号数", "closed_on_time": "按期销号数",
    "returns": "驳回重办次数", "escalations": "升级督办次数", "inspection_findings": "督查发现问题数",
    "overdue_days": "超期天数", "filings_due": "应报送数", "filings_on_time": "按时报送数",
}
# The measures a person's indicators may name: those counted from items, attributed to the
# person an item's rectification names (责任人, or its 责任领导); the rest are a unit's alone.
PERSONAL = ("items_found", "closed", "closed_on_time", "returns", "escalations",
            "inspection_findings", "overdue_days")
READERS: dict[str, Any] = {}  # name → reader (campaigns.measures.Reader)


def register(name: str, title: str, reader: Any) -> None:
    """Make a measure available to definitions by ``name``; ``reader(conn, run, window)``
    returns the figures of this and any measure computed with it (one statement may answer
    several).  A register that keeps its own records (commitments) adds its measures so."""
    TITLES[name] = title
    READERS[name] = reader

"""What the caller asks of an import, and what it gets back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..tabular import MAX_BYTES


@dataclass
class Options:
    sheet: str | None = None
    header_row: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    update: bool = False
    dry_run: bool = False
    max_bytes: int = MAX_BYTES
    create: frozenset[str] = frozenset()  # --create-missing: 'units', 'people'
    parent: str | None = None  # --parent: where created units go
    remarks: str | None = None  # 'reporter' (--remarks-to-reporter), 'ignore', or None


@dataclass
class Result:
    file: str
    sheet: str | None
    header_row: int
    rows: int = 0
    new: list[str] = field(default_factory=list)
    unchanged: int = 0
    updated: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    default_source: str | None = None
    dry_run: bool = False
    created_units: list[dict[str, str]] = field(default_factory=list)
    created_people: list[dict[str, str]] = field(default_factory=list)
    remark_rows: list[int] = field(default_factory=list)  # 备注 with reporter details

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "header_row": self.header_row,
                "rows": self.rows, "new": len(self.new), "unchanged": self.unchanged,
                "updated": len(self.updated), "codes": self.new, "updated_codes": self.updated,
                "ignored_columns": self.ignored_columns, "default_source": self.default_source,
                "dry_run": self.dry_run, "created_units": self.created_units,
                "created_people": self.created_people, "remarks_rows": self.remark_rows}

"""Where a file is wrong, and the error that lists every such place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.core.errors import InvalidInput


@dataclass(frozen=True)
class Where:
    """A cell, or a row, of the file being imported."""

    sheet: str | None
    row: int
    column: int | None = None  # 0-based
    header: str | None = None

    def __str__(self) -> str:
        from openpyxl.utils import get_column_letter

        text = f"sheet '{self.sheet}' row {self.row}" if self.sheet else f"row {self.row}"
        if self.column is not None:
            text += f" column {get_column_letter(self.column + 1)}"
            if self.header:
                text += f" ({self.header})"
        return text


@dataclass(frozen=True)
class RowProblem:
    where: Where
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" + (f" — {self.hint}" if self.hint else "")

    def as_dict(self) -> dict[str, Any]:
        from openpyxl.utils import get_column_letter

        w = self.where
        return {"sheet": w.sheet, "row": w.row, "header": w.header, "message": self.message,
                "column": get_column_letter(w.column + 1) if w.column is not None else None,
                "hint": self.hint}


class ImportProblems(InvalidInput):
    """Every bad row of a file; nothing is imported until it is clean."""

    SHOWN = 50

    def __init__(self, path: str, problems: list[RowProblem], what: str = "problem",
                 hint: str = "fix the file and import it again") -> None:
        shown = [str(p) for p in problems[:self.SHOWN]]
        more = (f"\n  ... and {len(problems) - self.SHOWN} more"
                if len(problems) > self.SHOWN else "")
        super().__init__(f"{len(problems)} {what}(s) in {path}; nothing was imported:\n  "
                         + "\n  ".join(shown) + more, hint)
        self.problems = problems

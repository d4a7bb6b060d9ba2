"""Where a file is wrong, and the error that lists every such place.

A ledger repeats its mistakes: the same unknown unit in seven rows is one fix, so problems
are shown grouped by what is wrong (the column, the message and its hint, which name the
value), each group with the rows it affects.  Nothing is cut off; ``write_csv`` gives one
line per cell for a spreadsheet (``item import --errors FILE.csv``).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.core.errors import InvalidInput

from ..i18n import _

ROWS_SHOWN = 12  # row numbers shown on a group's line (the count and the CSV give them all)


def column_letter(column: int | None) -> str | None:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column + 1) if column is not None else None


@dataclass(frozen=True)
class Where:
    """A cell, or a row, of the file being imported."""

    sheet: str | None
    row: int
    column: int | None = None  # 0-based
    header: str | None = None

    def __str__(self) -> str:
        text = (_("sheet '{sheet}' row {row}").format(sheet=self.sheet, row=self.row)
                if self.sheet else _("row {row}").format(row=self.row))
        return text + self.column_text()

    def column_text(self) -> str:
        if self.column is None:
            return ""
        return _(" column {column}").format(column=column_letter(self.column)) + (
            f" ({self.header})" if self.header else "")


@dataclass(frozen=True)
class RowProblem:
    where: Where
    message: str
    hint: str | None = None
    value: str | None = None  # the cell as written; None where it must not be shown

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" + (f" — {self.hint}" if self.hint else "")

    def as_dict(self) -> dict[str, Any]:
        w = self.where
        return {"sheet": w.sheet, "row": w.row, "header": w.header, "message": self.message,
                "column": column_letter(w.column), "hint": self.hint, "value": self.value}


@dataclass
class Group:
    """Problems that are one fix: the same message and hint in the same column."""

    first: RowProblem
    rows: list[int]

    def __str__(self) -> str:
        return self.text() + (f" — {self.first.hint}" if self.first.hint else "")

    def text(self) -> str:
        """The line without its hint."""
        p = self.first
        if len(self.rows) == 1:
            return f"{p.where}: {p.message}"
        w = p.where
        place = ((_("sheet '{sheet}'").format(sheet=w.sheet) if w.sheet else "")
                 + w.column_text()).strip()
        shown = ", ".join(str(r) for r in self.rows[:ROWS_SHOWN])
        if len(self.rows) > ROWS_SHOWN:
            shown += " …"
        text = (f"{place}: " if place else "") + p.message
        return text + ": " + _("rows {rows} ({count})").format(rows=shown, count=len(self.rows))

    def as_dict(self) -> dict[str, Any]:
        w = self.first.where
        return {"sheet": w.sheet, "column": column_letter(w.column), "header": w.header,
                "message": self.first.message, "hint": self.first.hint, "rows": self.rows,
                "count": len(self.rows)}


def group(problems: Sequence[RowProblem]) -> list[Group]:
    """Problems grouped by column, message and hint: by column, then by first row (so that
    lines sharing a hint stand together)."""
    groups: dict[tuple[Any, ...], Group] = {}
    for p in sorted(problems, key=lambda p: (p.where.column if p.where.column is not None
                                             else -1, p.where.row)):
        key = (p.where.sheet, p.where.column, p.message, p.hint)
        if key in groups:
            if groups[key].rows[-1] != p.where.row:
                groups[key].rows.append(p.where.row)
        else:
            groups[key] = Group(p, [p.where.row])
    return sorted(groups.values(), key=lambda g: (
        g.first.where.column if g.first.where.column is not None else -1, g.rows[0]))


def render(groups: Sequence[Group]) -> str:
    """One line per group; a hint shared by consecutive lines is said once, after them."""
    lines: list[str] = []
    for i, g in enumerate(groups):
        hint = g.first.hint
        following = groups[i + 1].first.hint if i + 1 < len(groups) else None
        if hint and hint == following:
            lines.append("  " + g.text())
        elif hint and i > 0 and groups[i - 1].first.hint == hint:
            lines.append("  " + g.text())
            lines.append("    → " + hint)
        else:
            lines.append("  " + str(g))
    return "\n".join(lines)


class ImportProblems(InvalidInput):
    """Every bad row of a file; nothing is imported until it is clean."""

    def __init__(self, path: str, problems: list[RowProblem], what: str = "problem",
                 hint: str | None = None) -> None:
        self.path, self.what, self.problems = path, what, problems
        self.groups = group(problems)
        distinct = (_(" ({count} distinct)").format(count=len(self.groups))
                    if len(self.groups) != len(problems) else "")
        heads = {"problem": _("{count} problem(s){distinct} in {path}; nothing was imported:"),
                 "conflict": _("{count} conflict(s){distinct} in {path}; nothing was imported:"),
                 "refused row": _("{count} refused row(s){distinct} in {path}; nothing was "
                                  "imported:")}
        head = heads.get(what, "{count} " + what + "(s){distinct} in {path}; nothing was "
                         "imported:")
        super().__init__(
            head.format(count=len(problems), distinct=distinct, path=path) + "\n"
            + render(self.groups),
            hint or _("each line's hint says where the fix is: the file, or the database "
                      "(add the unit or person, map the value); --errors FILE.csv lists every "
                      "cell"))

    def as_dict(self) -> dict[str, Any]:
        return {"ok": False, "file": self.path, "what": self.what, "count": len(self.problems),
                "error": self.message.split("\n")[0], "hint": self.hint,
                "groups": [g.as_dict() for g in self.groups],
                "problems": [p.as_dict() for p in self.problems]}


def write_csv(path: str, problems: Sequence[RowProblem]) -> None:
    """One line per cell problem (row, column, header, value, problem, hint), UTF-8 with a BOM
    so that Excel opens it; cells that a spreadsheet would run as formulas are defused."""
    from ..safecells import csv_cell

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["sheet", "row", "column", "header", "value", "problem", "hint"])
        for p in problems:
            w = p.where
            out.writerow([csv_cell(v) for v in (w.sheet or "", w.row, column_letter(w.column) or "",
                                                w.header or "", p.value or "", p.message,
                                                p.hint or "")])

"""The rectification ledger (整改台账): one row per item, in the layout offices use.

Built from what was recorded, never typed twice: the campaign at the end of the as-of date
(``campaigns.reducer``: the tables when nothing is dated later, else a replay of the log).
Written as XLSX (a merged title row, frozen headers, column widths, real date cells, and a
summary sheet of counts by unit and state) or as CSV (UTF-8 with BOM, so Excel and WPS open
it with its Chinese intact).  Confidential fields appear only for an entitled viewer (campaigns.confidential).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput
from engine.core.machines import Actor

from .confidential import hidden, record_read
from .context import Scope
from .i18n import _
from .reducer import campaign_at
from .runs import Run
from .safecells import csv_cell
from .standing import Overdue, label, label_order
from .units import UnitTree
from .xlsx import Column


@dataclass(frozen=True)
class LedgerColumn:
    field: str
    header: str
    width: float
    kind: str = "text"


COLUMNS = (
    LedgerColumn("seq", "序号", 6, "int"),
    LedgerColumn("code", "问题编号", 17),
    LedgerColumn("unit", "单位", 16, "wrap"),
    LedgerColumn("title", "问题描述", 40, "wrap"),
    LedgerColumn("category", "问题类别", 16),
    LedgerColumn("source", "问题来源", 12),
    LedgerColumn("measures", "整改措施", 40, "wrap"),
    LedgerColumn("target", "整改目标", 24, "wrap"),
    LedgerColumn("original_deadline", "原定时限", 12, "date"),
    LedgerColumn("deadline", "整改时限", 12, "date"),
    LedgerColumn("leader", "责任领导", 10),
    LedgerColumn("person", "责任人", 10),
    LedgerColumn("state", "状态", 11),
    LedgerColumn("level", "督办等级", 9),
    LedgerColumn("progress", "整改进展", 36, "wrap"),
    LedgerColumn("closed_on", "销号日期", 12, "date"),
)


# Marks a deadline in a year the campaign counts on provisional data (no holiday notice yet):
# a column of its own, so the date cells stay dates; only in a ledger that has such a deadline.
PROVISIONAL_COLUMN = LedgerColumn("deadline_note", "时限说明", 24, "wrap")
PROVISIONAL_NOTE = "暂定：该年度放假安排未公布"


def columns_for(run: Run, actor: Actor | None = None, conn: Connection | None = None
                ) -> list[LedgerColumn]:
    """The ledger's columns, leaving out any confidential field ``actor`` may not see; with
    ``conn``, the provisional-deadline column when a deadline of the campaign needs it."""
    hide = hidden(run, actor)
    cols = [c for c in COLUMNS if c.field not in hide]
    if conn is not None and _has_provisional(conn, run):
        cols.append(PROVISIONAL_COLUMN)
    return cols


def _has_provisional(conn: Connection, run: Run) -> bool:
    from sqlalchemy import func

    from .provisional import is_provisional
    from .tables import RECTIFICATIONS as R

    first, last = conn.execute(select(func.min(R.c.deadline), func.max(R.c.deadline))
                               .where(R.c.campaign_id == run.id)).one()
    if first is None:
        return False
    years = range(first.year if isinstance(first, dt.date) else int(str(first)[:4]),
                  (last.year if isinstance(last, dt.date) else int(str(last)[:4])) + 1)
    return any(is_provisional(run.definition, dt.date(y, 1, 1)) for y in years)


def unit_names(tree: UnitTree) -> dict[int, str]:
    """A unit's title, or its path of titles where the title alone is ambiguous."""
    counts: dict[str, int] = {}
    for u in tree.by_id.values():
        counts[u.title] = counts.get(u.title, 0) + 1
    return {uid: (u.title if counts[u.title] == 1 else tree.title_path(u))
            for uid, u in tree.by_id.items()}


def ledger_rows(scope: Scope, unit: str | None = None) -> Iterator[dict[str, Any]]:
    """The ledger's rows at the end of the scope's date as dicts (field → value; dates as
    dates), numbered from 1; units' and people's names as they were then (``campaigns.names``)."""
    conn, run, tree, as_of = scope.conn, scope.run, scope.tree, scope.as_of
    from .filters import filter_unit

    unit_ids = set(tree.subtree_ids(filter_unit(tree, unit))) if unit else scope.unit_ids
    d = run.definition
    names = unit_names(tree)
    cats = d.sections.get("categories") or {}
    srcs = d.sections.get("sources") or {}
    levels = {lv.key: lv.title for lv in d.ladder.levels} if d.ladder else {}
    people = scope.people
    labels: dict[tuple[str, str], str] = {}
    n = 0
    from engine.core.calendar import calendar_for

    from .sealed import open_items

    provisional = calendar_for(d.calendar).is_provisional

    for it in open_items(conn, run, scope.actor, campaign_at(conn, run, as_of).items):
        if unit_ids is not None and it.unit_id not in unit_ids:
            continue
        n += 1
        pair = (it.state, it.rect_state)
        if pair not in labels:
            labels[pair] = label(d, *pair)
        yield {"seq": n, "code": it.code, "unit": names.get(it.unit_id, ""), "unit_id": it.unit_id,
               "title": it.title, "category": cats.get(it.category, it.category),
               "source": srcs.get(it.source, it.source), "measures": it.measures or "",
               "target": it.target or "", "original_deadline": it.original_deadline,
               "deadline": it.deadline, "leader": people.get(it.leader_id or 0, ""),
               "person": people.get(it.person_id or 0, ""), "state": labels[pair],
               "item_state": it.state, "rect_state": it.rect_state,
               "level": levels.get(it.level or "", it.level or ""), "progress": it.progress or "",
               "closed_on": it.closed_on,
               "deadline_note": PROVISIONAL_NOTE if it.deadline and provisional(it.deadline) else ""}


@dataclass
class Summary:
    """Counts by unit and state, for the summary sheet."""

    states: list[str]
    rows: dict[str, dict[str, int]]
    overdue: dict[str, int]

    def table(self) -> Iterator[list[Any]]:
        totals = dict.fromkeys(self.states, 0)
        all_overdue = 0
        for unit_name, counts in self.rows.items():
            total = sum(counts.values())
            closed = counts.get(self.states[-1], 0) if self.states else 0
            for s in self.states:
                totals[s] += counts.get(s, 0)
            all_overdue += self.overdue.get(unit_name, 0)
            yield [unit_name, *(counts.get(s, 0) for s in self.states), total,
                   self.overdue.get(unit_name, 0), _rate(closed, total)]
        grand = sum(totals.values())
        yield ["合计", *totals.values(), grand, all_overdue,
               _rate(totals[self.states[-1]] if self.states else 0, grand)]


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


class SummaryBuilder:
    def __init__(self, run: Run, as_of: dt.date) -> None:
        # the closed label comes last: the summary's closure rate counts that column
        self.summary = Summary(label_order(run.definition), {}, {})
        self.is_late = Overdue(run.definition)
        self.as_of = as_of

    def add(self, row: dict[str, Any]) -> None:
        counts = self.summary.rows.setdefault(row["unit"], {})
        counts[row["state"]] = counts.get(row["state"], 0) + 1
        if self.is_late(row["deadline"], row["rect_state"], self.as_of):
            self.summary.overdue[row["unit"]] = self.summary.overdue.get(row["unit"], 0) + 1


def export(scope: Scope, path: str, unit: str | None = None) -> int:
    """Write the ledger to ``path`` (.xlsx or .csv); returns the number of items."""
    run, as_of = scope.run, scope.as_of
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".xlsx", ".csv"):
        raise InvalidInput(_("cannot write a ledger to '{value}'").format(value=os.path.basename(path)),
                           _("name the output FILE.xlsx or FILE.csv"))
    cols = columns_for(run, scope.actor, scope.conn)
    rows = ledger_rows(scope, unit)
    builder = SummaryBuilder(run, as_of)
    from . import accountability as acc

    cases = acc.by_item(scope)  # a column only when the register holds cases
    if cases:
        cols.append(LedgerColumn("accountability", "问责情况", 30, "wrap"))

    def values() -> Iterator[list[Any]]:
        for row in rows:
            builder.add(row)
            row["accountability"] = cases.get(row["code"], "")
            yield [row[c.field] for c in cols]

    tmp = path + ".part"
    try:
        if ext == ".csv":
            n = _write_csv(tmp, cols, values())
        else:
            n = _write_xlsx(tmp, scope, unit, cols, values(), builder)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    record_read(scope, "ledger", [c.field for c in cols], items=n, unit=unit,
                also=[acc.FIELD] if cases and not acc.public(run) else [])
    return n


def _write_csv(path: str, cols: list[LedgerColumn], rows: Iterator[list[Any]]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in cols])
        for values in rows:
            writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.date)
                                                   else csv_cell(v)) for v in values])
            n += 1
    return n


def _write_xlsx(path: str, scope: Scope, unit: str | None, cols: list[LedgerColumn],
                rows: Iterator[list[Any]], builder: SummaryBuilder) -> int:
    from .xlsx import new_workbook, write_table_sheet

    run, tree, as_of = scope.run, scope.tree, scope.as_of

    wb = new_workbook(path)
    where = tree.title_path(tree.find(unit)) if unit else ""
    caption = f"{run.definition.title}问题整改台账"
    subtitle = f"{where + '  ' if where else ''}截至 {as_of.year}年{as_of.month}月{as_of.day}日"
    n = write_table_sheet(wb, "台账", caption, [Column(c.header, c.width, c.kind) for c in cols],
                          rows, subtitle)
    summary = builder.summary
    head = [Column("单位", 24, "wrap"), *(Column(s, 10, "int") for s in summary.states),
            Column("合计", 8, "int"), Column("逾期", 8, "int"), Column("销号率", 9)]
    write_table_sheet(wb, "汇总", f"{run.definition.title}问题整改情况汇总", head,
                      summary.table(), subtitle)
    wb.close()
    return n

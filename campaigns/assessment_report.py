"""The assessment in outputs: column labels, the XLSX score table, and the HTML section
(score table and ranking chart) the report and dashboard show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from .assessment import Result, Row

BASE = {"group": "考核组", "rank": "名次", "unit": "单位代码", "title": "单位",
        "vetoed": "一票否决", "person": "人员编号", "name": "姓名", "post": "职务"}


def labels(results: Sequence[Result]) -> dict[str, str]:
    """Column key → the title a reader sees."""
    out = dict(BASE)
    for res in results[:1]:
        out.update({c.key: c.title for c in res.columns})
    return out


def write_xlsx(path: str, results: Sequence[Result], rows: Sequence[dict[str, Any]],
               keys: Sequence[str], as_of: dt.date) -> None:
    """The table as a workbook: one sheet, a caption naming the period and the as-of date."""
    from .xlsx import Column, new_workbook, write_table_sheet

    names = labels(results)
    period = results[0].period.key if results else ""
    wb = new_workbook(path)
    try:
        cols = [Column(names.get(k, k), 22 if k == "title" else 12,
                       "int" if k == "rank" else "text") for k in keys]
        write_table_sheet(wb, "考核结果", f"{period} 考核结果", cols,
                          iter([[r.get(k) for k in keys] for r in rows]),
                          subtitle=f"截至 {as_of.isoformat()}")
    finally:
        wb.close()


def label(r: Row, unique_name: Any, names: bool = True) -> str:
    """Whom a row rates as a reader sees it: the unit; a person by name (by key where names
    are not shown) with their unit."""
    if r.person is None:
        return str(unique_name(r.unit))
    return f"{r.person.name if names else r.person.key}（{unique_name(r.unit)}）"


def html_section(results: Sequence[Result], unique_name: Any, names: bool = True,
                 title: str = "考核结果") -> str:
    """Each peer group's score table and a chart of its totals, best first (a person's rows
    named as ``label`` says)."""
    from .htmlkit import PALETTE, bar_chart, esc, table

    if not results:
        return ""
    parts = [f"<section><h2>{esc(title)} · {esc(results[0].period.key)}</h2>"]
    for res in results:
        whom = "人员" if any(r.person is not None for r in res.rows) else "单位"
        head = ["名次", whom, *(c.title for c in res.columns)]
        body = [[r.rank if r.rank is not None else "—", label(r, unique_name, names),
                 *("" if r.values.get(c.key) is None else f"{r.values[c.key]:.2f}"
                   for c in res.columns)] for r in res.rows]
        parts.append(f"<h3>{esc(res.group.title)}</h3>")
        parts.append(table(head, body, numeric=tuple(range(2, len(head)))))
        bars = [(f"{r.rank}. {label(r, unique_name, names)}", round(r.values.get("total") or 0.0, 2))
                for r in res.rows if r.rank is not None]
        parts.append(bar_chart(f"{res.group.title}排名（综合得分）", bars, color=PALETTE[0],
                               max_value=max([100.0, *(v for _n, v in bars)])))
    parts.append("</section>")
    return "".join(parts)

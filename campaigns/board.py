"""The public board (公示): what each unit found, how it rectifies, and how far it has got.

For the public: confirmed problems only (never unverified reports, nor ones dismissed as
untrue), with measures, deadlines and progress, grouped by unit.  A reporter's identity, and
every field the definition marks confidential, is left out by construction: the rows are
built from named, public columns only.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from engine.core.errors import InvalidInput

from .confidential import hidden
from .context import Scope
from .htmlkit import esc, page, table
from .i18n import _
from .ledger import ledger_rows
from .notice_render import PROVISIONAL, PROVISIONAL_NOTE

# (ledger field, heading): the only columns the board may show
PUBLIC = (("code", "问题编号"), ("title", "问题描述"), ("category", "问题类别"),
          ("measures", "整改措施"), ("target", "整改目标"), ("deadline", "整改时限"),
          ("leader", "责任领导"), ("progress", "整改进展"), ("state", "状态"),
          ("closed_on", "销号日期"))


def board_rows(scope: Scope) -> dict[str, list[dict[str, Any]]]:
    """Public rows by unit: confirmed and closed items, public columns only."""
    d = scope.run.definition
    item = d.machines["item"]
    from .standing import closing_states

    shown_states = (set(s.key for s in item.states) - item.done_states - {item.initial}) \
        | closing_states(d)
    by_unit: dict[str, list[dict[str, Any]]] = {}
    hide = hidden(scope.run, None)  # the public: whoever writes it
    for row in ledger_rows(scope):
        if row["item_state"] not in shown_states:
            continue
        shown = {name: row[name] for name, _ in PUBLIC if name not in hide}
        if row["deadline_note"] and "deadline" in shown:  # a year whose notice is not out yet
            shown["deadline"] = f"{_cell(row['deadline'])}{PROVISIONAL}"
        by_unit.setdefault(row["unit"], []).append(shown)
    return by_unit


def write_board(scope: Scope, path: str) -> int:
    """Write the board to ``path`` (.html); returns the number of items disclosed."""
    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        raise InvalidInput(_("cannot write a board to '{value}'").format(value=os.path.basename(path)),
                           _("name the output FILE.html"))
    html_text, n = board_html(scope)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(html_text)
    os.replace(tmp, path)
    return n


def board_html(scope: Scope) -> tuple[str, int]:
    """The board as one self-contained HTML page (a file, or ``/board/CAMPAIGN`` of
    ``rectify serve``), and the number of items it discloses."""
    run, as_of = scope.run, scope.as_of
    d = run.definition
    by_unit = board_rows(scope)
    columns = [(name, head) for name, head in PUBLIC if name not in hidden(run, None)]
    n = sum(len(rows) for rows in by_unit.values())
    summary = []
    for unit, rows in sorted(by_unit.items()):
        closed = sum(1 for r in rows if r.get("closed_on"))
        summary.append([unit, len(rows), closed, len(rows) - closed])
    body = [f"<section><h2>整改情况公示</h2><p>现将{esc(d.title)}查摆问题及整改落实情况公示如下，"
            "接受群众监督。</p>",
            table(["单位", "问题数", "已整改销号", "正在整改"], summary, numeric=(1, 2, 3)),
            "</section>"]
    for unit, rows in sorted(by_unit.items()):
        body.append(f"<section><h2>{esc(unit)}</h2>")
        body.append(table([head for _, head in columns],
                          [[_cell(r.get(name)) for name, _ in columns] for r in rows]))
        body.append("</section>")
    if not by_unit:
        body.append("<section><p class=muted>暂无可公示的问题。</p></section>")
    if any(PROVISIONAL in str(r.get("deadline", "")) for rows in by_unit.values() for r in rows):
        body.append(f"<section><p class=muted>{esc(PROVISIONAL_NOTE)}</p></section>")
    body += _registers(scope)
    when = f"{as_of.year}年{as_of.month}月{as_of.day}日"
    where = f"（{scope.unit_name}）" if scope.unit is not None else ""
    html_text = page(f"{d.title}{where}整改情况公示", f"公示日期：{when}", "\n".join(body),
                     "如对公示内容有异议，请向活动领导小组办公室反映。")
    return html_text, n


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else (value or "")


def _registers(scope: Scope) -> list[str]:
    """问责 and 长效机制 as the public sees them: names only where the definition publishes them
    (the board is unsigned, so a confidential register shows its counts alone)."""
    from . import accountability as acc
    from .mechanisms import MACHINE, rows
    from .report import CASE_HEAD, MECHANISM_HEAD

    run, out = scope.run, []
    public_scope = Scope(scope.conn, run, None, scope.as_of)
    if run.definition.sections.get("accountability"):
        cases = acc.cases_at(scope.conn, run, scope.as_of)
        listed = acc.rows(public_scope, cases, withdrawn=False)
        out.append(f"<section><h2>问责情况</h2><p>{esc(acc.summary_line(acc.tally(run, cases)))}"
                   "</p>")
        if listed and "people" in listed[0]:
            keys = [k for k in CASE_HEAD if k in listed[0]]
            out.append(table([CASE_HEAD[k] for k in keys],
                             [[c[k] for k in keys] for c in listed]))
        out.append("</section>")
    if MACHINE in run.definition.machines:
        found = rows(public_scope)
        if found:
            out.append("<section><h2>长效机制</h2>" + table(
                list(MECHANISM_HEAD.values()), [[m[k] for k in MECHANISM_HEAD] for m in found])
                + "</section>")
    return out

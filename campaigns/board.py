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
from .ledger import ledger_rows

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
        by_unit.setdefault(row["unit"], []).append(
            {name: row[name] for name, _ in PUBLIC if name not in hide})
    return by_unit


def write_board(scope: Scope, path: str) -> int:
    """Write the board to ``path`` (.html); returns the number of items disclosed."""
    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        raise InvalidInput(f"cannot write a board to '{os.path.basename(path)}'",
                           "name the output FILE.html")
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
    when = f"{as_of.year}年{as_of.month}月{as_of.day}日"
    html_text = page(f"{d.title}整改情况公示", f"公示日期：{when}", "\n".join(body),
                     "如对公示内容有异议，请向活动领导小组办公室反映。")
    return html_text, n


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else (value or "")

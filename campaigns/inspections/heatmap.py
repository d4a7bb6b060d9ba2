"""The year's inspection calendar per unit as a heat map: a row a unit, a column a month, each
cell as dark as the unit's visits that month (the burden seen at a glance).

A cell with a duplicate visit (campaigns.inspections.visits) is outlined red, and a unit over
its yearly budget has its total in red.  Inline SVG in the style of campaigns.htmlkit: one
self-contained file, no scripts, no fonts fetched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy.engine import Connection

from ..htmlkit import PALETTE, esc, page
from ..units import UnitTree
from .visits import visit_log

MONTHS = ("1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月")
# a year without a published plan has nothing to be planned against (campaigns.inspections.visits)
NO_PLAN = {"draft": "年度检查计划尚未发布，不统计计划外检查", "none": "无年度检查计划，不统计计划外检查"}
_EMPTY, _HOT = (0xF5, 0xF7, 0xFA), (0x9B, 0x1C, 0x1C)  # the page's background and its red


def _shade(n: int, top: int) -> str:
    """From the page's background (no visit) to its red (the busiest cell)."""
    if n <= 0:
        return "#" + "".join(f"{c:02x}" for c in _EMPTY)
    share = 0.25 + 0.75 * n / max(top, 1)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}"
                         for a, b in zip(_EMPTY, _HOT, strict=True))


def heat_svg(log: dict[str, Any]) -> str:
    """The heat map of a visit log (``visit_log``)."""
    cells: Counter[tuple[str, int]] = Counter()
    duplicated: set[tuple[str, int]] = set()
    for v in log["visits"]:
        key = (v["unit_code"], dt.date.fromisoformat(v["date"]).month)
        cells[key] += 1
        if "duplicate" in v["flags"]:
            duplicated.add(key)
    units = log["units"]
    top = max(cells.values(), default=0)
    label_w, cell, head, total_w = 170, 34, 28, 70
    width = label_w + cell * 12 + total_w
    unplanned = NO_PLAN.get(log["plan"], "")
    legend = ["颜色越深检查越多；红字：超过年度检查次数上限；",
              "红框：同一单位日期重叠且主题或检查点相同的重复检查", *([unplanned] if unplanned else [])]
    height = head + cell * len(units) + 14 + 16 * len(legend)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{esc(log["year"])}年督查检查日历">']
    for m, name in enumerate(MONTHS):
        out.append(f'<text x="{label_w + m * cell + cell / 2}" y="{head - 8}" font-size="12" '
                   f'text-anchor="middle" fill="#1f2933">{name}</text>')
    out.append(f'<text x="{label_w + 12 * cell + 8}" y="{head - 8}" font-size="12" '
               'fill="#1f2933">次数/上限</text>')
    for i, u in enumerate(units):
        y = head + i * cell
        out.append(f'<text x="{label_w - 8}" y="{y + cell / 2 + 4}" font-size="13" '
                   f'text-anchor="end" fill="#1f2933">{esc(u["unit"])}</text>')
        for m in range(12):
            n = cells[(u["unit_code"], m + 1)]
            dup = (u["unit_code"], m + 1) in duplicated
            stroke = f'stroke="{PALETTE[0]}" stroke-width="3"' if dup else \
                'stroke="#d3d9e0" stroke-width="1"'
            x = label_w + m * cell
            out.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                       f'fill="{_shade(n, top)}" {stroke}><title>{esc(u["unit"])} '
                       f'{MONTHS[m]}: {n}{" (重复检查)" if dup else ""}</title></rect>')
            if n:
                colour = "#fff" if n * 2 > top else "#1f2933"
                out.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" font-size="12" '
                           f'text-anchor="middle" fill="{colour}">{n}</text>')
        budget = u["budget"]
        over = bool(u["over"])
        weight = ' font-weight="bold"' if over else ""
        out.append(f'<text x="{label_w + 12 * cell + 8}" y="{y + cell / 2 + 4}" font-size="13" '
                   f'fill="{PALETTE[0] if over else "#1f2933"}"{weight}>'
                   f'{u["visits"]}{"/" + str(budget) if budget != "" else ""}</text>')
    y = head + cell * len(units) + 20
    for n, line in enumerate(legend):
        out.append(f'<text x="{label_w}" y="{y + 16 * n}" font-size="12" fill="#697586">'
                   f'{line}</text>')
    out.append("</svg>")
    return "".join(out)


def heat_map(conn: Connection, tree: UnitTree, year: int, unit: str | None = None,
             html: bool = False) -> str:
    """The year's heat map as an SVG document, or as a page with the log's totals."""
    log = visit_log(conn, tree, year, unit)
    # rows in the order the units were recorded (the county's own order), not by code
    log = {**log, "units": sorted(log["units"], key=lambda u: tree.by_code[u["unit_code"]].id)}
    svg = heat_svg(log)
    if not html:
        return svg
    over = [u["unit"] for u in log["units"] if u["over"]]
    inspections = len({v["ref"] for v in log["visits"]})
    planned = (NO_PLAN[log["plan"]] if log["plan"] in NO_PLAN
               else f"计划外 {len(log['unplanned'])} 次") + "；"
    subtitle = (f"检查 {inspections} 次（到访 {len(log['visits'])} 单位次）；{planned}"
                f"违反减负承诺 {len(log['breaches'])} 次；超过上限：{'、'.join(over) or '无'}")
    body = f'<section><div class="diagram">{svg}</div></section>'
    return page(f"{year}年督查检查日历", subtitle, body)

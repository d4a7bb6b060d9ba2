"""A dashboard page: the campaign at a glance, as one self-contained HTML file.

Figures are the campaign's at the end of the as-of date (``campaigns.reducer``, like every
as-of view, so the page agrees with the board, ledger and report of that date); charts are inline SVG, and
the stage and lifecycle diagrams are embedded when the diagram module and Graphviz are
installed.  Nothing is fetched from the network, so the page works offline.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from engine.core.errors import InvalidInput

from .context import Scope
from .htmlkit import PALETTE, bar_chart, diagrams, esc, page, stacked_bar, table
from .i18n import _
from .ledger import unit_names
from .reducer import campaign_at
from .runs import Run
from .standing import Overdue, closing_states, finished_rect_states, label, label_order

STAGE_COLORS = {"pending": "#cbd2d9", "open": "#d97706", "closed": "#059669"}
STAGE_STATES = {"pending": "未开始", "open": "进行中", "closed": "已结束"}


def figures(scope: Scope) -> dict[str, Any]:
    """The dashboard's figures at the end of the scope's date (``campaigns.reducer``)."""
    conn, run, tree, as_of = scope.conn, scope.run, scope.tree, scope.as_of
    d = run.definition
    closing = closing_states(d)
    finished = finished_rect_states(d)
    is_late = Overdue(d)
    names = unit_names(tree)
    at = campaign_at(conn, run, as_of)
    by_label = dict.fromkeys(label_order(d), 0)
    labels: dict[tuple[str, str], str] = {}
    units: dict[int, dict[str, Any]] = {}
    titles = {lv.key: lv.title for lv in d.ladder.levels} if d.ladder else {}
    levels: dict[str, int] = {}
    items = scope.within(at.items)
    for it in items:
        pair = (it.state, it.rect_state)
        if pair not in labels:
            labels[pair] = label(d, *pair)
        by_label[labels[pair]] = by_label.get(labels[pair], 0) + 1
        line = units.get(it.unit_id)
        if line is None:
            line = units[it.unit_id] = {"unit": names.get(it.unit_id, "?"), "items": 0,
                                        "closed": 0, "overdue": 0}
        line["items"] += 1
        line["closed"] += it.state in closing
        line["overdue"] += is_late(it.deadline, it.rect_state, as_of)
        if d.ladder and it.level is not None and it.rect_state not in finished:
            name = titles.get(it.level, it.level)
            levels[name] = levels.get(name, 0) + 1
    unit_list = [units[k] for k in sorted(units)]
    return {"total": len(items), "closed": sum(u["closed"] for u in unit_list),
            "overdue": sum(u["overdue"] for u in unit_list),
            "by_state": [(k, v) for k, v in by_label.items() if v], "units": unit_list,
            "levels": levels, "stages": [st.as_dict() for st in at.stages]}


def timeline(stages: list[dict[str, Any]], as_of: dt.date, width: int = 1000) -> str:
    """The stages as bars on a time axis, today marked."""
    starts: list[dt.date] = [s["start"] for s in stages if s["start"]]
    ends: list[dt.date] = [s["end"] for s in stages if s["end"]]
    if not starts:
        return ""
    first, last = min(starts), max(ends)
    span = max((last - first).days + 1, 1)
    label_w, row_h = 130, 30
    plot = width - label_w - 20
    height = 30 + row_h * len(stages) + 10

    def x(day: dt.date) -> float:
        return label_w + plot * (day - first).days / span

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="阶段时间轴">']
    month = dt.date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            out.append(f'<line x1="{x(month):.1f}" y1="18" x2="{x(month):.1f}" y2="{height - 8}" '
                       'stroke="#e4e7eb"/>')
            out.append(f'<text x="{x(month) + 3:.1f}" y="14" font-size="11" fill="#697586">'
                       f'{month.month}月</text>')
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for i, s in enumerate(stages):
        y = 24 + i * row_h
        x1, x2 = x(s["start"]), x(s["end"] + dt.timedelta(days=1))
        color = STAGE_COLORS.get(s["state"], PALETTE[2])
        out.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13" '
                   f'fill="#1f2933">{esc(s["title"])}</text>')
        out.append(f'<rect x="{x1:.1f}" y="{y + 4}" width="{max(x2 - x1, 2):.1f}" height="{row_h - 10}" '
                   f'rx="3" fill="{color}"><title>{esc(s["title"])} {s["start"]}–{s["end"]} '
                   f'{STAGE_STATES.get(s["state"], s["state"])}</title></rect>')
        ink = "#1f2933" if s["state"] == "pending" else "#fff"
        out.append(f'<text x="{x1 + 6:.1f}" y="{y + 17}" font-size="11" fill="{ink}">'
                   f'{STAGE_STATES.get(s["state"], s["state"])}</text>')
    if first <= as_of <= last:
        out.append(f'<line x1="{x(as_of):.1f}" y1="18" x2="{x(as_of):.1f}" y2="{height - 4}" '
                   'stroke="#9b1c1c" stroke-width="2" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{x(as_of) + 4:.1f}" y="{height - 4}" font-size="11" '
                   f'fill="#9b1c1c">今天 {as_of.isoformat()}</text>')
    out.append("</svg>")
    return f'<figure class="chart"><figcaption>阶段时间轴</figcaption>{"".join(out)}</figure>'


def render(run: Run, as_of: dt.date, f: dict[str, Any], figures_svg: list[tuple[str, str]],
           note: str, unit: str = "") -> str:
    total, closed, overdue = f["total"], f["closed"], f["overdue"]
    rate = closed / total if total else 0.0
    body = ["<div class=kpis>"]
    for name, value in (("问题总数", total), ("已销号", closed), ("销号率", f"{rate:.1%}"),
                        ("逾期未完成", overdue), ("督办中", sum(f["levels"].values()))):
        body.append(f"<div class=kpi>{esc(name)}<b>{esc(value)}</b></div>")
    body.append("</div>")
    body.append(f"<section><h2>阶段</h2>{timeline(f['stages'], as_of)}</section>")
    body.append(f"<section><h2>问题状态</h2>{stacked_bar('按状态', f['by_state'])}</section>")
    units = f["units"]
    by_items = sorted(units, key=lambda u: -u["items"])[:15]
    by_overdue = sorted(units, key=lambda u: (-u["overdue"], u["unit"]))[:15]
    by_rate = sorted(units, key=lambda u: (u["closed"] / u["items"] if u["items"] else 0,
                                           u["unit"]))[:15]
    charts = ('<div class="charts">'
              + bar_chart("问题数（前15个单位）", [(u["unit"], u["items"]) for u in by_items],
                          color=PALETTE[2])
              + bar_chart("逾期数（前15个单位）", [(u["unit"], u["overdue"]) for u in by_overdue])
              + bar_chart("销号率（最低的15个单位）",
                          [(u["unit"], round(100 * u["closed"] / u["items"], 1) if u["items"] else 0)
                           for u in by_rate], color=PALETTE[3], suffix="%", max_value=100)
              + bar_chart("督办等级（未完成的整改）", list(f["levels"].items()), color=PALETTE[1])
              + "</div>")
    body.append(f"<section><h2>各单位</h2>{charts}</section>")
    rows = [[u["unit"], u["items"], u["closed"],
             f"{u['closed'] / u['items']:.1%}" if u["items"] else "-", u["overdue"]]
            for u in sorted(units, key=lambda u: u["unit"])]
    body.append("<section><h2>明细</h2>"
                f"{table(['单位', '问题数', '已销号', '销号率', '逾期'], rows, numeric=(1, 2, 3, 4))}"
                "</section>")
    if f.get("assessment"):
        from .assessment_report import html_section

        body.append(html_section(f["assessment"], lambda u: u.title))
    if f.get("assessment_people"):  # the page holds nothing confidential: names only if public
        from .assessment_report import html_section as people_section
        from .confidential import confidential

        body.append(people_section(f["assessment_people"], lambda u: u.title,
                                   "person" not in confidential(run), "人员考核结果"))
    from .report import diagram_section

    body.append(diagram_section(figures_svg, note))
    when = f"截至 {as_of.year}年{as_of.month}月{as_of.day}日"
    where = f" · {unit}" if unit else ""
    return page(f"{run.definition.title}{where} · 工作看板", when, "\n".join(body),
                f"由 rectify 生成 · {as_of.isoformat()} · 本页不含任何保密信息，离线可用")


def write_dashboard(scope: Scope, path: str) -> str:
    """Write the dashboard to ``path`` (.html); returns a note for the user, or ''."""
    run, as_of = scope.run, scope.as_of
    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        raise InvalidInput(_("cannot write a dashboard to '{value}'").format(value=os.path.basename(path)),
                           _("name the output FILE.html"))
    f = figures(scope)
    from .assessment import current

    f["assessment"] = current(scope.conn, run, as_of, scope.tree, scope.unit_ids)
    f["assessment_people"] = current(scope.conn, run, as_of, scope.tree, scope.unit_ids,
                                     people=True)
    svgs, note = diagrams(scope, False)
    text = render(run, as_of, f, svgs, note, scope.unit_name)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return note

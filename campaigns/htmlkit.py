"""Small helpers for the HTML pages (report, board, dashboard): escaping, tables, bar charts.

Every page is one self-contained file: styles inline, charts as inline SVG, no scripts or
fonts fetched from anywhere, so it opens the same offline, from a USB stick or an intranet.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from string import Template
from typing import TYPE_CHECKING, Any

from .i18n import _

if TYPE_CHECKING:
    from .context import Scope

PAGE = Template("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rectify">
<title>$title</title>
<style>
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Micro Hei", sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; }
header { background: #9b1c1c; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 24px; }
header p { margin: 6px 0 0; opacity: .9; }
main { padding: 16px 32px 40px; max-width: 1400px; }
section { background: #fff; border-radius: 6px; padding: 12px 20px; margin: 16px 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 19px; border-left: 4px solid #9b1c1c; padding-left: 8px; }
h3 { font-size: 16px; margin-top: 18px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0; }
th, td { border: 1px solid #d3d9e0; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f6; white-space: nowrap; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.overdue td { background: #fff4f4; }
.muted { color: #697586; font-size: 13px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi { flex: 1 1 150px; background: #fff; border-radius: 6px; padding: 12px 16px;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.kpi b { display: block; font-size: 28px; color: #9b1c1c; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { flex: 1 1 440px; margin: 8px 0; }
.chart svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: 4px; }
.diagram svg { max-width: 100%; height: auto; }
.tag { display: inline-block; padding: 1px 6px; border-radius: 3px; background: #eef2f6;
       font-size: 12px; }
footer { color: #697586; font-size: 12px; padding: 0 32px 24px; }
</style>
</head>
<body>
<header><h1>$title</h1><p>$subtitle</p></header>
<main>
$body
</main>
<footer>$footer</footer>
</body>
</html>
""")

PALETTE = ("#9b1c1c", "#d97706", "#2563eb", "#059669", "#7c3aed", "#0891b2", "#be185d",
           "#4b5563", "#65a30d", "#b45309")


def esc(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return html.escape(str(value), quote=True)


def page(title: str, subtitle: str, body: str, footer: str = "") -> str:
    return PAGE.substitute(title=esc(title), subtitle=esc(subtitle), body=body,
                           footer=esc(footer))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = (),
          row_class: Sequence[str] | None = None) -> str:
    """A table; ``numeric`` are the indexes of right-aligned columns."""
    num = set(numeric)
    head = "".join(f'<th{" class=n" if i in num else ""}>{esc(h)}</th>'
                   for i, h in enumerate(headers))
    body = []
    for k, row in enumerate(rows):
        cls = f' class="{row_class[k]}"' if row_class and row_class[k] else ""
        body.append(f"<tr{cls}>" + "".join(
            f'<td{" class=n" if i in num else ""}>{esc(v)}</td>' for i, v in enumerate(row))
            + "</tr>")
    if not body:
        return '<p class="muted">（无）</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, width: int = 560,
              color: str = PALETTE[0], suffix: str = "", max_value: float | None = None) -> str:
    """A horizontal bar chart as inline SVG."""
    bars = list(bars)
    if not bars:
        return f'<figure class="chart"><figcaption>{esc(title)}</figcaption>' \
               '<p class="muted">（无数据）</p></figure>'
    label_w, row_h, top = 150, 24, 8
    top_value = max_value if max_value is not None else max((v for _, v in bars), default=0)
    top_value = top_value or 1
    plot = width - label_w - 70
    height = top + row_h * len(bars) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">']
    for i, (name, value) in enumerate(bars):
        y = top + i * row_h
        w = max(0.0, plot * value / top_value)
        shown = f"{value:g}{suffix}"
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="13" '
                     f'fill="#1f2933">{esc(_clip(name, 11))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                     f'fill="{color}" rx="2"><title>{esc(name)}: {esc(shown)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 16}" font-size="12" '
                     f'fill="#1f2933">{esc(shown)}</text>')
    parts.append("</svg>")
    return f'<figure class="chart"><figcaption>{esc(title)}</figcaption>{"".join(parts)}</figure>'


def stacked_bar(title: str, parts: Sequence[tuple[str, int]], width: int = 1000) -> str:
    """One bar split by share (e.g. items by state), with a legend."""
    total = sum(v for _, v in parts)
    if not total:
        return f'<figure class="chart"><figcaption>{esc(title)}</figcaption>' \
               '<p class="muted">（无数据）</p></figure>'
    height = 34 + 22 * ((len(parts) + 3) // 4)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">']
    x = 0.0
    for i, (name, value) in enumerate(parts):
        w = width * value / total
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" fill="{color}">'
                   f'<title>{esc(name)}: {value}</title></rect>')
        x += w
        lx, ly = (i % 4) * (width // 4), 44 + (i // 4) * 22
        out.append(f'<rect x="{lx}" y="{ly - 11}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{lx + 18}" y="{ly}" font-size="13" fill="#1f2933">'
                   f'{esc(name)} {value}（{value / total:.0%}）</text>')
    out.append("</svg>")
    return f'<figure class="chart"><figcaption>{esc(title)}</figcaption>{"".join(out)}</figure>'


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.DOTALL)


def inline_svg(svg: str) -> str:
    """An SVG document made fit to sit inside HTML (no XML prolog or DOCTYPE)."""
    return _PROLOG.sub("", svg, count=1)


def diagrams(scope: Scope, past: bool, counts: dict[str, dict[str, int]] | None = None
             ) -> tuple[list[tuple[str, str]], str]:
    """Stage and item diagrams at the scope's date as inline SVG, if the diagram module and
    Graphviz are there.

    Returns the diagrams and, when some could not be drawn, a sentence saying why. For a past
    date the stage diagram comes from the definition (windows against that date) and the
    lifecycle diagram from ``counts`` as they stood, so the page does not change later.
    """
    from .i18n import speaking

    with speaking("zh_CN"):  # the pages are Chinese documents: so are their diagrams
        return _diagrams(scope, past, counts)


def _diagrams(scope: Scope, past: bool, counts: dict[str, dict[str, int]] | None
              ) -> tuple[list[tuple[str, str]], str]:
    run, as_of = scope.run, scope.as_of
    import importlib

    try:
        drawing = importlib.import_module("campaigns.diagrams")
    except ImportError:
        return [], "图示未能生成：本安装未包含图示模块（campaigns.diagrams）。"
    try:
        import graphviz
    except ImportError:
        return [], "图示未能生成：未安装 graphviz Python 包。"
    graphs: list[tuple[str, Any]] = []
    d = run.definition
    try:
        if past:
            note = [_("campaign {key} · as of {date}").format(key=run.key, date=as_of.isoformat())]
            graphs.append(("阶段进度", drawing.stages_of_definition(d, run.key, run.start_date,
                                                                  as_of)))
            graphs.append(("问题状态", drawing.lifecycle_diagram(d, "items", (counts or {}).get(
                "item"), note)))
            graphs.append(("整改状态", drawing.lifecycle_diagram(d, "rectifications", (counts or {})
                                                               .get("rectification"), note)))
        else:
            for title, kind in (("阶段进度", "stages"), ("问题状态", "items"),
                                ("整改状态", "rectifications")):
                graphs.append((title, drawing.campaign_diagram(
                    scope, kind, scope.unit.code if scope.unit is not None else None)))
    except Exception as exc:  # the diagram module is optional: never fail the page for it
        return [], f"图示未能生成：{type(exc).__name__}: {exc}"
    out: list[tuple[str, str]] = []
    for title, graph in graphs:
        try:
            svg = graph.pipe(format="svg", quiet=True).decode("utf-8")
        except graphviz.ExecutableNotFound:
            return [], "图示未能生成：未安装 Graphviz（dot 命令）。"
        except Exception as exc:
            return [], f"图示未能生成：{type(exc).__name__}: {exc}"
        out.append((title, inline_svg(svg)))
    return out, ""

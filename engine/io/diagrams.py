"""Pictures of specs with live figures: machines, stage timelines, ladders and trees.

Everything here takes specs and plain count mappings (the caller does the counting) and
returns a ``graphviz.Digraph``; ``render`` turns one into SVG, PNG or PDF with Graphviz's
``dot`` program, or writes its DOT source.  The ``graphviz`` package is imported only when a
diagram is built, so importing this module costs nothing.

Labels are HTML-like Graphviz labels with every text escaped, and every graph, node and edge
names a CJK font (``FONT``) so Chinese titles render as glyphs rather than boxes.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.core.text import Text, shown

from ..core.errors import EnvironmentProblem, InvalidInput
from ..core.explain import Firing
from ..core.spec import CallRef, LadderSpec, MachineSpec, TimerSpec

if TYPE_CHECKING:
    import graphviz

FONT = "Noto Sans CJK SC"
FORMATS = ("svg", "png", "pdf", "dot")

# ColorBrewer sequential scales, lightest first: oranges for "waiting here", reds for "late".
ORANGES = ("#ffffff", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")
REDS = ("#ffffff", "#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15")
DONE_FILL = "#e5f5e0"
DONE_LINE = "#31a354"
MUTED = "#666666"
LABEL_WIDTH = 240  # points: the text column of a timeline
JOIN_AT = 3  # a transition from this many states or more is drawn through one junction

# Timeline lanes: how each status is drawn (fill, border, style, text under the title).
LANE_STYLES: dict[str, tuple[str, str, str]] = {
    "done": ("#bdc9d6", "#6b7b8c", "filled"),
    "current": ("#fd8d3c", "#a63603", "filled,bold"),
    "upcoming": ("#ffffff", "#6b7b8c", "filled,dashed"),
    "planned": ("#9ecae1", "#3182bd", "filled"),
}


# --- small helpers -----------------------------------------------------------------------------


def esc(text: object) -> str:
    """Text made safe for an HTML-like label."""
    return html.escape(str(text), quote=True)


def text_width(text: str) -> int:
    """Display width: CJK characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int = 28) -> list[str]:
    """Break ``text`` into lines of at most ``width`` display columns (CJK counts two)."""
    lines: list[str] = []
    line, size = "", 0
    for ch in text.strip():
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if size + w > width and line:
            lines.append(line.rstrip())
            line, size = "", 0
            if ch == " ":
                continue
        line += ch
        size += w
    if line:
        lines.append(line.rstrip())
    return lines


def wrap_words(text: str, width: int = 34) -> list[str]:
    """Like ``wrap``, but lines break between words where there are spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(lines[-1]) + 1 + text_width(word) <= width:
            lines[-1] += " " + word
        else:
            lines += wrap(word, width)
    return lines


def shade(value: float, scale: Sequence[str] = ORANGES) -> tuple[str, str]:
    """(fill, font colour) for ``value`` in 0..1; anything above zero gets at least a tint."""
    if value <= 0:
        return scale[0], "black"
    index = min(len(scale) - 1, max(1, math.ceil(value * (len(scale) - 1))))
    return scale[index], "white" if index >= len(scale) - 2 else "black"


def share(part: int, whole: int) -> str:
    if whole <= 0:
        return ""
    pct = 100 * part / whole
    return f"{pct:.0f}%" if pct >= 1 or part == 0 else "<1%"


def digraph(name: str, title: str = "", note: Sequence[str] = (), **graph_attr: str,
            ) -> graphviz.Digraph:
    """A Digraph whose graph, nodes and edges all name the CJK font."""
    import graphviz

    attrs = {"fontname": FONT, "fontsize": "12", "labelloc": "t", "labeljust": "l",
             "bgcolor": "white", "pad": "0.3", **graph_attr}
    lines = [f'<FONT POINT-SIZE="16"><B>{esc(title)}</B></FONT>'] if title else []
    lines += [f'<FONT POINT-SIZE="10" COLOR="{MUTED}">{esc(n)}</FONT>' for n in note if n]
    if lines:
        rows = "".join(f'<TR><TD ALIGN="LEFT">{line}</TD></TR>' for line in lines)
        attrs["label"] = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">'
                          f'{rows}<TR><TD HEIGHT="6"></TD></TR></TABLE>>')
    return graphviz.Digraph(name=name, graph_attr=attrs,
                            node_attr={"fontname": FONT, "fontsize": "11"},
                            edge_attr={"fontname": FONT, "fontsize": "9", "color": "#555555"})


def _rows(*rows: str, align: str = "CENTER") -> str:
    cells = "".join(f'<TR><TD ALIGN="{align}" BALIGN="{align}">{r}</TD></TR>' for r in rows if r)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def _small(text: str, color: str = MUTED, size: int = 9) -> str:
    return f'<FONT POINT-SIZE="{size}" COLOR="{color}">{esc(text)}</FONT>'


def _count(n: int, of: int, color: str) -> str:
    part = share(n, of)
    return (f'<FONT POINT-SIZE="15" COLOR="{color}"><B>{n}</B></FONT>'
            + (f' <FONT POINT-SIZE="10" COLOR="{color}">({esc(part)})</FONT>' if part else ""))


# --- a state machine -----------------------------------------------------------------------------


def machine_graph(spec: MachineSpec, counts: Mapping[str, int] | None = None, *, title: str = "",
                  note: Sequence[str] = (), timers: Sequence[TimerSpec] = (),
                  firings: Mapping[str, Firing] | None = None,
                  guard_text: Callable[[CallRef], str] = str,
                  firing_text: Callable[[Firing], str] = str) -> graphviz.Digraph:
    """The machine's states and transitions; with ``counts``, each state's count and share.

    States that are not done are filled by how many subjects wait in them (darker = more);
    done states have a double green border.  Edges carry the transition's title, trigger,
    its guards (one ``[guard_text(call)]`` a line) and what fires it by itself: ``firings``
    (``engine.core.explain``) when given, else the ``timers``; automatic edges are dashed.
    """
    total = sum(counts.values()) if counts is not None else 0
    waiting = [counts.get(s.key, 0) for s in spec.states if not s.done] if counts else []
    top = max(waiting, default=0)
    legend = list(note)
    if counts is not None:
        legend.append(shown(Text("{total} in all; fill: how many wait in a state (darker = more); "
                                 "double border: done states", total=total)))
        unknown = {k: v for k, v in counts.items() if k not in {s.key for s in spec.states}}
        if unknown:
            legend.append(shown(Text("in states the definition does not have: {states}", states=", ".join(
                f"{k} {v}" for k, v in sorted(unknown.items())))))
    else:
        legend.append(shown(Text("double border: done states")))
    g = digraph(spec.name, title or spec.title, legend, rankdir="LR", nodesep="0.35",
                ranksep="0.7")
    g.node("__initial__", label="", shape="circle", style="filled", fillcolor="black",
           width="0.18", fixedsize="true")
    for state in spec.states:
        rows = [f"<B>{esc(state.title)}</B>", _small(state.key)]
        attrs = {"shape": "box", "style": "rounded,filled", "margin": "0.15,0.06"}
        if state.done:
            fill, ink = DONE_FILL, "black"
            attrs.update(peripheries="2", color=DONE_LINE)
            rows.append(_small("done", DONE_LINE))
        else:
            fill, ink = shade(counts.get(state.key, 0) / top if counts and top else 0)
            attrs["color"] = "#444444"
        if counts is not None:
            n = counts.get(state.key, 0)
            rows.append(_count(n, total, ink))
            if ink == "white":
                rows[0] = f'<FONT COLOR="white"><B>{esc(state.title)}</B></FONT>'
                rows[1] = _small(state.key, "white")
        g.node(state.key, label=_rows(*rows), fillcolor=fill, **attrs)
    g.edge("__initial__", spec.initial, arrowsize="0.7")
    for t in spec.transitions:
        lines = [esc(t.title) if t.title else "", _small(t.trigger, "#333333")]
        firing = firings.get(t.trigger) if firings is not None else None
        if firing is not None and firing.causes:
            lines += [_small(part, "#08519c") for part in wrap_words(firing_text(firing))]
        elif firings is None:
            for timer in timers:
                if timer.machine == spec.name and timer.trigger == t.trigger:
                    since = shown(Text("past the deadline")) if timer.from_deadline else \
                        shown(Text("in {state}", state=timer.state))
                    lines.append(_small(f"timer: {timer.after} {since}", "#08519c"))
        for call in t.guards:
            lines += [_small(part, "#8c2d04") for part in wrap_words(f"[{guard_text(call)}]", 30)]
        label = "<" + "<BR/>".join(x for x in lines if x) + ">"
        style = {"style": "dashed"} if firing is not None and firing.automatic else {}
        sources = [s for s in t.sources if s != t.dest or len(t.sources) == 1]
        if len(sources) >= JOIN_AT:
            # many sources, one label: the edges meet at a junction, then go on as one
            junction = f"__join_{t.trigger}__"
            g.node(junction, label="", shape="point", width="0.06", color="#555555")
            for source in sources:
                g.edge(source, junction, arrowhead="none", **style)
            g.edge(junction, t.dest, label=label, **style)
        else:
            for source in sources:
                g.edge(source, t.dest, label=label, **style)
    return g


# --- a timeline of lanes (stages) -------------------------------------------------------------


@dataclass(frozen=True)
class Lane:
    """One row of a timeline: a window with a status and a few lines of text."""

    key: str
    title: str
    start: dt.date
    end: dt.date
    status: str = "planned"  # done | current | upcoming | planned
    lines: tuple[str, ...] = ()  # under the title, e.g. kind and window
    figures: str = ""  # the live figures, the last line under the title


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def timeline_graph(lanes: Sequence[Lane], *, title: str = "", note: Sequence[str] = (),
                   today: dt.date | None = None, origin: dt.date | None = None,
                   legend: Mapping[str, str] | None = None) -> graphviz.Digraph:
    """A Gantt-like chart: one row per lane on a month axis, a line at ``today``.

    With ``origin`` the axis counts months from it ("month 1", "month 2", ...) instead of
    naming calendar months: for windows written as offsets with no start date.  Nodes are
    pinned (``neato``), so overlapping windows overlap on the axis exactly as they do in time.
    """
    if not lanes:
        raise InvalidInput(Text("nothing to draw: no stages"), Text("add stages to the definition"))
    first = min(lane.start for lane in lanes)
    last = max(lane.end for lane in lanes)
    if today is not None and first - dt.timedelta(days=45) <= today <= last + dt.timedelta(days=45):
        first, last = min(first, today), max(last, today)
    axis_start = _month_start(first if origin is None else min(first, origin))
    axis_end = _next_month(last)
    days = (axis_end - axis_start).days
    months = []
    cursor = axis_start
    while cursor < axis_end:
        months.append(cursor)
        cursor = _next_month(cursor)
    width = max(5.0, min(10.0, 1.0 * len(months)))  # inches of axis
    per_day = width / days
    x0, row, bar = 3.7, 0.8, 0.4

    def x(day: dt.date) -> float:
        return x0 + (day - axis_start).days * per_day

    g = digraph("timeline", title, note, layout="neato", outputorder="edgesfirst",
                splines="line")
    top, bottom = 0.0, -(len(lanes) + 0.45) * row
    # month grid and labels
    for i, month in enumerate([*months, axis_end]):
        g.node(f"grid_t{i}", pos=f"{x(month):.3f},{top + 0.12:.3f}!", shape="point", width="0.01",
               style="invis", label="")
        g.node(f"grid_b{i}", pos=f"{x(month):.3f},{bottom:.3f}!", shape="point", width="0.01",
               style="invis", label="")
        g.edge(f"grid_t{i}", f"grid_b{i}", dir="none", color="#d9d9d9")
        if i < len(months):
            nxt = months[i + 1] if i + 1 < len(months) else axis_end
            centre = (x(month) + x(nxt)) / 2
            if origin is not None:
                index = (month.year - origin.year) * 12 + month.month - origin.month + 1
                text = f"month {index}"
            else:
                text = f"{month.year}-{month.month:02d}"
            g.node(f"month{i}", label=_small(text, "#333333", 10).join("<>"),
                   pos=f"{centre:.3f},{top:.3f}!", shape="plaintext", height="0.2")
    # lanes
    for i, lane in enumerate(lanes):
        y = -(i + 1) * row
        fill, line, style = LANE_STYLES.get(lane.status, LANE_STYLES["planned"])
        left = x(lane.start)
        right = x(lane.end + dt.timedelta(days=1))
        bar_w = max(0.08, right - left)
        g.node(f"bar_{i}", label="", shape="box", style=style, fillcolor=fill, color=line,
               penwidth="2.5" if lane.status == "current" else "1",
               fixedsize="true", width=f"{bar_w:.3f}", height=f"{bar:.3f}",
               pos=f"{left + bar_w / 2:.3f},{y:.3f}!")
        head = f"<B>{esc(lane.title)}</B>"
        if lane.status == "current":
            head = f'<FONT COLOR="#a63603">{head}</FONT>'
        rows = [head] + [_small(text) for text in lane.lines]
        if lane.figures:
            rows.append(_small(lane.figures, "#000000", 10))
        cells = "".join(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{r}</TD></TR>' for r in rows)
        g.node(f"lane_{i}", shape="plaintext", margin="0",
               label=f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
                     f'<TR><TD WIDTH="{LABEL_WIDTH}" ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="0" '
                     f'CELLPADDING="0">{cells}</TABLE></TD></TR></TABLE>>',
               pos=f"{x0 - 0.15 - LABEL_WIDTH / 144:.3f},{y:.3f}!")
    # today
    if today is not None and axis_start <= today < axis_end:
        tx = x(today) + per_day / 2
        g.node("today_t", pos=f"{tx:.3f},{top + 0.3:.3f}!", shape="plaintext", height="0.2",
               label=_small(f"as of {today.isoformat()}", "#cb181d", 10).join("<>"))
        g.node("today_b", pos=f"{tx:.3f},{bottom:.3f}!", shape="point", width="0.01",
               style="invis", label="")
        g.edge("today_t", "today_b", dir="none", color="#cb181d", style="dashed", penwidth="1.5")
    # legend: one row of swatches under the axis
    shown = [s for s in ("done", "current", "upcoming", "planned")
             if any(lane.status == s for lane in lanes)]
    names = legend or {}
    cells = ""
    for status in shown:
        fill, line, style = LANE_STYLES[status]
        dashed = ' STYLE="dashed"' if "dashed" in style else ""
        cells += (f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="{2 if status == "current" else 1}"'
                  f'{dashed} WIDTH="26" HEIGHT="12" FIXEDSIZE="TRUE"></TD>'
                  f'<TD ALIGN="LEFT">{_small(names.get(status, status), "#333333", 10)}</TD>'
                  '<TD WIDTH="18"></TD>')
    g.node("legend", shape="plaintext", margin="0",
           label=f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="0"><TR>{cells}'
                 '</TR></TABLE>>',
           pos=f"{x0 + width / 2:.3f},{bottom - 0.3:.3f}!")
    return g


# --- a ladder of levels ---------------------------------------------------------------------


def ladder_graph(spec: LadderSpec, counts: Mapping[str | None, int] | None = None, *,
                 title: str = "", note: Sequence[str] = (), base: str = "none",
                 ) -> graphviz.Digraph:
    """The ladder's levels in order, each with its threshold, action and (with counts) how
    many subjects sit on it now; ``counts[None]`` is those below the first level."""
    total = sum(counts.values()) if counts is not None else 0
    top = max(counts.values(), default=0) if counts else 0
    legend = list(note)
    if spec.hold_states:
        legend.append(shown(Text("paused in: {states}", states=", ".join(sorted(spec.hold_states)))))
    if spec.stop_states:
        legend.append(shown(Text("leaves the ladder in: {states}",
                                 states=", ".join(sorted(spec.stop_states)))))
    g = digraph("ladder", title, legend, rankdir="LR", nodesep="0.3", ranksep="0.55")
    previous = "__base__"
    base_rows = [f"<B>{esc(base)}</B>"]
    fill, ink = "#f0f0f0", "black"
    if counts is not None:
        base_rows.append(_count(counts.get(None, 0), total, ink))
    g.node(previous, label=_rows(*base_rows), shape="box", style="rounded,filled,dashed",
           fillcolor=fill, color="#888888", margin="0.15,0.08")
    for level in spec.levels:
        n = counts.get(level.key, 0) if counts is not None else 0
        fill, ink = shade(n / top if top else 0, REDS)
        rows = [f'<FONT COLOR="{ink}"><B>{esc(level.title)}</B></FONT>',
                _small(level.key, MUTED if ink == "black" else ink)]
        rows += [_small(line, ink) for line in wrap(level.action, 26)]
        if level.new_deadline is not None:
            rows.append(_small(shown(Text("new deadline: +{limit}", limit=level.new_deadline)), ink))
        if counts is not None:
            rows.append(_count(n, total, ink))
        g.node(level.key, label=_rows(*rows), shape="box", style="rounded,filled",
               fillcolor=fill, color="#444444", margin="0.15,0.08")
        at = level.at
        when = f"deadline {'+' if at.days >= 0 else ''}{at}"
        g.edge(previous, level.key, label=f"<{_small(when, '#333333', 9)}>")
        previous = level.key
    return g


# --- a tree with figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class TreeNode:
    id: str
    parent: str | None
    title: str
    lines: tuple[str, ...] = ()
    heat: float = 0.0  # 0..1: how strongly to colour it (REDS)
    strong: bool = False  # a thicker border
    muted: bool = False  # nothing to report: drawn in grey


def tree_graph(nodes: Sequence[TreeNode], *, title: str = "", note: Sequence[str] = (),
               ) -> graphviz.Digraph:
    """A tree drawn left to right, each node filled by its ``heat``; children keep the order
    they are given in."""
    g = digraph("tree", title, note, rankdir="LR", nodesep="0.08", ranksep="0.45",
                ordering="out")
    known = {n.id for n in nodes}
    for node in nodes:
        fill, ink = shade(node.heat, REDS)
        if node.muted:
            ink = "#999999"
        rows = [f'<FONT COLOR="{ink}"><B>{esc(node.title)}</B></FONT>']
        rows += [_small(line, ink, 9) for line in node.lines]
        g.node(node.id, label=_rows(*rows, align="LEFT"), shape="box", style="rounded,filled",
               fillcolor=fill, color="black" if node.strong else "#bbbbbb" if node.muted else "#666666",
               penwidth="2.5" if node.strong else "1", margin="0.1,0.04")
        if node.parent is not None and node.parent in known:
            g.edge(node.parent, node.id, arrowhead="none", color="#999999")
    return g


# --- rendering -------------------------------------------------------------------------------


def install_hint() -> str:
    """The command that installs Graphviz and CJK fonts on this platform."""
    if sys.platform == "darwin":
        return "brew install graphviz && brew install --cask font-noto-sans-cjk-sc"
    if sys.platform.startswith("win"):
        return "winget install Graphviz.Graphviz (then open a new terminal so PATH includes dot)"
    ids = _os_release_ids()
    if ids & {"debian", "ubuntu"}:
        return "sudo apt-get install -y graphviz fonts-noto-cjk"
    if ids & {"fedora", "rhel", "centos"}:
        return "sudo dnf install -y graphviz google-noto-sans-cjk-fonts"
    if "arch" in ids:
        return "sudo pacman -S graphviz noto-fonts-cjk"
    if "alpine" in ids:
        return "sudo apk add graphviz font-noto-cjk"
    if "suse" in ids or "opensuse" in ids:
        return "sudo zypper install graphviz noto-sans-cjk-fonts"
    return "install Graphviz (https://graphviz.org/download/) and a CJK font such as Noto Sans CJK"


def _os_release_ids() -> set[str]:
    try:
        with open("/etc/os-release", encoding="utf-8") as fh:
            values = dict(line.rstrip("\n").split("=", 1) for line in fh if "=" in line)
    except OSError:
        return {"debian"} if os.path.exists("/etc/debian_version") else set()
    ids = {values.get("ID", "").strip('"')}
    ids |= set(values.get("ID_LIKE", "").strip('"').split())
    return {i for i in ids if i}


def cjk_font_missing() -> bool:
    """True when fontconfig is present and knows no Chinese font (labels would be boxes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                             timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return not out.strip()


def render(graph: graphviz.Digraph, path: str) -> str:
    """Write ``graph`` to ``path`` in the format its extension names; returns the path.

    Without ``dot`` on PATH the DOT source is written next to ``path`` (same name, ``.dot``)
    and ``EnvironmentProblem`` names the command that installs Graphviz.
    """
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidInput(Text("cannot write '{path}': unsupported format '.{fmt}'", path=path, fmt=fmt),
                           "give a file ending in " + ", ".join("." + f for f in FORMATS))
    if fmt == "dot":
        _write(path, graph.source.encode("utf-8"))
        return path
    import graphviz

    try:
        data = graph.pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        source = os.path.splitext(path)[0] + ".dot"
        _write(source, graph.source.encode("utf-8"))
        raise EnvironmentProblem(
            Text("cannot draw {path}: Graphviz's 'dot' program is not on PATH (the diagram's DOT source is "
                 "in {source})", path=path, source=source),
            Text("install it: {value}; then run this again, or: dot -T{fmt} {source} -o "
                 "{path}", value=install_hint(), fmt=fmt, source=source, path=path)) from None
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else ""
        raise EnvironmentProblem(Text("Graphviz failed to draw {path}: "
                                      "{value}", path=path, value=stderr.strip() or exc),
                                 Text("check the Graphviz installation ('dot -V')")) from None
    _write(path, data)
    return path


def _write(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise EnvironmentProblem(Text("cannot write {path}: {strerror}", path=path, strerror=exc.strerror),
                                 Text("choose a writable folder with -o")) from None


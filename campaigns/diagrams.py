"""Diagrams of a campaign, or of a definition alone: stages, lifecycles, escalation, units.

Counts are those of the campaign at the end of the as-of date (``campaigns.reducer``: the state
tables when nothing is dated later, else a replay of the log), like every other as-of view;
``engine.io.diagrams`` does the drawing.  ``--unit`` restricts counts to a unit's subtree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.core.errors import InvalidInput
from engine.core.explain import firings, guard_title
from engine.core.registry import default_registry
from engine.core.spec import Definition
from engine.io import diagrams as draw

from .context import Scope
from .firing import firing_text
from .i18n import N_, _, ngettext
from .queries import finished_states
from .reducer import ItemAt, StageAt, campaign_at, stages_at
from .runs import Run
from .standing import Overdue
from .units import UnitRow

if TYPE_CHECKING:
    import graphviz


KINDS = ("stages", "items", "rectifications", "escalation", "units")
DEFINITION_KINDS = ("stages", "items", "rectifications", "escalation")
MACHINES = {"items": "item", "rectifications": "rectification"}
LEGEND = {"done": N_("done"), "current": N_("current (open)"), "upcoming": N_("upcoming"),
          "planned": N_("planned")}
BY_DATE = {"done": N_("window passed"), "current": N_("in its window"), "upcoming": N_("window ahead"),
           "planned": N_("planned")}
NOMINAL_START = dt.date(2001, 1, 1)  # places offset windows when no start date is given


# --- counting -------------------------------------------------------------------------------


def _items(scope: Scope, unit: UnitRow | None) -> list[ItemAt]:
    """The items at the end of the scope's date (``campaigns.reducer``), in ``unit``'s subtree
    if given."""
    items = campaign_at(scope.conn, scope.run, scope.as_of).items
    if unit is None:
        return items
    inside = set(scope.tree.subtree_ids(unit))
    return [it for it in items if it.unit_id in inside]


def stage_figures(run: Run, items: list[ItemAt]) -> dict[str | None, tuple[int, int]]:
    """Per stage an item was found in: how many were found, and how many are still open."""
    done = run.definition.machines["item"].done_states
    out: dict[str | None, list[int]] = {}
    for it in items:
        line = out.setdefault(it.stage, [0, 0])
        line[0] += 1
        line[1] += it.state not in done
    return {k: (v[0], v[1]) for k, v in out.items()}


def state_counts(items: list[ItemAt], machine: str) -> dict[str, int]:
    """How many items (or rectifications) are in each state of ``machine``."""
    return dict(Counter(it.state if machine == "item" else it.rect_state for it in items))


def level_counts(run: Run, items: list[ItemAt]) -> tuple[dict[str | None, int], int]:
    """Unfinished rectifications per escalation level (None: not escalated), and the finished."""
    finished = set(finished_states(run))
    levels: dict[str | None, int] = {}
    done = 0
    for it in items:
        if it.rect_state in finished:
            done += 1
        else:
            levels[it.level] = levels.get(it.level, 0) + 1
    return levels, done


def unit_figures(run: Run, items: list[ItemAt], as_of: dt.date) -> dict[int, list[int]]:
    """Per unit (its own items only): [open, closed, overdue]."""
    done = run.definition.machines["item"].done_states
    is_late = Overdue(run.definition)
    out: dict[int, list[int]] = {}
    for it in items:
        line = out.setdefault(it.unit_id, [0, 0, 0])
        line[1 if it.state in done else 0] += 1
        line[2] += is_late(it.deadline, it.rect_state, as_of)
    return out


# --- stages ----------------------------------------------------------------------------------


def _windows(definition: Definition, start: dt.date | None,
             ) -> tuple[dict[str, tuple[dt.date, dt.date]], dt.date | None]:
    """Each stage's window, and the origin when offsets are placed from a nominal start."""
    if start is not None:
        return {s.key: s.window(start) for s in definition.stages}, None
    offsets = [s for s in definition.stages if s.start.date is None or s.end.date is None]
    if not offsets:
        return {s.key: s.window(NOMINAL_START) for s in definition.stages}, None
    if len(offsets) != len(definition.stages) and any(
            s.start.date is not None or s.end.date is not None for s in definition.stages):
        raise InvalidInput(_("the stage windows mix dates and offsets, so they cannot be placed without a "
                             "start date"), _("give --start DATE"))
    return {s.key: s.window(NOMINAL_START) for s in definition.stages}, NOMINAL_START


def _status_by_date(window: tuple[dt.date, dt.date], today: dt.date) -> str:
    if window[1] < today:
        return "done"
    return "current" if window[0] <= today else "upcoming"


def _figures_text(figures: tuple[int, int] | None) -> str:
    found, still_open = figures or (0, 0)
    return _("found {found} · open {open}").format(found=found, open=still_open)


def _status_as_of(stage: StageAt | None) -> str:
    """A stage's status at the date it was reduced to."""
    if stage is None or stage.state == "pending":
        return "upcoming"
    return "done" if stage.state == "closed" else "current"


def stages_of_campaign(scope: Scope, unit: UnitRow | None = None) -> graphviz.Digraph:
    conn, run, as_of = scope.conn, scope.run, scope.as_of
    d = run.definition
    figures = stage_figures(run, _items(scope, unit))
    rows = {st.key: st for st in stages_at(conn, run, as_of)[0]}
    lanes = []
    for spec in d.stages:
        start, end = spec.window(run.start_date)
        row = rows.get(spec.key)
        status = _status_as_of(row)
        lines = [f"{spec.kind} · {start.isoformat()} .. {end.isoformat()}"]
        if row is not None and row.opened_on:
            closed = row.closed_on
            lines.append(_("opened {date}").format(date=row.opened_on.isoformat())
                         + (_(", closed {date}").format(date=closed.isoformat()) if closed else ""))
        else:
            lines.append(_("not opened yet"))
        lanes.append(draw.Lane(spec.key, spec.title, start, end, status, tuple(lines),
                               _figures_text(figures.get(spec.key))))
    note = [_campaign_note(scope, unit),
            _("bars: stage windows; found: items found while the stage was open; open: not yet done")]
    stray = figures.get(None)
    if stray:
        note.append(_("found outside any stage: {figures}").format(figures=_figures_text(stray)))
    return draw.timeline_graph(lanes, title=_("{title} · stages").format(title=d.title), note=note,
                               today=as_of, legend={k: _(v) for k, v in LEGEND.items()})


def stages_of_definition(definition: Definition, path: str, start: dt.date | None,
                         as_of: dt.date | None) -> graphviz.Digraph:
    windows, origin = _windows(definition, start)
    lanes = []
    for spec in definition.stages:
        begin, end = windows[spec.key]
        if origin is not None:
            text = f"{spec.kind} · {spec.start} .. {spec.end}"
        else:
            text = f"{spec.kind} · {begin.isoformat()} .. {end.isoformat()}"
        status = _status_by_date((begin, end), as_of) if as_of and origin is None else "planned"
        lanes.append(draw.Lane(spec.key, spec.title, begin, end, status, (text,)))
    if origin is not None:
        placed = _("windows are offsets from the start date (give --start DATE to place them)")
    elif start is not None:
        placed = _("windows from a start on {date}").format(date=start.isoformat())
    else:
        placed = _("windows as dated in the definition")
    return draw.timeline_graph(lanes, title=_("{title} · stages").format(title=definition.title),
                               note=[_("definition {path}").format(path=path), placed],
                               today=as_of if origin is None else None, origin=origin,
                               legend={k: _(v) for k, v in BY_DATE.items()})


# --- lifecycles and escalation ----------------------------------------------------------------


def machine_of(definition: Definition, kind: str) -> str:
    name = MACHINES[kind]
    if name not in definition.machines:
        raise InvalidInput(_("the definition has no '{name}' machine to draw").format(name=name),
                           _("machines: {value}").format(value=', '.join(definition.machines) or 'none'))
    return name


def lifecycle_diagram(definition: Definition, kind: str, counts: Mapping[str, int] | None,
                      note: list[str]) -> graphviz.Digraph:
    spec = definition.machines[machine_of(definition, kind)]
    registry = default_registry()
    return draw.machine_graph(spec, counts, title=_("{title} · {machine} ({name})").format(
                                  title=definition.title, machine=spec.title, name=spec.name),
                              note=[*note, _("dashed: automatic steps; [ ]: what a step requires")],
                              timers=definition.timers, firings=firings(definition),
                              guard_text=lambda call: guard_title(registry, call, definition),
                              firing_text=firing_text)


def escalation_diagram(definition: Definition, counts: Mapping[str | None, int] | None,
                       note: list[str]) -> graphviz.Digraph:
    if definition.ladder is None:
        raise InvalidInput(_("the definition has no escalation ladder to draw"),
                           _("add an 'escalation' section, or draw another --kind"))
    return draw.ladder_graph(definition.ladder, counts,
                             title=_("{title} · escalation").format(title=definition.title),
                             note=note, base=_("not escalated"))


# --- units -----------------------------------------------------------------------------------


def units_diagram(scope: Scope, unit: UnitRow | None = None, depth: int | None = None
                  ) -> graphviz.Digraph:
    """The unit tree with open / overdue / closed per subtree; deeper units fold into the cut."""
    run, tree, as_of = scope.run, scope.tree, scope.as_of
    own = unit_figures(run, _items(scope, unit), as_of)
    roots = [unit] if unit is not None else sorted(
        (u for u in tree.by_id.values() if u.parent_id is None or u.parent_id not in tree.by_id),
        key=lambda u: u.path)
    if not roots:
        raise InvalidInput(_("there are no units to draw"), _("add units with 'rectify unit add'"))
    members = [u for u in tree.by_id.values()
               if any(u.id == r.id or u.path.startswith(r.path + "/") for r in roots)]
    base = {u.id: min(r.depth for r in roots if u.id == r.id or u.path.startswith(r.path + "/"))
            for u in members}
    totals: dict[int, list[int]] = {u.id: [0, 0, 0] for u in members}
    hidden: dict[int, int] = {u.id: 0 for u in members}
    by_id = tree.by_id
    for u in members:
        figures = own.get(u.id)
        node: UnitRow | None = u
        first = True
        while node is not None and node.id in totals:
            if figures:
                for i in range(3):
                    totals[node.id][i] += figures[i]
            if not first and depth is not None and u.depth - base[u.id] > depth \
                    and node.depth - base[u.id] == depth:
                hidden[node.id] += 1
            first = False
            node = by_id.get(node.parent_id) if node.parent_id else None
    # siblings: the most overdue first, then the most open, so laggards lead each branch
    shown = _depth_first([u for u in members if depth is None or u.depth - base[u.id] <= depth],
                         lambda u: (-totals[u.id][2], -totals[u.id][0],
                                   not any(totals[u.id]), u.title, u.code))
    shown_ids = {u.id for u in shown}
    leaves = {u.id for u in shown} - {u.parent_id for u in shown if u.parent_id in shown_ids}
    worst = sorted((totals[i][2] for i in leaves if totals[i][2]), reverse=True)[:3]
    nodes = []
    for u in shown:
        still_open, closed, late = totals[u.id]
        lines = [_("open {open} · overdue {overdue} · closed {closed}").format(
            open=still_open, overdue=late, closed=closed)]
        if hidden[u.id]:
            lines.append(ngettext("incl. {count} unit below", "incl. {count} units below",
                                  hidden[u.id]).format(count=hidden[u.id]))
        if not (still_open or closed):
            lines = [_("no items")] + lines[1:]
        heat = late / still_open if still_open else 0.0
        nodes.append(draw.TreeNode(str(u.id), str(u.parent_id) if u.parent_id in shown_ids else None,
                                   u.title, tuple(lines), heat,
                                   strong=u.id in leaves and late > 0 and bool(worst)
                                   and late >= worst[-1],
                                   muted=not (still_open or closed)))
    done_titles = ", ".join(s.title for s in run.definition.machines["item"].states if s.done)
    note = [_campaign_note(scope, unit),
            _("open: not done; closed: done ({done}); overdue: rectification deadline before {date} "
              "and not finished").format(done=done_titles, date=as_of.isoformat()),
            _("fill: share of open items that are overdue (darker = worse); "
              "thick border: the most overdue"),
            *([ngettext("units deeper than {depth} level below the top are counted in their ancestor",
                        "units deeper than {depth} levels below the top are counted in their ancestor",
                        depth).format(depth=depth)] if depth is not None else [])]
    return draw.tree_graph(nodes, title=_("{title} · units").format(title=run.definition.title),
                           note=note)


def _depth_first(units: list[UnitRow], key: Any) -> list[UnitRow]:
    """Parents before children, siblings ordered by ``key``."""
    ids = {u.id for u in units}
    children: dict[int | None, list[UnitRow]] = {}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    out: list[UnitRow] = []
    stack = sorted(children.get(None, []), key=key, reverse=True)
    while stack:
        u = stack.pop()
        out.append(u)
        stack.extend(sorted(children.get(u.id, []), key=key, reverse=True))
    return out


# --- entry points ----------------------------------------------------------------------------


def _campaign_note(scope: Scope, unit: UnitRow | None) -> str:
    if unit:
        return _("campaign {key} · as of {date} · unit {unit} and below").format(
            key=scope.run.key, date=scope.as_of.isoformat(), unit=scope.tree.title_path(unit))
    return _("campaign {key} · as of {date}").format(key=scope.run.key, date=scope.as_of.isoformat())


def campaign_diagram(scope: Scope, kind: str, unit_name: str | None = None,
                     depth: int | None = None) -> graphviz.Digraph:
    """The diagram of ``kind`` for a stored campaign at the scope's date, with its counts."""
    if kind not in KINDS:
        raise InvalidInput(_("unknown diagram kind '{kind}'").format(kind=kind), _("kinds: {names}").format(
            names=', '.join(KINDS)))
    run, as_of = scope.run, scope.as_of
    from .filters import filter_unit

    unit = filter_unit(scope.tree, unit_name) if unit_name else None
    d = run.definition
    if kind == "stages":
        return stages_of_campaign(scope, unit)
    if kind == "units":
        return units_diagram(scope, unit, depth)
    note = [_campaign_note(scope, unit)]
    if kind == "escalation":
        if d.ladder is None:
            return escalation_diagram(d, None, note)
        levels, finished = level_counts(run, _items(scope, unit))
        note.append(_("counts: unfinished rectifications at each level on {date}; {finished} finished "
                      "not counted").format(date=as_of.isoformat(), finished=finished))
        return escalation_diagram(d, levels, note)
    machine = machine_of(d, kind)
    return lifecycle_diagram(d, kind, state_counts(_items(scope, unit), machine), note)


def definition_diagram(definition: Definition, path: str, kind: str, start: dt.date | None = None,
                       as_of: dt.date | None = None) -> graphviz.Digraph:
    """The diagram of ``kind`` from a definition file alone (no counts)."""
    if kind not in DEFINITION_KINDS:
        raise InvalidInput(_("--kind {kind} needs a campaign's data, not a definition alone").format(
            kind=kind),
                           _("with --definition draw one of: {names}").format(
                               names=', '.join(DEFINITION_KINDS)))
    note = [_("definition {path}").format(path=path)]
    if kind == "stages":
        return stages_of_definition(definition, path, start, as_of)
    if kind == "escalation":
        return escalation_diagram(definition, None, note)
    return lifecycle_diagram(definition, kind, None, note)

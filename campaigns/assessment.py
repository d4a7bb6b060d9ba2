"""The assessment (考核): scores people enter, indicators from the log, weights and ranking.

A result is computed, never stored: measures from the event log for the period
(campaigns.measures) and the scores entered by the as-of date, put through the definition's
formulas (campaigns.assessment_spec → engine.core.scoring) for each peer group, and ranked
1, 2, 2, 4.  Asking again for the same period and as-of date gives the same result.

Scores are entered by the roles a score names (``by``; default the office) and up the tree
(hierarchical review): a rater reviews for the unit above their own (an office of the
county rates the county's townships and departments; a township's office its stations), never
their own unit.  Each entry is an event (``score entered``) with a row that mirrors it.

The section's ``people:`` rates persons the same way (``people=True`` throughout): their own
scores (履职测评 by service recipients, 民主测评), the measures of the items they are
responsible for, peer groups by role, unit kind or post, ranked per unit or per post.  A
person is rated by a rater in their unit or in a unit above it, never by themself.  An entry
may be undone (campaigns.assessment_undo) until the period's results are published.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound, Refused
from engine.core.machines import Actor
from engine.core.scoring import competition_rank, evaluate
from engine.io.writer import lock_heads

from . import events as ev
from .assessment_people import Group, find_person, peer_groups, people_at
from .assessment_spec import TOTAL, Column, columns, compile_formulas, vetoes
from .duties import OFFICE, rectifying_kinds, within
from .i18n import _
from .measure_names import READERS
from .measures import Window, read
from .names import PersonAt
from .runs import Run, require_forward
from .tables import ASSESSMENT_SCORES as S, EVENTS as E, UNDONE as U
from .units import UnitRow, UnitTree

DEFAULT_PERIODS = ("quarter", "year")


# --- periods --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A period results are given for: its key (2015-Q3), kind, first and last day."""

    key: str
    kind: str
    first: dt.date
    last: dt.date


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])))?$")


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


def parse_period(text: str) -> Period:
    """2015-09 (month), 2015-Q3 (quarter), 2015-H2 (half-year) or 2015 (year)."""
    m = _PERIOD.match(str(text).strip().upper())
    if not m:
        raise InvalidInput(_("'{text}' is not a period").format(text=text),
                           _("write a month 2015-09, a quarter 2015-Q3, a half-year 2015-H2 "
                             "or a year 2015"))
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        return Period(f"{year}-{month:02d}", "month", dt.date(year, month, 1),
                      _month_end(year, month))
    if m.group(3):
        q = int(m.group(3))
        return Period(f"{year}-Q{q}", "quarter", dt.date(year, 3 * q - 2, 1),
                      _month_end(year, 3 * q))
    if m.group(4):
        h = int(m.group(4))
        return Period(f"{year}-H{h}", "half-year", dt.date(year, 6 * h - 5, 1),
                      _month_end(year, 6 * h))
    return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year, 12, 31))


def containing(kind: str, day: dt.date) -> Period:
    """The period of ``kind`` that ``day`` falls in."""
    if kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == "half-year":
        return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")
    return parse_period(str(day.year))


def current(conn: Connection, run: Run, day: dt.date, tree: UnitTree,
            within: frozenset[int] | None = None, people: bool = False) -> list[Result] | None:
    """The results of the period (of the assessment's first kind) that ``day`` falls in, as
    of ``day``: what the report and dashboard show (only the units ``within``, when given,
    each keeping its place among all its peers; with ``people``, the people's, of those
    units); None without an assessment (or without people in it)."""
    section = run.definition.sections.get("assessment")
    if not section or (people and not section.get("people")):
        return None
    kind = (section.get("periods") or DEFAULT_PERIODS)[0]
    results = compute(conn, run, containing(kind, day), day, tree, people)
    if within is not None:
        for res in results:
            res.rows = [r for r in res.rows if r.unit.id in within]
    return [res for res in results if res.rows]


# --- the definition's section ---------------------------------------------------------------------


def settings(run: Run) -> Mapping[str, Any]:
    section = run.definition.sections.get("assessment")
    if not section:
        raise InvalidInput(_("campaign '{key}' has no assessment: its definition has no "
                             "'assessment' section").format(key=run.key),
                           _("add 'assessment:' with indicators, scores and total weights "
                             "(docs/definitions.md)"))
    return dict(section)


def period_of(run: Run, text: str) -> Period:
    """``text`` as a period the campaign's assessment gives results for."""
    period = parse_period(text)
    kinds = settings(run).get("periods") or DEFAULT_PERIODS
    if period.kind not in kinds:
        raise InvalidInput(_("campaign '{key}' is not assessed by {kind}").format(
            key=run.key, kind=period.kind),
            _("its periods: {kinds}").format(kinds=", ".join(kinds)))
    return period


def section(run: Run, people: bool = False) -> Mapping[str, Any]:
    """The set rated: the units' (the section itself) or the people's (its ``people:``)."""
    raw = settings(run)
    if not people:
        return raw
    given = raw.get("people")
    if not given:
        raise InvalidInput(_("campaign '{key}' does not assess people: its assessment has no "
                             "'people' section").format(key=run.key),
                           _("add 'people:' to its assessment (groups, scores, total), or "
                             "leave out --people"))
    return dict(given)


def scores_spec(run: Run, people: bool = False) -> dict[str, Mapping[str, Any]]:
    return {str(s["key"]): s for s in section(run, people).get("scores") or ()}


def groups(run: Run, people: bool = False) -> list[Group]:
    """The peer groups, ranked separately (default: one of the rectifying kinds; people: its
    units' people, ranked per unit)."""
    given = section(run, people).get("groups")
    if people:
        if not given:
            return [Group("people", "被考核人员", rectifying_kinds(run.definition), per="unit")]
        return [Group(str(g["key"]), str(g["title"]), frozenset(g.get("kinds") or ()),
                      frozenset(g.get("roles") or ()), frozenset(g.get("posts") or ()),
                      g.get("per")) for g in given]
    if given:
        return [Group(str(g["key"]), str(g["title"]), frozenset(g["kinds"])) for g in given]
    return [Group("units", "被考核单位", rectifying_kinds(run.definition))]


# --- entering scores ------------------------------------------------------------------------------


def rater_refusals(run: Run, actor: Actor, unit: UnitRow, score: str,
                   person: PersonAt | None = None) -> list[str]:
    """Why ``actor`` may not score ``unit`` (or ``person``, of that unit): a role the score
    names, and review from above."""
    if actor.is_system:
        return []
    spec = scores_spec(run, person is not None)[score]
    roles = run.definition.roles
    may = list(spec.get("by") or [r.key for r in roles.values() if r.side == OFFICE])
    out: list[str] = []
    if may and not set(actor.roles) & set(may):
        out.append(_("'{actor}' holds none of the roles that enter '{score}' ({roles})").format(
            actor=actor.key, score=score, roles=", ".join(may)))
    path = str(actor.attrs.get("unit_path") or "")
    above = path.rsplit("/", 1)[0] if path.count("/") > 1 else path
    if not path:
        out.append(_("'{actor}' belongs to no unit, so reviews for none").format(actor=actor.key))
    elif person is not None:  # a unit's people: by their unit or one above it
        if person.key == actor.key:
            out.append(_("'{actor}' may not rate themself").format(actor=actor.key))
        elif not within(unit.path, above):
            out.append(_("{person} of {unit} is not in or under {above}, the unit '{actor}' "
                         "reviews for").format(person=person.key, unit=unit.code,
                                               above=above or "/", actor=actor.key))
    elif within(unit.path, path):
        out.append(_("'{actor}' sits in {unit}, which they may not rate").format(
            actor=actor.key, unit=unit.code))
    elif unit.path == above or not within(unit.path, above):
        out.append(_("{unit} is not under {above}, the unit '{actor}' reviews for").format(
            unit=unit.code, above=above or "/", actor=actor.key))
    return out


@dataclass(frozen=True)
class Entry:
    """One score to enter: which, for which unit (or person), how much, and where it came from."""

    score: str
    unit: str  # a unit as the reader writes it: code, name or path (a person's: may be "")
    value: float
    origin: ev.Origin | None = None
    where: str = ""  # for messages: the file and row
    columns: tuple[str, ...] = ("", "", "")  # the score's, unit's, value's (person's) columns
    person: str = ""  # a person's key, or name (within ``unit`` when given)


def _person_of(run: Run, e: Entry, tree: UnitTree, people: Mapping[int, PersonAt],
               peers: Sequence[Group], day: dt.date) -> tuple[UnitRow, PersonAt]:
    """The person an entry names and their unit; raises when they are not assessed."""
    from .assessment_people import group_of, serving

    p = find_person(people, tree, e.person, e.unit)
    unit = tree.by_id.get(p.unit_id or 0)
    if unit is None or not serving(p, day):
        raise InvalidInput(_("{person} belongs to no unit, or has left").format(person=p.key))
    if group_of(peers, p, unit) is None:
        raise InvalidInput(_("{person} of {unit} is not assessed: in no peer group of "
                             "people").format(person=p.key, unit=unit.code))
    return unit, p


def enter(scope: Any, period_text: str, entries: Sequence[Entry], note: str | None = None,
          people: bool = False) -> int:
    """Record scores of units (or of people), each an event and its row, as one batch (which
    ``rectify assess undo`` reverses); every entry is checked before any is written, so a bad
    one leaves the database as it was.  Returns how many."""
    from .batches import recording

    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    period = period_of(run, period_text)
    require_forward(run, as_of)
    specs = scores_spec(run, people)
    tree: UnitTree = scope.tree
    peers = groups(run, people)
    persons = people_at(conn, as_of) if people else {}
    problems: list[str] = []
    rows: list[tuple[Entry, UnitRow, PersonAt | None]] = []
    for e in entries:
        def at(i: int, e: Entry = e) -> str:
            """Where the entry's field ``i`` (score, unit, value, person) came from."""
            if not e.where:
                return ""
            if not e.columns[i]:
                return f"{e.where}: "
            return e.where + _(", column {column}").format(column=e.columns[i]) + ": "

        spec = specs.get(e.score)
        if spec is None:
            raise NotFound(at(0) + _("campaign '{key}' has no score '{score}'").format(
                key=run.key, score=e.score),
                _("scores: {names}").format(names=", ".join(specs) or _("none")))
        lo, hi = (spec.get("range") or (0, 100))
        if not math.isfinite(e.value) or not lo <= e.value <= hi:
            problems.append(at(2) + _("{score} {value} is outside [{lo}, {hi}]").format(
                score=e.score, value=e.value, lo=lo, hi=hi))
            continue
        person: PersonAt | None = None
        try:
            if people:
                unit, person = _person_of(run, e, tree, persons, peers, period.first)
            else:
                unit = tree.find(e.unit)
        except (NotFound, InvalidInput) as exc:
            problems.append(at(3 if people else 1) + exc.message)
            continue
        if not people and not any(unit.kind in g.kinds for g in peers):
            problems.append(at(1) + _("{unit} is not assessed: its kind '{kind}' is in no peer "
                                      "group ({kinds})").format(
                unit=unit.code, kind=unit.kind or "", kinds=", ".join(
                    sorted(k for g in peers for k in g.kinds))))
            continue
        refused = rater_refusals(run, actor, unit, e.score, person)
        if refused:
            raise Refused(at(3 if people else 1) + _("entering {score} for {unit} refused: ").format(
                score=e.score, unit=person.key if person else unit.code) + "; ".join(refused),
                _("ask a rater of a unit above it who holds one of those roles"))
        rows.append((e, unit, person))
    if problems:
        raise InvalidInput("\n".join(problems[:50]), _("correct the values and enter them again"))
    if not rows:
        raise InvalidInput(_("no scores to enter"), _("give a score, or a file with rows"))
    if period.first > as_of:
        raise InvalidInput(_("period {period} has not begun on {as_of}").format(
            period=period.key, as_of=as_of), _("enter scores once the period has begun"))
    with recording(conn, run.id, run.key, SCORE_BATCH, actor.key, as_of,
                   {"period": period.key, "people": people}):
        seq = lock_heads(conn, [run.key])[run.key][0]
        events, table_rows = [], []
        for i, (e, unit, person) in enumerate(rows, start=1):
            payload = ev.ScoreEntered(e.score, unit.code, period.key, float(e.value), e.origin,
                                      person.key if person else None)
            subject = f"assessment:{period.key}:" + (f"person:{person.key}" if person else unit.code)
            events.append(ev.entry(run.key, payload, subject=subject, actor=actor.key, day=as_of,
                                   campaign_id=run.id, note=note))
            table_rows.append({"campaign_id": run.id, "period": period.key, "score": e.score,
                               "unit_id": unit.id, "person_id": person.id if person else None,
                               "actor": actor.key, "entered_on": as_of, "value": float(e.value),
                               "seq": seq + i})
        ev.write(conn, events)
        conn.execute(insert(S), table_rows)
    return len(rows)


SCORE_BATCH = "score"  # the batches' kind of an entry of scores


HEADERS = {"score": ("score", "测评项目", "项目", "指标"),
           "unit": ("unit", "单位", "被考核单位", "所在单位"),
           "value": ("value", "得分", "分数", "score value"),
           "person": ("person", "人员", "姓名", "人员编号", "被考核人", "被考核人员")}
FIELDS = ("score", "unit", "value", "person")


def read_file(path: str, sheet: str | None, score: str | None,
              people: bool = False) -> list[Entry]:
    """Scores from a CSV or XLSX file: a header row naming the unit (单位), or for people the
    person (姓名 or 人员编号: a key, or a name within the row's 单位 when given), the value
    (得分) and, unless ``score`` is given, which score (测评项目); errors name row and column."""
    from .tabular import csv_sheet
    from .workbooks import column_letter, read_rows

    name = path.rsplit("/", 1)[-1]
    if path.lower().endswith((".csv", ".txt")):
        rows: Iterator[tuple[int, Sequence[Any]]] = csv_sheet(path).rows
        sheet_name = None
    else:
        rows = read_rows(path, sheet)
        sheet_name = sheet
    header: dict[str, int] = {}
    out: list[Entry] = []
    problems: list[str] = []
    need: tuple[str, ...] = ("person" if people else "unit", "value")
    need = need if score else ("score", *need)
    for number, cells in rows:
        texts = ["" if c is None else str(c).strip() for c in cells]
        if not header:
            if not any(texts):
                continue
            for fld, words in HEADERS.items():
                for i, t in enumerate(texts):
                    if t.lower() in words:
                        header.setdefault(fld, i)
            missing = [f for f in need if f not in header]
            if missing:
                raise InvalidInput(_("{file}: row {row}: no column for {fields}").format(
                    file=name, row=number, fields=", ".join(missing)),
                    _("head the columns 姓名 (or 人员编号), 得分 and 测评项目, and 单位 where names "
                      "repeat (or person, value, score, unit)") if people else
                    _("head the columns 单位, 得分 and 测评项目 (or unit, value, score)"))
            continue
        if not any(texts):
            continue

        def cell(fld: str, texts: list[str] = texts) -> str:
            i = header.get(fld, -1)
            return texts[i] if 0 <= i < len(texts) else ""

        where = _("{file}: row {row}").format(file=name, row=number)
        raw = cell("value")
        try:
            value = float(raw)
        except ValueError:
            problems.append(where + _(", column {column}: '{value}' is not a number").format(
                column=column_letter(header["value"] + 1), value=raw))
            continue
        key = score or cell("score")
        if not key:
            problems.append(where + _(", column {column}: no score named").format(
                column=column_letter(header["score"] + 1)))
            continue
        if people and not cell("person"):
            problems.append(where + _(", column {column}: no person named").format(
                column=column_letter(header["person"] + 1)))
            continue
        values = {"unit": cell("unit"), "value": raw, "score": key}
        if people:
            values["person"] = cell("person")
        out.append(Entry(key, cell("unit"), value, ev.Origin(name, sheet_name, number, values),
                         where, tuple(column_letter(header[f] + 1) if f in header else ""
                                      for f in FIELDS), cell("person") if people else ""))
    if problems:
        raise InvalidInput("\n".join(problems[:50]), _("correct the file and import it again"))
    if not header:
        raise InvalidInput(_("{file} has no rows").format(file=name),
                           _("give a header row and one row a unit or person"))
    return out


# --- results --------------------------------------------------------------------------------------


@dataclass
class Row:
    """A unit's result in its peer group (or a person's: ``unit`` is then theirs)."""

    unit: UnitRow
    values: dict[str, float | None]
    rank: int | None = None
    vetoed: list[str] = field(default_factory=list)  # keys whose veto struck the total
    person: PersonAt | None = None

    @property
    def member(self) -> int:
        """Whom the row rates: the person's id, else the unit's."""
        return self.person.id if self.person is not None else self.unit.id


@dataclass
class Result:
    """One peer group's results for a period, ranked."""

    period: Period
    group: Group
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)


def undone_seqs(conn: Connection, run: Run, as_of: dt.date) -> set[int]:
    """The ``seq`` of the campaign's events an undo dated by ``as_of`` reversed."""
    undo = E.alias("undo")
    done = E.alias("done")
    return set(conn.execute(
        select(done.c.seq).select_from(
            U.join(done, done.c.id == U.c.event_id)
            .join(undo, (undo.c.campaign_id == U.c.campaign_id) & (undo.c.seq == U.c.undo_seq)))
        .where(U.c.campaign_id == run.id, done.c.machine == "assessment",
               undo.c.business_date <= as_of)).scalars())


def entered(conn: Connection, run: Run, period: Period, as_of: dt.date,
            people: bool = False) -> dict[str, dict[int, float]]:
    """Per score, per unit id (person id): the value entered by ``as_of`` and not undone by
    then (``combine``: the latest entry, or the mean of each rater's latest)."""
    specs = scores_spec(run, people)
    latest: dict[tuple[str, int], float] = {}
    by_rater: dict[tuple[str, int], dict[str, float]] = {}
    gone = undone_seqs(conn, run, as_of)
    whom = S.c.person_id if people else S.c.unit_id
    for score, unit, actor, value, seq in conn.execute(
            select(S.c.score, whom, S.c.actor, S.c.value, S.c.seq)
            .where(S.c.campaign_id == run.id, S.c.period == period.key, S.c.entered_on <= as_of,
                   S.c.person_id.is_not(None) if people else S.c.person_id.is_(None))
            .order_by(S.c.seq)):
        if seq in gone:
            continue
        latest[score, unit] = value
        by_rater.setdefault((score, unit), {})[actor] = value
    out: dict[str, dict[int, float]] = {k: {} for k in specs}
    for (score, unit), value in latest.items():
        if score not in specs:
            continue
        if specs[score].get("combine") == "mean":
            raters = by_rater[score, unit]
            value = sum(raters.values()) / len(raters)
        out[score][unit] = value
    return out


def members(tree: UnitTree, group: Group, period: Period) -> list[UnitRow]:
    """The units of ``group``'s kinds that existed during the period."""
    return [u for u in tree.by_code.values()
            if u.kind in group.kinds and (u.ended_on is None or u.ended_on >= period.first)]


def compute(conn: Connection, run: Run, period: Period, as_of: dt.date,
            tree: UnitTree, people: bool = False) -> list[Result]:
    """Every peer group's ranked results for ``period`` as the log stands at ``as_of`` (of
    people, with ``people``: as they stood at the period's end or the as-of date before it)."""
    raw = section(run, people)
    formulas = compile_formulas(raw)
    formulas[TOTAL]["complete"] = True
    names = sorted({n.split(":", 1)[1] for node in formulas.values()
                    for n in _inputs(node) if n.startswith("measure:")})
    owner = str(raw.get("items_of") or "person") if people else "unit"
    figures = read(conn, run, Window(period.first, period.last, as_of, owner),
                   [n for n in names if n in READERS])
    scores = entered(conn, run, period, as_of, people)
    cols = columns(raw)
    peer: list[tuple[Group, list[tuple[UnitRow, PersonAt | None]]]]
    if people:
        persons = people_at(conn, min(as_of, period.last))
        peer = [(g, [(tree.by_id[p.unit_id or 0], p) for p in ps])
                for g, ps in peer_groups(groups(run, True), persons, tree, period.first)]
    else:
        peer = [(group, [(u, None) for u in sorted(members(tree, group, period),
                                                   key=lambda u: u.path)])
                for group in groups(run)]
        figures = roll_up(tree, figures, {u.id for _g, units in peer for u, _p in units})
    out = []
    for group, units in peer:

        def value(member: int, name: str) -> float | None:
            kind, key = name.split(":", 1)
            if kind == "measure":
                return figures.get(key, {}).get(member, 0.0)
            return scores.get(key, {}).get(member)

        ids = [p.id if p is not None else u.id for u, p in units]
        values = evaluate(formulas, ids, value)
        struck = _vetoed(vetoes(raw), values, ids)
        for member in struck:
            if values[TOTAL][member] is not None:
                values[TOTAL][member] = 0.0
        ranks = competition_rank(values[TOTAL])
        result = Result(period, group, cols)
        for (u, p), m in zip(units, ids, strict=True):
            result.rows.append(Row(u, {c.key: values[c.key][m] for c in cols}, ranks[m],
                                   struck.get(m, []), p))
        result.rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.path,
                                        r.person.key if r.person else ""))
        out.append(result)
    return out


def _vetoed(rules: Mapping[str, Mapping[str, float]], values: Mapping[str, Mapping[int, float | None]],
            units: Sequence[int]) -> dict[int, list[str]]:
    """Units whose value of a vetoing indicator or score crossed its line, with the keys."""
    out: dict[int, list[str]] = {}
    for key, rule in rules.items():
        for u in units:
            v = values[key][u]
            if v is not None and ("below" in rule and v < rule["below"]
                                  or "above" in rule and v > rule["above"]):
                out.setdefault(u, []).append(key)
    return out


def roll_up(tree: UnitTree, figures: dict[str, dict[int, float]],
            assessed: set[int]) -> dict[str, dict[int, float]]:
    """Figures of units below an assessed unit counted for it (an office's items are its
    bureau's): each unit's to its nearest assessed ancestor, or itself."""
    by_id = {u.id: u for u in tree.by_code.values()}
    owner: dict[int, int | None] = {}

    def assessed_of(unit_id: int) -> int | None:
        if unit_id not in owner:
            u = by_id.get(unit_id)
            owner[unit_id] = (unit_id if unit_id in assessed else None if u is None
                              or u.parent_id is None else assessed_of(u.parent_id))
        return owner[unit_id]

    out: dict[str, dict[int, float]] = {}
    for name, values in figures.items():
        rolled: dict[int, float] = {}
        for unit_id, v in values.items():
            target = assessed_of(unit_id)
            if target is not None:
                rolled[target] = rolled.get(target, 0.0) + v
        out[name] = rolled
    return out


def _inputs(node: Mapping[str, Any]) -> list[str]:
    from engine.core.scoring import inputs

    return inputs(node)


def table_rows(results: Sequence[Result], tree: UnitTree) -> list[dict[str, Any]]:
    """Results as flat rows: group, rank, (person's key and name,) unit, then each column's
    value (2 decimals)."""
    out = []
    for res in results:
        for r in res.rows:
            row: dict[str, Any] = {"group": res.group.title, "rank": r.rank}
            if r.person is not None:
                row.update(person=r.person.key, name=r.person.name, post=r.person.title or "")
            row.update(unit=r.unit.code, title=tree.unique_name(r.unit))
            for c in res.columns:
                v = r.values.get(c.key)
                row[c.key] = None if v is None else round(v, 2)
            if r.vetoed:
                row["vetoed"] = " ".join(r.vetoed)
            out.append(row)
    return out

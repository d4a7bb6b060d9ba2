"""A filing's figures: counted from the record (prefill) or summed from units' filings (roll-up).

Prefill: the figures a filing declares (``figures: [found, closed, overdue...]``) are counted
for the filing unit and every unit under it over the period, from the one reducer's view of
the campaign at the period's end (``campaigns.reducer.campaign_at``) and the accountability
register, so a unit never types what the record already holds.

Roll-up: a filing that declares ``rollup: {from: KEY}`` is made from the accepted occurrences
of ``KEY`` for the same period by the units under the filer (in this campaign, or in the
campaigns ``rollup.campaigns`` names in the same database): their figures summed, their
documents bundled in one zip with a table of the figures.  Both are written as the ``file``
move of the occurrence, through the planner and the writer (campaigns.filings.submit).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.cadence import Period
from engine.core.errors import InvalidInput

from .filing_spec import FIGURES, FilingSpec
from .runs import Run
from .tables import BLOBS, FILINGS as F, UNITS as U
from .units import UnitRow, UnitTree


def count(conn: Connection, run: Run, tree: UnitTree, unit: UnitRow, period: Period,
          keys: Iterable[str], as_of: dt.date) -> dict[str, int]:
    """The figures ``keys`` of ``unit`` and the units under it over ``period``, as the record
    stood at the period's end (or at ``as_of``, when the period has not ended)."""
    from .reducer import campaign_at
    from .standing import Overdue, closing_states

    wanted = [k for k in keys if k in FIGURES]
    end = min(period.end, as_of)
    ids = set(tree.subtree_ids(unit))
    d = run.definition
    closing, late = closing_states(d), Overdue(d)
    out = dict.fromkeys(wanted, 0)
    items = [it for it in campaign_at(conn, run, end).items if it.unit_id in ids]
    for it in items:
        if "found" in out and period.start <= it.found_on:
            out["found"] += 1
        if "total" in out:
            out["total"] += 1
        done = it.state in closing
        if "closed" in out and done and it.closed_on and period.start <= it.closed_on <= end:
            out["closed"] += 1
        if "open" in out and it.state not in d.machines["item"].done_states:
            out["open"] += 1
        if "overdue" in out and late(it.deadline, it.rect_state, end):
            out["overdue"] += 1
        if "typical" in out and it.typical:
            out["typical"] += 1
    if "cases" in out:
        from .accountability import cases_at

        codes = {it.code for it in items}
        units = {tree.by_id[i].code for i in ids if i in tree.by_id}
        out["cases"] = sum(1 for c in cases_at(conn, run, end)
                           if c.withdrawn_on is None and period.start <= c.on <= end
                           and (codes & set(c.items) or units & set(c.units)))
    return out


@dataclass
class Source:
    """One accepted occurrence rolled up."""

    campaign: str
    unit: str
    figures: dict[str, int]
    document_name: str | None
    document_sha256: str | None

    @property
    def key(self) -> str:
        return f"{self.campaign}/{self.unit}"


@dataclass
class Rollup:
    figures: dict[str, int]
    sources: list[Source]
    missing: list[str]  # units under the filer that file it and have none accepted
    bundle: bytes


def rollup(conn: Connection, run: Run, tree: UnitTree, unit: UnitRow, spec: FilingSpec,
           period: Period, as_of: dt.date, own: tuple[str, bytes] | None = None) -> Rollup:
    """The roll-up of ``spec`` for ``unit`` and ``period``: what it sums and bundles (``own``:
    the filer's own document, put first in the bundle)."""
    from .filings import filers, spec_of, status_of
    from .runs import load_run

    assert spec.rollup_from is not None
    source_key = spec.rollup_from
    keys = spec.rollup_campaigns or (run.key,)
    below = unit.path + "/"
    sources: list[Source] = []
    missing: list[str] = []
    for key in keys:
        other = run if key == run.key else load_run(conn, key)
        theirs = spec_of(other)
        source = theirs.get(source_key) if theirs else None
        if source is None:
            raise InvalidInput(f"campaign '{key}' has no filing '{source_key}' to roll up",
                               "check rollup in the definition's filings")
        if source.schedule.period_kind != spec.schedule.period_kind:
            raise InvalidInput(f"filing '{source_key}' of campaign '{key}' is filed per "
                               f"{source.schedule.period_kind}, not per "
                               f"{spec.schedule.period_kind}", "roll up a filing with the same "
                               "periods")
        day = as_of.isoformat()
        accepted: set[str] = set()
        rows = conn.execute(
            select(U.c.code, U.c.path, F.c.due, F.c.filed_on, F.c.accepted_on, F.c.returned_on,
                   F.c.figures, F.c.document_name, F.c.document_sha256)
            .join(U, U.c.id == F.c.unit_id)
            .where(F.c.campaign_id == other.id, F.c.filing == source_key,
                   F.c.period == period.key, U.c.path.startswith(below))
            .order_by(U.c.path))
        for r in rows:
            known = [d.isoformat() if d is not None and d.isoformat() <= day else None
                     for d in (r.filed_on, r.accepted_on, r.returned_on)]
            if status_of(r.due.isoformat(), known[0], known[1], known[2], day) != "accepted":
                continue
            accepted.add(r.code)
            sources.append(Source(key, r.code, {k: int(v) for k, v in (r.figures or {}).items()},
                                  r.document_name, r.document_sha256))
        missing += [f"{key}/{code}" for i, code in filers(conn, source)
                    if code not in accepted and tree.by_id.get(i) is not None
                    and tree.by_id[i].path.startswith(below)]
    if not sources:
        raise InvalidInput(f"no unit under '{unit.code}' has an accepted '{source_key}' for "
                           f"{period.key}", "accept the units' filings first "
                           "('rectify filing accept')")
    names = list(spec.figures) or sorted({k for s in sources for k in s.figures},
                                         key=_figure_order)
    figures = {k: sum(s.figures.get(k, 0) for s in sources) for k in names}
    return Rollup(figures, sources, missing, _bundle(conn, spec, unit, period, sources,
                                                      figures, own))


def _figure_order(key: str) -> tuple[int, str]:
    order = list(FIGURES)
    return (order.index(key) if key in order else len(order), key)


def _bundle(conn: Connection, spec: FilingSpec, unit: UnitRow, period: Period,
            sources: list[Source], figures: dict[str, int], own: tuple[str, bytes] | None,
            ) -> bytes:
    """One zip: the filer's own document, each source's document (as ``campaign/unit-name``)
    and figures.csv (a row per source and the total).  Entries are dated the period's first
    day, so the same sources make the same bundle (and the same hash)."""
    stamp = (max(period.start.year, 1980), period.start.month, period.start.day, 0, 0, 0)
    hashes = [s.document_sha256 for s in sources if s.document_sha256]
    blobs = dict(conn.execute(select(BLOBS.c.sha256, BLOBS.c.content)
                              .where(BLOBS.c.sha256.in_(hashes))).all()) if hashes else {}
    names = list(figures)
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["campaign", "unit", *names])
    for s in sources:
        writer.writerow([s.campaign, s.unit, *(s.figures.get(k, 0) for k in names)])
    writer.writerow(["", unit.code, *(figures[k] for k in names)])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)

        if own is not None:
            put(own[0], own[1])
        for s in sources:
            if s.document_sha256 and s.document_sha256 in blobs:
                put(f"{s.campaign}/{s.unit}-{s.document_name}", bytes(blobs[s.document_sha256]))
        put("figures.csv", table.getvalue().encode("utf-8-sig"))
    return out.getvalue()


def as_text(figures: dict[str, Any]) -> str:
    """The figures in one line, with their titles: 新发现问题 3, 已销号 1."""
    return "，".join(f"{FIGURES.get(k, k)} {v}" for k, v in figures.items())

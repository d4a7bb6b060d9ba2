"""四挂钩: a period's results tied four ways, one workbook a tie for the personnel office.

Seed 003 ties the assessment of a unit's conduct to the unit's annual assessment, to its
people's annual performance assessment, to the organisation department's selection of
cadres, and to leading cadres' performance cards (实绩卡).  Each workbook lists what that tie
needs: units with their total, place and confirmed bottom-rule step; or people, each with
their unit's result (the people counted are those of the unit and the units below it that
are not assessed themselves; leading cadres are those holding a role of side rectifying).
Where the assessment rates people too (``people:``), each person's own group, place, total
and confirmed step stand beside their unit's in the individual workbooks.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput

from .assessment import Result
from .duties import RECTIFYING
from .i18n import _
from .runs import Run
from .tables import ASSESSMENT_DECISIONS as D, PEOPLE as P
from .units import UnitTree

TIES = {
    "unit-annual": "单位年度考核",
    "individual-annual": "个人年度绩效考核",
    "cadre-selection": "干部选拔任用",
    "performance-card": "领导干部实绩卡",
}


def _steps(conn: Connection, run: Run, period: str, as_of: dt.date,
           people: bool = False) -> dict[int, str]:
    """The confirmed bottom-rule steps' titles, by unit id (by person id)."""
    section = run.definition.sections.get("assessment") or {}
    if people:
        section = section.get("people") or {}
    titles = {s["key"]: s["title"] for s in (section.get("bottom") or {}).get("steps") or ()}
    whom = D.c.person_id if people else D.c.unit_id
    return {member: titles.get(step, step) for member, step in conn.execute(
        select(whom, D.c.step).where(D.c.campaign_id == run.id, D.c.period == period,
                                     D.c.kind == "bottom", D.c.decided_on <= as_of,
                                     D.c.person_id.is_not(None) if people
                                     else D.c.person_id.is_(None)))}


def write_ties(conn: Connection, run: Run, results: Sequence[Result], tree: UnitTree,
               as_of: dt.date, folder: str, persons: Sequence[Result] = ()) -> list[str]:
    """The four workbooks in ``folder`` (``persons``: the people's results, when rated);
    returns their paths."""
    from .xlsx import Column, new_workbook, write_table_sheet

    if not os.path.isdir(folder):
        raise InvalidInput(_("{folder} is not a folder").format(folder=folder),
                           _("create it first, or give an existing folder with --output"))
    if not results:
        return []
    period = results[0].period.key
    steps = _steps(conn, run, period, as_of)
    assessed = {r.unit.id: (res, r) for res in results for r in res.rows}
    by_id = {u.id: u for u in tree.by_code.values()}

    def owner(unit_id: int | None) -> int | None:
        while unit_id is not None and unit_id not in assessed:
            u = by_id.get(unit_id)
            unit_id = u.parent_id if u is not None else None
        return unit_id

    leading = {r.key for r in run.definition.roles.values() if r.side == RECTIFYING}
    people: list[tuple[Any, ...]] = []
    for key, name, unit_id, title, roles in conn.execute(
            select(P.c.key, P.c.name, P.c.unit_id, P.c.title, P.c.roles)
            .where(P.c.active.is_(True)).order_by(P.c.key)):
        home = owner(unit_id)
        if home is not None:
            people.append((key, name, unit_id, title or "", home,
                           bool(set((roles or "").split()) & leading)))

    def unit_row(unit_id: int) -> list[Any]:
        res, r = assessed[unit_id]
        total = r.values.get("total")
        return [res.group.title, r.rank, tree.unique_name(r.unit),
                None if total is None else round(total, 2), steps.get(unit_id, "")]

    unit_cols = [Column("考核组", 12), Column("名次", 6, "int"), Column("单位", 24),
                 Column("综合得分", 10), Column("末位处理", 12)]
    own = {r.person.key: (res, r) for res in persons for r in res.rows if r.person is not None}
    own_steps = _steps(conn, run, period, as_of, people=True) if persons else {}
    own_cols = [Column("个人考核组", 16), Column("个人名次", 8, "int"), Column("个人得分", 10),
                Column("个人末位处理", 12)] if persons else []

    def own_row(key: str) -> list[Any]:
        if not persons:
            return []
        if key not in own:
            return ["", None, None, ""]
        res, r = own[key]
        total = r.values.get("total")
        return [res.group.title, r.rank, None if total is None else round(total, 2),
                own_steps.get(r.member, "")]
    person_cols = [Column("人员编号", 14), Column("姓名", 10), Column("所在单位", 24),
                   Column("职务", 14)]
    out = []
    for tie, title in TIES.items():
        path = os.path.join(folder, f"四挂钩-{title}-{period}.xlsx")
        wb = new_workbook(path)
        try:
            caption = f"{period} 考核结果 · {title}"
            subtitle = f"截至 {as_of.isoformat()}"
            if tie == "unit-annual":
                rows: list[list[Any]] = [unit_row(r.unit.id) for res in results for r in res.rows]
                write_table_sheet(wb, title, caption, unit_cols, iter(rows), subtitle)
            else:
                chosen = [p for p in people if tie == "individual-annual" or p[5]]
                if tie == "performance-card":  # a card: the unit's every column beside the cadre
                    res0 = results[0]
                    extra = [Column(c.title, 10) for c in res0.columns]
                    rows = [[p[0], p[1], tree.unique_name(by_id[p[2]]) if p[2] in by_id else "",
                             p[3], *unit_row(p[4]),
                             *(None if assessed[p[4]][1].values.get(c.key) is None
                               else round(assessed[p[4]][1].values[c.key] or 0.0, 2)
                               for c in res0.columns), *own_row(p[0])] for p in chosen]
                    write_table_sheet(wb, title, caption,
                                      [*person_cols, *unit_cols, *extra, *own_cols],
                                      iter(rows), subtitle)
                else:
                    rows = [[p[0], p[1], tree.unique_name(by_id[p[2]]) if p[2] in by_id else "",
                             p[3], *unit_row(p[4]), *own_row(p[0])] for p in chosen]
                    write_table_sheet(wb, title, caption, [*person_cols, *unit_cols, *own_cols],
                                      iter(rows), subtitle)
        finally:
            wb.close()
        out.append(path)
    return out

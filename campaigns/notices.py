"""Escalation notices (提醒/督办/通报/问责): listing them and printing a 督办通知书 per unit.

The clock writes one notice per rectification and level reached (campaigns.clock); here they are
read back with the unit, the responsible leader and person joined in.  Nothing confidential is
ever read: the reporter lives in its own table, which these queries do not touch.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound

from .runs import Run
from .tables import ITEMS as I, NOTICES as N, PEOPLE as P, RECTIFICATIONS as R
from .units import UnitRow, UnitTree

COLUMNS = ["issued_on", "level", "level_title", "unit", "code", "title", "leader", "person",
           "deadline", "days_overdue", "new_deadline", "action"]
HEADERS = {"issued_on": "issued", "level_title": "title", "days_overdue": "overdue",
           "new_deadline": "new deadline"}


def level_key(run: Run, text: str) -> str:
    """A ladder level by key or by title (督办)."""
    ladder = run.definition.ladder
    levels = {lv.key: lv.title for lv in ladder.levels} if ladder else {}
    for key, title in levels.items():
        if text in (key, title):
            return key
    if not levels:
        raise InvalidInput(f"campaign '{run.key}' has no escalation ladder, so no notices")
    import difflib

    close = difflib.get_close_matches(text, [*levels, *levels.values()], n=1)
    raise NotFound(f"unknown escalation level '{text}'",
                   f"did you mean '{close[0]}'?" if close else f"levels: {', '.join(levels)}")


def list_notices(conn: Connection, run: Run, tree: UnitTree, *, level: str | None = None,
                 since: dt.date | None = None, unit: str | None = None) -> list[dict[str, Any]]:
    """The campaign's notices, oldest first, with unit, leader and person joined."""
    leader, person = P.alias("leader"), P.alias("person")
    query = (select(N.c.level, N.c.issued_on, N.c.deadline, N.c.days_overdue, N.c.new_deadline,
                    N.c.action, I.c.code, I.c.title, I.c.unit_id, R.c.original_deadline,
                    leader.c.name.label("leader"), person.c.name.label("person"))
             .select_from(N.join(R, R.c.id == N.c.rectification_id).join(I, I.c.id == R.c.item_id)
                          .outerjoin(leader, leader.c.id == R.c.leader_id)
                          .outerjoin(person, person.c.id == R.c.person_id))
             .where(N.c.campaign_id == run.id).order_by(N.c.issued_on, N.c.id))
    if level:
        query = query.where(N.c.level == level_key(run, level))
    if since:
        query = query.where(N.c.issued_on >= since)
    if unit:
        query = query.where(I.c.unit_id.in_(tree.subtree_ids(tree.find(unit))))
    ladder = run.definition.ladder
    titles = {lv.key: lv.title for lv in ladder.levels} if ladder else {}
    return [{
        "issued_on": r.issued_on.isoformat(), "level": r.level,
        "level_title": titles.get(r.level, r.level), "unit": tree.by_id[r.unit_id].title,
        "unit_code": tree.by_id[r.unit_id].code, "code": r.code, "title": r.title,
        "leader": r.leader or "", "person": r.person or "", "deadline": r.deadline.isoformat(),
        "original_deadline": r.original_deadline.isoformat() if r.original_deadline else "",
        "days_overdue": r.days_overdue,
        "new_deadline": r.new_deadline.isoformat() if r.new_deadline else "",
        "action": r.action or "",
    } for r in conn.execute(query)]


def by_unit(tree: UnitTree, rows: Iterable[dict[str, Any]]) -> list[tuple[UnitRow, list[dict[str, Any]]]]:
    """Notices grouped by the unit responsible, units in tree order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["unit_code"], []).append(row)
    units = sorted((tree.by_code[code] for code in groups), key=lambda u: u.path)
    return [(u, groups[u.code]) for u in units]


def write_html(run: Run, tree: UnitTree, rows: list[dict[str, Any]], *, folder: str | None = None,
               path: str | None = None) -> list[str]:
    """One 督办通知书 per unit: a file each in ``folder``, or all in the one file ``path``."""
    groups = by_unit(tree, rows)
    written: list[str] = []
    if folder is not None:
        os.makedirs(folder, exist_ok=True)
        for unit, notices in groups:
            target = os.path.join(folder, f"{unit.code}.html")
            _write(target, render(run, tree, [(unit, notices)]))
            written.append(target)
    if path is not None and groups:
        _write(path, render(run, tree, groups))
        written.append(path)
    return written


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def cn_date(text: str) -> str:
    d = dt.date.fromisoformat(text)
    return f"{d.year}年{d.month}月{d.day}日"


STYLE = """
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; margin: 2em; }
section { page-break-after: always; max-width: 60em; margin: 0 auto 3em; }
section:last-child { page-break-after: auto; }
h1 { text-align: center; color: #b00; letter-spacing: 0.3em; }
p.campaign { text-align: center; }
p.body { text-indent: 2em; line-height: 1.8; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #333; padding: 0.3em 0.4em; vertical-align: top; }
th { background: #eee; }
td.n { text-align: right; }
p.sign { text-align: right; margin-top: 3em; line-height: 1.8; }
@media print { body { margin: 0; } }
"""


def render(run: Run, tree: UnitTree, groups: list[tuple[UnitRow, list[dict[str, Any]]]]) -> str:
    """A printable HTML document in Chinese with one notice (section) per unit; all text escaped."""
    e = html.escape
    meta = run.definition.sections.get("campaign") or {}
    office = str(meta.get("lead_unit") or "")
    report_to = str((meta.get("reporting") or {}).get("to") or office)
    basis = str(meta.get("basis") or run.definition.title)
    sections = []
    for unit, notices in groups:
        issued = max(n["issued_on"] for n in notices)
        rows = "\n".join(
            "<tr>" + "".join(f"<td{' class=n' if k in ('i', 'days_overdue') else ''}>{e(str(v))}</td>"
                             for k, v in (("i", i), ("code", n["code"]), ("title", n["title"]),
                                          ("leader", n["leader"]), ("person", n["person"]),
                                          ("deadline", n["deadline"]),
                                          ("days_overdue", n["days_overdue"]),
                                          ("level_title", n["level_title"]),
                                          ("action", n["action"]), ("new", n["new_deadline"])))
            + "</tr>"
            for i, n in enumerate(notices, 1))
        sections.append(f"""<section>
<h1>督办通知书</h1>
<p class="campaign">{e(run.definition.title)}</p>
<p>{e(unit.title)}：</p>
<p class="body">根据《{e(basis)}》的要求，经对你单位整改台账进行督查，
下列{len(notices)}项整改事项已到期或逾期未完成，现予以督办。请你单位主要负责人亲自过问，按照要求抓紧落实整改，在整改时限内完成，并将整改情况报送{e(report_to)}。</p>
<table>
<thead><tr><th>序号</th><th>问题编号</th><th>问题</th><th>责任领导</th><th>责任人</th><th>整改时限</th>
<th>逾期天数</th><th>督办层级</th><th>要求</th><th>新整改时限</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="sign">{e(office)}<br>{e(cn_date(issued))}</p>
</section>""")
    body = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>督办通知书 — {e(run.definition.title)}</title>
<style>{STYLE}</style>
</head>
<body>
{body}
</body>
</html>
"""

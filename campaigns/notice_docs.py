"""督办通知书 as offices issue them: one document per unit, ladder level and day, numbered once.

A document goes to the unit that rectifies the items (campaigns.duties: a bureau for its
sections' items), named so that no other unit of the tree could be meant (two 办公室: by
path), and gives each item's own unit when it lies below.  It lists only that unit's notices
of that level and day whose items were still open at the end of the day (an item closed, or a
rectification finished, by then is left out), with the deadline each was measured from and
how many working days it is overdue.  The reply-by date is ``notices.reply_within`` on the
campaign's working-day calendar.

Issuing numbers a document through campaigns.numbering, records it in ``documents`` and writes
a ``document issued`` event, all in the caller's one write transaction.  Issuing the same unit,
level and day again gives back the document already issued, with its number and its items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput

from .duties import rectifying_row
from .i18n import _
from .runs import Run
from .units import UnitRow, UnitTree

KIND = "督办通知书"


@dataclass(frozen=True)
class Settings:
    """The definition's ``notices`` section, with its defaults."""

    issuer: str
    issuer_short: str
    number: str | None
    reply_within: str | None

    @classmethod
    def of(cls, run: Run) -> Settings:
        raw = run.definition.sections.get("notices") or {}
        meta = run.definition.sections.get("campaign") or {}
        return cls(str(raw.get("issuer") or meta.get("lead_unit") or ""),
                   str(raw.get("issuer_short") or ""), raw.get("number"), raw.get("reply_within"))


@dataclass(frozen=True)
class NoticeDoc:
    """One document: to ``unit`` (the rectifying unit, named ``to``), for ``level``, of
    ``issued_on``; ``number`` None: a draft."""

    unit: UnitRow
    level: str
    level_title: str
    action: str
    issued_on: dt.date
    reply_by: dt.date | None
    rows: tuple[dict[str, Any], ...]  # the notices listed, each with ``working_days_overdue``
    issuer: str
    number: str | None = None
    to: str = ""

    @property
    def codes(self) -> list[str]:
        return [r["code"] for r in self.rows]

    @property
    def stem(self) -> str:
        """A file name: unit, level and day (the number may hold characters files should not)."""
        from .safecells import file_stem

        return file_stem(f"{self.unit.code}-{self.level}-{self.issued_on.isoformat()}")


def open_codes(conn: Connection, run: Run, day: dt.date) -> set[str]:
    """Codes of the items still open at the end of ``day``: neither item nor rectification done."""
    from .queries import finished_states
    from .reducer import campaign_at

    finished = set(finished_states(run))
    item_done = run.definition.machines["item"].done_states
    return {it.code for it in campaign_at(conn, run, day).items
            if it.state not in item_done and it.rect_state not in finished}


def build(conn: Connection, run: Run, tree: UnitTree, rows: Sequence[dict[str, Any]]) -> list[NoticeDoc]:
    """The documents the notices ``rows`` make: by day, then unit (tree order), then level."""
    from engine.core.calendar import calendar_for
    from engine.core.spec import Duration

    settings = Settings.of(run)
    calendar = calendar_for(run.definition.calendar)
    within = Duration.parse(settings.reply_within) if settings.reply_within else None
    ladder = run.definition.ladder
    order = {lv.key: i for i, lv in enumerate(ladder.levels)} if ladder else {}
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    rectifying: dict[str, UnitRow] = {}
    for row in rows:
        if row.get("status"):  # withdrawn by an undo (作废): listed, never issued again
            continue
        own = tree.by_code[row["unit_code"]]
        if own.code not in rectifying:
            rectifying[own.code] = rectifying_row(tree, own, run.definition)
        unit = rectifying[own.code]
        below = [u.title for u in tree.chain(own) if u.depth > unit.depth]
        groups.setdefault((row["issued_on"], unit.code, row["level"]), []).append(
            {**row, "section": "/".join(below)})
    open_on: dict[str, set[str]] = {}
    docs: list[NoticeDoc] = []
    for (day_text, unit_code, level), notices in sorted(
            groups.items(), key=lambda g: (g[0][0], tree.by_code[g[0][1]].path, order.get(g[0][2], 99))):
        day = dt.date.fromisoformat(day_text)
        if day_text not in open_on:
            open_on[day_text] = open_codes(conn, run, day)
        listed = tuple(
            {**n, "working_days_overdue": max(0, calendar.working_days_between(
                dt.date.fromisoformat(n["deadline"]), day))}
            for n in sorted(notices, key=lambda n: n["code"]) if n["code"] in open_on[day_text])
        if not listed:
            continue
        docs.append(NoticeDoc(tree.by_code[unit_code], level, listed[0]["level_title"],
                              listed[0]["action"], day, calendar.add(day, within) if within else None,
                              listed, settings.issuer,
                              to=tree.unique_name(tree.by_code[unit_code])))
    return docs


def issue(conn: Connection, run: Run, docs: Sequence[NoticeDoc], actor: str) -> list[NoticeDoc]:
    """Number and record ``docs`` (those already issued keep their number and items)."""
    from . import events
    from .numbering import allocate, parse_pattern
    from .tables import DOCUMENTS as D

    settings = Settings.of(run)
    if not settings.number:
        raise InvalidInput(_("campaign '{key}' gives no document number pattern, so it cannot issue "
                             "notices").format(key=run.key),
                           _("add to its definition: notices: {{number: '{{issuer_short}}督〔{{year}}〕"
                             "{{seq}}号', issuer_short: 县组}}").format())
    if not settings.issuer:
        raise InvalidInput(_("campaign '{key}' names no issuing office").format(key=run.key),
                           _("set notices.issuer (or campaign.lead_unit) in its definition"))
    pattern = parse_pattern(settings.number)
    series = pattern.series(settings.issuer_short)
    events.lock(conn, [run.key])
    issued: list[NoticeDoc] = []
    entries = []
    for doc in docs:
        found = conn.execute(select(D.c.number, D.c["items"]).where(
            D.c.campaign_id == run.id, D.c.kind == KIND, D.c.unit_id == doc.unit.id,
            D.c.level == doc.level, D.c.issued_on == doc.issued_on,
            D.c.withdrawn_on.is_(None))).first()  # a withdrawn one's number is never given again
        if found is not None:
            kept = [r for r in doc.rows if r["code"] in set(found[1])]
            issued.append(replace(doc, number=found.number, rows=tuple(kept)))
            continue
        seq = allocate(conn, series, doc.issued_on.year)
        number = pattern.render(settings.issuer_short, doc.issued_on.year, seq)
        conn.execute(insert(D).values(
            campaign_id=run.id, kind=KIND, number=number, series=series, year=doc.issued_on.year,
            seq=seq, unit_id=doc.unit.id, level=doc.level, issued_on=doc.issued_on,
            reply_by=doc.reply_by, items=doc.codes))
        entries.append(events.entry(
            run.key, events.DocumentIssued(number, KIND, doc.unit.code, doc.level, doc.codes,
                                           doc.reply_by),
            subject=number, actor=actor, day=doc.issued_on, campaign_id=run.id))
        issued.append(replace(doc, number=number))
    if entries:
        events.write(conn, entries)
    return issued

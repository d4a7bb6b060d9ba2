"""What the campaign pages show, put together from the services the command line calls:
``campaign status``, ``dashboard``, ``diagram``, ``notices``, ``document list``/``sign``,
``ledger`` and ``report``, each inside the caller's transaction.

Who sees what follows campaigns.access: the office (a judging or leading role) sees the whole
campaign; anyone else sees it cut to their own unit's subtree (the command line's ``--unit``),
and a person of no unit sees none of it.  Confidential fields follow campaigns.confidential,
as for an ``--actor`` of the command line, and their reading is recorded the same way.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Connection

from campaigns.access import own_unit, sees_all
from campaigns.context import Scope
from campaigns.i18n import _
from campaigns.records import load_records
from campaigns.runs import Run, load_run
from engine.core.errors import InvalidInput, NotFound, Refused

from .work import Today, campaigns, scope_for, version_of

DIAGRAM_KINDS = ("stages", "items", "rectifications", "escalation", "units")
DIAGRAM_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def newest(conn: Connection) -> Run | None:
    """The campaign a page shows when none is named: the newest."""
    runs = campaigns(conn)
    return runs[0] if runs else None


def seen(conn: Connection, person: str, key: str, today: Today) -> Scope:
    """Campaign ``key`` as ``person`` may see it: whole for the office, else cut to their unit's
    subtree (Refused for a person of no unit)."""
    run = load_run(conn, key)
    scope = scope_for(conn, run, person, today)
    if sees_all(run, scope.acting):
        return scope
    mine = own_unit(scope.acting)
    tree = scope.tree
    unit = next((u for u in tree.by_id.values() if u.path == mine), None) if mine else None
    if unit is None:
        raise Refused(_("{person} belongs to no unit, so sees no part of campaign {key}").format(
            person=person, key=key), _("ask an administrator to place you in your unit"))
    cut = Scope(conn, run, scope.actor, scope.as_of, unit)
    cut.__dict__["tree"] = tree  # already read in this transaction
    return cut


def is_office(scope: Scope) -> bool:
    return scope.unit is None


# --- status and dashboard ------------------------------------------------------------------------


def status(scope: Scope) -> dict[str, Any]:
    """``campaign status`` (stages, registers' counts) with the counts of the person's part."""
    from campaigns.dashboard import figures
    from campaigns.queries import status as status_of

    data = status_of(replace(scope, unit=None))
    part = figures(scope)
    data["part"] = part
    if not is_office(scope):  # a unit sees its own counts, never another unit's
        data["items"], data["overdue"] = part["total"], part["overdue"]
        data.pop("by_unit", None)
        data.pop("items_by_state", None)
        data.pop("rectifications_by_state", None)
        data.pop("accountability", None)
        data.pop("mechanisms", None)
    return data


@dataclass(frozen=True)
class Dashboard:
    figures: dict[str, Any]
    timeline: str  # inline SVG
    diagrams: list[tuple[str, str]]  # (title, inline SVG)
    note: str  # why some diagram could not be drawn, or ''


def dashboard(scope: Scope) -> Dashboard:
    """``rectify dashboard``'s figures and diagrams, for the page to lay out."""
    from campaigns.dashboard import figures, timeline
    from campaigns.htmlkit import diagrams

    f = figures(scope)
    svgs, note = diagrams(scope, False)
    return Dashboard(f, timeline(f["stages"], scope.as_of), svgs, note)


def diagram(scope: Scope, kind: str, fmt: str) -> bytes:
    """``rectify diagram --kind KIND`` of the scope (its unit's subtree for a unit), drawn."""
    from campaigns.diagrams import campaign_diagram
    from engine.io.diagrams import render

    if kind not in DIAGRAM_KINDS:
        raise InvalidInput(_("unknown diagram kind '{kind}'").format(kind=kind[:32]),
                           _("kinds: {names}").format(names=", ".join(DIAGRAM_KINDS)))
    if fmt not in DIAGRAM_FORMATS:
        raise InvalidInput(_("diagrams are drawn as SVG or PNG, not '{fmt}'").format(
            fmt=fmt[:16]), _("ask for KIND.svg or KIND.png"))
    graph = campaign_diagram(scope, kind, scope.unit.code if scope.unit is not None else None)
    return _written(f"diagram.{fmt}", lambda path: render(graph, path))


# --- notices and signing -------------------------------------------------------------------------


def notices(scope: Scope) -> list[dict[str, Any]]:
    """``rectify notices``'s rows the person sees: the office every notice, a unit those about
    its subtree's items; confidential columns emptied for a role not entitled to them."""
    from campaigns.confidential import hidden, record_read, redact
    from campaigns.notices import list_all

    conn, run = scope.conn, scope.run
    rows = list_all(conn, run, scope.tree, until=scope.as_of,
                    unit=scope.unit.code if scope.unit is not None else None)
    hide = hidden(run, scope.actor) & {"title", "leader", "person"}
    if "title" not in hide:
        from campaigns.sealed import revealer

        reveal = revealer(conn, run, scope.actor)
        rows = [{**r, "title": reveal(r["code"], r["title"])} for r in rows]
    record_read(scope, "notices", {"title", "leader", "person"} - hide, items=len(rows),
                unit=scope.unit.code if scope.unit is not None else None)
    return [redact(r, hide) for r in reversed(rows)]  # newest first


def documents(scope: Scope) -> list[dict[str, Any]]:
    """``rectify document list``: the numbered documents to the person's part, with 签收."""
    from campaigns.signing import documents as listed

    return listed(scope, False, scope.unit.path if scope.unit is not None else None)


DOCUMENT_FORMATS = {"docx": "application/vnd.openxmlformats-officedocument."
                             "wordprocessingml.document",
                    "pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def document(scope: Scope, number: str, fmt: str) -> tuple[bytes, str]:
    """Numbered document ``number`` (督办通知书) as ``rectify notices -o`` writes it, if it is
    addressed to the person's part; and its file name."""
    from sqlalchemy import select

    from campaigns.confidential import blank, hidden, record_read
    from campaigns.notice_docs import build
    from campaigns.notice_render import write
    from campaigns.notices import list_all
    from campaigns.office_notices import ESCALATION
    from campaigns.tables import DOCUMENTS as D

    if fmt not in DOCUMENT_FORMATS:
        raise InvalidInput(_("a notice is written as DOCX, PDF or HTML, not '{fmt}'").format(
            fmt=fmt[:16]), _("ask for format=docx, pdf or html"))
    if number not in {d["number"] for d in documents(scope)}:
        raise NotFound(_("no document numbered '{number}' is addressed to you").format(
            number=number[:64]), _("see the notices page"))
    conn, run = scope.conn, scope.run
    row = conn.execute(select(D.c.unit_id, D.c.level, D.c.issued_on, D.c["items"]).where(
        D.c.campaign_id == run.id, D.c.number == number)).one()
    rows = list_all(conn, run, scope.tree, kinds={ESCALATION}, since=row.issued_on,
                    until=row.issued_on)
    hide = hidden(run, scope.actor) & {"title", "leader", "person"}
    if "title" not in hide:
        from campaigns.sealed import revealer

        reveal = revealer(conn, run, scope.actor)
        rows = [{**r, "title": reveal(r["code"], r["title"])} for r in rows]
    listed = set(row[3] or [])
    docs = [d for d in build(conn, run, scope.tree, [blank(r, hide) for r in rows])
            if d.unit.id == row.unit_id and d.level == row.level]
    if not docs:
        raise NotFound(_("document '{number}' lists nothing that can be shown").format(
            number=number[:64]), _("see the notices page"))
    doc = replace(docs[0], number=number,
                  rows=tuple(r for r in docs[0].rows if r["code"] in listed))
    record_read(scope, "notices", {"title", "leader", "person"} - hide, items=len(doc.rows),
                document=number)
    data = _written(f"notice.{fmt}", lambda path: write(run, [doc], fmt, path=path))
    return data, f"{doc.stem}.{fmt}"


def sign(scope: Scope, number: str, note: str | None) -> dict[str, Any]:
    """``rectify document sign``: the person's unit signs for document ``number``."""
    from campaigns.signing import sign as sign_for

    return sign_for(scope, number, note or None)


# --- extension requests --------------------------------------------------------------------------


def extension_requests(conn: Connection, person: str, today: Today, key: str
                       ) -> tuple[list[dict[str, Any]], bool]:
    """The person's visible items whose rectification waits on an extension decision, each
    with the deadline asked for and the version its forms send back; and whether the person
    is of the office (who decides them)."""
    from .work import my_items

    listing = my_items(conn, person, today, key, per_page=10**9)
    if listing is None:
        return [], False
    office = sees_all(listing.run, scope_for(conn, listing.run, person, today).acting)
    d = listing.run.definition
    waiting = {source for m in d.machines.values() for t in m.transitions
               if t.trigger == "approve-extension" for source in t.sources}
    rows = [r for r in listing.rows if r["rectification"] in waiting]
    if not rows:
        return [], office
    records = {r.code: r for r in load_records(conn, [r["code"] for r in rows], live=False)}
    out = []
    for row in rows:
        record = records[row["code"]]
        asked = record.rectification.requested_deadline
        out.append({**row, "version": version_of(record),
                    "requested": asked.isoformat() if asked else ""})
    return out, office


# --- downloads -----------------------------------------------------------------------------------


def ledger(scope: Scope) -> tuple[bytes, str]:
    """``rectify ledger -o FILE.xlsx``: the ledger of the person's part, and its file name."""
    from campaigns.ledger import export

    data = _written("ledger.xlsx", lambda path: export(scope, path))
    return data, _file_name(scope, "台账", "xlsx")


def month(text: str) -> dt.date:
    from campaigns.report import parse_month

    return parse_month(text)


def report(scope: Scope, first: dt.date, fmt: str) -> tuple[bytes, str]:
    """``rectify report --month`` as HTML or Markdown, and its file name."""
    from campaigns.report import write_report

    if fmt not in ("html", "md"):
        raise InvalidInput(_("a report is written as HTML or Markdown, not '{fmt}'").format(
            fmt=fmt[:16]), _("ask for .html or .md"))
    data = _written(f"report.{fmt}", lambda path: write_report(scope, first, path))
    return data, _file_name(scope, f"{first:%Y-%m}月报", fmt)


def _file_name(scope: Scope, what: str, ext: str) -> str:
    unit = f"-{scope.unit.code}" if scope.unit is not None else ""
    return f"{scope.run.key}{unit}-{what}-{scope.as_of.isoformat()}.{ext}"


def _written(name: str, write: Callable[[str], object]) -> bytes:
    """What a service that writes a file wrote, read back from a private temporary folder."""
    with tempfile.TemporaryDirectory(prefix="rectify-web-") as folder:
        path = os.path.join(folder, name)
        write(path)
        with open(path, "rb") as fh:
            return fh.read()

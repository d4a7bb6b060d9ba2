"""The pages of a campaign as a whole: its status, dashboard, diagrams, notices with 签收,
reports to download, and the extension requests waiting for the office.  Each handler reads the
request, calls campaigns.web.views (the command line's services) in one transaction, and
renders; who sees which part is views.seen's."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from campaigns.i18n import _
from engine.core.errors import InvalidInput, NotFound

from . import views, work
from .site import check_csrf, reading, render, signed_in, site

router = APIRouter(include_in_schema=False)


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


@router.get("/campaign")
async def newest(request: Request) -> Response:
    """The newest campaign's status (what the menu links to)."""
    with reading(site(request).db) as conn:
        signed_in(conn, request)
        run = views.newest(conn)
    if run is None:
        raise NotFound(_("the site runs no campaign yet"), _("start one: rectify campaign start"))
    return RedirectResponse(f"/campaigns/{quote(run.key)}", status_code=303)


@router.get("/campaigns/{key}")
async def status(request: Request, key: str) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        scope = views.seen(conn, live.person, key, web.today)
        data = views.status(scope)
        runs = [(r.key, r.title) for r in work.campaigns(conn)]
    return render(request, "status.html", me=live, run=scope.run, unit=scope.unit_name,
                  s=data, runs=runs, tab="status")


@router.get("/campaigns/{key}/dashboard")
async def dashboard(request: Request, key: str) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        scope = views.seen(conn, live.person, key, web.today)
        shown = views.dashboard(scope)
    return render(request, "dashboard.html", me=live, run=scope.run, unit=scope.unit_name,
                  as_of=scope.as_of, dash=shown, tab="dashboard")


@router.get("/campaigns/{key}/diagrams")
async def diagrams(request: Request, key: str) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        scope = views.seen(conn, live.person, key, web.today)
    return render(request, "diagrams.html", me=live, run=scope.run, unit=scope.unit_name,
                  kinds=views.DIAGRAM_KINDS, tab="diagrams")


@router.get("/campaigns/{key}/diagrams/{name}")
async def diagram(request: Request, key: str, name: str) -> Response:
    """One diagram, ``KIND.svg`` or ``KIND.png``: an image, never a page of its own."""
    web = site(request)
    kind, _dot, fmt = name.rpartition(".")
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        scope = views.seen(conn, live.person, key, web.today)
        data = views.diagram(scope, kind, fmt)
    return Response(data, media_type=views.DIAGRAM_FORMATS[fmt],
                    headers={"Content-Security-Policy": "default-src 'none'; style-src "
                                                        "'unsafe-inline'; sandbox"})


@router.get("/campaigns/{key}/notices")
async def notices(request: Request, key: str) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        scope = views.seen(conn, live.person, key, web.today)
        rows = views.notices(scope)
        docs = views.documents(scope)
    return render(request, "notices.html", me=live, run=scope.run, unit=scope.unit_name,
                  notices=rows, docs=docs, office=views.is_office(scope), tab="notices")


@router.post("/campaigns/{key}/documents/sign")
async def sign(request: Request, key: str) -> Response:
    """签收 of one numbered document by a person of the unit it is addressed to."""
    web = site(request)
    form = await request.form(max_files=0, max_fields=10)
    with web.db.write() as conn:
        live = signed_in(conn, request)
        check_csrf(live.csrf, form)
        scope = views.seen(conn, live.person, key, web.today)
        views.sign(scope, str(form.get("number") or ""), str(form.get("note") or ""))
    return RedirectResponse(f"/campaigns/{quote(key)}/notices", status_code=303)


@router.get("/campaigns/{key}/document")
async def document(request: Request, key: str, number: str = "", format: str = "docx"
                   ) -> Response:
    """A numbered document (督办通知书) to download, as ``rectify notices -o`` writes it."""
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        data, name = views.document(views.seen(conn, live.person, key, web.today), number,
                                    format)
    return _download(data, views.DOCUMENT_FORMATS[format], name)


@router.get("/campaigns/{key}/reports")
async def reports(request: Request, key: str) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        scope = views.seen(conn, live.person, key, web.today)
    months: list[str] = []
    day = scope.as_of.replace(day=1)
    while day >= scope.run.start_date.replace(day=1) and len(months) < 24:
        months.append(f"{day:%Y-%m}")
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return render(request, "reports.html", me=live, run=scope.run, unit=scope.unit_name,
                  months=months, tab="reports")


@router.get("/campaigns/{key}/ledger.xlsx")
async def ledger(request: Request, key: str) -> Response:
    """The ledger (台账) of the person's part, as ``rectify ledger -o FILE.xlsx`` writes it."""
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        data, name = views.ledger(views.seen(conn, live.person, key, web.today))
    return _download(data, views.XLSX, name)


@router.get("/campaigns/{key}/report")
async def report(request: Request, key: str, month: str = "", format: str = "html") -> Response:
    """The monthly report (月报) of the person's part, as ``rectify report`` writes it."""
    web = site(request)
    if not month:
        raise InvalidInput(_("which month? give month=YYYY-MM"), _("e.g. month=2015-09"))
    first = views.month(month)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        data, name = views.report(views.seen(conn, live.person, key, web.today), first, format)
    media = "text/html; charset=utf-8" if format == "html" else "text/markdown; charset=utf-8"
    return _download(data, media, name)


@router.get("/extensions")
async def extensions(request: Request, campaign: str | None = None) -> Response:
    """The extension requests (申请延期) waiting for a decision, with approve and refuse forms;
    a unit sees its own requests waiting."""
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        run = views.newest(conn) if not campaign else None
        key = campaign or (run.key if run else "")
        rows, office = (views.extension_requests(conn, live.person, web.today, key) if key
                        else ([], False))
    return render(request, "extensions.html", me=live, rows=rows, key=key, office=office)

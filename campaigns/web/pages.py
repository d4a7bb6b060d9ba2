"""The pages of a signed-in person: my items, an item, progress with evidence, firing a
trigger, the office's queue, and an evidence file to download.  Each handler reads the request,
calls campaigns.web.work (the command line's services) in one transaction, and renders."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from campaigns.dates import parse_date
from campaigns.evidence import check_size, content, upload_name
from campaigns.i18n import _
from engine.core.errors import InvalidInput

from . import work
from .doors import safe_next
from .site import check_csrf, reading, render, signed_in, site

router = APIRouter(include_in_schema=False)
MAX_FILES = 10


@router.get("/items")
async def my_items(request: Request, page: int = 1, campaign: str | None = None) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        listing = work.my_items(conn, live.person, web.today, campaign, page)
        runs = [(r.key, r.title) for r in work.campaigns(conn)]
    return render(request, "items.html", me=live, listing=listing, runs=runs)


@router.get("/items/{code}")
async def item(request: Request, code: str) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        shown = work.detail(conn, live.person, code, web.today)
    return render(request, "item.html", me=live, d=shown, code=code,
                  max_mib=web.max_upload // (1024 * 1024))


async def _files(request: Request, form: Any) -> list[tuple[str, bytes]]:
    """The uploaded evidence, each checked for name, type and size before anything is kept."""
    limit = site(request).max_upload
    out = []
    for part in form.getlist("evidence"):
        if not isinstance(part, UploadFile) or not part.filename:
            continue  # an empty file input sends a part without a name
        name = upload_name(part.filename)
        data = await part.read(limit + 1)
        check_size(name, len(data), limit)
        out.append((name, data))
    return out


@router.post("/items/{code}/progress")
async def progress(request: Request, code: str) -> Response:
    web = site(request)
    length = int(request.headers.get("content-length") or 0)
    if length > web.max_upload * MAX_FILES + 65536:
        raise InvalidInput(_("the upload is larger than the files it may hold together"),
                           _("attach at most {n} files of {mib} MiB each").format(
                               n=MAX_FILES, mib=web.max_upload // (1024 * 1024)))
    async with request.form(max_files=MAX_FILES, max_fields=20) as form:  # closes the files
        with web.db.write() as conn:
            live = signed_in(conn, request)
            check_csrf(live.csrf, form)
            files = await _files(request, form)
            work.report_progress(conn, live.person, code, str(form.get("note") or ""), files,
                                 web.today)
    return RedirectResponse(f"/items/{quote(code)}", status_code=303)


def _deadline(form: Any) -> dt.date | None:
    text = str(form.get("deadline") or "").strip()
    return parse_date(text, "deadline") if text else None


@router.post("/items/{code}/advance")
async def advance(request: Request, code: str) -> Response:
    web = site(request)
    form = await request.form(max_files=0, max_fields=20)
    with web.db.write() as conn:
        live = signed_in(conn, request)
        check_csrf(live.csrf, form)
        work.fire(conn, live.person, str(form.get("trigger") or ""),
                  {code: str(form.get("version") or "")}, web.today,
                  str(form.get("note") or ""), _deadline(form))
    back = str(form.get("back") or "")  # a local page the form came from (the extensions')
    return RedirectResponse(safe_next(back) if back else f"/items/{quote(code)}",
                            status_code=303)


@router.get("/queue")
async def queue(request: Request, campaign: str | None = None) -> Response:
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        waiting = work.queue(conn, live.person, web.today, campaign)
    return render(request, "queue.html", me=live, waiting=waiting)


@router.post("/queue")
async def queue_post(request: Request) -> Response:
    """Fire one trigger on every ticked item (``CODE@VERSION``): all of them, or none."""
    web = site(request)
    form = await request.form(max_files=0, max_fields=1100)
    with web.db.write() as conn:
        live = signed_in(conn, request)
        check_csrf(live.csrf, form)
        picked = [str(v) for v in form.getlist("pick")]
        versions = dict(p.rsplit("@", 1) for p in picked if "@" in p)
        if not versions:
            raise InvalidInput(_("no item was ticked"), _("tick the items to act on"))
        work.fire(conn, live.person, str(form.get("trigger") or ""), versions, web.today,
                  str(form.get("note") or ""))
    return RedirectResponse("/queue", status_code=303)


@router.get("/items/{code}/evidence/{sha256}")
async def evidence(request: Request, code: str, sha256: str) -> Response:
    """One evidence file, always as a download: never shown as a page of this site."""
    web = site(request)
    with reading(web.db) as conn:
        live = signed_in(conn, request)
        _scope, record = work.item_scope(conn, live.person, code, web.today)
        stored, data = content(conn, record.item.id, sha256)
    return Response(data, media_type=stored.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename)}",
        "X-Content-Type-Options": "nosniff"})

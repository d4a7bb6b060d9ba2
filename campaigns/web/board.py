"""``/board/CAMPAIGN``: the public board (公示), for anyone, with no sign-in.

The page is campaigns.board's own, the one ``rectify board`` writes: public columns only,
confirmed problems only, built without a viewer so nothing confidential can reach it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from campaigns.board import board_html
from campaigns.context import Scope
from campaigns.runs import load_run

from .site import site

router = APIRouter(include_in_schema=False)


@router.get("/board/{campaign}")
async def board(request: Request, campaign: str) -> Response:
    web = site(request)
    with web.db.read() as conn:
        run = load_run(conn, campaign)
        html, _count = board_html(Scope(conn, run, None, web.today(run.timezone)))
    return HTMLResponse(html)

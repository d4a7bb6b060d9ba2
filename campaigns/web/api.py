"""The JSON API under ``/api``: a person's bearer token (``rectify person token``) in the
``Authorization`` header; the same services and the same who-sees-what as the pages.

A token is sent by a program, never by a browser on its own, so the API takes no cookies and
needs no CSRF secret.  Its description is ``/api/openapi.json`` (OpenAPI 3, from FastAPI).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaigns.credentials import token_person
from campaigns.tables import ITEMS, RECTIFICATIONS
from campaigns.units import SITE_TIMEZONE
from engine.core.errors import Conflict
from engine.io.store import ATTEMPTS, BACKOFF, Prepared

from . import work
from .site import LoginNeeded, reading, site
from .work import Stale

router = APIRouter(prefix="/api", tags=["items"])


def bearer(conn: Connection, request: Request) -> str:
    """The person whose token the request carries, or LoginNeeded (HTTP 401)."""
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    day = site(request).today(SITE_TIMEZONE)
    person = token_person(conn, token.strip(), day) if scheme.lower() == "bearer" else None
    if person is None:
        raise LoginNeeded()
    return person


T = TypeVar("T")
_VERSIONS = Prepared(select(ITEMS.c.version, RECTIFICATIONS.c.version)
                     .select_from(ITEMS.join(RECTIFICATIONS, RECTIFICATIONS.c.item_id == ITEMS.c.id))
                     .where(ITEMS.c.code == bindparam("code")))


def settled(work: Callable[[], T]) -> T:
    """``work``, one whole transaction, run again when the database refused it for a change
    made at the same time by another writer (a serialisation failure, a row changed between
    its read and its write, SQLite busy); never when the caller's version was stale, which is
    the caller's to decide on (409 with the item as it is now)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except Stale:
            raise
        except Conflict:
            if attempt == ATTEMPTS:
                raise
            time.sleep(BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


class ItemRow(BaseModel):
    code: str
    title: str
    unit: str
    state: str
    rectification: str
    label: str = Field(description="the one 状态 a ledger shows")
    deadline: str
    overdue: bool
    light: str = Field(description="'red' past the deadline, 'yellow' within 7 days, else ''")


class ItemPage(BaseModel):
    campaign: str
    as_of: dt.date
    page: int
    pages: int
    total: int
    items: list[ItemRow]


class Advance(BaseModel):
    trigger: str = Field(description="e.g. submit, verify, return")
    version: str = Field(description="the item's version as last read (GET /api/items/CODE)")
    note: str | None = None
    deadline: dt.date | None = Field(None, description="for triggers that set a new deadline")


class Advanced(BaseModel):
    code: str
    outcomes: list[dict[str, str | None]]
    version: str
    new_deadline: dt.date | None = None


class Problem(BaseModel):
    error: str
    hint: str | None = None
    current: dict[str, Any] | None = Field(None, description="with 409: the item as it is now")


@router.get("/items", response_model=ItemPage, responses={401: {"model": Problem}})
async def list_items(request: Request, campaign: str | None = None, page: int = 1,
                     per_page: int = 50) -> ItemPage:
    """The items the token's person sees (their unit's subtree; all of them for the office)."""
    web = site(request)
    with reading(web.db) as conn:
        person = bearer(conn, request)
        listing = work.my_items(conn, person, web.today, campaign, page,
                                min(max(per_page, 1), 500))
    if listing is None:
        return ItemPage(campaign="", as_of=web.today(SITE_TIMEZONE), page=1, pages=1,
                        total=0, items=[])
    return ItemPage(campaign=listing.run.key, as_of=listing.as_of, page=listing.page,
                    pages=listing.pages, total=listing.total,
                    items=[ItemRow(**{k: r[k] for k in ItemRow.model_fields}) for r in listing.rows])


@router.get("/items/{code}", responses={401: {"model": Problem}, 404: {"model": Problem}})
async def show_item(request: Request, code: str) -> dict[str, Any]:
    """Item CODE with its history, its evidence, the triggers the person may fire now, and
    the ``version`` to send back when firing one."""
    web = site(request)
    with reading(web.db) as conn:
        person = bearer(conn, request)
        d = work.detail(conn, person, code, web.today)
    return {"item": d.item, "version": d.version, "light": d.light, "label": d.label,
            "evidence": [{"file": e.filename, "sha256": e.sha256, "size": e.size}
                         for e in d.evidence],
            "triggers": [{"trigger": t["trigger"], "title": t["title"], "to": t["to"]}
                         for t in d.triggers]}


@router.post("/items/{code}/advance", response_model=Advanced,
             responses={401: {"model": Problem}, 403: {"model": Problem},
                        404: {"model": Problem}, 409: {"model": Problem}})
async def advance(request: Request, code: str, body: Advance) -> Response:
    """Fire a trigger on item CODE, as ``rectify item advance`` does.  ``version`` must be
    the item's current one: otherwise nothing changes and the answer is 409 with the item as
    it is now (read it, decide again, send its new version)."""
    return _advanced(request, code, body)


async def advance_direct(request: Request) -> Response:
    """``advance`` answered by Starlette's router itself (``app.py`` puts it first): the
    busiest call of the API skips FastAPI's dependency solving, a fifth of its cost; the body
    is checked by the same model, and FastAPI's route above still describes it."""
    try:
        body = Advance.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
                                     ) from None
    return _advanced(request, request.path_params["code"], body)


def _advanced(request: Request, code: str, body: Advance) -> Response:
    web = site(request)

    def once() -> tuple[list[Any], str]:
        with web.db.write() as conn:
            person = bearer(conn, request)
            done = work.fire(conn, person, body.trigger, {code: body.version}, web.today,
                             body.note, body.deadline)
            (item, rectification), = _VERSIONS.rows(conn, {"code": code})
            return done, f"{item}.{rectification}"  # as work.version_of, read after the change

    done, version = settled(once)
    # the model documents the answer; built and encoded here, FastAPI does not check it again
    return JSONResponse(Advanced(
        code=code, version=version, new_deadline=done[0].new_deadline,
        outcomes=[{"trigger": o.trigger, "machine": o.machine, "from": o.source, "to": o.dest}
                  for o in done[0].outcomes]).model_dump(mode="json"))


FAST = [Route("/api/items/{code}/advance", advance_direct, methods=["POST"])]

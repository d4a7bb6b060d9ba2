"""The web application of ``rectify serve``: FastAPI routes over the services, errors as
pages (or JSON under /api), and headers that keep a page from running anything it did not
bring itself (no script at all: the pages need none)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaigns import i18n
from campaigns.db import Database
from campaigns.items import MAX_EVIDENCE
from campaigns.logins import SESSION_LENGTH
from engine.core.errors import (
    Conflict,
    EngineError,
    EnvironmentProblem,
    InvalidInput,
    NotFound,
    Refused,
)

from . import api, board, campaign_pages, doors, pages
from .site import HERE, CsrfRefused, LoginNeeded, Site, language, render
from .work import Stale, Today, default_today

POLICY = ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app(url: str | None = None, *, today: Today = default_today,
               session_length: dt.timedelta = SESSION_LENGTH,
               max_upload: int = MAX_EVIDENCE) -> FastAPI:
    """The application over the database at ``url`` (None: RECTIFY_DB or ./rectify.db).

    ``today`` gives the business date in a time zone (a training copy, or a test, fixes it).
    """
    app = FastAPI(title="Rectify", version=_version(), docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="The JSON API of `rectify serve`: send a person's token "
                              "(`rectify person token KEY`) as `Authorization: Bearer TOKEN`.")
    app.state.site = Site(Database(url, pooled=True), today, session_length, max_upload)
    app.mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static")
    app.router.routes[:0] = api.FAST  # matched before FastAPI's own routes (api.advance_direct)
    for module in (api, doors, pages, campaign_pages, board):  # the API first: a program calls it most
        app.include_router(module.router)
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(LoginNeeded, _login_needed)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(Speaking)
    app.add_middleware(Headers)
    return app


AS_OF_ENV = "RECTIFY_SERVE_AS_OF"  # set by ``rectify serve --as-of`` for its worker processes


def fixed_today(day: dt.date) -> Today:
    """A business date that does not move (``rectify serve --as-of``: a training copy, a replay)."""
    return lambda _timezone: day


def from_environment() -> FastAPI:
    """The application of one worker process of ``rectify serve --workers N`` (each is a
    fresh process: the database is ``RECTIFY_DB``, the fixed business date, if any,
    ``RECTIFY_SERVE_AS_OF``)."""
    fixed = os.environ.get(AS_OF_ENV, "")
    return create_app(None, today=fixed_today(dt.date.fromisoformat(fixed)) if fixed
                      else default_today)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rectify")
    except PackageNotFoundError:
        return "0"


_ALWAYS = [(b"content-security-policy", POLICY.encode()), (b"x-content-type-options", b"nosniff"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin")]


class Headers:
    """Adds the headers every answer carries, unless the route set its own (a plain ASGI
    middleware: Starlette's ``BaseHTTPMiddleware`` costs a task group and a stream per request,
    a third of what a small API call costs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        # pages differ per person: no cache, except what is the same for everyone
        private = not path.startswith(("/static/", "/board/"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _v in headers}
                headers += [(k, v) for k, v in _ALWAYS if k not in present]
                if private and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class Speaking:
    """A page is answered in the page's language (its cookie), and so is every message the
    services make while answering it (a refusal, a bad value), whatever the server's own
    language; the API speaks the server's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        with i18n.speaking(language(Request(scope))):
            await self.app(scope, receive, send)


def status_of(exc: EngineError) -> int:
    """The HTTP status of a library error (docs/deployment.md lists them)."""
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, Refused):
        return 403
    if isinstance(exc, EnvironmentProblem):
        return 503
    return 400


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(request: Request, status: int, error: str, hint: str | None = None,
             **extra: Any) -> Response:
    if _is_api(request):
        return JSONResponse({"error": error, "hint": hint, **extra}, status_code=status,
                            headers={"Retry-After": "0"} if status == 409 else None)
    return render(request, "error.html", status, status=status, error=error, hint=hint, **extra)


async def _engine_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EngineError)
    extra = {"current": exc.current} if isinstance(exc, Stale) else {}
    if _is_api(request):
        return _problem(request, status_of(exc), exc.message, exc.hint, **extra)
    # a message the engine declared (Text), or one stored in English: in the page's language
    return _problem(request, status_of(exc), i18n.localize(exc.message),
                    i18n.localize(exc.hint) if exc.hint else None, **extra)


async def _login_needed(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return JSONResponse({"error": "a valid bearer token is required",
                             "hint": "send 'Authorization: Bearer TOKEN' "
                                     "(rectify person token KEY)"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return RedirectResponse("/login", status_code=303)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return _problem(request, 403, i18n._("the form came without its page's secret (CSRF check)"),
                    i18n._("reload the page and send the form again"))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                      for e in exc.errors()[:5])
    return _problem(request, 400, f"the request is not valid: {where}",
                    "see /api/openapi.json for what each field takes")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _problem(request, exc.status_code, str(exc.detail))

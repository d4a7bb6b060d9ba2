"""The pages of signing in and out, the start page and the language switch."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from campaigns.i18n import _
from campaigns.logins import login, login_vouched, logout, session

from . import oidc
from .site import (
    LANG_COOKIE,
    LANGUAGES,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    address,
    check_csrf,
    render,
    secure,
    signed_in,
    site,
)

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything else (another site, ``//host``) goes home."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/items"


@router.get("/")
async def home(request: Request) -> Response:
    """My items when signed in, else the sign-in page."""
    with site(request).db.read() as conn:
        live = session(conn, request.cookies.get(SESSION_COOKIE, ""))
    return RedirectResponse("/items" if live else "/login", status_code=303)


def _login_page(request: Request, status: int = 200, error: str = "", key: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status, csrf=token, error=error, key=key,
                      openid=oidc.provider())
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure(request), path="/login")
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request.cookies.get(LOGIN_COOKIE, ""), form)
    key, password = str(form.get("key") or ""), str(form.get("password") or "")
    web = site(request)
    with web.db.write() as conn:  # the try is recorded, refused or not
        done = login(conn, key, password, address(request), web.session_length)
    if not done.ok:
        status = 429 if done.reason == "throttled" else 401
        return _login_page(request, status, done.reason, key[:64])
    response = RedirectResponse("/items", status_code=303)
    response.set_cookie(SESSION_COOKIE, done.cookie, httponly=True, samesite="lax",
                        secure=secure(request), max_age=int(web.session_length.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def _openid(request: Request) -> tuple[oidc.Provider, str]:
    """The site's provider and this site's callback address (NotFound: none configured)."""
    from engine.core.errors import NotFound

    found = oidc.provider()
    if found is None:
        raise NotFound(_("this site signs in with passwords only"),
                       _("configure openid in the site configuration (docs/security.md)"))
    return found, found.redirect_uri or str(request.url_for("openid_callback"))


@router.get("/login/oidc")
async def openid_start(request: Request) -> Response:
    """Off to the site's OpenID Connect provider, remembering the flow in a cookie."""
    provider, callback = _openid(request)
    flow = await run_in_threadpool(oidc.start, provider, callback)
    response = RedirectResponse(flow.url, status_code=303)
    response.set_cookie(oidc.FLOW_COOKIE, flow.cookie, max_age=oidc.FLOW_SECONDS,
                        httponly=True, samesite="lax", secure=secure(request),
                        path="/login/oidc")
    return response


@router.get("/login/oidc/callback", name="openid_callback")
async def openid_callback(request: Request, state: str = "", code: str = "",
                          error: str = "") -> Response:
    """Back from the provider: its ID token checked, the person it names signed in."""
    provider, callback = _openid(request)
    key, refusal = "", ""
    try:
        if error:
            raise oidc.SignInRefused(f"provider: {error[:40]}")
        key = await run_in_threadpool(oidc.finish, provider,
                                      request.cookies.get(oidc.FLOW_COOKIE, ""), state, code,
                                      callback)
    except oidc.SignInRefused as exc:
        key, refusal = exc.person, exc.reason
    web = site(request)
    with web.db.write() as conn:  # the try is recorded, refused or not
        done = login_vouched(conn, key, address(request), web.session_length, refusal)
    if not done.ok:
        response = _login_page(request, 401, "openid")
    else:
        response = RedirectResponse("/items", status_code=303)
        response.set_cookie(SESSION_COOKIE, done.cookie, httponly=True, samesite="lax",
                            secure=secure(request),
                            max_age=int(web.session_length.total_seconds()))
    response.delete_cookie(oidc.FLOW_COOKIE, path="/login/oidc")
    return response


@router.post("/logout")
async def logout_post(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    with site(request).db.write() as conn:
        live = signed_in(conn, request)
        check_csrf(live.csrf, form)
        logout(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
async def choose_language(request: Request, code: str, next: str | None = None) -> Response:
    """Switch the pages' language (a cookie; nothing is stored on the server)."""
    if code not in LANGUAGES:
        raise _unknown_language(code)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, code, samesite="lax", secure=secure(request),
                        max_age=365 * 24 * 3600)
    return response


def _unknown_language(code: str) -> Exception:
    from engine.core.errors import NotFound

    return NotFound(_("no pages in '{code}'").format(code=code[:16]), _("choose zh_CN or en"))

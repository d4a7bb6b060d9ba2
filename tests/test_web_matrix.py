"""The web door's authorisation matrix: every role × every route of the application (pages and
API) × an item of the person's own unit and one of another unit, on a real SQLite file.

The list of routes is read from the application itself: a route added without an entry here
fails ``test_every_route_has_a_matrix_entry``.  Each entry checks, for one person, what they get
for their own unit's item and for another unit's: the status, that nothing of another unit
shows (pages, downloads, diagrams, the API), confidential fields only for roles allowed them,
forms refused without their CSRF secret, and a visitor sent to sign in (401 on the API).
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from ledger_fixtures import CAMPAIGN, invoke
from starlette.routing import Mount, Route
from web_fixtures import PASSWORD, SCRIPT, TODAY, Site, build, csrf_of

from campaigns.credentials import issue_token
from campaigns.db import Database
from campaigns.web.app import create_app
from campaigns.web.site import SESSION_COOKIE

ROLES = ("anonymous", "sup", "lead", "zhang-czj", "li-czj", "chen-jyj")
OFFICE = {"sup", "lead"}  # supervising / office roles, both confidential: true
REPORTER = "举报人甲"  # the confidential reporter of site.secret (县财政局)
EVIDENCE = "%PDF-1.4\n% 整改佐证\n".encode()
DOCUMENT = "县组督〔2015〕1号"  # the 提醒 issued to 县财政局 on 2015-08-20


@dataclass(frozen=True)
class World:
    site: Site
    cookies: dict[str, str]  # person → session cookie
    csrf: dict[str, str]  # person → the session's form secret
    tokens: dict[str, str]  # person → API token
    sha: str  # the evidence file on site.czj


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("matrix")
    site = build(str(folder / "county.db"))
    invoke(site.db, "tick", CAMPAIGN, "--as-of", TODAY.isoformat())
    invoke(site.db, "notices", CAMPAIGN, "--issue", "--since", "2015-08-01", "--as-of",
           TODAY.isoformat(), "--actor", "sup", "-o", str(folder / "notices"))
    proof = folder / "整改佐证.pdf"
    proof.write_bytes(EVIDENCE)
    invoke(site.db, "item", "progress", site.czj, "--note", "召开专题会议", "--evidence",
           str(proof), "--actor", "zhang-czj", "--as-of", TODAY.isoformat())
    cookies, csrf, tokens = {}, {}, {}
    client = TestClient(create_app(site.db, today=lambda _tz: TODAY))
    for who in ROLES[1:]:
        client.cookies.clear()
        page = client.get("/login")
        done = client.post("/login", data={"key": who, "password": PASSWORD,
                                           "csrf": csrf_of(page.text)}, follow_redirects=False)
        assert done.status_code == 303, done.text
        cookies[who] = client.cookies[SESSION_COOKIE]
        csrf[who] = csrf_of(client.get("/items").text)
        with Database(site.db).write() as conn:
            tokens[who] = issue_token(conn, who, actor="admin")
    return World(site, cookies, csrf, tokens, hashlib.sha256(EVIDENCE).hexdigest())


@dataclass
class Trial:
    """One person on a fresh copy of the world."""

    who: str
    world: World
    client: TestClient
    db: str

    @property
    def anon(self) -> bool:
        return self.who == "anonymous"

    @property
    def office(self) -> bool:
        return self.who in OFFICE

    @property
    def own(self) -> str:
        """An item of the person's own unit (the office sees every unit)."""
        return self.world.site.jyj if self.who == "chen-jyj" else self.world.site.czj

    @property
    def other(self) -> str:
        """An item of another unit (the office sees it too)."""
        return self.world.site.czj if self.who == "chen-jyj" else self.world.site.jyj

    @property
    def csrf(self) -> str:
        return self.world.csrf.get(self.who, "")

    @property
    def auth(self) -> dict[str, str]:
        token = self.world.tokens.get(self.who)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def sees(self, code: str) -> bool:
        return not self.anon and (self.office or code == self.own)

    def get(self, path: str, **options: object) -> object:
        return self.client.get(path, follow_redirects=False, **options)  # type: ignore[arg-type]

    def post(self, path: str, **options: object) -> object:
        return self.client.post(path, follow_redirects=False, **options)  # type: ignore[arg-type]

    def to_login(self, answer: object) -> None:
        assert answer.status_code == 303, (self.who, answer.status_code)  # type: ignore[attr-defined]
        assert answer.headers["location"] == "/login"  # type: ignore[attr-defined]

    def csrf_refused(self, path: str, data: dict[str, str], **options: object) -> None:
        """Without the form secret, or with a forged one: 403 (a visitor: to sign in)."""
        for secret in ({}, {"csrf": "forged"}):
            answer = self.post(path, data={**data, **secret}, **options)
            if self.anon:
                self.to_login(answer)
            else:
                assert answer.status_code == 403, (self.who, path, answer.status_code)  # type: ignore[attr-defined]

    def events(self) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def version(t: Trial, code: str) -> str:
    token = t.world.tokens["sup"]
    return str(t.client.get(f"/api/items/{code}",
                            headers={"Authorization": f"Bearer {token}"}).json()["version"])


# --- the entries: one function per route ---------------------------------------------------------


def home(t: Trial) -> None:
    answer = t.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == ("/login" if t.anon else "/items")


def login_page(t: Trial) -> None:
    answer = t.get("/login")
    assert answer.status_code == 200 and 'name="csrf"' in answer.text


def login_post(t: Trial) -> None:
    t.client.cookies.clear()
    key = "nobody" if t.anon else t.who
    assert t.post("/login", data={"key": key, "password": PASSWORD}).status_code == 403
    page = t.client.get("/login")
    answer = t.post("/login", data={"key": key, "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert answer.status_code == (401 if t.anon else 303)


def logout(t: Trial) -> None:
    t.csrf_refused("/logout", {})
    if t.anon:
        return
    assert t.post("/logout", data={"csrf": t.csrf}).status_code == 303
    t.to_login(t.get("/items"))  # the session is over


def openid(t: Trial) -> None:
    """This site has no OpenID Connect provider: both addresses are unknown (404) to
    everyone.  tests/test_web_oidc.py signs in through a real one."""
    assert t.get("/login/oidc").status_code == 404
    assert t.get("/login/oidc/callback?code=x&state=y").status_code == 404
    assert "/login/oidc" not in t.get("/login").text


def language(t: Trial) -> None:
    answer = t.get("/lang/en?next=/items")
    assert answer.status_code == 303 and answer.headers["location"] == "/items"
    assert t.get("/lang/xx").status_code == 404
    assert t.get("/lang/en?next=https://evil.example/").headers["location"] == "/items"


def my_items(t: Trial) -> None:
    answer = t.get("/items")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 200
    for code in (t.own, t.other):
        assert (f'href="/items/{code}"' in answer.text) == t.sees(code), (t.who, code)
    assert SCRIPT not in answer.text


def item(t: Trial) -> None:
    site = t.world.site
    for code in (t.own, t.other, site.secret, site.script):
        answer = t.get(f"/items/{code}")
        if t.anon:
            t.to_login(answer)
            continue
        visible = t.sees(code) or (code in (site.secret, site.script) and t.own == site.czj)
        assert answer.status_code == (200 if visible else 404), (t.who, code)
        assert "<script>alert" not in answer.text
        if code == site.secret and visible:
            assert (REPORTER in answer.text) == t.office, t.who  # confidential: the office's


def progress(t: Trial) -> None:
    for code in (t.own, t.other):
        path = f"/items/{code}/progress"
        t.csrf_refused(path, {"note": "x"})
        if t.anon:
            continue
        before = t.events()
        answer = t.post(path, data={"note": "已整改", "csrf": t.csrf},
                        files={"evidence": ("记录.pdf", b"%PDF-1.4 x", "application/pdf")})
        assert answer.status_code == (303 if t.sees(code) else 404), (t.who, code)
        assert t.events() == before + (1 if t.sees(code) else 0)


def advance(t: Trial) -> None:
    site = t.world.site
    path = f"/items/{site.czj}/advance"
    now = version(t, site.czj)
    t.csrf_refused(path, {"trigger": "submit", "version": now})
    if t.anon:
        return
    answer = t.post(path, data={"trigger": "submit", "version": now, "csrf": t.csrf})
    # 县财政局's head submits; its member holds no role for it; the office does not rectify
    expected = {"zhang-czj": 303, "li-czj": 403, "sup": 403, "lead": 403, "chen-jyj": 404}
    assert answer.status_code == expected[t.who], (t.who, answer.text[:300])


def evidence(t: Trial) -> None:
    site, sha = t.world.site, t.world.sha
    for code in (site.czj, site.jyj):
        answer = t.get(f"/items/{code}/evidence/{sha}")
        if t.anon:
            t.to_login(answer)
            continue
        ok = code == site.czj and t.sees(site.czj)  # the file is 县财政局's item's only
        assert answer.status_code == (200 if ok else 404), (t.who, code)
        if ok:
            assert answer.content == EVIDENCE
            assert answer.headers["content-disposition"].startswith("attachment;")
    if not t.anon:
        assert t.get(f"/items/{site.czj}/evidence/..%2F..%2Fetc%2Fpasswd").status_code == 404


def queue(t: Trial) -> None:
    answer = t.get("/queue")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 200
    jyj = t.world.site.jyj  # reported: waiting to be confirmed
    assert (jyj in answer.text) == t.sees(jyj), t.who
    assert "<script>alert" not in answer.text


def queue_post(t: Trial) -> None:
    jyj = t.world.site.jyj
    pick = f"{jyj}@{version(t, jyj)}"
    t.csrf_refused("/queue", {"trigger": "confirm", "pick": pick})
    if t.anon:
        return
    answer = t.post("/queue", data={"trigger": "confirm", "pick": pick, "csrf": t.csrf})
    # the office confirms; 县教育局's head may confirm its own report; others do not see it;
    # li-czj sees nothing of 县教育局
    expected = {"sup": 303, "lead": 303, "chen-jyj": 303, "zhang-czj": 404, "li-czj": 404}
    assert answer.status_code == expected[t.who], (t.who, answer.text[:300])


def campaign_home(t: Trial) -> None:
    answer = t.get("/campaign")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 303 and answer.headers["location"] == f"/campaigns/{CAMPAIGN}"


def _own_unit_only(t: Trial, text: str) -> None:
    """A unit's view names no other unit; the office's names both."""
    mine, theirs = ("县教育局", "县财政局") if t.who == "chen-jyj" else ("县财政局", "县教育局")
    assert mine in text, t.who
    assert (theirs in text) == t.office, t.who


def _campaign_page(suffix: str, names_units: bool = True) -> Callable[[Trial], None]:
    def check(t: Trial) -> None:
        answer = t.get(f"/campaigns/{CAMPAIGN}{suffix}")
        if t.anon:
            return t.to_login(answer)
        assert answer.status_code == 200, (t.who, answer.text[:300])
        assert "<script" not in answer.text and "built-in method" not in answer.text
        if names_units:
            _own_unit_only(t, answer.text)
        assert t.get(f"/campaigns/nonesuch{suffix}").status_code == 404
    check.__name__ = f"campaign{suffix.replace('/', '_') or '_status'}"
    return check


def diagram(t: Trial) -> None:
    answer = t.get(f"/campaigns/{CAMPAIGN}/diagrams/units.svg")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    _own_unit_only(t, answer.text)
    assert t.get(f"/campaigns/{CAMPAIGN}/diagrams/items.png").content[:4] == b"\x89PNG"
    for bad in ("units.pdf", "nonesuch.svg", "..%2F..%2Fetc%2Fpasswd"):
        assert t.get(f"/campaigns/{CAMPAIGN}/diagrams/{bad}").status_code in (400, 404), bad


def notices(t: Trial) -> None:
    answer = t.get(f"/campaigns/{CAMPAIGN}/notices")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 200
    sees_czj = t.office or t.own == t.world.site.czj
    assert (DOCUMENT in answer.text) == sees_czj, t.who
    assert (t.world.site.czj in answer.text) == sees_czj, t.who
    # 签收 is offered to the unit addressed, never to the office
    assert ('action="/campaigns/wgbw-2015/documents/sign"' in answer.text) == (
        sees_czj and not t.office)


def document(t: Trial) -> None:
    """The 督办通知书 itself, for the unit addressed and the office only."""
    from urllib.parse import quote

    path = f"/campaigns/{CAMPAIGN}/document?number={quote(DOCUMENT)}"
    answer = t.get(path + "&format=html")
    if t.anon:
        return t.to_login(answer)
    sees = t.office or t.own == t.world.site.czj
    assert answer.status_code == (200 if sees else 404), (t.who, answer.text[:300])
    if not sees:
        return
    assert answer.headers["content-disposition"].startswith("attachment;")
    html = answer.content.decode("utf-8")
    assert DOCUMENT in html and t.world.site.czj in html and "县财政局" in html
    assert t.world.site.jyj not in html
    docx = t.get(path + "&format=docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert t.get(path + "&format=exe").status_code == 400
    if t.who == "sup":  # once: PDF is the slowest to draw
        assert t.get(path + "&format=pdf").content[:5] == b"%PDF-"
    assert t.get(f"/campaigns/{CAMPAIGN}/document?number=nonesuch&format=html").status_code == 404


def sign(t: Trial) -> None:
    path = f"/campaigns/{CAMPAIGN}/documents/sign"
    t.csrf_refused(path, {"number": DOCUMENT})
    if t.anon:
        return
    answer = t.post(path, data={"number": DOCUMENT, "note": "已收到", "csrf": t.csrf})
    # only a person of 县财政局 (the unit addressed) signs; the county's office is above it
    ok = t.who in ("zhang-czj", "li-czj")
    assert answer.status_code == (303 if ok else 403), (t.who, answer.text[:300])
    if ok:
        listed = t.get(f"/campaigns/{CAMPAIGN}/notices").text
        assert f"{t.who} 于 {TODAY.isoformat()} 签收" in listed, t.who
        assert t.post(path, data={"number": DOCUMENT, "csrf": t.csrf}).status_code == 403


def ledger(t: Trial) -> None:
    from openpyxl import load_workbook

    answer = t.get(f"/campaigns/{CAMPAIGN}/ledger.xlsx")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    cells = {str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
             for v in row if v is not None}
    for code in (t.own, t.other):
        assert (code in cells) == t.sees(code), (t.who, code)
    assert REPORTER not in cells  # the ledger has no column for a reporter
    assert SCRIPT in cells or t.who == "chen-jyj"  # text kept as text, never a formula


def report(t: Trial) -> None:
    answer = t.get(f"/campaigns/{CAMPAIGN}/report?month=2015-08")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 200
    text = answer.content.decode("utf-8")
    titles = {t.world.site.czj: "项目资金拨付拖延", t.world.site.jyj: "会议文件过多"}
    for code in (t.own, t.other):
        assert (titles[code] in text) == t.sees(code), (t.who, code)
    assert REPORTER not in text and "<script>alert" not in text
    assert t.get(f"/campaigns/{CAMPAIGN}/report?month=2015-8x").status_code == 400
    assert t.get(f"/campaigns/{CAMPAIGN}/report").status_code == 400
    md = t.get(f"/campaigns/{CAMPAIGN}/report?month=2015-08&format=md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert t.get(f"/campaigns/{CAMPAIGN}/report?month=2015-08&format=exe").status_code == 400


def extensions(t: Trial) -> None:
    answer = t.get("/extensions")
    if t.anon:
        return t.to_login(answer)
    assert answer.status_code == 200


def board(t: Trial) -> None:
    answer = t.get(f"/board/{CAMPAIGN}")
    assert answer.status_code == 200
    assert REPORTER not in answer.text and "<script>alert" not in answer.text
    assert t.get("/board/nonesuch").status_code == 404


def openapi(t: Trial) -> None:
    answer = t.get("/api/openapi.json")
    assert answer.status_code == 200 and "/api/items" in answer.json()["paths"]


def static(t: Trial) -> None:
    assert t.get("/static/rectify.css").status_code == 200
    assert t.get("/static/../app.py").status_code == 404


def api_items(t: Trial) -> None:
    assert t.get("/api/items").status_code == 401  # cookies are not enough
    if t.anon:
        return
    listed = {r["code"] for r in t.get("/api/items", headers=t.auth).json()["items"]}
    for code in (t.own, t.other):
        assert (code in listed) == t.sees(code), (t.who, code)


def api_item(t: Trial) -> None:
    site = t.world.site
    for code in (t.own, t.other, site.secret):
        assert t.get(f"/api/items/{code}").status_code == 401
        if t.anon:
            continue
        answer = t.get(f"/api/items/{code}", headers=t.auth)
        visible = t.sees(code) or (code == site.secret and t.own == site.czj)
        assert answer.status_code == (200 if visible else 404), (t.who, code)
        if code == site.secret and visible:
            assert (REPORTER in answer.text) == t.office, t.who


def api_advance(t: Trial) -> None:
    site = t.world.site
    path = f"/api/items/{site.czj}/advance"
    body = {"trigger": "submit", "version": version(t, site.czj)}
    assert t.post(path, json=body).status_code == 401
    if t.anon:
        return
    answer = t.post(path, json=body, headers=t.auth)
    expected = {"zhang-czj": 200, "li-czj": 403, "sup": 403, "lead": 403, "chen-jyj": 404}
    assert answer.status_code == expected[t.who], (t.who, answer.text[:300])


MATRIX: dict[tuple[str, str], Callable[[Trial], None]] = {
    ("GET", "/"): home,
    ("GET", "/login"): login_page,
    ("POST", "/login"): login_post,
    ("POST", "/logout"): logout,
    ("GET", "/login/oidc"): openid,
    ("GET", "/login/oidc/callback"): openid,
    ("GET", "/lang/{code}"): language,
    ("GET", "/items"): my_items,
    ("GET", "/items/{code}"): item,
    ("POST", "/items/{code}/progress"): progress,
    ("POST", "/items/{code}/advance"): advance,
    ("GET", "/items/{code}/evidence/{sha256}"): evidence,
    ("GET", "/queue"): queue,
    ("POST", "/queue"): queue_post,
    ("GET", "/campaign"): campaign_home,
    ("GET", "/campaigns/{key}"): _campaign_page(""),
    ("GET", "/campaigns/{key}/dashboard"): _campaign_page("/dashboard"),
    ("GET", "/campaigns/{key}/diagrams"): _campaign_page("/diagrams", names_units=False),
    ("GET", "/campaigns/{key}/diagrams/{name}"): diagram,
    ("GET", "/campaigns/{key}/notices"): notices,
    ("POST", "/campaigns/{key}/documents/sign"): sign,
    ("GET", "/campaigns/{key}/document"): document,
    ("GET", "/campaigns/{key}/reports"): _campaign_page("/reports", names_units=False),
    ("GET", "/campaigns/{key}/ledger.xlsx"): ledger,
    ("GET", "/campaigns/{key}/report"): report,
    ("GET", "/extensions"): extensions,
    ("GET", "/board/{campaign}"): board,
    ("GET", "/api/openapi.json"): openapi,
    ("GET", "/static"): static,
    ("GET", "/api/items"): api_items,
    ("GET", "/api/items/{code}"): api_item,
    ("POST", "/api/items/{code}/advance"): api_advance,
}


def _walk(found: list[object], prefix: str = "") -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for route in found:
        inner = getattr(route, "original_router", None)  # a router included as a whole
        if inner is not None:
            out |= _walk(inner.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, Mount):
            out.add(("GET", prefix + route.path))
        elif isinstance(route, (APIRoute, Route)):
            out |= {(m, prefix + route.path) for m in (route.methods or ()) if m != "HEAD"}
        else:
            raise AssertionError(f"a route of a kind the matrix does not know: {route!r}")
    return out


def routes() -> set[tuple[str, str]]:
    """Every (method, path) the application answers, read from the application."""
    return _walk(list(create_app(":memory:").routes))


def test_every_route_has_a_matrix_entry() -> None:
    found = routes()
    missing = sorted(found - set(MATRIX))
    assert not missing, f"routes with no entry in the authorisation matrix: {missing}"
    stale = sorted(set(MATRIX) - found)
    assert not stale, f"matrix entries for routes the application no longer has: {stale}"


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_matrix(world: World, tmp_path: Path, route: tuple[str, str], who: str,
                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECTIFY_SITE_CONFIG", raising=False)
    path = str(tmp_path / "county.db")
    with sqlite3.connect(world.site.db) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    client = TestClient(create_app(path, today=lambda _tz: TODAY))
    if who != "anonymous":
        client.cookies.set(SESSION_COOKIE, world.cookies[who])
    MATRIX[route](Trial(who, world, client, path))


def test_every_text_of_the_pages_has_its_chinese() -> None:
    """The pages speak Chinese by default: every ``_()`` text of a template is translated."""
    import re

    from babel.messages.pofile import read_po

    from campaigns.web.site import HERE

    po = Path(HERE).parent / "locale" / "zh_CN" / "LC_MESSAGES" / "rectify.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    texts = {m.group(2) for page in (Path(HERE) / "templates").glob("*.html")
             for m in re.finditer(r"""_\((["'])(.+?)\1\)""", page.read_text("utf-8"))}
    assert len(texts) > 100
    missing = sorted(t for t in texts if t not in catalog or not catalog[t].string)
    assert not missing, f"page texts without a zh_CN translation: {missing}"


def test_an_extension_refused_keeps_the_deadline_and_a_return_needs_its_note(
        world: World, tmp_path: Path) -> None:
    """The extension page's refuse button (its form also carries the deadline field) and the
    queue's bulk return go through the same triggers as ``rectify item advance``."""
    path = str(tmp_path / "county.db")
    with sqlite3.connect(world.site.db) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    czj = world.site.czj

    def as_(who: str) -> Trial:
        client = TestClient(create_app(path, today=lambda _tz: TODAY))
        client.cookies.set(SESSION_COOKIE, world.cookies[who])
        return Trial(who, world, client, path)

    def deadline() -> object:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT r.state, r.deadline FROM rectifications r JOIN items i "
                                "ON i.id = r.item_id WHERE i.code = ?", (czj,)).fetchone()

    head, sup = as_("zhang-czj"), as_("sup")
    before = deadline()
    asked = head.post(f"/items/{czj}/advance", data={
        "trigger": "request-extension", "version": version(head, czj), "csrf": head.csrf,
        "note": "需协调资金", "deadline": "2015-09-30"})
    assert asked.status_code == 303 and deadline()[0] == "extension_requested"
    listed = sup.get("/extensions").text
    assert czj in listed and 'value="2015-09-30"' in listed
    assert "approve-extension" not in head.get("/extensions").text  # the unit only waits
    refused = sup.post(f"/items/{czj}/advance", data={
        "trigger": "refuse-extension", "version": version(sup, czj), "csrf": sup.csrf,
        "deadline": "2015-09-30", "back": "/extensions"})
    assert refused.status_code == 303 and refused.headers["location"] == "/extensions"
    assert deadline() == before  # in progress, with the deadline it had
    submitted = head.post(f"/items/{czj}/advance", data={
        "trigger": "submit", "version": version(head, czj), "csrf": head.csrf})
    assert submitted.status_code == 303
    pick = f"{czj}@{version(sup, czj)}"
    bare = sup.post("/queue", data={"trigger": "return", "pick": pick, "csrf": sup.csrf})
    assert bare.status_code == 403 and deadline()[0] == "submitted"  # a return needs its note
    back = sup.post("/queue", data={"trigger": "return", "pick": pick, "csrf": sup.csrf,
                                    "note": "佐证材料不足"})
    assert back.status_code == 303 and deadline()[0] == "in_progress"
    # a form's way back is a local page only
    again = head.post(f"/items/{czj}/advance", data={
        "trigger": "submit", "version": version(head, czj), "csrf": head.csrf,
        "back": "//evil.example/"})
    assert again.status_code == 303 and again.headers["location"] == "/items"


@pytest.mark.parametrize("who", ["sup", "zhang-czj"])
def test_the_campaign_pages_speak_english_on_request(world: World, who: str) -> None:
    client = TestClient(create_app(world.site.db, today=lambda _tz: TODAY))
    client.cookies.set(SESSION_COOKIE, world.cookies[who])
    client.get("/lang/en?next=/items")
    words = {"": "Stages", "/dashboard": "Closing rate", "/diagrams": "Escalation ladder",
             "/notices": "Numbered documents", "/reports": "Download the ledger"}
    for suffix, word in words.items():
        page = client.get(f"/campaigns/{CAMPAIGN}{suffix}")
        assert page.status_code == 200 and word in page.text, suffix
        assert '<html lang="en">' in page.text and "中文" in page.text
    assert "Extension requests" in client.get("/extensions").text
    assert "To verify" in client.get("/queue").text


@pytest.mark.parametrize("name, kept", [
    (b"a\x00.pdf", None), (b"scan.pdf\x00.html", None), (b"\\\\server\\share\\x.pdf", None),
    (b"/etc/passwd.pdf", None), (b"../../x.pdf", None), (b"..%2F..%2Fx.pdf", None),
    (b"x.pdf\r\nContent-Type: text/html", None),
    # an old browser's full Windows path: the multipart parser keeps its last part only
    (b"C:\\Users\\li\\scan.pdf", "scan.pdf"),
])
def test_an_upload_name_sent_raw_is_a_plain_name_or_refused(
        world: World, tmp_path: Path, name: bytes, kept: str | None) -> None:
    """The bytes a hostile client may put in a multipart header, as sent (no client library
    between): NUL, UNC and absolute paths, encoded slashes, header injection."""
    path = str(tmp_path / "county.db")
    with sqlite3.connect(world.site.db) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    client = TestClient(create_app(path, today=lambda _tz: TODAY))
    client.cookies.set(SESSION_COOKIE, world.cookies["zhang-czj"])
    csrf = world.csrf["zhang-czj"].encode()
    body = (b'--B\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + csrf + b"\r\n"
            b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\nok\r\n'
            b'--B\r\nContent-Disposition: form-data; name="evidence"; filename="' + name
            + b'"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 x\r\n--B--\r\n')
    answer = client.post(f"/items/{world.site.czj}/progress", content=body,
                         headers={"content-type": "multipart/form-data; boundary=B"},
                         follow_redirects=False)
    with sqlite3.connect(path) as conn:
        names = [n for (n,) in conn.execute("SELECT filename FROM evidence "
                                            "WHERE filename != '整改佐证.pdf'")]
    if kept is None:
        assert answer.status_code == 400, answer.text[:300]
        assert names == []
    else:
        assert answer.status_code == 303 and names == [kept], names


@pytest.mark.parametrize("server, page", [("en", "zh_CN"), ("zh_CN", "en")])
def test_a_service_error_speaks_the_page_language_not_the_server(
        world: World, server: str, page: str) -> None:
    """The message a service makes while answering a page (an unknown item, a refusal) is in the
    page's language (its cookie), whatever language the server's process speaks; the process's
    own choice stays as it was."""
    from campaigns import i18n

    i18n.use(server)
    try:
        client = TestClient(create_app(world.site.db, today=lambda _tz: TODAY))
        client.cookies.set(SESSION_COOKIE, world.cookies["sup"])
        if page == "en":
            client.get("/lang/en?next=/items")
        for path in ("/items/WGBW-2015-9999", "/campaigns/nope"):
            missing = client.get(path)
            assert missing.status_code == 404
            error = missing.text.split('role="alert">')[1].split("</p>")[0]
            hint = missing.text.split('<p class="muted">')[1].split("</p>")[0].split(": ", 1)[1]
            for text in (error, hint):
                chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)
                assert chinese == (page == "zh_CN"), (path, page, text)
        assert i18n.current() is not None and i18n.translating() == (server == "zh_CN")
    finally:
        i18n.use()


def test_pages_read_while_a_command_holds_the_write_lock(world: World, tmp_path: Path) -> None:
    """A page that changes nothing reads in a read transaction: while another process (a CLI
    command) holds SQLite's write lock, every such page and API view still answers at once.  A
    page showing confidential fields to an entitled person records that read in a short write
    of its own, before the page is shown: while the lock is held it waits and is refused as
    busy, and once the lock is free the read is recorded, once."""
    from urllib.parse import quote

    path = str(tmp_path / "county.db")
    with sqlite3.connect(world.site.db) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    site = world.site
    unit = TestClient(create_app(path, today=lambda _tz: TODAY))
    unit.cookies.set(SESSION_COOKIE, world.cookies["zhang-czj"])
    office = TestClient(create_app(path, today=lambda _tz: TODAY))
    office.cookies.set(SESSION_COOKIE, world.cookies["sup"])
    pages = ["/items", f"/items/{site.czj}", "/queue", "/extensions", f"/campaigns/{CAMPAIGN}",
             f"/campaigns/{CAMPAIGN}/dashboard", f"/campaigns/{CAMPAIGN}/diagrams",
             f"/campaigns/{CAMPAIGN}/diagrams/units.svg", f"/campaigns/{CAMPAIGN}/notices",
             f"/campaigns/{CAMPAIGN}/reports", f"/campaigns/{CAMPAIGN}/ledger.xlsx",
             f"/campaigns/{CAMPAIGN}/report?month=2015-08",
             f"/campaigns/{CAMPAIGN}/document?number={quote(DOCUMENT)}&format=html"]
    token = {"Authorization": f"Bearer {world.tokens['zhang-czj']}"}

    def reads() -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("SELECT count(*) FROM events WHERE machine = 'record' "
                                    "AND trigger = 'read'").fetchone()[0])

    before = reads()
    command = sqlite3.connect(path, isolation_level=None, timeout=0)
    command.execute("BEGIN IMMEDIATE")  # what a writing command holds while it works
    try:
        for page in pages:
            assert unit.get(page).status_code == 200, page
        assert unit.get("/campaign", follow_redirects=False).status_code == 303
        assert unit.get("/api/items", headers=token).status_code == 200
        assert unit.get(f"/api/items/{site.czj}", headers=token).status_code == 200
        # the office is shown the reporter: that read must be recorded before it is shown
        waiting = office.get(f"/items/{site.secret}")
        assert waiting.status_code != 200 and "举报人甲" not in waiting.text
        # and the command, which held the lock all along, still commits its own change
        command.execute("UPDATE items SET title = title WHERE code = ?", (site.czj,))
        command.execute("COMMIT")
    finally:
        command.close()
    assert reads() == before
    shown = office.get(f"/items/{site.secret}")
    assert shown.status_code == 200 and "举报人甲" in shown.text
    assert reads() == before + 1

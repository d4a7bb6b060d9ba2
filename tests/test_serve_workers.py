"""``rectify serve --workers 2`` on PostgreSQL: sign-ins, sessions and their throttling hold
across the worker processes (their state is in the database), and eight clients advancing the
same items at once through the JSON API lose no update: every accepted change is in the log
exactly once, the state tables are the replay of the log, every refusal is a clean 409 with
the item as it is now and a hint."""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke
from serving import Server, start

from campaigns.credentials import set_password
from campaigns.db import Database
from campaigns.reducer import campaign_at, items_from_tables
from campaigns.runs import load_run

AS_OF = "2015-08-24"
PASSWORD = "correct horse battery staple"
CLIENTS = 8
SECONDS = 3.0


@pytest.fixture(scope="module")
def served(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server for the module's tests (building the county takes longer than they do)."""
    name = pg_server.create_database("rectify_serve")
    try:
        yield from _served(pg_server.url(name), tmp_path_factory.mktemp("serve"))
    finally:
        pg_server.drop_database(name)


def _served(url: str, tmp_path: Path) -> Any:
    db = county(url)
    codes = [invoke(db, "item", "add", CAMPAIGN, "--title", f"窗口问题{i}", "--unit", "czj",
                    "--category", "cold-service", "--source", "self-inspection", "--actor", "sup",
                    "--as-of", "2015-08-03").output.strip() for i in range(3)]
    invoke(db, "item", "advance", "confirm", *codes, "--actor", "sup", "--as-of", "2015-08-04")
    for code in codes:
        invoke(db, "item", "rectify", code, "--measures", "整改", "--deadline", "2015-09-30",
               "--actor", "zhang-czj", "--as-of", "2015-08-05")
    tokens = {key: next(line for line in invoke(db, "person", "token", key, "--actor", "admin")
                        .output.split() if line.startswith("rct_"))
              for key in ("zhang-czj", "sup")}
    with Database(db).write() as conn:
        set_password(conn, "zhang-czj", PASSWORD, actor="admin")
    server = start(db, tmp_path / "serve.log", "--workers", "2", "--no-schedule",
                   "--as-of", AS_OF)
    try:
        yield db, server, codes, tokens
    finally:
        server.stop()


def request(server: Server, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None,
            conn: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request; on a connection of its own unless one is given (a new connection may be
    answered by either worker)."""
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        got = c.getresponse()
        return got.status, {k.lower(): v for k, v in got.getheaders()}, got.read()
    finally:
        if own:
            c.close()


def cookies(headers: dict[str, str], raw: list[str]) -> dict[str, str]:
    return {m.group(1): m.group(2) for h in raw for m in [re.match(r"([^=]+)=([^;]*)", h)] if m}


def form(server: Server, path: str, fields: dict[str, str], jar: dict[str, str]
         ) -> tuple[int, dict[str, str], bytes]:
    from urllib.parse import urlencode

    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        c.request("POST", path, body=urlencode(fields).encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded",
                           "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
        got = c.getresponse()
        jar.update(cookies({}, got.headers.get_all("set-cookie") or []))
        return got.status, {k.lower(): v for k, v in got.getheaders()}, got.read()
    finally:
        c.close()


def login_page(server: Server, jar: dict[str, str]) -> str:
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        c.request("GET", "/login")
        got = c.getresponse()
        jar.update(cookies({}, got.headers.get_all("set-cookie") or []))
        page = got.read().decode()
    finally:
        c.close()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_sessions_and_throttling_hold_across_workers(served: Any) -> None:
    _db, server, codes, _tokens = served
    jar: dict[str, str] = {}
    secret = login_page(server, jar)
    status, headers, _body = form(server, "/login", {"key": "zhang-czj", "password": PASSWORD,
                                                     "csrf": secret}, jar)
    assert status == 303 and "rectify_session" in jar
    cookie = {"Cookie": f"rectify_session={jar['rectify_session']}"}
    for _ in range(20):  # new connections: both workers answer some of them
        status, _h, page = request(server, "GET", "/items", headers=cookie)
        assert status == 200 and codes[0] in page.decode()
    # the session's form secret, read from a page one worker rendered, is good on any worker
    page = request(server, "GET", "/items", headers=cookie)[2].decode()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    assert form(server, "/logout", {"csrf": "forged"}, dict(jar))[0] == 403
    assert form(server, "/logout", {"csrf": found.group(1)}, dict(jar))[0] == 303
    assert request(server, "GET", "/items", headers=cookie)[0] == 303  # ended for every worker
    # five failures for one key, each on a new connection, throttle the sixth try
    for _ in range(5):
        jar = {}
        secret = login_page(server, jar)
        assert form(server, "/login", {"key": "zhang-czj", "password": "wrong password!",
                                       "csrf": secret}, jar)[0] == 401
    jar = {}
    secret = login_page(server, jar)
    assert form(server, "/login", {"key": "zhang-czj", "password": PASSWORD,
                                   "csrf": secret}, jar)[0] == 429


# who fires what: the unit head submits (in progress → submitted), the office returns
TRIGGER = {"zhang-czj": ("submit", "in_progress"), "sup": ("return", "submitted")}


def client(server: Server, person: str, token: str, codes: list[str], until: float,
           seen: dict[str, dict[str, Any]], accepted: list[tuple[str, str, str]],
           refused: list[dict[str, Any]], other: list[tuple[int, bytes]]) -> None:
    """Fires its trigger on the items it believes are in the state that allows it, with the
    version it last saw; a 409 tells it the state and version now."""
    trigger, allowed = TRIGGER[person]
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    rng = random.Random(person + str(threading.get_ident()))
    known = {code: dict(seen[code]) for code in codes}
    try:
        while time.monotonic() < until:
            code = rng.choice(codes)
            mine = known[code]
            if mine["rectification"] != allowed:
                status, _h, body = request(server, "GET", f"/api/items/{code}", headers=auth,
                                           conn=conn)
                assert status == 200, body
                shown = json.loads(body)
                mine.update(version=shown["version"], rectification=shown["item"]["rectification"])
                if mine["rectification"] != allowed:
                    time.sleep(0.002)
                    continue
            payload = json.dumps({"trigger": trigger, "version": mine["version"],
                                  "note": "材料不全" if trigger == "return" else None}).encode()
            status, headers, body = request(server, "POST", f"/api/items/{code}/advance",
                                            payload, auth, conn=conn)
            if status == 200:
                done = json.loads(body)
                accepted.append((code, mine["version"], done["version"]))
                mine.update(version=done["version"], rectification=done["outcomes"][-1]["to"]
                            if done["outcomes"][-1]["machine"] == "rectification" else "?")
            elif status == 409:
                problem = json.loads(body)
                refused.append({**problem, "retry_after": headers.get("retry-after")})
                mine.update(version=problem["current"]["version"],
                            rectification=problem["current"]["rectification"])
            else:
                other.append((status, body))
    finally:
        conn.close()


def test_eight_writers_on_the_same_items_lose_no_update(served: Any) -> None:
    db, server, codes, tokens = served
    auth = {"Authorization": f"Bearer {tokens['sup']}"}
    seen = {}
    for code in codes:
        shown = json.loads(request(server, "GET", f"/api/items/{code}", headers=auth)[2])
        seen[code] = {"version": shown["version"], "rectification": "in_progress"}
    accepted: list[tuple[str, str, str]] = []
    refused: list[dict[str, Any]] = []
    other: list[tuple[int, bytes]] = []
    until = time.monotonic() + SECONDS
    people = ["zhang-czj", "sup"] * (CLIENTS // 2)
    threads = [threading.Thread(target=client, args=(server, p, tokens[p], codes, until, seen,
                                                     accepted, refused, other))
               for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not other, other[:3]
    assert len(accepted) > 20 and refused, (len(accepted), len(refused))
    # every refusal: 409 with the item as it is now and what to do
    for problem in refused:
        assert problem["current"]["code"] in codes and problem["current"]["version"]
        assert problem["hint"] and problem["retry_after"] == "0"
    # no two clients were accepted on the same version of an item
    versions = Counter((code, version) for code, version, _new in accepted)
    assert max(versions.values()) == 1
    with Database(db).read() as conn:
        run = load_run(conn, CAMPAIGN)
        from sqlalchemy import text

        logged = Counter(r[0] for r in conn.execute(text(
            "SELECT subject_key FROM events WHERE \"trigger\" IN ('submit', 'return') "
            "AND actor IN ('zhang-czj', 'sup') AND business_date = :day"), {"day": AS_OF}))
        assert logged == Counter(code for code, _v, _n in accepted)  # each change once
        tables = items_from_tables(conn, run)
        replayed = campaign_at(conn, run, run.latest or run.start_date, replay=True,
                               snapshots=False).items
        assert len(tables) == len(codes) and tables == replayed
    invoke(db, "audit", "verify", "--all")  # the chains hold

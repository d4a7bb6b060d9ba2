"""The web door's authorisation: every role × every endpoint × own and other unit, through
FastAPI's test client on a real SQLite file; confidential fields, CSRF, escaping, uploads,
sign-in throttling and records, sessions, tokens and the API's version check."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st
from ledger_fixtures import CAMPAIGN
from web_fixtures import PASSWORD, SCRIPT, Site, app, build, csrf_of, signed_in

from campaigns.cli import cli
from campaigns.credentials import issue_token
from campaigns.db import Database


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build(str(tmp_path_factory.mktemp("web") / "county.db"))


@pytest.fixture
def site(built: Site, tmp_path: Path) -> Site:
    """A fresh copy of the built county for each test (the file, as SQLite keeps it)."""
    path = str(tmp_path / "county.db")
    with sqlite3.connect(built.db) as source, sqlite3.connect(path) as copy:
        source.backup(copy)  # the write-ahead log's pages too
    return Site(path, built.closed, built.czj, built.jyj, built.dismissed, built.secret,
                built.script)


def rows(site: Site, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(site.db) as conn:
        return conn.execute(sql, params).fetchall()


def progress_count(site: Site) -> int:
    return int(rows(site, "SELECT count(*) FROM progress")[0][0])


# --- who sees what -------------------------------------------------------------------------------

# person → the units whose items they see ("all": every unit)
SEES = {"lead": "all", "sup": "all", "zhang-czj": "czj", "li-czj": "czj", "chen-jyj": "jyj",
        "wu-qsz": "qsz"}


@pytest.mark.parametrize("person", sorted(SEES))
def test_each_person_sees_their_subtree_on_every_endpoint(site: Site, person: str) -> None:
    client, _csrf = signed_in(site, person)
    with Database(site.db).write() as conn:
        token = issue_token(conn, person, actor="admin")
    auth = {"Authorization": f"Bearer {token}"}
    units = {site.czj: "czj", site.jyj: "jyj", site.secret: "czj", site.script: "czj",
             site.dismissed: "qsz", site.closed: "czj"}
    listed = client.get("/items").text
    api_listed = {r["code"] for r in client.get("/api/items", headers=auth).json()["items"]}
    for code, unit in units.items():
        visible = SEES[person] in ("all", unit)
        page = client.get(f"/items/{code}")
        assert page.status_code == (200 if visible else 404), (person, code)
        assert (f'href="/items/{code}"' in listed) == visible, (person, code)
        assert (code in api_listed) == visible, (person, code)
        assert client.get(f"/api/items/{code}", headers=auth).status_code == (
            200 if visible else 404)
        if not visible:  # nor may they act on it, nor learn anything of it
            assert code not in page.text or f"没有问题 {code}" in page.text  # "no item", zh
            assert client.post(f"/api/items/{code}/advance", headers=auth, json={
                "trigger": "confirm", "version": "1.1"}).status_code == 404


def test_an_unsigned_visitor_is_sent_to_sign_in_and_the_api_wants_a_token(site: Site) -> None:
    client = app(site)
    for path in ("/", "/items", f"/items/{site.czj}", "/queue"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    assert client.post(f"/items/{site.czj}/progress", data={"note": "x"},
                       follow_redirects=False).headers["location"] == "/login"
    for path in ("/api/items", f"/api/items/{site.czj}"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer rct_forged"}).status_code == 401
    assert client.get("/api/openapi.json").json()["paths"]["/api/items/{code}/advance"]


def test_confidential_fields_only_for_roles_allowed(site: Site) -> None:
    office, _ = signed_in(site, "sup")  # supervision-office: confidential: true
    unit, _ = signed_in(site, "zhang-czj")  # unit-head: not
    shown = office.get(f"/items/{site.secret}").text
    assert "举报人甲" in shown and "13900000000" in shown
    hidden = unit.get(f"/items/{site.secret}").text
    assert "群众反映窗口推诿" in hidden
    assert "举报人甲" not in hidden and "13900000000" not in hidden
    # the office's read of them is recorded, as the command line's is
    assert rows(site, "SELECT count(*) FROM events WHERE trigger = 'read' AND actor = 'sup'")[0][0] >= 1
    board = app(site).get(f"/board/{CAMPAIGN}")
    assert board.status_code == 200 and "举报人甲" not in board.text


def test_every_title_is_escaped(site: Site) -> None:
    client, _ = signed_in(site, "zhang-czj")
    for path in ("/items", f"/items/{site.script}"):
        html = client.get(path).text
        assert "<script>alert" not in html and "&lt;script&gt;alert" in html, path
    sup, csrf = signed_in(site, "sup")
    assert "<script>alert" not in sup.get("/queue").text
    assert client.get(f"/items/{site.script}").headers["content-security-policy"].count(
        "script-src 'none'") == 1


# --- forms: CSRF, uploads ------------------------------------------------------------------------


def test_a_form_without_its_secret_is_refused_and_changes_nothing(site: Site) -> None:
    client, csrf = signed_in(site, "zhang-czj")
    before = progress_count(site)
    for data in ({"note": "x"}, {"note": "x", "csrf": "forged"}, {"note": "x", "csrf": ""}):
        assert client.post(f"/items/{site.czj}/progress", data=data).status_code == 403
        assert client.post(f"/items/{site.czj}/advance", data={**data, "trigger": "submit",
                                                               "version": "2.2"}).status_code == 403
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert progress_count(site) == before
    assert client.get(f"/items/{site.czj}").text.count("整改中") >= 1  # still in progress
    # the sign-in form carries its own secret: without the cookie's twin it is refused
    fresh = app(site)
    assert fresh.post("/login", data={"key": "sup", "password": PASSWORD,
                                      "csrf": "x"}).status_code == 403


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "/etc/passwd.pdf", "a/b.pdf", "..\\x.pdf",
                                  "C:evil.pdf", "a?.pdf", "a<b>.pdf", ".htaccess", "page.html",
                                  "drawing.svg", "run.exe", "x\u202egpj.pdf",
                                  "noextension"])
def test_uploads_with_path_tricks_or_wrong_types_are_refused(site: Site, name: str) -> None:
    client, csrf = signed_in(site, "zhang-czj")
    before = progress_count(site)
    answer = client.post(f"/items/{site.czj}/progress", data={"note": "已整改", "csrf": csrf},
                         files={"evidence": (name, b"%PDF-1.4 content", "application/pdf")})
    assert answer.status_code == 400, answer.text
    assert "佐证文件" in answer.text  # "evidence file …", in the page's language
    assert progress_count(site) == before
    assert rows(site, "SELECT count(*) FROM evidence")[0][0] == 0


def test_an_oversize_upload_is_refused(site: Site) -> None:
    client, csrf = signed_in(site, "zhang-czj", max_upload=1024)
    answer = client.post(f"/items/{site.czj}/progress", data={"note": "已整改", "csrf": csrf},
                         files={"evidence": ("scan.pdf", b"x" * 1025, "application/pdf")})
    assert answer.status_code == 400 and "“scan.pdf”超过" in answer.text  # "larger than"
    assert progress_count(site) == 0 + rows(site, "SELECT count(*) FROM progress")[0][0]
    assert rows(site, "SELECT count(*) FROM evidence")[0][0] == 0


def test_progress_with_evidence_is_stored_by_hash_and_downloaded_only_by_who_sees_it(
        site: Site) -> None:
    client, csrf = signed_in(site, "zhang-czj")
    body = b"%PDF-1.4\n% minutes of the meeting\n"
    answer = client.post(f"/items/{site.czj}/progress",
                         data={"note": "召开专题会议", "csrf": csrf},
                         files={"evidence": ("会议纪要.pdf", body, "application/pdf")},
                         follow_redirects=False)
    assert answer.status_code == 303
    digest = hashlib.sha256(body).hexdigest()
    assert rows(site, "SELECT filename, size FROM evidence WHERE sha256 = ?", digest) == [
        ("会议纪要.pdf", len(body))]
    assert rows(site, "SELECT content FROM blobs WHERE sha256 = ?", digest) == [(body,)]
    assert rows(site, "SELECT actor, trigger FROM events ORDER BY id DESC LIMIT 1") == [
        ("zhang-czj", "progress")]
    page = client.get(f"/items/{site.czj}").text
    assert "召开专题会议" in page and "会议纪要.pdf" in page
    got = client.get(f"/items/{site.czj}/evidence/{digest}")
    assert got.status_code == 200 and got.content == body
    assert got.headers["content-disposition"].startswith("attachment;")
    outsider, _ = signed_in(site, "chen-jyj")
    assert outsider.get(f"/items/{site.czj}/evidence/{digest}").status_code == 404
    sup, _ = signed_in(site, "sup")
    assert sup.get(f"/items/{site.czj}/evidence/{digest}").content == body
    # the hash of another item's file does not open through this one
    assert client.get(f"/items/{site.script}/evidence/{digest}").status_code == 404


# --- acting: duties, versions, the queue ---------------------------------------------------------


def test_a_trigger_follows_the_duties_and_a_stale_version_is_409(site: Site) -> None:
    client, csrf = signed_in(site, "li-czj")  # of the unit, with no role
    refused = client.post(f"/items/{site.czj}/advance",
                          data={"trigger": "submit", "version": "2.2", "csrf": csrf})
    assert refused.status_code == 403
    head, csrf = signed_in(site, "zhang-czj")
    stale = head.post(f"/items/{site.czj}/advance",
                      data={"trigger": "submit", "version": "1.1", "csrf": csrf})
    assert stale.status_code == 409 and "version 2.2" in stale.text
    done = head.post(f"/items/{site.czj}/advance",
                     data={"trigger": "submit", "version": "2.2", "csrf": csrf},
                     follow_redirects=False)
    assert done.status_code == 303
    assert rows(site, "SELECT r.state FROM rectifications r JOIN items i ON i.id = r.item_id "
                      "WHERE i.code = ?", site.czj) == [("submitted",)]
    # the unit may not judge its own work: verify is the supervision's
    again = head.post(f"/items/{site.czj}/advance",
                      data={"trigger": "verify", "version": "2.3", "csrf": csrf})
    assert again.status_code in (403, 409)


def test_the_api_answers_a_stale_version_with_409_and_the_current_state(site: Site) -> None:
    with Database(site.db).write() as conn:
        token = issue_token(conn, "zhang-czj", actor="zhang-czj", label="OA")
    auth = {"Authorization": f"Bearer {token}"}
    client = app(site)
    shown = client.get(f"/api/items/{site.czj}", headers=auth).json()
    assert shown["version"] == "2.2" and {t["trigger"] for t in shown["triggers"]} >= {"submit"}
    ok = client.post(f"/api/items/{site.czj}/advance", headers=auth,
                     json={"trigger": "submit", "version": shown["version"], "note": "已完成"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["outcomes"][0] == {"trigger": "submit", "machine": "rectification",
                                        "from": "in_progress", "to": "submitted"}
    late = client.post(f"/api/items/{site.czj}/advance", headers=auth,
                       json={"trigger": "submit", "version": shown["version"]})
    assert late.status_code == 409
    assert late.json()["current"]["rectification"] == "submitted"
    assert late.json()["current"]["version"] == ok.json()["version"]
    assert client.post(f"/api/items/{site.czj}/advance", headers=auth,
                       json={"trigger": "submit"}).status_code == 400
    # only the token's SHA-256 is kept, never the token
    assert rows(site, "SELECT sha256, label FROM api_tokens") == [
        (hashlib.sha256(token.encode()).hexdigest(), "OA")]


def test_the_office_queue_verifies_in_bulk(site: Site) -> None:
    head, csrf = signed_in(site, "zhang-czj")
    head.post(f"/items/{site.czj}/advance", data={"trigger": "submit", "version": "2.2",
                                                  "csrf": csrf})
    sup, csrf = signed_in(site, "sup")
    queue = sup.get("/queue").text
    confirm, verify = queue.split("<h2>待验收销号")  # the sections: to confirm, to verify
    found = re.search(rf'value="({site.czj}@[0-9.]+)"', verify)  # to verify
    assert found and site.czj not in confirm
    assert f'value="{site.jyj}@1.1"' in confirm  # to confirm
    done = sup.post("/queue", data={"trigger": "verify", "pick": [found.group(1)],
                                    "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert rows(site, "SELECT state FROM items WHERE code = ?", site.czj) == [("closed",)]
    assert f"{site.czj}@" not in sup.get("/queue").text
    # a unit head's queue holds only its own unit's items
    assert site.jyj not in head.get("/queue").text


# --- signing in ----------------------------------------------------------------------------------


def test_sign_ins_are_recorded_and_throttled_per_person(site: Site) -> None:
    client = app(site)
    for _ in range(5):
        page = client.get("/login")
        assert client.post("/login", data={"key": "sup", "password": "wrong password!",
                                           "csrf": csrf_of(page.text)}).status_code == 401
    page = client.get("/login")
    throttled = client.post("/login", data={"key": "sup", "password": PASSWORD,
                                            "csrf": csrf_of(page.text)})
    assert throttled.status_code == 429  # the right password too, until the window passes
    failed = rows(site, "SELECT subject_key, payload FROM site_events WHERE machine = 'login' "
                        "AND trigger = 'fail'")
    assert len(failed) == 6 and all(subject == "sup" for subject, _ in failed)
    assert '"throttled"' in str(failed[-1][1]) and '"password"' in str(failed[0][1])
    other, _ = signed_in(site, "zhang-czj")  # another person from the same address still may
    assert rows(site, "SELECT count(*) FROM site_events WHERE machine = 'login' "
                      "AND trigger = 'succeed' AND subject_key = 'zhang-czj'")[0][0] == 1
    assert "testclient" in str(rows(site, "SELECT payload FROM site_events WHERE trigger = "
                                          "'succeed'")[0][0])


def test_sign_ins_are_throttled_per_address(site: Site) -> None:
    """20 failures from one address, spread over keys, stop every key from there."""
    client = app(site)
    for n in range(20):
        page = client.get("/login")
        assert client.post("/login", data={"key": f"guess{n % 4}", "password": "x" * 12,
                                           "csrf": csrf_of(page.text)}).status_code == 401
    page = client.get("/login")
    assert client.post("/login", data={"key": "sup", "password": PASSWORD,
                                       "csrf": csrf_of(page.text)}).status_code == 429


def test_unknown_people_and_people_without_passwords_cannot_sign_in(site: Site) -> None:
    client = app(site)
    for key in ("nobody", "admin"):  # admin was given no password
        page = client.get("/login")
        assert client.post("/login", data={"key": key, "password": PASSWORD,
                                           "csrf": csrf_of(page.text)}).status_code == 401
    reasons = [str(p) for (p,) in rows(site, "SELECT payload FROM site_events WHERE trigger = 'fail'")]
    assert any("unknown" in r for r in reasons) and any("no-password" in r for r in reasons)


def test_sessions_end_on_sign_out_and_expire(site: Site) -> None:
    client, csrf = signed_in(site, "sup")
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/items", follow_redirects=False).headers["location"] == "/login"
    short, _ = signed_in(site, "sup", session_length=dt.timedelta(seconds=1))
    import time

    time.sleep(1.2)
    assert short.get("/items", follow_redirects=False).headers["location"] == "/login"


def test_a_deactivated_person_loses_their_session_and_token(site: Site) -> None:
    client, _ = signed_in(site, "li-czj")
    with Database(site.db).write() as conn:
        token = issue_token(conn, "li-czj", actor="admin")
    runner = CliRunner()
    done = runner.invoke(cli, ["person", "deactivate", "li-czj", "--actor", "admin"],
                         env={"RECTIFY_DB": site.db})
    assert done.exit_code == 0, done.output
    assert client.get("/items", follow_redirects=False).status_code == 303
    assert client.get("/api/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# --- the commands --------------------------------------------------------------------------------


def test_person_password_and_token_commands(site: Site) -> None:
    runner = CliRunner()
    env = {"RECTIFY_DB": site.db}
    short = runner.invoke(cli, ["person", "password", "wu-qsz", "--actor", "wu-qsz"],
                          input="short\n", env=env)
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    other = runner.invoke(cli, ["person", "password", "wu-qsz", "--actor", "zhang-czj"],
                          input="a long enough phrase\n", env=env)
    assert other.exit_code == 1 and "may not set the password" in other.output
    mine = runner.invoke(cli, ["person", "password", "wu-qsz", "--actor", "wu-qsz"],
                         input="a long enough phrase\n", env=env)
    assert mine.exit_code == 0, mine.output
    assert rows(site, "SELECT count(*) FROM site_events WHERE trigger = 'password' "
                      "AND subject_key = 'wu-qsz'")[0][0] == 2  # the fixture's, and this one
    assert "a long enough phrase" not in str(rows(site, "SELECT * FROM credentials"))
    issued = runner.invoke(cli, ["person", "token", "wu-qsz", "--label", "OA", "--expires",
                                 "2999-01-01", "--actor", "admin"], env=env)
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[0]
    assert token.startswith("rct_")
    answer = app(site).get("/api/items", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert [r["code"] for r in answer.json()["items"]] == [site.dismissed]  # 青山镇's one
    expired = runner.invoke(cli, ["person", "token", "wu-qsz", "--expires", "2000-01-01",
                                  "--actor", "admin"], env=env)
    assert expired.exit_code == 1 and "not after today" in expired.output


def test_the_public_board_needs_no_sign_in(site: Site) -> None:
    board = app(site).get(f"/board/{CAMPAIGN}")
    assert board.status_code == 200
    assert "整改情况公示" in board.text and "项目资金拨付拖延" in board.text
    assert "匿名反映收受红包" not in board.text  # dismissed as untrue: never disclosed
    assert app(site).get("/board/nonesuch").status_code == 404


def test_pages_speak_chinese_by_default_and_english_on_request(site: Site) -> None:
    client, _ = signed_in(site, "sup")
    assert "我的事项" in client.get("/items").text
    client.get("/lang/en?next=/items")
    assert "My items" in client.get("/items").text
    assert client.get("/lang/en?next=//evil.example", follow_redirects=False
                      ).headers["location"] == "/items"
    assert SCRIPT not in client.get("/items").text


@given(st.text(max_size=60))
def test_an_accepted_upload_name_is_always_a_plain_name(name: str) -> None:
    from campaigns.evidence import TYPES, upload_name
    from engine.core.errors import InvalidInput

    try:
        kept = upload_name(name)
    except InvalidInput:
        return
    assert kept == name and not kept.startswith(".")
    assert not set("/\\:\x00\"<>|?*") & set(kept)
    assert Path(kept).name == kept and Path(kept).suffix.lower() in TYPES


def test_rectify_serve_refuses_what_it_cannot_serve_and_serves_with_one_command(
        site: Site, tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    runner = CliRunner()
    missing = runner.invoke(cli, ["serve", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 4 and "no database" in missing.output
    assert runner.invoke(cli, ["serve", "--port", "0", "--db", site.db]).exit_code == 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rectify = str(Path(sys.executable).with_name("rectify"))
    server = subprocess.Popen([rectify, "serve", "--port", str(port), "--no-schedule", "--db", site.db],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "LANG": "C"})
    try:
        page = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as got:
                    page = got.read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.1)
        assert "登录" in page and 'name="csrf"' in page
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode("utf-8")
    assert f"http://127.0.0.1:{port}/" in output

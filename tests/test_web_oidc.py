"""Signing in through an OpenID Connect provider: a real provider on the loopback address,
written here (discovery, authorization with PKCE, token endpoint, published keys) with real
HTTP and real RS256 signatures, against ``rectify serve``'s application on a real SQLite file.

The provider signs in whoever ``Provider.user`` is (as if they had signed in there); what it
puts in the ID token can be spoiled one way at a time to see each refused and recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from web_fixtures import TODAY, Site, build

from campaigns.web import oidc
from campaigns.web.app import create_app
from engine.core.errors import DefinitionInvalid

CLIENT_ID, SECRET = "rectify-county", "s3cret-of-the-client"


class Provider:
    """A minimal OpenID Connect provider on 127.0.0.1."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.signing_key = self.key
        self.user: dict[str, Any] = {"sub": "u-1001", "preferred_username": "zhang-czj"}
        self.spoil: dict[str, Any] = {}  # claims to override in the next ID token
        self.codes: dict[str, dict[str, str]] = {}
        self.token_calls = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, {
                        "issuer": provider.issuer,
                        "authorization_endpoint": provider.issuer + "/authorize",
                        "token_endpoint": provider.issuer + "/token",
                        "jwks_uri": provider.issuer + "/jwks",
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"]})
                if url.path == "/jwks":
                    return self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                if url.path == "/authorize":
                    q = dict(urllib.parse.parse_qsl(url.query))
                    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
                    assert q["code_challenge_method"] == "S256" and "openid" in q["scope"]
                    code = f"code-{len(provider.codes)}"
                    provider.codes[code] = q
                    back = q["redirect_uri"] + "?" + urllib.parse.urlencode(
                        {"code": code, "state": q["state"]})
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                provider.token_calls += 1
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {basic}":
                    return self._json(401, {"error": "invalid_client"})
                asked = provider.codes.pop(form.get("code", ""), None)
                if asked is None or form.get("redirect_uri") != asked["redirect_uri"]:
                    return self._json(400, {"error": "invalid_grant"})
                challenge = base64.urlsafe_b64encode(hashlib.sha256(
                    form.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
                if challenge != asked["code_challenge"]:
                    return self._json(400, {"error": "invalid_grant",
                                            "error_description": "PKCE verifier"})
                moment = int(time.time())
                claims = {"iss": provider.issuer, "aud": CLIENT_ID, "iat": moment,
                          "exp": moment + 300, "nonce": asked["nonce"], **provider.user,
                          **provider.spoil}
                token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, provider.signing_key)
                return self._json(200, {"access_token": "at", "token_type": "Bearer",
                                        "id_token": token})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build(str(tmp_path_factory.mktemp("oidc") / "county.db"))


@pytest.fixture
def provider() -> Iterator[Provider]:
    running = Provider()
    yield running
    running.close()


@pytest.fixture
def site(built: Site, tmp_path: Path, provider: Provider,
         monkeypatch: pytest.MonkeyPatch) -> Site:
    path = str(tmp_path / "county.db")
    with sqlite3.connect(built.db) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    secret = tmp_path / "oidc.secret"
    secret.write_text(SECRET + "\n")
    config = tmp_path / "site.yaml"
    config.write_text(f"openid:\n  issuer: {provider.issuer}\n  client_id: {CLIENT_ID}\n"
                      f"  client_secret_file: {secret}\n  person_claim: preferred_username\n"
                      "  title: 政务统一身份认证\n  scopes: [openid, profile]\n",
                      encoding="utf-8")
    monkeypatch.setenv(oidc.ENV, str(config))
    return Site(path, built.closed, built.czj, built.jyj, built.dismissed, built.secret,
                built.script)


def sign_in(site: Site, state: str | None = None) -> tuple[TestClient, Any]:
    """Through the provider and back: the client, and the callback's answer."""
    client = TestClient(create_app(site.db, today=lambda _tz: TODAY))
    assert "政务统一身份认证" in client.get("/login").text
    off = client.get("/login/oidc", follow_redirects=False)
    assert off.status_code == 303
    to_provider = off.headers["location"]

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    try:
        urllib.request.build_opener(Stop).open(to_provider, timeout=10)
        raise AssertionError("the provider did not send the browser back")
    except urllib.error.HTTPError as back:
        assert back.code == 302
        location = back.headers["Location"]
    url = urllib.parse.urlsplit(location)
    assert url.path == "/login/oidc/callback"
    query = dict(urllib.parse.parse_qsl(url.query))
    if state is not None:
        query["state"] = state
    answer = client.get(f"{url.path}?{urllib.parse.urlencode(query)}", follow_redirects=False)
    return client, answer


def events(site: Site) -> list[tuple[str, str, str]]:
    with sqlite3.connect(site.db) as conn:
        return [(t, s, str(p)) for t, s, p in conn.execute(
            "SELECT trigger, subject_key, payload FROM site_events WHERE machine = 'login' "
            "ORDER BY id")]


def test_the_provider_signs_a_person_in_by_the_claim_configured(
        site: Site, provider: Provider) -> None:
    client, answer = sign_in(site)
    assert answer.status_code == 303 and answer.headers["location"] == "/items"
    assert "rectify_session" in answer.headers["set-cookie"]
    page = client.get("/items").text
    assert "zhang-czj" in page and site.czj in page and site.jyj not in page
    assert events(site)[-1][:2] == ("succeed", "zhang-czj")
    assert provider.token_calls == 1
    # the code is spent: the same callback again signs nobody in
    assert not provider.codes


@pytest.mark.parametrize("spoil, why", [
    ({"aud": "another-client"}, "id-token"),
    ({"iss": "http://127.0.0.1:1"}, "id-token"),
    ({"nonce": "replayed"}, "id-token"),
    ({"exp": int(time.time()) - 3600}, "id-token"),
    ({"preferred_username": "nobody"}, "unknown"),
    ({"preferred_username": None}, "no-claim"),
])
def test_an_id_token_that_does_not_hold_signs_nobody_in(
        site: Site, provider: Provider, spoil: dict[str, Any], why: str) -> None:
    provider.spoil = {k: v for k, v in spoil.items() if v is not None}
    if spoil.get("preferred_username", "") is None:
        provider.user = {"sub": "u-1001"}
    client, answer = sign_in(site)
    assert answer.status_code == 401, answer.text
    assert "统一身份认证未能确认" in answer.text
    assert client.get("/items", follow_redirects=False).headers["location"] == "/login"
    trigger, _subject, payload = events(site)[-1]
    assert trigger == "fail" and why in payload, payload


def test_a_token_signed_with_a_key_the_provider_never_published_is_refused(
        site: Site, provider: Provider) -> None:
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    _client, answer = sign_in(site)
    assert answer.status_code == 401
    assert "id-token" in events(site)[-1][2]


def test_a_callback_whose_state_is_not_the_flows_is_refused_before_any_token(
        site: Site, provider: Provider) -> None:
    _client, answer = sign_in(site, state="forged-state")
    assert answer.status_code == 401
    assert provider.token_calls == 0  # the code was never exchanged
    assert "state" in events(site)[-1][2]
    bare = TestClient(create_app(site.db, today=lambda _tz: TODAY))  # no flow cookie at all
    assert bare.get("/login/oidc/callback?code=code-0&state=x").status_code == 401
    assert "no-flow" in events(site)[-1][2]


def test_without_a_provider_the_site_signs_in_by_password_only(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(oidc.ENV)
    client = TestClient(create_app(site.db, today=lambda _tz: TODAY))
    assert "/login/oidc" not in client.get("/login").text
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_an_unreachable_provider_is_the_environments_problem(
        site: Site, provider: Provider) -> None:
    provider.close()
    client = TestClient(create_app(site.db, today=lambda _tz: TODAY))
    answer = client.get("/login/oidc", follow_redirects=False)
    assert answer.status_code == 503, answer.text
    # (in the server's language, as every service's message)
    assert "did not answer" in answer.text or "统一身份认证服务未响应" in answer.text


def test_the_openid_settings_are_checked_with_their_place(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("openid:\n  issuer: http://sso.example.org\n  colour: red\n"
                      "  scopes: [profile]\n", encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as caught:
        oidc.load(str(config))
    shown = caught.value.format()
    assert f"{config}:2:" in shown and "https://" in shown  # plain http only on loopback
    assert f"{config}:3:" in shown and "colour" in shown
    assert "client_id" in shown and "openid" in shown
    config.write_text("notifications:\n  office: county\n", encoding="utf-8")
    assert oidc.load(str(config)) is None

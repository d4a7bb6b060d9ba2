"""Signing in through the site's OpenID Connect provider (统一身份认证), for a site that has one.

The provider is site configuration, never a definition's: the ``openid`` section of the YAML
file named by ``RECTIFY_SITE_CONFIG`` (the file that also holds the notification settings)::

    openid:
      issuer: https://sso.county.example/realms/gov   # its /.well-known/openid-configuration
      client_id: rectify
      client_secret_file: /etc/rectify/oidc.secret     # readable by the service alone
      person_claim: preferred_username                 # whose value is a person's key (default sub)
      title: 政务统一身份认证                            # the sign-in button's words

The flow is the authorization code flow with PKCE (S256), a ``state`` and a ``nonce`` kept in a
short-lived cookie of the browser that started it.  The ID token comes from the provider's
token endpoint over HTTPS (plain HTTP only on the loopback address) and is checked here all
the same: its RS256/ES256 signature against the provider's published keys, issuer, audience,
expiry and nonce.  The claim ``person_claim`` names the person (its value is their key; with
``email``, the address must be marked verified); a person unknown or inactive is refused, and
every try is recorded as the password sign-in's are (campaigns.logins).
"""

from __future__ import annotations

import hmac
import json
import os
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from campaigns.i18n import _
from engine.core.errors import DefinitionInvalid, EnvironmentProblem

ENV = "RECTIFY_SITE_CONFIG"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
ALGORITHMS = ["RS256", "ES256", "PS256"]
FLOW_COOKIE = "rectify_oidc"  # state, nonce and PKCE verifier of a sign-in under way
FLOW_SECONDS = 600
TIMEOUT = 10.0
KNOWN = ("issuer", "client_id", "client_secret_file", "person_claim", "title", "scopes",
         "redirect_uri")


@dataclass(frozen=True)
class Provider:
    """The site's OpenID Connect provider, as configured."""

    issuer: str
    client_id: str
    client_secret_file: str = ""
    person_claim: str = "sub"
    title: str = ""
    scopes: tuple[str, ...] = ("openid",)
    redirect_uri: str = ""

    def secret(self) -> str:
        if not self.client_secret_file:
            return ""
        try:
            with open(self.client_secret_file, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise EnvironmentProblem(_("cannot read {path}: {reason}").format(
                path=self.client_secret_file, reason=exc.strerror),
                _("check openid.client_secret_file in {file}").format(
                    file=os.environ.get(ENV, ENV))) from None


class SignInRefused(Exception):
    """The provider's answer does not sign anybody in; ``reason`` says why (for the record)."""

    def __init__(self, reason: str, person: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.person = person


_loaded: dict[tuple[str, float], Provider | None] = {}


def provider() -> Provider | None:
    """The configured provider (None: the site signs in by password only); re-read when the
    file changes."""
    path = os.environ.get(ENV, "").strip()
    if not path:
        return None
    try:
        stamp = os.path.getmtime(path)
    except OSError:
        stamp = 0.0
    if (path, stamp) not in _loaded:
        _loaded[(path, stamp)] = load(path)
    return _loaded[(path, stamp)]


def load(path: str) -> Provider | None:
    """The ``openid`` section of the site configuration file, every problem with its place."""
    from ..siteconfig import Section

    section = Section(path, "openid")
    raw, found, bad = section.raw, section.found, section.bad
    if raw is None:
        return None
    if not isinstance(raw, dict):
        bad(("openid",), _("openid must be a mapping"),
            _("give issuer, client_id and client_secret_file"))
        raise DefinitionInvalid(found)
    for key in raw:
        if key not in KNOWN:
            bad(("openid", key), _("unknown key '{key}'").format(key=key),
                _("use one of {keys}").format(keys=", ".join(KNOWN)))
    issuer = str(raw.get("issuer") or "").rstrip("/")
    if not issuer:
        bad(("openid",), _("openid needs the provider's issuer URL"),
            _("e.g. issuer: https://sso.county.example/realms/gov"))
    elif not _safe_url(issuer):
        bad(("openid", "issuer"), _("the issuer '{url}' is not an https:// URL").format(
            url=issuer), _("a provider is reached over HTTPS (plain http only on 127.0.0.1)"))
    if not raw.get("client_id"):
        bad(("openid",), _("openid needs the client_id the provider gave this site"))
    scopes = raw.get("scopes") or ["openid"]
    if not isinstance(scopes, list) or "openid" not in scopes:
        bad(("openid", "scopes"), _("scopes must be a list that holds openid"),
            _("e.g. scopes: [openid, profile, email]"))
        scopes = ["openid"]
    redirect = str(raw.get("redirect_uri") or "")
    if redirect and not _safe_url(redirect):
        bad(("openid", "redirect_uri"), _("the redirect_uri '{url}' is not an https:// URL")
            .format(url=redirect), _("e.g. https://rectify.county.example/login/oidc/callback"))
    if found:
        raise DefinitionInvalid(found)
    return Provider(issuer, str(raw["client_id"]), str(raw.get("client_secret_file") or ""),
                    str(raw.get("person_claim") or "sub"), str(raw.get("title") or ""),
                    tuple(str(s) for s in scopes), redirect)


def _safe_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK


# --- talking to the provider ---------------------------------------------------------------------

_documents: dict[str, tuple[float, dict[str, Any]]] = {}
CACHE_SECONDS = 3600.0


def _fetch(url: str, data: dict[str, str] | None = None,
           auth: tuple[str, str] | None = None) -> dict[str, Any]:
    """A JSON document from the provider (POSTed form when ``data``); its failures are the
    environment's (HTTP 503), never a traceback."""
    if not _safe_url(url):
        raise EnvironmentProblem(_("the provider named '{url}', which is not an https:// URL")
                                 .format(url=url[:200]), _("check the provider's settings"))
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})
    if auth is not None:
        import base64

        pair = ":".join(urllib.parse.quote(p, safe="") for p in auth).encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (checked)
            found = json.loads(answer.read(1024 * 1024))
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace")
        raise SignInRefused(f"provider {exc.code}: {detail[:200]}") from None
    except (OSError, ValueError) as exc:
        raise EnvironmentProblem(_("the sign-in provider did not answer: {reason}").format(
            reason=str(exc)[:200]), _("try again later, or sign in with your password")) from None
    if not isinstance(found, dict):
        raise EnvironmentProblem(_("the sign-in provider's answer is not a JSON object"),
                                 _("check the provider's settings"))
    return found


def _cached(url: str, fresh: bool = False) -> dict[str, Any]:
    held = _documents.get(url)
    if held is None or fresh or time.monotonic() - held[0] > CACHE_SECONDS:
        held = (time.monotonic(), _fetch(url))
        _documents[url] = held
    return held[1]


def metadata(p: Provider) -> dict[str, Any]:
    """The provider's discovery document, checked for what this flow needs."""
    found = _cached(p.issuer + "/.well-known/openid-configuration")
    if str(found.get("issuer", "")).rstrip("/") != p.issuer:
        raise EnvironmentProblem(_("the provider calls itself '{found}', not '{issuer}'").format(
            found=str(found.get("issuer"))[:200], issuer=p.issuer),
            _("set openid.issuer to the provider's own issuer"))
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not found.get(key):
            raise EnvironmentProblem(_("the provider's discovery document has no {key}").format(
                key=key), _("check the provider's settings"))
    return found


@dataclass(frozen=True)
class Flow:
    """A sign-in under way: where to send the browser, and the cookie that remembers it."""

    url: str
    cookie: str


def start(p: Provider, redirect_uri: str) -> Flow:
    """The provider's authorization URL for a new sign-in (code flow with PKCE)."""
    meta = metadata(p)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": p.client_id, "redirect_uri": redirect_uri,
        "scope": " ".join(p.scopes), "state": state, "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),  # type: ignore[no-untyped-call]
        "code_challenge_method": "S256"})
    endpoint = str(meta["authorization_endpoint"])
    return Flow(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}",
                ".".join((state, nonce, verifier, str(int(time.time())))))


def finish(p: Provider, cookie: str, state: str, code: str, redirect_uri: str) -> str:
    """The person key the provider vouches for, from the callback's ``state`` and ``code`` and
    the flow's cookie; SignInRefused when anything does not hold."""
    parts = cookie.split(".")
    if len(parts) != 4 or not parts[3].isdigit():
        raise SignInRefused("no-flow")
    expected, nonce, verifier, began = parts
    if not state or not hmac.compare_digest(state, expected):
        raise SignInRefused("state")
    if time.time() - int(began) > FLOW_SECONDS:
        raise SignInRefused("expired")
    if not code:
        raise SignInRefused("no-code")
    meta = metadata(p)
    secret = p.secret()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier, "client_id": p.client_id}
    tokens = _fetch(str(meta["token_endpoint"]), form,
                    auth=(p.client_id, secret) if secret else None)
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise SignInRefused("no-id-token")
    claims = _verified(p, meta, id_token, nonce)
    return _person(p, claims)


def _verified(p: Provider, meta: dict[str, Any], id_token: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
    def keys(fresh: bool) -> KeySet:
        return KeySet.import_key_set(_cached(str(meta["jwks_uri"]), fresh))  # type: ignore[arg-type]

    try:
        try:
            token = jwt.decode(id_token, keys(False), algorithms=ALGORITHMS)
        except JoseError:  # the provider may have rolled its keys: read them once more
            token = jwt.decode(id_token, keys(True), algorithms=ALGORITHMS)
        JWTClaimsRegistry(
            leeway=60, iss={"essential": True, "value": p.issuer},
            aud={"essential": True, "value": p.client_id}, sub={"essential": True},
            exp={"essential": True}, nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SignInRefused(f"id-token: {type(exc).__name__}") from None
    claims = dict(token.claims)
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != p.client_id:
        raise SignInRefused("id-token: azp")
    return claims


def _person(p: Provider, claims: dict[str, Any]) -> str:
    value = claims.get(p.person_claim)
    if not isinstance(value, str) or not value.strip():
        raise SignInRefused(f"no-claim: {p.person_claim}")
    if p.person_claim == "email" and claims.get("email_verified") is not True:
        raise SignInRefused("email-unverified", value)
    return value.strip()

"""Confidential values at rest: encrypted in the secrets table under a key outside the
database, events carrying only a keyed hash, key rotation rewriting the secrets table alone,
and a plain-text database saying so."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke

import campaigns.secrets as secrets_module

REPORTER, CONTACT = "举报人周某某", "13912345678"


def add(db: str, env: dict[str, str]) -> str:
    return invoke(db, "item", "add", CAMPAIGN, "--title", "窗口服务态度生硬", "--unit", "czj",
                  "--category", "cold-service", "--source", "public-report", "--reporter", REPORTER,
                  "--reporter-contact", CONTACT, "--actor", "sup", "--as-of", "2015-08-03",
                  env=env).stdout.strip()


def shown(db: str, code: str, env: dict[str, str], ok: bool = True) -> str:
    return invoke(db, "item", "show", code, "--json", "--actor", "sup", "--as-of", "2015-08-31",
                  env=env, ok=ok).output


def raw(db: str, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def every_byte(db: str) -> bytes:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(db).read_bytes()


@pytest.fixture
def key(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "key"
    invoke(str(tmp_path / "unused.db"), "db", "keygen", str(path))
    return {"RECTIFY_KEY_FILE": str(path)}


def test_values_are_encrypted_and_events_carry_a_keyed_hash(tmp_path: Path,
                                                             key: dict[str, str]) -> None:
    db = county(str(tmp_path / "c.db"))
    code = add(db, key)
    data = every_byte(db)
    for value in (REPORTER, CONTACT):
        assert value.encode() not in data, "a confidential value in the database file"
    key_id = secrets_module.Vault(secrets_module.read_key_file(key["RECTIFY_KEY_FILE"])).key_id
    assert sorted(raw(db, "SELECT field, version, key_id FROM secrets WHERE item_id IS NOT NULL")) \
        == [("reporter", 1, key_id), ("reporter_contact", 1, key_id)]
    (payload, version), = raw(db, "SELECT payload, payload_version FROM events "
                                  "WHERE trigger = 'add'")
    payload = json.loads(payload)
    assert version == 5 and payload["secrets"] == ["reporter", "reporter_contact"]
    assert set(payload["hmac"]) == {"reporter", "reporter_contact"}
    from campaigns.db import Database

    with Database(db).read() as conn:  # the hash is checkable by whoever holds the key
        assert payload["hmac"]["reporter"] == secrets_module.Hasher(conn)(code, "reporter",
                                                                          REPORTER)
    detail = json.loads(shown(db, code, key))
    assert (detail["reporter"], detail["reporter_contact"]) == (REPORTER, CONTACT)


def test_rotation_rewrites_the_secrets_table_only(tmp_path: Path, key: dict[str, str]) -> None:
    db = county(str(tmp_path / "c.db"))
    code = add(db, key)
    events = raw(db, "SELECT * FROM events ORDER BY id")
    before = raw(db, "SELECT id, value, version, key_id FROM secrets ORDER BY id")
    new = tmp_path / "new-key"
    invoke(db, "db", "keygen", str(new))
    out = invoke(db, "db", "rotate-key", "--new-key-file", str(new), env=key).output
    assert "re-encrypted 3 value(s)" in out  # two of the item's, and the hash key
    after = raw(db, "SELECT id, value, version, key_id FROM secrets ORDER BY id")
    assert raw(db, "SELECT * FROM events ORDER BY id") == events
    assert [(r[0], r[2] + 1) for r in before] == [(r[0], r[2]) for r in after]
    assert all(a[1] != b[1] and a[3] != b[3] for a, b in zip(after, before, strict=True))
    new_env = {"RECTIFY_KEY_FILE": str(new)}
    assert json.loads(shown(db, code, new_env))["reporter"] == REPORTER
    stale = shown(db, code, key, ok=False)
    assert "encrypted with key" in stale and "Traceback" not in stale
    assert invoke(db, "audit", "verify", CAMPAIGN, env=new_env).exit_code == 0
    # the keyed hash an old event carries still checks out under the rotated key
    (payload,), = raw(db, "SELECT payload FROM events WHERE trigger = 'add'")
    from campaigns.db import Database

    secrets_module._vault_at.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECTIFY_KEY_FILE", str(new))
        with Database(db).read() as conn:
            assert json.loads(payload)["hmac"]["reporter"] == secrets_module.Hasher(conn)(
                code, "reporter", REPORTER)


def test_without_a_key_rectify_says_once_that_values_are_plain(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = county(str(tmp_path / "c.db"))
    monkeypatch.setattr(secrets_module, "_warned", False)
    plain = {"RECTIFY_KEY_FILE": ""}
    result = invoke(db, "item", "add", CAMPAIGN, "--title", "a", "--unit", "czj", "--category",
                    "cold-service", "--source", "public-report", "--reporter", REPORTER,
                    "--actor", "sup", "--as-of", "2015-08-03", env=plain)
    assert result.stderr.count("stored in plain text") == 1
    assert raw(db, "SELECT value, key_id FROM secrets WHERE field = 'reporter'") == [(REPORTER, None)]
    again = shown(db, result.stdout.strip(), plain)
    assert "plain text" not in again  # once a process
    # a key set later: rotate-key encrypts what was plain
    new = tmp_path / "k"
    new.write_text(base64.b64encode(b"k" * 32).decode())
    assert "re-encrypted 2 value(s)" in invoke(db, "db", "rotate-key", "--new-key-file", str(new),
                                               env=plain).output
    assert REPORTER.encode() not in every_byte(db)


def test_a_key_file_that_holds_no_key_is_refused(tmp_path: Path) -> None:
    db = county(str(tmp_path / "c.db"))
    bad = tmp_path / "bad"
    bad.write_text("not a key")
    result = invoke(db, "item", "add", CAMPAIGN, "--title", "a", "--unit", "czj", "--category",
                    "cold-service", "--source", "public-report", "--reporter", REPORTER,
                    "--actor", "sup", "--as-of", "2015-08-03", env={"RECTIFY_KEY_FILE": str(bad)},
                    ok=False)
    assert result.exit_code != 0 and "holds no 256-bit key" in result.output
    assert raw(db, "SELECT count(*) FROM items") == [(0,)]

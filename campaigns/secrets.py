"""The confidential values of items (a reporter's identity and contact), kept out of the log.

They live only in the ``secrets`` table, encrypted with AES-GCM under a key kept outside the
database (the file ``RECTIFY_KEY_FILE`` names: 32 random bytes, base64 or hex; ``rectify db
keygen`` writes one).  Each value is bound to its item and field (associated data), so a value
copied to another row does not decrypt.  Events carry no value: the item's code and the field
name are the reference, with an HMAC-SHA256 of the value under a key of its own (the secrets
row without an item), which rotation re-encrypts but never changes — so a hash in an old event
stays checkable and rotating the key rewrites the secrets table only.  Without a key the values
are stored in plain text and Rectify says so, once, on stderr (docs/security.md#data-at-rest).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from engine.core.errors import EnvironmentProblem

from .i18n import _
from .tables import ITEMS as I, SECRETS

KEY_ENV = "RECTIFY_KEY_FILE"
HMAC_FIELD = "hmac-key"  # the field of the row without an item
_warned = False


def read_key_file(path: str) -> bytes:
    """A 256-bit key from ``path`` (base64 or hex text, or 32 raw bytes)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(4096)
    except OSError as e:
        raise EnvironmentProblem(_("cannot read the key file {path}: {strerror}").format(
            path=path, strerror=e.strerror),
                                 _("set {KEY_ENV} to a file 'rectify db keygen' wrote").format(
                                     KEY_ENV=KEY_ENV)) from None
    text = raw.strip()
    for decode in (binascii.unhexlify, base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = decode(text)
        except (binascii.Error, ValueError):
            continue
        if len(key) == 32:
            return key
    if len(raw) == 32:
        return raw
    raise EnvironmentProblem(_("{path} holds no 256-bit key").format(path=path),
                             _("write one with 'rectify db keygen FILE' (32 random bytes, base64)"))


@dataclass(frozen=True)
class Vault:
    """Seals and opens values under one key (None: plain text)."""

    key: bytes | None

    @property
    def key_id(self) -> str | None:
        """Names the key without revealing it: the start of its SHA-256."""
        return hashlib.sha256(self.key).hexdigest()[:16] if self.key else None

    @cached_property
    def _aead(self) -> Any:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        assert self.key is not None
        return AESGCM(self.key)

    def seal(self, item_id: int | None, field: str, value: str) -> str:
        if self.key is None:
            return value
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), _aad(item_id, field))
        return base64.b64encode(nonce + sealed).decode()

    def open(self, item_id: int | None, field: str, stored: str, key_id: str | None) -> str:
        if key_id is None:
            return stored
        if key_id != self.key_id:
            raise EnvironmentProblem(
                f"confidential values are encrypted with key {key_id}, and "
                + (f"{KEY_ENV} names key {self.key_id}" if self.key else f"{KEY_ENV} is not set"),
                _("set {KEY_ENV} to the file of key {key_id} (docs/security.md#data-at-rest)").format(
                    KEY_ENV=KEY_ENV, key_id=key_id))
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(stored)
        try:
            plain: bytes = self._aead.decrypt(raw[:12], raw[12:], _aad(item_id, field))
            return plain.decode()
        except InvalidTag:
            raise EnvironmentProblem(_("a confidential value ({field}) does not decrypt: it was altered or "
                                       "moved").format(
                                           field=field), _("restore the database from a backup")) from None


def _aad(item_id: int | None, field: str) -> bytes:
    return f"{item_id if item_id is not None else 'site'}/{field}".encode()


@cache
def _vault_at(path: str | None) -> Vault:
    return Vault(read_key_file(path) if path else None)


def vault() -> Vault:
    """The key ``RECTIFY_KEY_FILE`` names, read once per process."""
    return _vault_at(os.environ.get(KEY_ENV) or None)


def _plain_warning(v: Vault) -> None:
    global _warned
    if v.key is None and not _warned:
        _warned = True
        sys.stderr.write(_("warning: {name} is not set: confidential values are stored in plain "
                           "text (see docs/security.md#data-at-rest)").format(name=KEY_ENV) + "\n")


def store(conn: Connection, values: Iterable[tuple[int, str, str]], *, fresh: bool = False) -> None:
    """Write item values (item id, field, value): new rows (``fresh``: the items are new), or
    the next version of each row."""
    v = vault()
    rows = list(values)
    if rows:
        _plain_warning(v)
    new = []
    for item_id, field, value in rows:
        sealed = v.seal(item_id, field, value)
        if not fresh and conn.execute(
                update(SECRETS).where(SECRETS.c.item_id == item_id, SECRETS.c.field == field)
                .values(value=sealed, key_id=v.key_id, version=SECRETS.c.version + 1)).rowcount:
            continue
        new.append({"item_id": item_id, "field": field, "value": sealed, "version": 1,
                    "key_id": v.key_id})
    if new:
        conn.execute(insert(SECRETS), new)


def read_secrets(conn: Connection, item_id: int) -> dict[str, str]:
    """Item ``item_id``'s confidential values by field."""
    v = vault()
    out = {r.field: v.open(item_id, r.field, r.value, r.key_id) for r in conn.execute(
        select(SECRETS.c.field, SECRETS.c.value, SECRETS.c.key_id)
        .where(SECRETS.c.item_id == item_id))}
    if out:
        _plain_warning(v)
    return out


def campaign_secrets(conn: Connection, campaign_id: int,
                     item_ids: list[int] | None = None) -> dict[int, dict[str, str]]:
    """Every item's confidential values in a campaign, or those of ``item_ids`` (an import
    compares them, batch by batch)."""
    v = vault()
    out: dict[int, dict[str, str]] = {}
    query = (select(SECRETS.c.item_id, SECRETS.c.field, SECRETS.c.value, SECRETS.c.key_id)
             .select_from(SECRETS.join(I, I.c.id == SECRETS.c.item_id))
             .where(I.c.campaign_id == campaign_id))
    queries = ([query] if item_ids is None else
               [query.where(SECRETS.c.item_id.in_(item_ids[i:i + 500]))
                for i in range(0, len(item_ids), 500)])
    for q in queries:
        for r in conn.execute(q):
            out.setdefault(r.item_id, {})[r.field] = v.open(r.item_id, r.field, r.value, r.key_id)
    return out


class Hasher:
    """Keyed hashes of values for events: HMAC-SHA256 under the database's hash key."""

    def __init__(self, conn: Connection) -> None:
        row = conn.execute(select(SECRETS.c.value, SECRETS.c.key_id).where(
            SECRETS.c.item_id.is_(None), SECRETS.c.field == HMAC_FIELD)).first()
        if row is None:
            raise EnvironmentProblem(_("the database has no key for keyed hashes"),
                                     _("run 'rectify init' to upgrade it"))
        self.key = base64.b64decode(vault().open(None, HMAC_FIELD, row.value, row.key_id))

    def __call__(self, code: str, field: str, value: str) -> str:
        return hmac.new(self.key, f"{code}/{field}\n{value}".encode(), hashlib.sha256).hexdigest()

    def seal(self, code: str, values: Mapping[str, str]) -> dict[str, str]:
        """The ``hmac`` member of an event: field → keyed hash of its value."""
        return {field: self(code, field, value) for field, value in sorted(values.items())}


def rotate(conn: Connection, old: Vault, new: Vault) -> int:
    """Re-encrypt every row of the secrets table under ``new`` (from ``old``, or from plain
    text); returns how many.  Nothing else is touched: events hold no values."""
    n = 0
    rows = conn.execute(select(SECRETS.c.id, SECRETS.c.item_id, SECRETS.c.field,
                               SECRETS.c.value, SECRETS.c.key_id)).all()
    for r in rows:
        value = old.open(r.item_id, r.field, r.value, r.key_id)
        conn.execute(update(SECRETS).where(SECRETS.c.id == r.id).values(
            value=new.seal(r.item_id, r.field, value), key_id=new.key_id,
            version=SECRETS.c.version + 1))
        n += 1
    return n

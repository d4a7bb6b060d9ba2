"""Confidential values: microseconds to encrypt and to decrypt one (AES-256-GCM, bound to its
item and field), and to compute the keyed hash an event carries — target ≤ 20 µs a value.
"seal" is the whole cost of a confidential field's value written since content is sealed
(campaigns.sealed): its keyed hash (the token) plus encrypting it, for a 100-character measure.

Values are reporters' names and phone numbers as imports bring them (5–30 characters).  Times
are the best of ``--runs`` over ``--n`` values.  ``python benchmarks/bench_secrets.py
[--n 100000] [--runs 3]``
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from campaigns.secrets import Vault  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    vault = Vault(os.urandom(32))
    values = [(i, "reporter" if i % 2 else "reporter_contact",
               f"举报人{i:06d}" if i % 2 else f"139{i:08d}") for i in range(args.n)]
    mac_key = os.urandom(32)

    def best(fn: object) -> float:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return min(times) / args.n * 1e6

    sealed: list[str] = []

    def encrypt() -> None:
        sealed[:] = [vault.seal(i, f, v) for i, f, v in values]

    def decrypt() -> None:
        for (i, f, v), s in zip(values, sealed, strict=True):
            assert vault.open(i, f, s, vault.key_id) == v

    def keyed_hash() -> None:
        for i, f, v in values:
            hmac.new(mac_key, f"WGBW-2015-{i:04d}/{f}\n{v}".encode(), hashlib.sha256).hexdigest()

    from campaigns.sealed import PREFIX, row_field
    from campaigns.secrets import Hasher

    hasher = Hasher.__new__(Hasher)
    hasher.key = mac_key
    measures = [f"{i:06d}" + "建立健全窗口服务制度，开展作风整顿，限期整改到位并公开承诺。" * 3
                for i in range(args.n)]

    def seal() -> None:
        for i, v in enumerate(measures):
            code = f"WGBW-2015-{i:04d}"
            digest = hasher(code, "measures", v)
            _token = f"{PREFIX}measures:{digest}"
            vault.seal(i, row_field("measures", digest), v)

    enc, dec, mac = best(encrypt), best(decrypt), best(keyed_hash)
    whole = best(seal)
    print(f"{args.n} confidential values, best of {args.runs}:")
    print(f"  encrypt  {enc:6.2f} µs a value")
    print(f"  decrypt  {dec:6.2f} µs a value")
    print(f"  hmac     {mac:6.2f} µs a value")
    print(f"  seal     {whole:6.2f} µs a value (token + encrypt, 100-character measures)")
    print(f"  target   {'met' if max(enc, dec, whole) <= 20 else 'MISSED'} (≤ 20 µs a value)")


if __name__ == "__main__":
    main()

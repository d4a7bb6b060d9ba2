"""The canonical encoding is RFC 8785's, byte for byte; the hash covers every field it names."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings, strategies as st

from engine.core.chain import (
    ALG,
    GENESIS,
    NAMES,
    Batch,
    Link,
    as_document,
    canonical,
    canonical_json,
    digest,
    digest_with_payload,
)

KEYS = st.text(max_size=8)  # any Unicode, surrogate pairs and U+E000..U+FFFF included
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1),
                    st.text(), st.floats(allow_nan=False, allow_infinity=False))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_canonical_json_is_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def link(**changes: Any) -> Link:
    base = Link("sup", ALG, "2015-08-04", "reported", "item", None, {"into": "WGBW-2015-0001"},
                GENESIS, "2015-08-04T02:03:04.000005Z", None, 1, "wgbw-2015", "WGBW-2015-0002",
                "confirmed", "confirm", 1)
    return base._replace(**changes)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text()), VALUES)
def test_an_event_encodes_as_its_document(actor: str, note: str | None, payload: Any) -> None:
    ev = link(actor=actor, note=note, payload=payload)
    assert canonical(ev) == rfc8785.dumps(as_document(ev))


def test_the_names_are_in_rfc8785_order() -> None:
    assert list(NAMES) == sorted(NAMES, key=lambda k: k.encode("utf-16-be"))
    assert len(NAMES) == len(Link._fields)
    assert canonical(link()).startswith(b'{"actor":"sup","alg":"rfc8785-sha256-1","date":"2015-08-04"')


@pytest.mark.parametrize("field", Link._fields)
def test_every_field_is_hashed(field: str) -> None:
    ev = link()
    value = getattr(ev, field)
    other = (value + 1 if isinstance(value, int) else {"x": 1} if isinstance(value, dict)
             else "other" if value is None else value + "x")
    assert digest(ev._replace(**{field: other})) != digest(ev)


def test_what_rfc8785_cannot_encode_is_refused() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"n": 2**60})
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"s": "\ud800"})
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"d": dataclasses})


def test_a_known_hash() -> None:
    """Pinned: a change to the encoding would silently invalidate every stored chain."""
    import hashlib

    assert digest(link()) == hashlib.sha256(rfc8785.dumps(as_document(link()))).hexdigest()
    assert digest(link()) == "998d37899507cb3e5074fff724299cd62f7fbfe6f6a9da29d3932e0b5933790b"


@pytest.mark.parametrize("payload", [
    {"\ue000": 1, "\U0001f600": 2},  # code point and UTF-16 orders differ here
    {"a": {"\uffff": [1, {"\U00010000": None}]}},
    {"a": [1, 2.5, "x"]}, {"n": -(2**53) + 1, "m": 2**53 - 1}, {"t": (1, "二", True)},
    {"s": "\u2028\x00\x1f\"\\/", "k": {"z": 1, "a": {"y": [], "b": {}}}},
])
def test_the_fast_encoder_agrees_where_orders_and_numbers_could_differ(payload: Any) -> None:
    ev = link(payload=payload)
    assert canonical(ev) == rfc8785.dumps(as_document(ev))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["sup", "二", "\ud800"]), st.one_of(st.none(), st.text()),
                          VALUES, st.sampled_from([None, "reported", "已销号"]),
                          st.one_of(st.integers(1, 2**53 - 1), st.just(2**60))),
                min_size=1, max_size=6))
def test_a_batch_hashes_each_event_as_one_alone(events: list[tuple[Any, ...]]) -> None:
    """A bulk write's ``Batch`` (names quoted once per batch) gives each event the hash and
    payload text the single-event path gives, the reference's for what it cannot encode."""
    batch = Batch()
    for actor, note, payload, state, seq in events:
        ev = link(actor=actor, note=note, payload=payload, from_state=state, seq=seq)
        try:
            expected = digest_with_payload(ev)
        except rfc8785.CanonicalizationError:
            with pytest.raises(rfc8785.CanonicalizationError):
                batch.digest(*(v for name, v in zip(NAMES, ev, strict=True) if name != "alg"))
            continue
        assert batch.digest(*(v for name, v in zip(NAMES, ev, strict=True)
                              if name != "alg")) == expected

"""The hash chain of an event log: the canonical encoding of one event, and checking a chain.

Each event of a stream carries its place (``seq``, from 1), the hash of the event before it
(``prev``; ``GENESIS`` for the first) and its own hash: SHA-256 of the RFC 8785 (JSON
Canonicalization Scheme) encoding of a fixed set of fields, ``FIELDS``.  Nothing in it is a
row id, so a copy of the database to another server, whose ids differ, keeps a valid chain.
docs/events.md specifies the encoding; ``rfc8785.dumps`` is its reference implementation.

The events written every day hold only strings, safe integers, booleans, None and lists and
objects of those; for them ``canonical`` checks the payload's types in one walk and has
json's C encoder (sorted keys, no ASCII escaping: the same bytes for such values) write it,
many times faster than the reference (a test compares the two on generated documents).
Anything else (a float, a non-string key, an integer beyond 2**53) goes to the reference,
which also refuses what RFC 8785 cannot encode.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, NamedTuple

ALG = "rfc8785-sha256-1"  # the algorithm tag written into every event (and hashed with it)
GENESIS = "0" * 64  # the "previous hash" of a stream's first event
SAFE = 2**53 - 1  # RFC 8785 numbers are IEEE doubles: larger integers are not exact
_quote: Callable[[str], str] = encode_basestring


class Link(NamedTuple):
    """The fields of one event that its hash covers, in the order of their names."""

    actor: str
    alg: str
    date: str  # business date, YYYY-MM-DD
    from_state: str | None  # "from"
    machine: str
    note: str | None
    payload: Any
    prev: str
    recorded_at: str  # UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ
    rule: str | None
    seq: int
    stream: str
    subject: str | None
    to_state: str | None  # "to"
    trigger: str
    v: int  # payload version


NAMES = ("actor", "alg", "date", "from", "machine", "note", "payload", "prev", "recorded_at",
         "rule", "seq", "stream", "subject", "to", "trigger", "v")
"""The JSON member names of ``Link``'s fields, already in RFC 8785 order (UTF-16 code units)."""


class _Slow(Exception):
    """A value the fast encoder leaves to the reference implementation."""


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be")


def _value(v: Any, out: list[str]) -> None:
    t = type(v)
    if t is str:
        out.append(_quote(v))
    elif v is None:
        out.append("null")
    elif t is bool:
        out.append("true" if v else "false")
    elif t is int:
        if not -SAFE <= v <= SAFE:
            raise _Slow
        out.append(str(v))
    elif t is dict:
        if any(type(k) is not str for k in v):
            raise _Slow
        out.append("{")
        first = True
        for k in sorted(v, key=_utf16):
            if not first:
                out.append(",")
            first = False
            out.append(_quote(k))
            out.append(":")
            _value(v[k], out)
        out.append("}")
    elif t is list or t is tuple:
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _value(item, out)
        out.append("]")
    else:
        raise _Slow


_ENCODE: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False,
    check_circular=False).encode
_KEYS: set[tuple[str, ...]] = set()  # key sets already seen to sort alike both ways


def _plain(v: Any) -> None:
    """Raise ``_Slow`` unless ``v`` holds only what ``json``'s C encoder writes as RFC 8785
    does: strings, safe integers, booleans, None, lists, and objects whose string keys sort
    the same by code point as by UTF-16 code unit (no character beyond U+FFFF).  Checking is
    a walk over the values; encoding is then json's, in C, with sorted keys."""
    t = type(v)
    if t is dict:
        keys = tuple(v)
        if keys not in _KEYS:
            if any(type(k) is not str or (not k.isascii() and max(k) > "\uffff") for k in keys):
                raise _Slow
            if len(_KEYS) < 4096:
                _KEYS.add(keys)
        values: Iterable[Any] = v.values()
    elif t is list or t is tuple:
        values = v
    elif t is str or v is None or t is bool:
        return
    elif t is int:
        if not -SAFE <= v <= SAFE:
            raise _Slow
        return
    else:
        raise _Slow
    for x in values:
        tx = type(x)
        if tx is str or x is None or tx is bool:
            continue
        if tx is int:
            if not -SAFE <= x <= SAFE:
                raise _Slow
            continue
        _plain(x)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON value (the fast path, else the reference implementation)."""
    out: list[str] = []
    try:
        _value(value, out)
        return "".join(out).encode("utf-8")
    except (_Slow, UnicodeEncodeError):
        import rfc8785

        return rfc8785.dumps(value)


_TEMPLATE = ('{"actor":%s,"alg":%s,"date":%s,"from":%s,"machine":%s,"note":%s,"payload":%s,'
             '"prev":%s,"recorded_at":%s,"rule":%s,"seq":%d,"stream":%s,"subject":%s,"to":%s,'
             '"trigger":%s,"v":%d}')


def _text(value: str | None) -> str:
    if value is None:
        return "null"
    if type(value) is not str:
        raise _Slow
    return _quote(value)


def canonical(link: Link) -> bytes:
    """The RFC 8785 encoding of one event's hashed fields.

    The event's own fields are filled into a template in the members' canonical order (most
    events carry a small payload or none, and building and walking a dict of all sixteen
    fields cost more than the template); the payload is checked in one walk (``_plain``) and
    written by json's C encoder, which pays for the large ones an import writes.  Anything
    else goes to the reference encoder (the tests hold both to it).
    """
    return _encoded(link)[0]


def _body(seq: Any, v: Any, payload: Any) -> str:
    """The payload's RFC 8785 text by json's C encoder, once the numbers the template writes
    are safe integers and the payload holds only what that encoder writes alike; else
    ``_Slow`` (the reference encoder takes over)."""
    if type(seq) is not int or type(v) is not int or not (-SAFE <= seq <= SAFE
                                                          and -SAFE <= v <= SAFE):
        raise _Slow
    if payload is None:
        return "null"
    _plain(payload)
    return _ENCODE_PLAIN(payload)


def _encoded(link: Link) -> tuple[bytes, str]:
    """``canonical`` and the payload's own RFC 8785 text (``null`` for none)."""
    (actor, alg, date, src, machine, note, payload, prev, at, rule, seq, stream, subject, dest,
     trigger, v) = link
    try:
        body = _body(seq, v, payload)
        return (_TEMPLATE % (_text(actor), _text(alg), _text(date), _text(src), _text(machine),
                             _text(note), body, _text(prev), _text(at), _text(rule), seq,
                             _text(stream), _text(subject), _text(dest), _text(trigger), v)
                ).encode("utf-8"), body
    except (_Slow, UnicodeEncodeError):
        import rfc8785

        return rfc8785.dumps(as_document(link)), rfc8785.dumps(payload).decode("utf-8")


class _Quoted(dict[Any, str]):
    """Strings (and None) as RFC 8785 writes them, each distinct one quoted once; anything
    else is left to the reference encoder."""

    def __missing__(self, value: Any) -> str:
        if type(value) is not str:
            raise _Slow
        quoted = self[value] = _quote(value)
        return quoted


def _one_shot_encoder() -> Callable[[Any], str]:
    """``_ENCODE`` without ``JSONEncoder.encode``'s making of a new C encoder on every call (a
    third of the time of a small payload): the C encoder made once, with the same settings.
    Only for values ``_plain`` has passed (no float reaches it)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODE

    def refuse(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON")

    chunks = make(None, refuse, _quote, None, ":", ",", True, False, False)
    return lambda value: "".join(chunks(value, 0))


_ENCODE_PLAIN = _one_shot_encoder()


class Batch:
    """The hashes of many events written together (a bulk creation): what recurs down a
    batch (actor, date, machine, states, trigger, stream, recording time) is quoted once, and
    each event's fields come as arguments rather than a ``Link``.  The bytes hashed are
    ``canonical``'s (a test holds the two together); one batch serves one write."""

    def __init__(self) -> None:
        self._quoted = _Quoted({None: "null"})

    def digest(self, actor: str, date: str, src: str | None, machine: str, note: str | None,
               payload: Any, prev: str, at: str, rule: str | None, seq: int, stream: str,
               subject: str | None, dest: str | None, trigger: str, v: int) -> tuple[str, str]:
        """``digest_with_payload`` of the event with these fields (and ``ALG``)."""
        q = self._quoted
        try:
            body = _body(seq, v, payload)
            # what differs from one event to the next (its note, subject, previous hash) is
            # quoted as it comes, the rest looked up
            encoded = (_TEMPLATE % (
                q[actor], _ALG_QUOTED, q[date], q[src], q[machine],
                _quote(note) if type(note) is str else q[note], body,
                _quote(prev) if type(prev) is str else q[prev], q[at], q[rule], seq, q[stream],
                _quote(subject) if type(subject) is str else q[subject], q[dest], q[trigger], v)
                       ).encode("utf-8")
        except (_Slow, UnicodeEncodeError):
            return digest_with_payload(Link(actor, ALG, date, src, machine, note, payload, prev,
                                            at, rule, seq, stream, subject, dest, trigger, v))
        return hashlib.sha256(encoded).hexdigest(), body


_ALG_QUOTED = _quote(ALG)


def as_document(link: Link) -> dict[str, Any]:
    """The event as the JSON object that is hashed (for the reference encoder, and docs)."""
    return dict(zip(NAMES, link, strict=True))


def digest(link: Link) -> str:
    """The event's hash: lower-case hex SHA-256 of its canonical encoding."""
    return hashlib.sha256(canonical(link)).hexdigest()


def digest_with_payload(link: Link) -> tuple[str, str]:
    """``digest`` and the payload's canonical JSON text, encoded once for both: a writer
    stores that text (it decodes to the same value) instead of encoding the payload again."""
    encoded, payload = _encoded(link)
    return hashlib.sha256(encoded).hexdigest(), payload


def utc_text(moment: dt.datetime) -> str:
    """A recording time as hashed: UTC to the microsecond; a naive time is taken as UTC.

    SQLite keeps ``DateTime(timezone=True)`` without its offset; the writer always stores UTC,
    so a naive value read back is UTC.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


# --- checking a chain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One stored event as read back: its row id, what it claims, and the link it hashes."""

    id: int
    seq: int
    prev: str | None
    hash: str | None
    link: Link  # built from the row's own columns (its stored seq and prev)


@dataclass(frozen=True)
class Break:
    """The first place a chain is wrong: the kind of tampering, the event, and what was seen."""

    kind: str  # edited | deleted | inserted | reordered
    seq: int
    id: int | None
    message: str


@dataclass
class Walk:
    """What walking a chain found: how far it holds, and its first break (None: it holds)."""

    count: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    first: Break | None = None


def walk(events: Iterable[Stored], find: Callable[[str, str], list[Stored]]) -> Walk:
    """Check events in stored order (by seq, then id); stop at the first break.

    ``find(column, value)`` fetches the events of this stream whose ``prev_hash`` or ``hash``
    column holds ``value``; it is used only once something is wrong, to say what happened: an
    event moved elsewhere (reordered), one that no longer exists (deleted), one that belongs
    nowhere (inserted), or one whose content no longer matches its hash (edited).
    """
    result = Walk()
    last: Stored | None = None
    for ev in events:
        problem = _check(ev, last, find)
        if problem is not None:
            result.first = problem
            return result
        result.count += 1
        result.last_seq = ev.seq
        result.last_hash = ev.hash or ""
        last = ev
    return result


def _check(ev: Stored, last: Stored | None, find: Callable[[str, str], list[Stored]]) -> Break | None:
    expected = last.seq + 1 if last else 1
    expected_prev = (last.hash or "") if last else GENESIS
    if ev.seq > expected:
        return Break("deleted", expected, None,
                     f"event #{expected} was deleted: the log goes from #{expected - 1} to #{ev.seq}")
    if ev.seq < expected:
        return Break("inserted", ev.seq, ev.id, f"event #{ev.seq} appears twice: row {ev.id} "
                     "was inserted beside the original")
    if ev.prev != expected_prev:
        if last is not None and ev.prev == last.prev:
            return Break("inserted", last.seq, last.id,
                         f"event #{last.seq} (row {last.id}) was inserted: the event after it "
                         "follows the one before it")
        before = find("hash", ev.prev) if ev.prev else []
        if before:
            return Break("reordered", ev.seq, ev.id,
                         f"event #{ev.seq} (row {ev.id}) is out of place: it was written after "
                         f"row {before[0].id} (now #{before[0].seq}), not after #{ev.seq - 1}")
        successors = [s for s in find("prev_hash", expected_prev) if s.id != ev.id]
        if successors:
            return Break("inserted", ev.seq, ev.id,
                         f"event #{ev.seq} (row {ev.id}) was inserted: the true #{ev.seq} is row "
                         f"{successors[0].id}, stored as #{successors[0].seq}")
        if last is not None:
            return Break("edited", last.seq, last.id,
                         f"event #{last.seq} (row {last.id}) was edited and its hash recomputed, "
                         f"or the event after it was deleted and the rest renumbered: #{ev.seq} "
                         f"(row {ev.id}) does not follow it")
        return Break("deleted", ev.seq, ev.id,
                     f"the event before #{ev.seq} was deleted: row {ev.id} follows an event "
                     "that is no longer in the log")
    if digest(ev.link) != ev.hash:
        rivals = [s for s in find("prev_hash", expected_prev) if s.id != ev.id]
        if rivals:
            return Break("inserted", ev.seq, ev.id,
                         f"event #{ev.seq} (row {ev.id}) was inserted: row {rivals[0].id} is the "
                         "event that truly follows the one before it")
        return Break("edited", ev.seq, ev.id,
                     f"event #{ev.seq} (row {ev.id}) was edited: its content no longer matches "
                     "its hash")
    if last is not None and ev.id < last.id:
        return Break("reordered", ev.seq, ev.id,
                     f"event #{ev.seq} (row {ev.id}) is stored before #{last.seq} (row {last.id}): "
                     "rows were reordered")
    return None


def old_digest(links: Iterator[Link]) -> tuple[int, str]:
    """Count and digest of events written before the chain began (seq, prev empty).

    SHA-256 over their canonical encodings, each followed by a newline, in row order.
    """
    h = hashlib.sha256()
    n = 0
    for link in links:
        h.update(canonical(link))
        h.update(b"\n")
        n += 1
    return n, h.hexdigest()

"""Confidential item content kept out of the state tables and the log (docs/security.md).

A field a definition marks confidential (title, description, measures, target, department,
progress notes) is stored in the ``secrets`` table, encrypted like a reporter's identity, and
the column and every event written since hold a *token* in its place: ``sealed:`` + the field
+ ``:`` + the keyed hash (HMAC-SHA256, ``campaigns.secrets.Hasher``) of the value, bound to the
item's code.  Each value given is its own secrets row (the field and the start of its hash), so
a view of a past date, an undo or a replay meets the value it had then; the reducer and
``audit verify`` handle tokens as the values they stand for and never decrypt.  Entitled
viewers see the values through ``revealer``; everyone else sees neither (campaigns.confidential).
Leader and person are references to the people register (ids), not values, and stay put.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.engine import Connection

from engine.core.machines import Actor

from .reducer import ItemAt
from .runs import Run
from .secrets import Hasher, vault
from .tables import ITEMS as I, SECRETS

PREFIX = "sealed:"
SEALABLE = ("title", "description", "measures", "target", "department", "progress")


def sealed_fields(run: Run) -> frozenset[str]:
    """The fields of ``run`` whose values live only in the secrets table."""
    return frozenset(SEALABLE) & run.definition.confidential


def is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def row_field(name: str, digest: str) -> str:
    """The secrets row's ``field`` of a value: the field and the start of its keyed hash."""
    return f"{name}:{digest[:32]}"


def _parse(token: str) -> tuple[str, str]:
    name, _, digest = token[len(PREFIX):].partition(":")
    return name, digest


class Sealer:
    """Turns values into tokens, collecting their secrets rows; ``flush`` writes the new ones.

    One per command: the keyed-hash key is read once and each row is written once however
    often its value is given.
    """

    def __init__(self, conn: Connection, run: Run) -> None:
        self.conn = conn
        self.fields = sealed_fields(run)
        self._hasher: Hasher | None = None
        self._rows: dict[tuple[int, str], tuple[str, str]] = {}

    def __bool__(self) -> bool:
        return bool(self.fields)

    def token(self, item_id: int, code: str, name: str, value: str) -> str:
        """The token standing for ``value`` of field ``name`` of item ``code``."""
        if self._hasher is None:
            self._hasher = Hasher(self.conn)
        digest = self._hasher(code, name, value)
        self._rows[(item_id, row_field(name, digest))] = (name, value)
        return f"{PREFIX}{name}:{digest}"

    def seal(self, item_id: int, code: str, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with every sealed field's text replaced by its token (None stays None)."""
        return {k: (self.token(item_id, code, k, v) if k in self.fields and isinstance(v, str)
                    and v and not is_token(v) else v) for k, v in values.items()}

    def rebind(self, placeholder: int, item_id: int) -> None:
        """Give rows sealed before their item had an id (``placeholder``) that id."""
        self.rebind_all({placeholder: item_id})

    def rebind_all(self, ids: dict[int, int]) -> None:
        self._rows = {(ids.get(i, i), f): v for (i, f), v in self._rows.items()}

    def flush(self) -> int:
        """Write the rows not yet in the secrets table (a value given again is kept once)."""
        if not self._rows:
            return 0
        keys = list(self._rows)
        have: set[tuple[int, str]] = set()
        for start in range(0, len(keys), 400):
            have.update((r.item_id, r.field) for r in self.conn.execute(
                select(SECRETS.c.item_id, SECRETS.c.field).where(
                    tuple_(SECRETS.c.item_id, SECRETS.c.field).in_(keys[start:start + 400]))))
        v = vault()
        new = [{"item_id": item_id, "field": field,
                "value": v.seal(item_id, field, self._rows[(item_id, field)][1]),
                "version": 1, "key_id": v.key_id}
               for item_id, field in keys if (item_id, field) not in have]
        if new:
            from .secrets import _plain_warning

            _plain_warning(v)
            self.conn.execute(insert(SECRETS), new)
        self._rows.clear()
        return len(new)


Reveal = Callable[[str, Any], Any]


def _same(_code: str, value: Any) -> Any:
    return value


def revealer(conn: Connection, run: Run, actor: Actor | None,
             codes: Iterable[str] | None = None) -> Reveal:
    """The one way a sealed value is shown: ``reveal(code, value)`` gives the value a token of
    item ``code`` stands for to a viewer entitled to confidential fields, and leaves any other
    value alone.  Not entitled: tokens stay tokens (such viewers are shown none of these
    fields anyway, campaigns.confidential)."""
    from .confidential import entitled

    if not sealed_fields(run) or not entitled(run, actor):
        return _same
    query = (select(I.c.code, SECRETS.c.item_id, SECRETS.c.field, SECRETS.c.value,
                    SECRETS.c.key_id)
             .select_from(SECRETS.join(I, I.c.id == SECRETS.c.item_id))
             .where(I.c.campaign_id == run.id))
    if codes is not None:
        query = query.where(I.c.code.in_(list(codes)))
    rows = {(r.code, r.field): r for r in conn.execute(query)}
    v = vault()

    def reveal(code: str, value: Any) -> Any:
        if not is_token(value):
            return value
        name, digest = _parse(value)
        row = rows.get((code, row_field(name, digest)))
        if row is None:
            return "〔已清除〕"  # purged, or never kept: the token is all there is
        return v.open(row.item_id, row.field, row.value, row.key_id)
    return reveal


def open_items(conn: Connection, run: Run, actor: Actor | None,
               items: list[ItemAt]) -> list[ItemAt]:
    """``items`` with their sealed fields' values, for ``actor``'s view."""
    reveal = revealer(conn, run, actor, [it.code for it in items] if len(items) < 200 else None)
    if reveal is _same:
        return items
    names = [n for n in SEALABLE if n in sealed_fields(run)]
    out = []
    for it in items:
        opened = {n: reveal(it.code, getattr(it, n)) for n in names
                  if is_token(getattr(it, n))}
        out.append(replace(it, **opened) if opened else it)
    return out


def seal_existing(conn: Connection) -> dict[str, int]:
    """Move every plain value of a sealed field into the secrets table (migration 0011): the
    column gets its token, and each item so changed gets a ``sealed`` event through the writer
    carrying the tokens.  Events already written are not touched.  Returns items per campaign."""
    from engine.core.moves import Edit
    from engine.io.writer import apply_edits

    from . import events as ev
    from .runs import load_run_by_id
    from .tables import CAMPAIGNS, EVENTS, PROGRESS as PR, RECTIFICATIONS as R, SUBJECT_TABLES

    done: dict[str, int] = {}
    for cid in conn.execute(select(CAMPAIGNS.c.id).order_by(CAMPAIGNS.c.id)).scalars().all():
        run = load_run_by_id(conn, cid)
        sealer = Sealer(conn, run)
        if not sealer:
            continue
        ev.lock(conn, [run.key])
        day = conn.execute(select(func.max(EVENTS.c.business_date))
                           .where(EVENTS.c.campaign_id == cid)).scalar() or run.start_date
        notes: dict[int, list[Any]] = {}
        if "progress" in sealer.fields:
            for n in conn.execute(select(PR.c.id, PR.c.item_id, PR.c.note)
                                  .select_from(PR.join(I, I.c.id == PR.c.item_id))
                                  .where(I.c.campaign_id == cid).order_by(PR.c.id)):
                if not is_token(n.note):
                    notes.setdefault(n.item_id, []).append(n)
        edits: list[Any] = []
        entries = []
        for r in conn.execute(select(I.c.id, I.c.code, I.c.version, I.c.title, I.c.description,
                                     R.c.id.label("rid"), R.c.version.label("rversion"),
                                     R.c.measures, R.c.target, R.c.department)
                              .select_from(I.join(R, R.c.item_id == I.c.id))
                              .where(I.c.campaign_id == cid).order_by(I.c.id)).all():
            new: dict[str, str] = {}
            for machine, names, sid, version in (
                    ("item", ("title", "description"), r.id, r.version),
                    ("rectification", ("measures", "target", "department"), r.rid, r.rversion)):
                plain = {n: getattr(r, n) for n in names
                         if n in sealer.fields and getattr(r, n) and not is_token(getattr(r, n))}
                if plain:
                    tokens = sealer.seal(r.id, r.code, plain)
                    edits.append(Edit(sid, version, machine, tokens))
                    new.update(tokens)
            moved = notes.get(r.id, [])
            for n in moved:
                conn.execute(PR.update().where(PR.c.id == n.id).values(
                    note=sealer.token(r.id, r.code, "progress", n.note)))
            if new or moved:
                entries.append(ev.entry(run.key, ev.Sealed(new, len(moved) or None),
                                        subject=r.code, actor="system", day=day, campaign_id=cid,
                                        item_id=r.id, subject_id=r.id,
                                        note="confidential values moved to the secrets table"))
        sealer.flush()
        apply_edits(conn, SUBJECT_TABLES, edits)
        ev.write(conn, entries)
        if entries:
            done[run.key] = len(entries)
    return done

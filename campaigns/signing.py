"""签收: a unit signs for a numbered document it received, and the office sees who has not.

A signature is an event of the campaign's log (``document signed``, subject the number),
written by a person of the unit addressed or of a unit under it; a document is signed once,
and one withdrawn (作废) is signed never.  Whether a document is signed is read back from the
log, like every view of the past, so a signature undone counts as never given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from engine.core.errors import NotFound, Refused

from . import events as ev
from .clock import standing
from .context import Scope
from .duties import within
from .i18n import _
from .runs import require_forward
from .tables import DOCUMENTS as D, EVENTS as E, UNITS as U


def _signatures(scope: Scope) -> dict[str, tuple[str, dt.date]]:
    """Each signed document's number → who signed and on which business date."""
    rows = scope.conn.execute(
        select(E.c.subject_key, E.c.actor, E.c.business_date)
        .where(E.c.campaign_id == scope.run.id, E.c.machine == "document", E.c.trigger == "sign",
               E.c.business_date <= scope.as_of, standing())
        .order_by(E.c.seq))
    return {number: (actor, day) for number, actor, day in rows}


def documents(scope: Scope, unsigned: bool = False, unit: str | None = None) -> list[dict[str, Any]]:
    """The campaign's numbered documents issued by the scope's date, with their signing."""
    signed = _signatures(scope)
    query = (select(D.c.number, D.c.kind, D.c.level, D.c.issued_on, D.c.reply_by,
                    D.c.withdrawn_on, D.c["items"], U.c.title, U.c.path)
             .select_from(D.join(U, U.c.id == D.c.unit_id))
             .where(D.c.campaign_id == scope.run.id, D.c.issued_on <= scope.as_of)
             .order_by(D.c.issued_on, D.c.number))
    levels = ({lv.key: lv.title for lv in scope.run.definition.ladder.levels}
              if scope.run.definition.ladder else {})
    out = []
    for r in scope.conn.execute(query):
        if unit is not None and not within(r.path, unit):
            continue
        by = signed.get(r.number)
        if r.withdrawn_on is not None and r.withdrawn_on <= scope.as_of:
            status = "withdrawn"
        else:
            status = "signed" if by else "unsigned"
        if unsigned and status != "unsigned":
            continue
        out.append({"number": r.number, "kind": r.kind, "unit": r.title,
                    "level": levels.get(r.level, r.level), "issued_on": r.issued_on,
                    "reply_by": r.reply_by, "items": len(r[6] or []), "status": status,
                    "signed_by": by[0] if by else None, "signed_on": by[1] if by else None,
                    "waiting_days": (scope.as_of - r.issued_on).days if status == "unsigned"
                    else None})
    return out


def sign(scope: Scope, number: str, note: str | None = None) -> dict[str, Any]:
    """Record that the acting person's unit received document ``number``."""
    actor, run, conn = scope.acting, scope.run, scope.conn
    require_forward(run, scope.as_of)
    ev.lock(conn, [run.key])
    doc = conn.execute(select(D.c.id, D.c.number, D.c.issued_on, D.c.withdrawn_on, U.c.code,
                              U.c.title, U.c.path)
                       .select_from(D.join(U, U.c.id == D.c.unit_id))
                       .where(D.c.campaign_id == run.id, D.c.number == number)).first()
    if doc is None:
        import difflib

        known = [n for (n,) in conn.execute(select(D.c.number).where(D.c.campaign_id == run.id))]
        close = difflib.get_close_matches(number, known, n=3)
        raise NotFound(_("campaign '{key}' issued no document numbered '{number}'").format(
            key=run.key, number=number),
                       _("did you mean {numbers}?").format(numbers=", ".join(repr(c) for c in close))
                       if close else _("see 'rectify document list {key}'").format(key=run.key))
    if doc.withdrawn_on is not None:
        raise Refused(_("{number} was withdrawn (作废) on {day}: there is nothing to sign "
                        "for").format(number=number, day=doc.withdrawn_on),
                      _("sign for the document issued in its place, if any"))
    if scope.as_of < doc.issued_on:
        raise Refused(_("{number} was issued on {issued}; it cannot be signed for on "
                        "{day}").format(number=number, issued=doc.issued_on, day=scope.as_of),
                      _("give --as-of {day} or later").format(day=doc.issued_on))
    path = str(actor.attrs.get("unit_path") or "")
    if not within(path, doc.path):
        raise Refused(_("{person} is not of {unit}, to which {number} is addressed: only its "
                        "own people sign for it").format(person=actor.key, unit=doc.title,
                                                         number=number),
                      _("sign as a person of {unit} (--actor)").format(unit=doc.title))
    done = _signatures(scope).get(number)
    if done is not None:
        raise Refused(_("{number} was signed for by {person} on {day}").format(
            number=number, person=done[0], day=done[1]),
                      _("see 'rectify document list {key}'").format(key=run.key))
    ev.write(conn, [ev.entry(run.key, ev.DocumentSigned(number, doc.code, actor.key),
                             subject=number, actor=actor.key, day=scope.as_of,
                             campaign_id=run.id, note=note)])
    return {"number": number, "unit": doc.title, "signed_by": actor.key,
            "signed_on": scope.as_of}

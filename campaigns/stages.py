"""Opening and closing a campaign's stages, and which stage an item belongs to.

Stages open and close by explicit advance, or by the clock at the start and after the end of
their windows; stage guards decide either way.  Several stages may be open at once
(supervision runs beside self-inspection); the phase is derived from which are open.  A
refused guard can be overridden only by an actor whose role says ``overrides: true``, and the
override is written into the event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, Refused
from engine.core.explain import guard_title
from engine.core.machines import SYSTEM_ACTOR, Actor, Context, Refusal
from engine.core.moves import Edit
from engine.core.planner import STAGE_MACHINE, plan_stage
from engine.io.writer import apply_edits, apply_moves

from . import events as ev
from .batches import STAGE, recording
from .context import Scope
from .figures import StoreFigures
from .i18n import _, localize
from .runs import Run, require_forward
from .tables import CAMPAIGNS as C, EVENTS as E, STAGES as S, UNDONE as U


def close(scope: Scope, key: str, force: bool = False) -> list[str]:
    """Close one open stage (its exit guards apply) while others run on."""
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    require_forward(run, as_of)
    _require_override(run, actor, force)
    row = conn.execute(select(S).where(S.c.campaign_id == run.id, S.c.key == key)).first()
    if row is None:
        raise InvalidInput(_("unknown stage '{key}'").format(key=key), _("see 'rectify campaign status'"))
    if row.state != "open":
        raise Refused(_("stage '{key}' is {state}, not open").format(key=key, state=row.state))
    ctx = Context(run.definition, actor, as_of, run=run, figures=StoreFigures(conn, run))
    with recording(conn, run.id, run.key, STAGE, actor.key, as_of):
        return [_close(conn, run, ctx, row, force)]


def _require_override(run: Run, actor: Actor, force: bool) -> None:
    if force and not any(run.definition.roles[r].overrides for r in actor.roles
                         if r in run.definition.roles):
        raise Refused(_("'{key}' may not force a stage change").format(key=actor.key),
                      _("only a role with 'overrides: true' in the definition may use --force"))


def advance(scope: Scope, to: str | None = None, force: bool = False) -> list[str]:
    """Move the campaign on; returns what was done, one line per stage opened or closed.

    Everything one advance does is one batch, undone together (``rectify campaign undo``).
    """
    with recording(scope.conn, scope.run.id, scope.run.key, STAGE, scope.acting.key, scope.as_of):
        return _advance(scope, to, force)


def _advance(scope: Scope, to: str | None, force: bool) -> list[str]:
    conn, run, actor, as_of = scope.conn, scope.run, scope.acting, scope.as_of
    require_forward(run, as_of)
    if run.concluded_on:
        raise Refused(_("campaign '{key}' concluded on {concluded_on}").format(
            key=run.key, concluded_on=run.concluded_on))
    _require_override(run, actor, force)
    rows = conn.execute(select(S).where(S.c.campaign_id == run.id).order_by(S.c.position)).all()
    pending = [r for r in rows if r.state == "pending"]
    if to is not None:
        target = next((r for r in rows if r.key == to), None)
        if target is None:
            import difflib

            close = difflib.get_close_matches(to, [r.key for r in rows], n=1)
            raise InvalidInput(_("unknown stage '{to}'").format(to=to), _("did you mean '{value}'?").format(
                value=close[0]) if close
                               else _("stages: {names}").format(names=', '.join(r.key for r in rows)))
        if target.state != "pending":
            raise Refused(_("stage '{to}' is already {state}").format(to=to, state=target.state))
    else:
        target = pending[0] if pending else None
    ctx = Context(run.definition, actor, as_of, run=run, figures=StoreFigures(conn, run))
    ev.lock(conn, [run.key])
    done: list[str] = []
    if target is None:
        for row in rows:
            if row.state == "open":
                done.append(_close(conn, run, ctx, row, force))
        # checked on the version read, like every move: a rival's conclusion in between is a
        # Conflict, never a second conclusion over the first
        apply_edits(conn, {"campaign": C}, [Edit(run.id, run.version, "campaign",
                                                 {"concluded_on": as_of})])
        _event(conn, run, ev.CampaignConcluded(), run.id, run.key, "running", "concluded", actor, as_of)
        return [*done, _("campaign {key} concluded on {date}").format(key=run.key, date=as_of)]
    target_spec = run.definition.stage(target.key)
    assert target_spec is not None
    target_start = target_spec.window(run.start_date)[0]
    for row in rows:
        if row.position >= target.position:
            break
        spec = run.definition.stage(row.key)
        assert spec is not None
        if row.state == "open" and spec.window(run.start_date)[1] < target_start:
            done.append(_close(conn, run, ctx, row, force))
        elif row.state == "pending":
            done.append(_open(conn, run, ctx, row, force))
    done.append(_open(conn, run, ctx, target, force))
    return done


def attributed_stage(run: Run, found_on: dt.date) -> str | None:
    """The stage an item found on ``found_on`` belongs to: the latest-starting stage whose
    window contains that date (the later in the definition on a tie).

    One rule from the windows alone, not from which stages happen to be open, so an item's
    stage never depends on the path that recorded it (docs/definitions.md).  None when no
    window contains the date; see ``stage_for``.
    """
    best: tuple[dt.date, str] | None = None
    for spec in run.definition.stages:
        start, end = spec.window(run.start_date)
        if start <= found_on <= end and (best is None or start >= best[0]):
            best = (start, spec.key)
    return best[1] if best else None


def stage_windows(run: Run) -> str:
    """The stages' windows, for a message: ``mobilize 2015-07-01..2015-07-31, ...``."""
    return ", ".join("{} {}..{}".format(s.key, *s.window(run.start_date))
                     for s in run.definition.stages)


def stage_for(run: Run, found_on: dt.date) -> str | None:
    """``attributed_stage``, refusing a date outside every window (a definition with no
    stages attributes nothing)."""
    key = attributed_stage(run, found_on)
    if key is None and run.definition.stages:
        raise InvalidInput(_("{found_on} is outside every stage's window, so the item belongs to no "
                             "stage").format(found_on=found_on), _("give a date within a window: "
                                                                   "{value}").format(value=stage_windows(run)))
    return key


def close_due(conn: Connection, run: Run, as_of: dt.date,
              say: bool = True) -> tuple[list[str], list[str]]:
    """The clock's part: close, as the system, each open stage whose window ended before
    ``as_of``.

    Exit guards apply and are never forced: a refused stage stays open, overdue, and the next
    tick tries again.  With ``say`` the refusal is said, once (``overdue``).  Returns the keys
    closed and what is newly said about refusals.
    """
    return _clock_moves(conn, run, as_of, "open", "close", say)


def open_due(conn: Connection, run: Run, as_of: dt.date,
             say: bool = True) -> tuple[list[str], list[str]]:
    """The clock's part: open, as the system, each pending stage whose window has begun.

    Entry guards apply and are never forced: a refused stage stays pending and the next tick
    tries again, its refusal said once.  Returns the keys opened and what is newly said.
    """
    return _clock_moves(conn, run, as_of, "pending", "open", say)


def _clock_moves(conn: Connection, run: Run, as_of: dt.date, state: str, verb: str,
                 say: bool) -> tuple[list[str], list[str]]:
    ctx = Context(run.definition, Actor(SYSTEM_ACTOR), as_of, run=run, figures=StoreFigures(conn, run))
    moved: list[str] = []
    said: list[str] = []
    for row in conn.execute(select(S).where(S.c.campaign_id == run.id, S.c.state == state)
                            .order_by(S.c.position)).all():
        spec = run.definition.stage(row.key)
        if spec is None:
            continue
        start, end = spec.window(run.start_date)
        since = start if verb == "open" else end + dt.timedelta(days=1)
        if as_of < since:
            continue
        decided = plan_stage(run.runtime, spec, row, verb, ctx.actor, as_of, run=run,
                             figures=ctx.figures, rule=f"stages.{row.key}",
                             event_values={"campaign_id": run.id}, stream=run.key)
        if decided.ok:
            apply_moves(conn, {STAGE_MACHINE: S}, E, decided.moves)
            moved.append(row.key)
        elif say and (line := overdue(conn, run, row, verb, since, as_of, decided.refusals)) is not None:
            said.append(line)
    return moved, said


def overdue(conn: Connection, run: Run, row: Any, verb: str, since: dt.date, as_of: dt.date,
            refusals: list[Refusal]) -> str | None:
    """Record that the clock may not open or close a stage, once: a ``stage overdue`` event
    with each refusing guard's title and reason, and the line saying it.  None when the last
    such event of this stage still standing already said the same (a daily tick repeats
    nothing; after an undo of the tick that said it, the next tick says it again)."""
    spec = run.definition.stage(row.key)
    assert spec is not None
    calls = {str(c): c for c in (*spec.entry, *spec.exit)}
    registry = run.runtime.registry
    titles = [guard_title(registry, calls[r.by], run.definition) if r.by in calls else r.by
              for r in refusals]
    payload = ev.StageOverdue(row.key, verb, since, titles, [r.reason for r in refusals])
    last = conn.execute(select(E.c.payload).where(
        E.c.campaign_id == run.id, E.c.item_id.is_(None), E.c.machine == "stage",
        E.c.subject_id == row.id, E.c.trigger == ev.StageOverdue.TRIGGER,
        ~exists().where(U.c.event_id == E.c.id))
        .order_by(E.c.id.desc()).limit(1)).scalar()
    if last == payload.as_payload():
        return None
    # nothing moves: to_state is empty, so a replay of the stage's history passes it by
    ev.write(conn, [ev.entry(run.key, payload, subject=row.key, actor=SYSTEM_ACTOR, day=as_of,
                             campaign_id=run.id, subject_id=row.id, from_state=row.state,
                             rule=f"stages.{row.key}")])
    return overdue_line(run, row.key, verb, since, titles, payload.reasons)


def overdue_line(run: Run, key: str, verb: str, since: dt.date, titles: list[str],
                 reasons: list[str]) -> str:
    spec = run.definition.stage(key)
    what = _("stays open") if verb == "close" else _("stays pending")
    why = "; ".join(f"{t}: {localize(r)}" for t, r in zip(titles, reasons, strict=True))
    return _("stage '{key}' ({title}) {what}, overdue since {since}: {why}").format(
        key=key, title=spec.title if spec else key, what=what, since=since, why=why)


def _open(conn: Connection, run: Run, ctx: Context, row: Any, force: bool,
          rule: str | None = None) -> str:
    return _move(conn, run, ctx, row, "open", force, rule)


def _close(conn: Connection, run: Run, ctx: Context, row: Any, force: bool) -> str:
    return _move(conn, run, ctx, row, "close", force)


def _move(conn: Connection, run: Run, ctx: Context, row: Any, verb: str, force: bool,
          rule: str | None = None) -> str:
    """Plan one stage's opening or closing and write it; refused guards raise unless forced."""
    spec = run.definition.stage(row.key)
    assert spec is not None
    decided = plan_stage(run.runtime, spec, row, verb, ctx.actor, ctx.as_of, force=force, run=run,
                         figures=ctx.figures, rule=rule, event_values={"campaign_id": run.id},
                         stream=run.key)
    if not decided.ok:
        said = _("cannot open stage '{key}' ({title}): {value}") if verb == "open" else \
            _("cannot close stage '{key}' ({title}): {value}")
        raise Refused(said.format(key=spec.key, title=spec.title,
                                  value=localize([r.text() for r in decided.refusals])),
                      _("wait until the conditions hold, or an authorised actor may --force"))
    apply_moves(conn, {STAGE_MACHINE: S}, E, decided.moves)
    text = (_("opened {stage} ({title})") if verb == "open" else _("closed {stage} ({title})"))
    forced = bool(decided.moves[0].payload and decided.moves[0].payload.get("overridden"))
    return text.format(stage=row.key, title=spec.title) + (" " + _("[forced]") if forced else "")


def _event(conn: Connection, run: Run, payload: ev.Payload, subject_id: int, subject: str,
           src: str, dest: str, actor: Actor, as_of: dt.date, rule: str | None = None) -> None:
    ev.write(conn, [ev.entry(run.key, payload, subject=subject, actor=actor.key, day=as_of,
                             campaign_id=run.id, subject_id=subject_id, from_state=src,
                             to_state=dest, rule=rule)])

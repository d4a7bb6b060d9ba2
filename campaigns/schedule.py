"""The schedule ``rectify serve`` keeps, so that a site needs no cron: the daily tick of every
running campaign at a set time (00:30 Beijing time unless the site configuration says
otherwise), and the notification sender every minute.

Several servers may run against one database (a province on PostgreSQL, or a spare):
each scheduled tick *claims* its slot first by inserting a row into ``serve_runs``, whose
unique key lets exactly one server have it, then takes the same run lock as
``rectify tick --all`` (engine.io.runlock), so a tick started by hand or by cron at that moment
is not run beside it.  A server that was down when a tick was due ticks when it starts (one
tick catches up every day since the last one).  The sender needs no claim: one sender runs at
a time anyway (campaigns.notify.sender); a failing send is tried again after a pause that
doubles up to an hour, and each message keeps its own backoff.  What each run did is kept in
``serve_runs`` (``rectify schedule`` lists them) and logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.core.errors import DefinitionInvalid, EngineError
from engine.io.runlock import run_lock

from .db import Database
from .i18n import _
from .tables import SERVE_RUNS as R, insert_id

Today = Callable[[str], dt.date]  # the business date in a time zone
Clock = Callable[[], dt.datetime]  # now, with its time zone

TICK_AT = dt.time(0, 30)
TIMEZONE = "Asia/Shanghai"  # Beijing time
SEND_EVERY = 60.0  # seconds between two sends of the outbox
LONGEST_PAUSE = 3600.0  # the longest pause after sends that failed
LOCK_WAIT = 600.0  # how long a claimed tick waits for a tick started by hand to finish
LOOK_AGAIN = 30.0  # the longest sleep: a clock set forward is noticed within it
ABANDONED = dt.timedelta(seconds=LOCK_WAIT + 300)  # a run still "running" after this, without
# the lock, was left by a server that stopped mid-tick

log = logging.getLogger("rectify.schedule")


@dataclass(frozen=True)
class Schedule:
    """When the daily tick runs (local time in ``timezone``) and how often the sender does."""

    tick: dt.time = TICK_AT
    timezone: str = TIMEZONE
    send_every: float = SEND_EVERY

    def shown(self) -> str:
        return f"{self.tick.isoformat()} {self.timezone}"


def site_schedule() -> Schedule:
    """The ``schedule`` section of the site configuration (``RECTIFY_SITE_CONFIG``), or the
    defaults when there is no file or no section."""
    path = os.environ.get("RECTIFY_SITE_CONFIG", "").strip()
    return load(path) if path else Schedule()


def load(path: str) -> Schedule:
    """The schedule in the site configuration file ``path``; problems with file:line:column."""
    from .siteconfig import Section

    section = Section(path, "schedule")
    raw, found, bad = section.raw, section.found, section.bad
    if raw is None:
        return Schedule()

    if not isinstance(raw, dict):
        bad(("schedule",), _("schedule must be a mapping"),
            _("e.g. schedule: {tick: \"00:30\", timezone: Asia/Shanghai, send_every: 60}"))
        raise DefinitionInvalid(found)
    known = {"tick", "timezone", "send_every"}
    for key in raw:
        if key not in known:
            bad(("schedule", key), _("unknown key '{key}'").format(key=key),
                _("use one of {keys}").format(keys=", ".join(sorted(known))))
    tick = TICK_AT
    if "tick" in raw:
        try:
            tick = dt.time.fromisoformat(str(raw["tick"]).strip())
        except ValueError:
            bad(("schedule", "tick"), _("tick '{value}' is not a time of day").format(
                value=raw["tick"]), _("write it as HH:MM in quotes, e.g. \"00:30\""))
    zone = str(raw.get("timezone") or TIMEZONE)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        bad(("schedule", "timezone"), _("unknown time zone '{zone}'").format(zone=zone),
            _("use a name such as Asia/Shanghai"))
    every = SEND_EVERY
    if "send_every" in raw:
        value = raw["send_every"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 86400:
            bad(("schedule", "send_every"), _("send_every must be a number of seconds from 1 to "
                                              "86400"), _("e.g. send_every: 60"))
        else:
            every = float(value)
    if found:
        raise DefinitionInvalid(found)
    return Schedule(tick, zone, every)


def slot_at(schedule: Schedule, moment: dt.datetime) -> dt.datetime:
    """The latest moment the tick was due at or before ``moment`` (in UTC)."""
    zone = ZoneInfo(schedule.timezone)
    local = moment.astimezone(zone)
    due = dt.datetime.combine(local.date(), schedule.tick, tzinfo=zone)
    if due > local:
        due = dt.datetime.combine(local.date() - dt.timedelta(days=1), schedule.tick, tzinfo=zone)
    return due.astimezone(dt.UTC)


def next_slot(schedule: Schedule, moment: dt.datetime) -> dt.datetime:
    """The first moment the tick is due after ``moment`` (in UTC)."""
    zone = ZoneInfo(schedule.timezone)
    last = slot_at(schedule, moment).astimezone(zone)
    nxt = dt.datetime.combine(last.date() + dt.timedelta(days=1), schedule.tick, tzinfo=zone)
    return nxt.astimezone(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def claim(db: Database, job: str, slot: dt.datetime, now: dt.datetime) -> int | None:
    """Claim ``job``'s ``slot`` for this process; None when another server has it."""
    slot, now = slot.astimezone(dt.UTC), now.astimezone(dt.UTC)  # SQLite keeps no offset
    try:
        with db.write() as conn:
            return insert_id(conn, insert(R).values(
                job=job, slot=slot, host=socket.gethostname()[:128], pid=os.getpid(),
                started_at=now, outcome="running"))
    except (EngineError, IntegrityError):  # the unique key: another server inserted it first
        return None


def due(db: Database, job: str, slot: dt.datetime, now: dt.datetime) -> int | None:
    """The run of ``slot`` this process is to do: its claim, new or taken over from a server
    that stopped mid-run (still "running" after ``ABANDONED``, and no tick holds the lock);
    None when the slot is another server's, or done."""
    slot, now = slot.astimezone(dt.UTC), now.astimezone(dt.UTC)  # SQLite keeps no offset
    with db.read() as conn:
        row = conn.execute(select(R.c.id, R.c.outcome, R.c.started_at)
                           .where(R.c.job == job, R.c.slot == slot)).first()
    if row is None:
        return claim(db, job, slot, now)
    if row.outcome != "running" or now - _utc(row.started_at) <= ABANDONED:
        return None
    with run_lock(db.engine, db.sqlite_path, "tick") as free:
        if not free:
            return None
    with db.write() as conn:
        taken = conn.execute(update(R).where(R.c.id == row.id, R.c.outcome == "running",
                                             R.c.started_at == row.started_at).values(
            host=socket.gethostname()[:128], pid=os.getpid(), started_at=now)).rowcount
    if taken != 1:
        return None
    log.warning(_("the tick due at {slot} was begun at {started} and never finished (its "
                  "server stopped): running it again").format(slot=_shown(slot),
                                                              started=_shown(row.started_at)))
    return int(row.id)


def finish(db: Database, run_id: int, outcome: str, detail: dict[str, Any],
           now: dt.datetime) -> None:
    now = now.astimezone(dt.UTC)
    with db.write() as conn:
        conn.execute(update(R).where(R.c.id == run_id).values(
            outcome=outcome, finished_at=now, detail=json.dumps(detail, ensure_ascii=False)))


def tick_all(db: Database, today: Today, wait: Callable[[float], bool]) -> tuple[str, dict[str, Any]]:
    """Tick every running campaign to its business date, as ``rectify tick --all`` does:
    (outcome, detail).  ``wait(seconds)`` pauses while a tick started by hand holds the lock,
    and says whether to stop."""
    from .clock import running, tick_in_batches
    from .context import Scope
    from .runs import load_run

    waited = 0.0
    while True:
        with run_lock(db.engine, db.sqlite_path, "tick") as got:
            if got:
                with db.read() as conn:
                    keys = running(conn)
                done: list[dict[str, Any]] = []
                for key in keys:
                    def scope_in(conn: Any, key: str = key) -> Scope:
                        run = load_run(conn, key)
                        return Scope(conn, run, None, today(run.timezone))
                    try:
                        report = tick_in_batches(db.write, scope_in)
                    except EngineError as exc:
                        done.append({"campaign": key, "error": exc.format()})
                        continue
                    done.append({"campaign": key, "first": report.first.isoformat(),
                                 "as_of": report.as_of.isoformat(), "changes": report.changes,
                                 "concluded": report.concluded.isoformat()
                                 if report.concluded else None})
                failed = any("error" in d for d in done)
                return ("failed" if failed else "done"), {"campaigns": done}
        if waited >= LOCK_WAIT or wait(5.0):
            return "busy", {"campaigns": [], "busy": True}
        waited += 5.0


class Scheduler:
    """The loop of one server: runs what is due, sleeps until the next thing is."""

    def __init__(self, db: Database, schedule: Schedule, today: Today,
                 clock: Clock = lambda: dt.datetime.now(dt.UTC), send: bool | None = None) -> None:
        self.db, self.schedule, self.today, self.clock = db, schedule, today, clock
        if send is None:
            from .notify.config import site_notifications

            send = site_notifications() is not None
        self.send = send
        self.pause = schedule.send_every
        self.next_send = clock()
        self.stopping = threading.Event()

    def step(self) -> float:
        """Run what is due now; the seconds until something may be due again."""
        now = self.clock()
        slot = slot_at(self.schedule, now)
        run_id = due(self.db, "tick", slot, now)
        if run_id is not None:
            self._tick(slot, run_id)
        if self.send and self.clock() >= self.next_send:
            self._send()
        now = self.clock()
        until = min((next_slot(self.schedule, now) - now).total_seconds(),
                    (self.next_send - now).total_seconds() if self.send else LOOK_AGAIN)
        return max(0.05, min(until, LOOK_AGAIN))

    def _tick(self, slot: dt.datetime, run_id: int) -> None:
        log.info(_("daily tick due at {slot} started").format(slot=_shown(slot)))
        try:
            outcome, detail = tick_all(self.db, self.today, self.stopping.wait)
        except Exception as exc:  # a broken database: kept, logged, and the loop goes on
            outcome, detail = "failed", {"error": _problem(exc)}
        finish(self.db, run_id, outcome, detail, self.clock())
        log.info(_("daily tick due at {slot}: {outcome}; {detail}").format(
            slot=_shown(slot), outcome=outcome, detail=describe("tick", detail)))

    def _send(self) -> None:
        from .notify.sender import send

        started = self.clock()
        try:
            sent = send(self.db)
        except Exception as exc:
            self.pause = min(LONGEST_PAUSE, self.pause * 2)
            self.next_send = self.clock() + dt.timedelta(seconds=self.pause)
            log.warning(_("sending notifications failed: {error}; next try in {seconds:.0f} s")
                        .format(error=_problem(exc), seconds=self.pause))
            self._record_send(started, "failed", {"error": _problem(exc)})
            return
        self.pause = self.schedule.send_every
        self.next_send = self.clock() + dt.timedelta(seconds=self.pause)
        if sent.sent or sent.retried or sent.failed:
            detail = {"sent": sent.sent, "retried": sent.retried, "failed": sent.failed,
                      "errors": sent.errors[:5]}
            self._record_send(started, "failed" if sent.failed else "done", detail)
            log.info(_("notifications: {detail}").format(detail=describe("notify", detail)))

    def _record_send(self, started: dt.datetime, outcome: str, detail: dict[str, Any]) -> None:
        run_id = claim(self.db, "notify", started, started)
        if run_id is not None:
            finish(self.db, run_id, outcome, detail, self.clock())

    def run(self) -> None:
        """Step until ``stopping`` is set; an error of one step is logged, never fatal."""
        log.info(_("schedule: daily tick at {at}, next {next}; notifications {send}").format(
            at=self.schedule.shown(), next=_shown(next_slot(self.schedule, self.clock())),
            send=_("every {n:.0f} s").format(n=self.schedule.send_every) if self.send
            else _("not configured")))
        while not self.stopping.is_set():
            try:
                pause = self.step()
            except Exception as exc:
                log.warning(_("schedule: {error}").format(error=_problem(exc)))
                pause = LOOK_AGAIN
            self.stopping.wait(pause)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="rectify-schedule", daemon=True)
        thread.start()
        return thread


def _problem(exc: BaseException) -> str:
    return exc.format() if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"


def _shown(moment: dt.datetime, zone: str = TIMEZONE) -> str:
    return _utc(moment).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %z")


def describe(job: str, detail: dict[str, Any]) -> str:
    """A run's detail as one line in the reader's language."""
    if "error" in detail:
        return str(detail["error"])
    if job == "notify":
        return _("sent {sent}, to retry {retried}, failed {failed}").format(
            sent=detail.get("sent", 0), retried=detail.get("retried", 0),
            failed=detail.get("failed", 0))
    if detail.get("busy"):
        return _("another tick held the lock; this one did nothing")
    parts = []
    for c in detail.get("campaigns", []):
        if "error" in c:
            parts.append(_("{campaign}: {error}").format(campaign=c["campaign"], error=c["error"]))
        elif c.get("concluded"):
            parts.append(_("{campaign}: concluded").format(campaign=c["campaign"]))
        else:
            parts.append(_("{campaign}: ticked to {as_of}, {changes} change(s)").format(
                campaign=c["campaign"], as_of=c["as_of"], changes=c["changes"]))
    return "; ".join(parts) or _("no running campaigns")


def recent(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first, each with its detail in one line."""
    with db.read() as conn:
        rows = conn.execute(select(R).order_by(R.c.started_at.desc(), R.c.id.desc())
                            .limit(limit)).all()
    out = []
    for r in rows:
        detail = json.loads(r.detail) if r.detail else {}
        out.append({"job": r.job, "due": _shown(r.slot), "server": f"{r.host}:{r.pid}",
                    "started": _shown(r.started_at),
                    "finished": _shown(r.finished_at) if r.finished_at else "",
                    "outcome": r.outcome, "detail": describe(r.job, detail) if detail else ""})
    return out

"""Campaigns as stored: loading one with its definition, starting one, listing them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound
from engine.core.machines import Runtime
from engine.core.spec import Definition
from engine.io.store import now

from .i18n import _
from .sitecalendar import STAMP
from .tables import CAMPAIGNS as C, EVENTS as E, SITE, STAGES as S, TICKS as T, UNDONE, insert_id


@dataclass(frozen=True)
class Run:
    """A stored campaign with its definition rebuilt from the snapshot taken at start."""

    id: int
    key: str
    title: str
    start_date: dt.date
    timezone: str
    code_prefix: str
    definition_hash: str
    concluded_on: dt.date | None
    definition: Definition
    runtime: Runtime
    latest: dt.date | None = None  # business date of the newest event when loaded
    ticked_to: dt.date | None = None  # the last business day its clock ran to (None: never)
    version: int = 0  # the campaign row's version when read: its own changes are checked on it


_cache: dict[tuple[int, str, int | None], tuple[Definition, Runtime]] = {}


class Head(NamedTuple):
    """What every command needs of its campaign, read in its transaction (see ``HEAD``)."""

    id: int
    key: str
    title: str
    start_date: dt.date
    timezone: str
    code_prefix: str
    definition_hash: str
    concluded_on: dt.date | None
    latest: dt.date | None
    ticked_to: dt.date | None
    version: int
    calendar: int | None = None  # the site calendar's change counter: a change rebuilds it


# The columns of ``Head``; other queries (an item's record) select them too, so a command
# reads its campaign with what it works on. The definition's data is read only when the
# process has not built that definition yet (it is large, and decoding it costs more than
# the rest of an advance).
HEAD = (C.c.id, C.c.key, C.c.title, C.c.start_date, C.c.timezone, C.c.code_prefix,
        C.c.definition_hash, C.c.concluded_on,
        # the latest change still standing: an undone one (campaigns.undo) no longer counts
        select(E.c.business_date).where(E.c.campaign_id == C.c.id,
                                        ~exists().where(UNDONE.c.event_id == E.c.id))
        .order_by(E.c.business_date.desc()).limit(1).scalar_subquery().label("latest"),
        select(T.c.ticked_to).where(T.c.campaign_id == C.c.id).scalar_subquery().label("ticked_to"),
        C.c.version, STAMP.label("calendar"))
_HEAD = select(*HEAD)
_BY_KEY = _HEAD.where(C.c.key == bindparam("key"))
_BY_ID = _HEAD.where(C.c.id == bindparam("id"))
_SNAPSHOT = select(C.c.definition_data, C.c.definition_text).where(C.c.id == bindparam("id"))


def load_run(conn: Connection, key: str) -> Run:
    """The campaign ``key``; its definition is the stored snapshot, never the YAML file today."""
    row = conn.execute(_BY_KEY, {"key": key}).first()
    if row is None:
        known = conn.execute(select(C.c.key).order_by(C.c.id)).scalars().all()
        raise NotFound(_("unknown campaign '{campaign}'").format(campaign=key),
                       _suggest(key, known, "rectify campaign list"))
    return run_of(conn, Head._make(row))


def load_run_by_id(conn: Connection, campaign_id: int) -> Run:
    return run_of(conn, Head._make(conn.execute(_BY_ID, {"id": campaign_id}).one()))


def run_of(conn: Connection, row: Head) -> Run:
    """The campaign whose head was read (in this transaction) with some other record."""
    cache_key = (row.id, row.definition_hash, row.calendar)
    if cache_key not in _cache:
        from engine.core.loader import build
        from engine.core.registry import default_registry

        from .sitecalendar import site_days, with_site

        data, text = conn.execute(_SNAPSHOT, {"id": row.id}).one()
        # the frozen definition, counting working days on the site's calendar data as well
        definition = build(data, default_registry(), text)
        if row.calendar is not None:  # the site has calendar data
            definition = with_site(definition, site_days(conn))
        _cache[cache_key] = (definition, Runtime(definition))
    definition, runtime = _cache[cache_key]
    from .wording import remember

    remember(definition)
    return Run(row.id, row.key, row.title, row.start_date, row.timezone, row.code_prefix,
               row.definition_hash, row.concluded_on, definition, runtime, row.latest, row.ticked_to,
               row.version)


def _suggest(name: str, known: Sequence[str], listing: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return _("did you mean '{name}'?").format(name=close[0])
    return _("see '{listing}'").format(listing=listing)


KEY = re.compile(r"[a-z][a-z0-9_-]*")


def check_key(key: str) -> str:
    """A campaign key by the definition format's rule (``--key`` takes the same): it names
    files (diagrams, notices), so it holds no path separators, and it fits its column."""
    limit = getattr(C.c.key.type, "length", None) or 64
    if not KEY.fullmatch(key) or len(key) > limit:
        shown = key if len(key) <= 40 else key[:37] + "..."
        raise InvalidInput(_("--key {shown!r} is not a campaign key").format(shown=shown),
                           _("a lower-case letter, then letters, digits, '-' or '_', at most {limit} "
                             "characters, e.g. wgbw-2015").format(limit=limit))
    return key


def start(conn: Connection, path: str, start_date: dt.date, actor: str, as_of: dt.date,
          key: str | None = None,
          loaded: tuple[dict[str, Any], Definition] | None = None) -> Run:
    """Start a campaign from a definition file, keeping a snapshot of its text and hash.

    ``loaded`` is the file already read and checked (``loader.normalized``): the command
    reads it before opening its write transaction, so a slow or hanging file holds no lock.
    """
    from engine.core.loader import digest, normalized

    data, definition = loaded or normalized(path)
    key = check_key(key) if key else definition.key
    if key == SITE:
        raise InvalidInput(_("'{SITE}' is the name of the site-wide event log").format(SITE=SITE),
                           _("choose another key with --key"))
    if conn.execute(select(C.c.id).where(C.c.key == key)).first():
        raise InvalidInput(_("campaign '{key}' already exists").format(key=key),
                           _("choose another key with --key, or use the existing campaign"))
    if as_of < start_date and as_of != start_date:
        as_of = start_date
    meta = data["campaign"]
    _check_codes_free(conn, meta["code_prefix"], start_date)
    cid = insert_id(conn, insert(C).values(
        key=key, title=definition.title, definition_key=definition.key, definition_file=path,
        definition_text=definition.source_text, definition_hash=digest(definition.source_text),
        definition_data=data, code_prefix=meta["code_prefix"], start_date=start_date,
        timezone=definition.calendar.timezone, created_at=now(), version=1))
    first = True
    for pos, stage in enumerate(definition.stages):
        begins, _end = stage.window(start_date)
        opens = first or begins <= start_date
        conn.execute(insert(S).values(campaign_id=cid, key=stage.key, position=pos,
                                      state="open" if opens else "pending",
                                      opened_on=start_date if opens else None, version=1))
        first = False
    from engine.io.writer import open_stream

    from . import events as ev

    open_stream(conn, key)
    ev.write(conn, [ev.entry(key, ev.CampaignStarted(path, digest(definition.source_text)),
                             subject=key, actor=actor, day=start_date, campaign_id=cid,
                             subject_id=cid, to_state="running")])
    return load_run(conn, key)


def _check_codes_free(conn: Connection, prefix: str, start_date: dt.date) -> None:
    """Item codes (PREFIX-YEAR-NNNN) are unique in the database, found without a campaign:
    a second campaign numbering in the same series could never record an item."""
    clash = conn.execute(select(C.c.key).where(C.c.code_prefix == prefix)
                         .where(C.c.start_date.between(dt.date(start_date.year, 1, 1),
                                                       dt.date(start_date.year, 12, 31)))).first()
    if clash is not None:
        raise InvalidInput(_("campaign '{key}' already numbers its items {prefix}-{year}-NNNN").format(
            key=clash.key, prefix=prefix, year=start_date.year),
                           _("set another campaign.code_prefix in the definition (e.g. {prefix}B), or start "
                             "in another year").format(prefix=prefix))


def list_runs(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(C.c.id, C.c.key, C.c.title, C.c.start_date, C.c.concluded_on)
                        .order_by(C.c.id)).all()
    open_stages: dict[int, list[str]] = {}
    for cid, skey in conn.execute(select(S.c.campaign_id, S.c.key).where(S.c.state == "open")
                                  .order_by(S.c.position)):
        open_stages.setdefault(cid, []).append(skey)
    return [{"key": r.key, "title": r.title, "start": r.start_date.isoformat(),
             "stages": ", ".join(open_stages.get(r.id, [])) or "-",
             "status": "concluded" if r.concluded_on else "running"} for r in rows]


def require_forward(run: Run, as_of: dt.date, dry_run: bool = False) -> None:
    """A campaign's business time only moves forward, and a change is never dated after today.

    A future date (a typo such as 2062 for 2026) would be recorded and then, by the rule above,
    refuse every ordinary command until that day; a dry run writes nothing, so it may look ahead.
    Replays of past campaigns use past dates and are unaffected.
    """
    if not dry_run:
        require_not_future(run, as_of)
    if as_of < run.start_date:
        raise InvalidInput(_("{as_of} is before campaign '{key}' started ({start_date})").format(
            as_of=as_of, key=run.key, start_date=run.start_date),
                           _("give --as-of on or after the start date"))
    latest = run.latest  # read with the run, inside this transaction
    if latest and as_of < latest:
        raise InvalidInput(_("{as_of} is before the campaign's latest recorded change ({latest})").format(
            as_of=as_of, latest=latest),
                           _("business time only moves forward: use --as-of {latest} or later").format(
                               latest=latest))


def require_not_future(run: Run, as_of: dt.date) -> None:
    """A change dated after today (in the campaign's time zone) is refused."""
    if as_of < dt.datetime.now(dt.UTC).date():  # today or later wherever the campaign is
        return
    from .dates import today

    now_there = today(run.timezone)
    if as_of > now_there:
        raise InvalidInput(
            _("{as_of} is after today ({now_there} in {timezone}): a change cannot be recorded before it "
              "happens, and a future date would block every later command until then").format(
                  as_of=as_of, now_there=now_there, timezone=run.timezone),
            _("give --as-of today or earlier (replaying a past campaign: give each command its own past "
              "date, in order), or add --dry-run to see what would happen"))

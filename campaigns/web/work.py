"""What a signed-in person does through the web door, put together from the services the
command line calls: the same listing, detail, progress and advance, each inside the caller's
transaction, with who-sees-what (campaigns.access) applied first.

Nothing here decides what may happen to an item: the planner, its guards and duties do, as
for ``rectify item advance``.  What is added is what a web form needs: the item's version as
the page showed it, so that a form posted on a stale page is refused with the current state
(HTTP 409) instead of acting on what its sender never saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from campaigns.access import own_unit, require_visible, sees_all
from campaigns.advance import Advanced, advance
from campaigns.context import Scope
from campaigns.dates import today as today_in
from campaigns.evidence import Stored, files_of
from campaigns.i18n import _
from campaigns.items import record_progress
from campaigns.lights import Lights
from campaigns.people import resolve_actor
from campaigns.queries import list_page, possible_triggers, show_item
from campaigns.records import Record, load_records
from campaigns.runs import Run, load_run, load_run_by_id, run_of
from campaigns.standing import label
from campaigns.tables import CAMPAIGNS
from campaigns.wording import state_titles, trigger_titles
from engine.core.errors import Conflict, NotFound

Today = Callable[[str], dt.date]  # the business date in a time zone


class Stale(Conflict):
    """A form or API call made on a version of the item that is no longer current."""

    def __init__(self, code: str, current: dict[str, Any]) -> None:
        super().__init__(f"{code} was changed since it was shown (now version "
                         f"{current.get('version')})",
                         "reload the item and decide again on what it is now")
        self.code = code
        self.current = current


def version_of(record: Record) -> str:
    """The version a page shows and a form sends back: both machines' row versions."""
    return f"{record.item.version}.{record.rectification.version}"


def campaigns(conn: Connection) -> list[Run]:
    """The campaigns the site runs, newest first."""
    ids = conn.execute(select(CAMPAIGNS.c.id).order_by(CAMPAIGNS.c.id.desc())).scalars().all()
    return [load_run_by_id(conn, cid) for cid in ids]


def scope_for(conn: Connection, run: Run, person: str, today: Today) -> Scope:
    """The person acting in ``run`` on its business date today."""
    actor = resolve_actor(conn, person, set(run.definition.roles))
    return Scope(conn, run, actor, today(run.timezone))


def default_today(timezone: str) -> dt.date:
    return today_in(timezone)


@dataclass(frozen=True)
class Listing:
    """One page of the items a person sees, with the campaign they belong to."""

    run: Run
    as_of: dt.date
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def my_items(conn: Connection, person: str, today: Today, campaign: str | None = None,
             page: int = 1, per_page: int = 50) -> Listing | None:
    """The items ``person`` sees in ``campaign`` (default: the newest), one page of them, each
    with its light.  None when the site runs no campaign."""
    if campaign:
        run = load_run(conn, campaign)
    else:
        runs = campaigns(conn)
        if not runs:
            return None
        run = runs[0]
    scope = scope_for(conn, run, person, today)
    actor = scope.acting
    unit = None if sees_all(run, actor) else own_unit(actor).rsplit("/", 1)[-1] \
        if own_unit(actor) else ""
    page = max(1, page)
    shown, total = list_page(scope, unit, (page - 1) * per_page, per_page) \
        if unit != "" else ([], 0)
    pages = max(1, -(-total // per_page))
    if page > pages:  # past the end: the last page
        page = pages
        shown, total = list_page(scope, unit, (page - 1) * per_page, per_page) \
            if unit != "" else ([], 0)
    light = Lights(run.definition)
    d = run.definition
    for row in shown:  # the page's rows only: a unit may have ten thousand
        deadline = dt.date.fromisoformat(row["deadline"]) if row["deadline"] else None
        row["light"] = light(deadline, row["rectification"], scope.as_of)
        row["label"] = label(d, row["state"], row["rectification"])
    return Listing(run, scope.as_of, shown, total, page, pages)


def visible_record(conn: Connection, scope: Scope, code: str) -> Record:
    """Item ``code``, if the scope's actor may see it (otherwise: not found)."""
    return require_visible(scope.run, scope.acting, load_records(conn, [code], live=False)[0])


def item_scope(conn: Connection, person: str, code: str, today: Today) -> tuple[Scope, Record]:
    """The scope of the campaign item ``code`` belongs to, and the item, if ``person`` sees it."""
    try:
        record = load_records(conn, [code], live=False)[0]
    except NotFound:
        raise NotFound(_("no item {code}").format(code=code), _("check the code")) from None
    run = run_of(conn, record.campaign) if record.campaign else load_run_by_id(
        conn, record.campaign_id)  # the campaign's head came with the item
    scope = scope_for(conn, run, person, today)
    return scope, require_visible(scope.run, scope.acting, record)


@dataclass(frozen=True)
class Detail:
    """An item as its page shows it."""

    scope: Scope
    item: dict[str, Any]
    version: str
    light: str
    label: str
    evidence: list[Stored]
    triggers: list[dict[str, Any]]


def detail(conn: Connection, person: str, code: str, today: Today) -> Detail:
    """Item ``code`` with its history, evidence and the triggers the person may fire now."""
    scope, record = item_scope(conn, person, code, today)
    shown = show_item(scope, code)
    d = scope.run.definition
    light = Lights(d)(record.rectification.deadline, record.rectification.state, scope.as_of)
    retired = record.item.retired_on is not None
    triggers = [] if retired else [t for t in possible_triggers(scope, code) if t["possible"]]
    # the history as the campaign names its steps and states (its definition's titles)
    steps = trigger_titles(d)
    states = {m: state_titles(d, [m]) for m in d.machines}
    shown["history"] = [{**e, "step": steps.get(e["trigger"], e["trigger"]),
                         "from_title": states.get(e["machine"], {}).get(e["from"], e["from"]),
                         "to_title": states.get(e["machine"], {}).get(e["to"], e["to"])}
                        for e in shown.get("history", [])]
    return Detail(scope, shown, version_of(record), light,
                  label(d, record.item.state, record.rectification.state),
                  files_of(conn, record.item.id), triggers)


def current(conn: Connection, person: str, code: str, today: Today) -> dict[str, Any]:
    """The item's state and version now (the body of a 409)."""
    scope, record = item_scope(conn, person, code, today)
    return {"code": code, "state": record.item.state, "rectification": record.rectification.state,
            "deadline": record.rectification.deadline.isoformat()
            if record.rectification.deadline else None,
            "version": version_of(record),
            "label": label(scope.run.definition, record.item.state, record.rectification.state)}


def fire(conn: Connection, person: str, trigger: str, versions: dict[str, str], today: Today,
         note: str | None = None, deadline: dt.date | None = None) -> list[Advanced]:
    """Fire ``trigger`` on each item of ``versions`` (code → version shown), all or none, as
    ``rectify item advance`` does; a stale version refuses the whole with ``Stale``."""
    runs: set[int] = set()
    scope: Scope | None = None
    records: list[Record] = []
    for code, shown in versions.items():
        scope, record = item_scope(conn, person, code, today)
        runs.add(scope.run.id)
        if shown != version_of(record):
            raise Stale(code=code, current=current(conn, person, code, today))
        records.append(record)
    if scope is None:
        raise NotFound(_("no item was chosen"), _("tick at least one item"))
    params = {"deadline": deadline} if deadline else {}
    live = all(r.item.retired_on is None for r in records)  # else advance() says it is retired
    return advance(conn, trigger, list(versions), scope.acting, scope.acting.key, scope.as_of,
                   note or None, params, records=records if live else None)


def report_progress(conn: Connection, person: str, code: str, note: str,
                    files: list[tuple[str, bytes]], today: Today) -> dict[str, Any]:
    """Record progress with evidence, as ``rectify item progress`` does."""
    scope, _record = item_scope(conn, person, code, today)
    return record_progress(scope, code, note, files)


def queue(conn: Connection, person: str, today: Today, campaign: str | None = None
          ) -> dict[str, list[dict[str, Any]]]:
    """The office's queue: visible items waiting for confirmation, for verification and for an
    extension decision (keyed by the trigger that answers them), each with the version its
    form sends back."""
    answers = {"confirm": "confirm", "verify": "verify", "extension": "approve-extension"}
    listing = my_items(conn, person, today, campaign, per_page=10**9)
    if listing is None:
        return {name: [] for name in answers}
    d = listing.run.definition
    waiting = {name: {(m.name, source) for m in d.machines.values() for t in m.transitions
                      if t.trigger == trigger for source in t.sources}
               for name, trigger in answers.items()}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in answers}
    codes = [r["code"] for r in listing.rows]
    versions = {r.code: version_of(r) for r in load_records(conn, codes, live=False)} if codes else {}
    for row in listing.rows:
        for trigger, states in waiting.items():
            if ("item", row["state"]) in states or ("rectification", row["rectification"]) in states:
                out[trigger].append({**row, "version": versions.get(row["code"], "")})
    return out

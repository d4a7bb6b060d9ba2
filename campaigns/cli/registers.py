"""``rectify accountability`` (问责) and ``rectify mechanism`` (长效机制): the registers."""

from __future__ import annotations

import datetime as dt

import click

from campaigns.i18n import _

from ._common import ACTOR, common, database, scope_of, viewing
from ._output import emit, output_options, record, table

# a register's row id: a positive integer that every database's INTEGER holds
ROW_ID = click.IntRange(1, 2**31 - 1)


def _date(text: str | None, what: str) -> dt.date | None:
    from campaigns.dates import parse_date

    return parse_date(text, what) if text else None


# --- accountability ------------------------------------------------------------------------------


@click.group()
def accountability() -> None:
    """The accountability register (问责): outcomes for people and units, linked to items."""


@accountability.command("add")
@click.argument("campaign")
@click.option("--item", "items", multiple=True, metavar="CODE",
              help="An item the case is about (repeat for more).")
@click.option("--person", "people", multiple=True, metavar="KEY",
              help="A person held accountable (repeat for more).")
@click.option("--unit", "units", multiple=True, metavar="UNIT",
              help="A unit held accountable (repeat for more).")
@click.option("--outcome", required=True, metavar="KEY", help="One of the definition's outcomes.")
@click.option("--on", "on", metavar="DATE", help="The day it was decided; default --as-of.")
@click.option("--note", help="What was decided and by whom (kept in the log, never published).")
@ACTOR
@common
def acc_add(campaign: str, items: tuple[str, ...], people: tuple[str, ...],
            units: tuple[str, ...], outcome: str, on: str | None, note: str | None,
            actor: str | None, db: str | None, as_of: str | None) -> None:
    """Record an accountability case in CAMPAIGN (the campaign's office)."""
    from campaigns.accountability import add
    from campaigns.runs import load_run

    with database(db).write() as conn:
        case = add(scope_of(conn, load_run(conn, campaign), as_of, actor), list(items),
                   list(people), list(units), outcome, _date(on, "--on"), note)
    click.echo(_("accountability case {id} recorded").format(id=case))



@accountability.command("list")
@click.argument("campaign")
@click.option("--live", is_flag=True, help="Leave out withdrawn cases.")
@ACTOR
@output_options
@common
def acc_list(campaign: str, live: bool, actor: str | None, fmt: str, db: str | None,
             as_of: str | None) -> None:
    """CAMPAIGN's cases with their counts (names only as the definition's publication rule
    allows: a confidential register shows them to an entitled --actor alone)."""
    from campaigns.accountability import (
        cases_at,
        names_shown,
        record_names_read,
        rows,
        settings,
        summary_line,
        tally,
    )
    from campaigns.runs import load_run

    with viewing(db, actor) as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor, need_actor=False)
        settings(scope.run)
        cases = cases_at(conn, scope.run, scope.as_of)
        listed = rows(scope, cases, withdrawn=not live)
        counts = tally(scope.run, cases)
        if names_shown(scope.run, scope.actor):
            record_names_read(scope, "accountability list", len(listed))
    if fmt == "json":
        emit({"cases": listed, "counts": counts.as_dict()}, fmt)
        return
    if fmt == "csv":
        emit(listed, fmt)
        return
    click.echo(table(listed))
    click.echo("\n" + summary_line(counts))


@accountability.command("withdraw")
@click.argument("case_id", metavar="ID", type=ROW_ID)
@click.option("--reason", help="Why it is withdrawn (required).")
@ACTOR
@common
def acc_withdraw(case_id: int, reason: str | None, actor: str | None, db: str | None,
                 as_of: str | None) -> None:
    """Withdraw accountability case ID (撤销): an event; the case stays in the register."""
    from campaigns.accountability import load_case, withdraw

    with database(db).write() as conn:
        run = load_case(conn, case_id)
        withdraw(scope_of(conn, run, as_of, actor), case_id, reason)
    click.echo(_("accountability case {id} withdrawn").format(id=case_id))


# --- long-term mechanisms ------------------------------------------------------------------------


@click.group()
def mechanism() -> None:
    """The long-term mechanisms register (长效机制): rules, systems and processes built."""


@mechanism.command("add")
@click.argument("campaign")
@click.option("--title", required=True, help="The mechanism's title, e.g. 限时办结制度.")
@click.option("--kind", required=True, metavar="KEY", help="rule, system, process, or the "
                                                            "definition's own kinds.")
@click.option("--category", "categories", multiple=True, metavar="KEY",
              help="A category it answers (repeat for more).")
@click.option("--item", "items", multiple=True, metavar="CODE",
              help="An item it answers (repeat for more).")
@ACTOR
@common
def mech_add(campaign: str, title: str, kind: str, categories: tuple[str, ...],
             items: tuple[str, ...], actor: str | None, db: str | None,
             as_of: str | None) -> None:
    """Record a long-term mechanism of CAMPAIGN, drafted (the campaign's office)."""
    from campaigns.mechanisms import add
    from campaigns.runs import load_run

    with database(db).write() as conn:
        mid = add(scope_of(conn, load_run(conn, campaign), as_of, actor), title, kind,
                  list(categories), list(items))
    click.echo(_("mechanism {id} recorded (drafted)").format(id=mid))



@mechanism.command("advance")
@click.argument("mechanism_id", metavar="ID", type=ROW_ID)
@click.argument("trigger")
@click.option("--number", metavar="TEXT", help="Document number (文号) that puts it in force.")
@click.option("--on", "on", metavar="DATE", help="The day it is in force from (施行日期).")
@click.option("--note", help="A note; required to review or repeal.")
@ACTOR
@common
def mech_advance(mechanism_id: int, trigger: str, number: str | None, on: str | None,
                 note: str | None, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Fire TRIGGER (issue, enforce, review, repeal) on mechanism ID."""
    from campaigns.mechanisms import advance, load

    with database(db).write() as conn:
        run, _record = load(conn, mechanism_id)
        moved = advance(scope_of(conn, run, as_of, actor), mechanism_id, trigger, note, number,
                        _date(on, "--on"))
    click.echo(_("mechanism {id}: {trigger} ({old} → {new})").format(
        id=mechanism_id, trigger=trigger, old=moved["from"], new=moved["to"]))


@mechanism.command("list")
@click.argument("campaign")
@output_options
@common
def mech_list(campaign: str, fmt: str, db: str | None, as_of: str | None) -> None:
    """CAMPAIGN's long-term mechanisms as they stood at the end of --as-of, and the categories
    with confirmed items that none in force answers yet."""
    from campaigns.mechanisms import rows, uncovered_categories
    from campaigns.runs import load_run

    with database(db).read() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False)
        listed = rows(scope)
        cats = scope.run.definition.sections.get("categories") or {}
        missing = [cats.get(c, c) for c in uncovered_categories(conn, scope.run)]
    if fmt == "json":
        emit({"mechanisms": listed, "categories_without_mechanism": missing}, fmt)
        return
    if fmt == "csv":
        emit(listed, fmt)
        return
    click.echo(table(listed, ["id", "title", "kind", "state", "document_number", "in_force_on",
                              "categories", "items"]))
    click.echo("\n" + _("categories with confirmed items and no mechanism in force: {cats}")
               .format(cats="、".join(missing) or _("(none)")))


@mechanism.command("show")
@click.argument("mechanism_id", metavar="ID", type=ROW_ID)
@output_options
@common
def mech_show(mechanism_id: int, fmt: str, db: str | None, as_of: str | None) -> None:
    """Mechanism ID: what it answers, where it stands, and each step with who took it."""
    from campaigns.mechanisms import load, show

    with database(db).read() as conn:
        run, _record = load(conn, mechanism_id)
        detail = show(scope_of(conn, run, as_of, None, need_actor=False), mechanism_id)
    if fmt != "table":
        emit(detail if fmt == "json" else detail["history"], fmt)
        return
    click.echo(record(detail))
    click.echo("\n" + _("history:") + "\n" + table(detail["history"]))

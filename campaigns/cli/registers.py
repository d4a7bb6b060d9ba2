"""``rectify accountability`` (问责), ``rectify mechanism`` (长效机制) and ``rectify commitment``
(公开承诺): the registers."""

from __future__ import annotations

import datetime as dt

import click

from campaigns import wording
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
    click.echo(table([{**r, "status": _case_status(r["status"])} for r in listed]))
    click.echo("\n" + summary_line(counts))


def _case_status(status: str) -> str:
    """A case's status as shown in a table: the listing's own words in the reader's language."""
    if status.startswith("withdrawn "):
        return _("withdrawn {date}").format(date=status.split(" ", 1)[1])
    return _("in effect")


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
@click.option("--from", "listed", metavar="KEY", help="An institution the definition lists "
                                                      "(mechanisms.register): its title, kind "
                                                      "and categories.")
@click.option("--title", help="The mechanism's title, e.g. 限时办结制度.")
@click.option("--kind", metavar="KEY", help="rule, system, process, or the definition's own kinds.")
@click.option("--category", "categories", multiple=True, metavar="KEY",
              help="A category it answers (repeat for more).")
@click.option("--item", "items", multiple=True, metavar="CODE",
              help="An item it answers (repeat for more).")
@ACTOR
@common
def mech_add(campaign: str, listed: str | None, title: str | None, kind: str | None,
             categories: tuple[str, ...], items: tuple[str, ...], actor: str | None,
             db: str | None, as_of: str | None) -> None:
    """Record a long-term mechanism of CAMPAIGN, drafted (the campaign's office)."""
    from campaigns.mechanisms import add, from_register
    from campaigns.runs import load_run

    with database(db).write() as conn:
        run = load_run(conn, campaign)
        cats = list(categories)
        if listed:
            if title or kind:
                raise click.UsageError(_("--from takes the title and kind from the definition"))
            title, kind, given = from_register(run, listed)
            cats = list(dict.fromkeys([*given, *cats]))
        elif not title or not kind:
            raise click.UsageError(_("give --title and --kind (or --from KEY)"))
        mid = add(scope_of(conn, run, as_of, actor), title, kind, cats, list(items))
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
    from campaigns.mechanisms import mechanisms_at, not_recorded, rows, uncovered_categories
    from campaigns.runs import load_run

    with database(db).read() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False)
        listed = rows(scope)
        cats = scope.run.definition.sections.get("categories") or {}
        missing = [cats.get(c, c) for c in uncovered_categories(conn, scope.run)]
        to_build = not_recorded(scope.run, mechanisms_at(conn, scope.run, scope.as_of))
    if fmt == "json":
        emit({"mechanisms": listed, "categories_without_mechanism": missing,
              "register_not_recorded": to_build}, fmt)
        return
    if fmt == "csv":
        emit(listed, fmt)
        return
    click.echo(table(listed, ["id", "title", "kind", "state", "document_number", "in_force_on",
                              "categories", "items"]))
    click.echo("\n" + _("categories with confirmed items and no mechanism in force: {cats}")
               .format(cats="、".join(missing) or _("(none)")))
    if to_build:
        click.echo(_("listed in the definition and not yet recorded: {titles}")
                   .format(titles="、".join(to_build)))


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


# --- commitments ---------------------------------------------------------------------------------


@click.group()
def commitment() -> None:
    """The commitments register (公开承诺): record, publish, track, review and show them."""


@commitment.command("add")
@click.argument("campaign")
@click.option("--from", "listed", metavar="KEY",
              help="A commitment the definition lists (commitments.list): its title and dates.")
@click.option("--title", help="What is promised, e.g. 6月底前完成项目立项.")
@click.option("--kind", metavar="KEY", help="fixed (固定任务), dynamic (动态任务), or the "
                                            "definition's own kinds; default the first.")
@click.option("--unit", metavar="UNIT", help="The unit that promises it; default the person's.")
@click.option("--person", metavar="KEY", help="The person responsible (责任人), or who promises it.")
@click.option("--start", metavar="DATE", help="The start date (开始时间).")
@click.option("--due", metavar="DATE", help="The completion date (完成时限).")
@ACTOR
@common
def com_add(campaign: str, listed: str | None, title: str | None, kind: str | None,
            unit: str | None, person: str | None, start: str | None, due: str | None,
            actor: str | None, db: str | None, as_of: str | None) -> None:
    """Record a commitment of CAMPAIGN, not yet published (the campaign's office)."""
    from campaigns.commitments import from_listed, prepare, record as record_
    from campaigns.runs import load_run

    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor)
        if listed:
            if title or start or due or kind:
                raise click.UsageError(_("--from takes the title, kind and dates from the "
                                         "definition; give only --unit and --person with it"))
            new = from_listed(scope, listed, unit, person)
        else:
            if not title or not (unit or person):
                raise click.UsageError(_("give --title and --unit or --person (or --from KEY)"))
            new = prepare(scope, title, kind, unit, person, _date(start, "--start"),
                          _date(due, "--due"))
        [cid] = record_(scope, [new])
    click.echo(_("commitment {id} recorded (not yet published)").format(id=cid))


@commitment.command("import")
@click.argument("campaign")
@click.argument("path", metavar="FILE")
@click.option("--sheet", help="The workbook's sheet (name or number); default the first.")
@ACTOR
@common
def com_import(campaign: str, path: str, sheet: str | None, actor: str | None, db: str | None,
               as_of: str | None) -> None:
    """Record every commitment listed in FILE (.csv, .xlsx, .xls, .ods), or none."""
    from campaigns.commitments import import_file
    from campaigns.runs import load_run

    with database(db).write() as conn:
        ids = import_file(scope_of(conn, load_run(conn, campaign), as_of, actor), path, sheet)
    click.echo(_("{count} commitment(s) recorded (not yet published)").format(count=len(ids)))


@commitment.command("publish")
@click.argument("campaign")
@click.argument("ids", metavar="[ID]...", nargs=-1, type=ROW_ID)
@click.option("--unit", metavar="UNIT", help="Only the drafted commitments of this unit's subtree.")
@ACTOR
@common
def com_publish(campaign: str, ids: tuple[int, ...], unit: str | None, actor: str | None,
                db: str | None, as_of: str | None) -> None:
    """Publish (晒承诺) commitments ID..., or every one not yet published."""
    from campaigns.commitments import publish
    from campaigns.runs import load_run

    with database(db).write() as conn:
        moved = publish(scope_of(conn, load_run(conn, campaign), as_of, actor), list(ids), unit)
    click.echo(_("{count} commitment(s) published").format(count=len(moved)))


@commitment.command("track")
@click.argument("commitment_id", metavar="ID", type=ROW_ID)
@click.option("--check", "check", required=True, metavar="KEY",
              help="The check-in (commitments.tracking), e.g. daily, weekly.")
@click.option("--period", metavar="PERIOD", help="Its period (2009-04-03, 2009-W15, 2009-04, "
                                                 "2009-Q2); default the latest begun.")
@click.option("--note", help="The progress reported.")
@ACTOR
@common
def com_track(commitment_id: int, check: str, period: str | None, note: str | None,
              actor: str | None, db: str | None, as_of: str | None) -> None:
    """Record a check-in of commitment ID (跟踪、点评、调度、总结): its unit or the office."""
    from campaigns.commitments import load, track

    with database(db).write() as conn:
        run, _record = load(conn, commitment_id)
        done = track(scope_of(conn, run, as_of, actor), commitment_id, check, period, note)
    click.echo(_("commitment {id}: {check} {period} recorded ({status})").format(
        id=commitment_id, check=done.check, period=done.period, status=_(done.status)))


@commitment.command("review")
@click.argument("commitment_id", metavar="ID", type=ROW_ID)
@click.option("--outcome", required=True, type=click.Choice(["fulfilled", "partly", "broken"]),
              help="How it was honoured (兑现).")
@click.option("--note", help="What was found; required unless fulfilled.")
@ACTOR
@common
def com_review(commitment_id: int, outcome: str, note: str | None, actor: str | None,
               db: str | None, as_of: str | None) -> None:
    """Review commitment ID (一年一兑现): fulfilled, partly fulfilled or broken."""
    from campaigns.commitments import load, review

    with database(db).write() as conn:
        run, _record = load(conn, commitment_id)
        moved = review(scope_of(conn, run, as_of, actor), commitment_id, outcome, note)
    click.echo(_("commitment {id}: {old} → {new}").format(
        id=commitment_id, old=moved["from"], new=moved["to"]))


@commitment.command("list")
@click.argument("campaign")
@click.option("--checkins", is_flag=True, help="List the check-ins owed instead, one a row.")
@click.option("--status", type=click.Choice(["on time", "late", "missing", "pending"]),
              help="With --checkins: only those of this status.")
@output_options
@common
def com_list(campaign: str, checkins: bool, status: str | None, fmt: str, db: str | None,
             as_of: str | None) -> None:
    """CAMPAIGN's commitments as they stood at the end of --as-of, with their check-ins
    counted (on time, late, missing, pending)."""
    from campaigns.commitments import checkin_rows, commitments_at, rows, spec_of, summary_line, tally
    from campaigns.runs import load_run

    with database(db).read() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False)
        spec_of(scope.run)
        if checkins:
            listed = checkin_rows(scope, status)
            counts = None
        else:
            found = commitments_at(conn, scope.run, scope.as_of)
            listed = rows(scope, found)
            counts = tally(scope.run, found, scope.as_of)
    if fmt == "json":
        emit(listed if counts is None else {"commitments": listed, "counts": counts.as_dict()},
             fmt)
        return
    if fmt == "csv":
        emit(listed, fmt)
        return
    if counts is None:  # the check-ins: their status in the reader's words
        words = {k: _(k) for k in ("on time", "late", "missing", "pending")}
        emit(wording.rows(listed, {"status": words}), fmt)
        return
    click.echo(table(listed, ["id", "title", "kind", "unit", "person", "start_on", "due_on",
                              "state", "published_on", "on_time", "late", "missing"]))
    click.echo("\n" + summary_line(counts))


@commitment.command("show")
@click.argument("commitment_id", metavar="ID", type=ROW_ID)
@output_options
@common
def com_show(commitment_id: int, fmt: str, db: str | None, as_of: str | None) -> None:
    """Commitment ID: where it stands, its check-ins, and each step with who took it."""
    from campaigns.commitments import load, show

    with database(db).read() as conn:
        run, _record = load(conn, commitment_id)
        detail = show(scope_of(conn, run, as_of, None, need_actor=False), commitment_id)
    if fmt != "table":
        emit(detail if fmt == "json" else detail["checkins"], fmt)
        return
    click.echo(record({k: v for k, v in detail.items() if k not in ("checkins", "history")}))
    click.echo("\n" + _("check-ins:") + "\n" + table(detail["checkins"]))
    click.echo("\n" + _("history:") + "\n" + table(detail["history"]))


@commitment.command("board")
@click.argument("campaign")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="FILE.html.")
@common
def com_board(campaign: str, output: str, db: str | None, as_of: str | None) -> None:
    """Write CAMPAIGN's public commitments board (晒承诺) as HTML."""
    from campaigns.commitments import spec_of, write_board
    from campaigns.runs import load_run

    from ._common import output_file

    output_file(output, ("html", "htm"), _("a board"))
    with database(db).read() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False)
        spec_of(scope.run)
        n = write_board(scope, output)
    click.echo(_("wrote {output}: {count} commitment(s) shown").format(output=output, count=n))

"""``rectify campaign``: start, list, status, advance."""

from __future__ import annotations

import os

import click

from campaigns import wording
from campaigns.i18n import _

from ._common import ACTOR, common, database, db_only, scope_of
from ._output import emit, output_options, record, table


@click.group()
def campaign() -> None:
    """Campaigns: runs of a definition with their own dates, stages and items."""


@campaign.command("start")
@click.argument("definition", type=click.Path(dir_okay=False))
@click.option("--start", "start_text", required=True, metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--key", help="Campaign key; default the definition's key.")
@ACTOR
@common
def start(definition: str, start_text: str, key: str | None, actor: str | None, db: str | None,
          as_of: str | None) -> None:
    """Start a campaign from DEFINITION (its text is kept: later edits never change it)."""
    from campaigns.dates import parse_date
    from campaigns.people import resolve_actor
    from campaigns.runs import check_key, start as start_run
    from engine.core.loader import normalized

    begin = parse_date(start_text, "--start")
    day = parse_date(as_of, "--as-of") if as_of else begin
    if key:
        check_key(key)
    loaded = normalized(definition)  # read and checked before the write transaction opens
    with database(db).write() as conn:
        who = resolve_actor(conn, actor)
        run = start_run(conn, definition, begin, who.key, day, key, loaded)
    click.echo(_("started {key} ({title}) on {date}").format(key=run.key, title=run.title,
                                                            date=run.start_date))
    from campaigns.calendar_warnings import window_warnings

    for line in window_warnings(run.definition, run.start_date):  # with the site's notices
        click.echo(_("warning: {warning}").format(warning=line), err=True)


@campaign.command("list")
@output_options
@db_only
def list_(fmt: str, db: str | None) -> None:
    """List campaigns."""
    from campaigns.runs import list_runs

    with database(db).read() as conn:
        runs = list_runs(conn)
    emit(runs if fmt != "table" else wording.status_rows(runs, ["status"]), fmt)


@campaign.command("status")
@click.argument("key")
@output_options
@common
def status(key: str, fmt: str, db: str | None, as_of: str | None) -> None:
    """Where CAMPAIGN stands: stages, counts by state and unit, overdue."""
    from campaigns.queries import status as status_of
    from campaigns.runs import load_run

    with database(db).read() as conn:
        run = load_run(conn, key)
        data = status_of(scope_of(conn, run, as_of, None, need_actor=False))
    if fmt != "table":
        emit(data, fmt)
        return
    d = run.definition
    phases = {k: wording.phase(k) for k in wording.STAGE_PHASES}
    head = {k: v for k, v in data.items() if k in (
        "key", "title", "start", "as_of", "status", "phase", "items", "overdue")}
    if head["status"].startswith("concluded "):
        head["status"] = _("concluded {date}").format(date=head["status"].split(" ", 1)[1])
    click.echo(record(wording.status_rows([head], ["status"])[0]))
    click.echo("\n" + _("stages:") + "\n" + table(wording.rows(
        data["stages"], {"state": phases, "kind": wording.STAGE_KINDS})))
    click.echo("\n" + _("items by state:") + " " + ", ".join(
        f"{wording.state(d, k, 'item')} {v}" for k, v in sorted(data["items_by_state"].items())))
    click.echo(_("rectifications by state:") + " " + ", ".join(
        f"{wording.state(d, k, 'rectification')} {v}"
        for k, v in sorted(data["rectifications_by_state"].items())))
    click.echo("\n" + _("by unit:") + "\n" + table(data["by_unit"]))
    if "accountability" in data:
        acc = data["accountability"]
        click.echo("\n" + _("accountability: {cases} case(s), {people} person(s), {times} "
                             "person-time(s), {units} unit(s)").format(
            cases=acc["cases"], people=acc["people"], times=acc["person_times"],
            units=acc["units"]))
    if "mechanisms" in data:
        mech = data["mechanisms"]
        click.echo(_("long-term mechanisms: {total}, {in_force} in force").format(
            total=mech["total"], in_force=mech["in_force"]))
    if "commitments" in data:
        com = data["commitments"]
        click.echo(_("commitments: {total}, {published} published; check-ins {on_time} on time, "
                     "{late} late, {missing} missing").format(
            total=com["commitments"], published=com["published"],
            on_time=com["checkins"]["on time"], late=com["checkins"]["late"],
            missing=com["checkins"]["missing"]))


@campaign.command("advance")
@click.argument("key")
@click.option("--to", "to", metavar="STAGE", help="Open this stage (closing finished ones before it).")
@click.option("--close", "close_", metavar="STAGE", help="Only close this open stage.")
@click.option("--force", is_flag=True, help="Override refused stage guards (authorised roles only).")
@ACTOR
@common
def advance(key: str, to: str | None, close_: str | None, force: bool, actor: str | None,
            db: str | None, as_of: str | None) -> None:
    """Move CAMPAIGN to its next stage (or --to STAGE, or --close STAGE); with no stage left,
    conclude it."""
    from campaigns.runs import load_run
    from campaigns.stages import advance as advance_stage, close as close_stage

    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, key), as_of, actor)
        if close_ and to:
            raise click.UsageError(_("give --to or --close, not both"))
        lines = (close_stage(scope, close_, force) if close_
                 else advance_stage(scope, to, force))
    click.echo("\n".join(lines))


@campaign.command("undo")
@click.argument("key")
@click.option("--note", required=True, help="Why the change is undone (kept with the undo).")
@click.option("--batch", type=int, metavar="N",
              help="Undo batch N (see 'rectify campaign batches'), e.g. an import, instead of "
                   "the latest stage move or tick.")
@ACTOR
@common
def undo(key: str, note: str, batch: int | None, actor: str | None, db: str | None,
         as_of: str | None) -> None:
    """Undo CAMPAIGN's latest stage move (open, close, conclude) or tick, or --batch N (an
    import), as a whole.

    Every event the command wrote gets its compensating event; a tick's notices are withdrawn
    and the documents listing them marked 作废 (their numbers are never given again); the
    clock goes back to where it was.  The items an import recorded are withdrawn (retired:
    counted nowhere, codes not reused); the items it updated are put back.  Refused if a later
    change on any subject it touched still stands.  Only roles that may override may undo.
    """
    from campaigns.cli.items import _undone_message
    from campaigns.dates import parse_date
    from campaigns.runs import load_run
    from campaigns.undo import undo_campaign

    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, key), as_of, actor)
        done = undo_campaign(scope, note, parse_date(as_of, "--as-of") if as_of else None, batch)
    click.echo(_undone_message(key, done))


@campaign.command("batches")
@click.argument("key")
@output_options
@db_only
def batches(key: str, fmt: str, db: str | None) -> None:
    """List CAMPAIGN's batches: the ticks, stage moves, imports and item commands an undo
    reverses whole."""
    from campaigns.runs import load_run
    from campaigns.undo import list_batches

    with database(db).read() as conn:
        found = list_batches(conn, load_run(conn, key))
    emit(found if fmt != "table" else wording.status_rows(found, ["status", "kind"]), fmt)


@campaign.command("map")
@click.argument("key")
@click.option("--category", "categories", multiple=True, metavar="VALUE=KEY",
              help="A ledger's word for a category, e.g. 公车管理=official-car; repeatable; "
                   "VALUE= drops a mapping.")
@click.option("--source", "sources", multiple=True, metavar="VALUE=KEY",
              help="A ledger's word for a source; repeatable.")
@click.option("--file", "file", type=click.Path(dir_okay=False), metavar="MAP",
              help="Mappings from MAP.yaml ({category: {VALUE: KEY}, source: ...}) or MAP.csv "
                   "(field,value,key).")
@ACTOR
@output_options
@db_only
def map_(key: str, categories: tuple[str, ...], sources: tuple[str, ...], file: str | None,
         actor: str | None, fmt: str, db: str | None) -> None:
    """Map the words a ledger uses for categories and sources to CAMPAIGN's keys (recorded in
    its log; 'item import' uses them); with no option, list every word that names a key."""
    from campaigns.admins import require_admin
    from campaigns.people import resolve_actor
    from campaigns.runs import load_run
    from campaigns.valuemaps import list_mappings, map_values, parse_pairs, read_map_file

    if not (categories or sources or file):
        with database(db).read() as conn:
            rows = list_mappings(conn, load_run(conn, key))
        emit(rows, fmt, ["field", "value", "key", "by"] if fmt == "table" else None)
        return
    pairs = read_map_file(file) if file else {"category": {}, "source": {}}
    pairs["category"].update(parse_pairs(categories, "--category"))
    pairs["source"].update(parse_pairs(sources, "--source"))
    with database(db).write() as conn:
        run = load_run(conn, key)
        who = resolve_actor(conn, actor, set(run.definition.roles))
        if not who.roles:  # a role of the campaign, or the site's administrator
            require_admin(conn, who.key)
        n = map_values(conn, run, who.key, run.latest or run.start_date, pairs,
                       os.path.basename(file) if file else None)
    click.echo(_("{campaign}: {count} value(s) mapped").format(campaign=key, count=n))

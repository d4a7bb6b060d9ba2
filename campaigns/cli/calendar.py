"""``rectify calendar``: the site's holiday notices and regional holidays."""

from __future__ import annotations

import click

from campaigns.i18n import N_, _

from ._common import ACTOR, DB, as_of_date, common, database
from ._output import emit, output_options

# the days of the week as a table shows them (the JSON keeps "Mon" … "Sun")
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


@click.group()
def calendar() -> None:
    """The site calendar: holiday notices (放假安排) every campaign counts working days on."""


@calendar.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--area", help="A region's own holidays (e.g. 广西 for 三月三), not the national notice.")
@click.option("--apply", "apply_", is_flag=True,
              help="Move the listed deadlines that have not passed yet, each with an event.")
@output_options
@ACTOR
@common
def calendar_import(file: str, area: str | None, apply_: bool, fmt: str, actor: str | None,
                    db: str | None, as_of: str | None) -> None:
    """Import a year's holiday notice (YAML or CSV) into the site calendar (an administrator;
    recorded in the site log), and list the deadlines counted on provisional days it moves."""
    from campaigns.sitecalendar import import_notice, read_notice

    notice = read_notice(file, area)  # read and checked before the transaction
    day = as_of_date(as_of) if as_of else None
    with database(db).write() as conn:
        result = import_notice(conn, notice, actor=actor, day=day, apply=apply_)
    if fmt == "json":
        emit(result, fmt)
        return
    deadlines = result["deadlines"]
    if fmt == "csv":
        emit(deadlines, fmt, ["campaign", "code", "deadline", "new_deadline", "limit", "counted_from",
                              "passed"])
        return
    where = f" ({result['area']})" if result["area"] else ""
    click.echo(_("imported {title}{where}: {year}, {off} day(s) off, {work} working day(s)").format(
        title=result["title"], where=where, year=result["year"], off=result["days_off"],
        work=result["working_days"]))
    if result["replaced"]:
        click.echo(_("  in place of {title}").format(title=result["replaced"]))
    if not deadlines:
        click.echo(_("no deadline counted on provisional days moves"))
        return
    click.echo(_("deadlines counted on provisional days that this notice moves:"))
    for r in deadlines:
        mark = _(" (passed: left as it is)") if r["passed"] else ""
        click.echo(f"  {r['campaign']}  {r['code']}  {r['deadline']} → {r['new_deadline']}{mark}")
    if apply_:
        click.echo(_("moved {n} deadline(s)").format(n=result["moved"]))
    else:
        click.echo(_("  hint: run the import again with --apply to move those not passed yet"))


@calendar.command("show")
@click.argument("year", type=click.IntRange(1950, 2100))
@click.option("--campaign", "campaign_key", help="As one campaign counts (its definition's days first).")
@output_options
@DB
def calendar_show(year: int, campaign_key: str | None, fmt: str, db: str | None) -> None:
    """Each day off and each working weekend day of YEAR, with the source that decides it."""
    from campaigns.runs import load_run
    from campaigns.sitecalendar import show, year_source

    with database(db).read() as conn:
        definition = load_run(conn, campaign_key).definition if campaign_key else None
        rows = show(conn, year, definition)
        source = year_source(conn, year)
    if fmt != "table":
        emit(rows, fmt, ["date", "weekday", "kind", "holiday", "source", "provisional"])
        return
    if source == "provisional":
        click.echo(_("{year}: provisional — no holiday notice for this year yet; statutory holidays "
                     "computed by the holidays package, no 调休 working days").format(year=year))
    else:
        sources = {"notice": _("the site's holiday notice"),
                   "chinesecalendar": _("chinesecalendar (the State Council's notices it ships)"),
                   "weekends": _("Monday to Friday (calendar.outside_known_years: weekends)")}
        click.echo(_("{year}: {source}").format(year=year, source=sources.get(source, source)))
    days = dict(zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), WEEKDAYS, strict=True))
    shown = [{**r, "kind": _("off") if r["kind"] == "off" else _("work"),
              "weekday": _(days.get(r["weekday"], r["weekday"]))} for r in rows]
    emit(shown, fmt, ["date", "weekday", "kind", "holiday", "source"])

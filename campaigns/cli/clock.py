"""``rectify tick`` (the campaign clock) and ``rectify notices`` (what escalation produced)."""

from __future__ import annotations

import json
from typing import Any

import click

from engine.core.errors import EngineError, ExitCode

from ._common import common, database, db_only
from ._output import emit, output_options, table


@click.command("tick")
@click.argument("campaign", required=False)
@click.option("--all", "every", is_flag=True, help="Tick every running campaign (for cron).")
@click.option("--dry-run", is_flag=True, help="Print what would happen; change nothing.")
@output_options
@common
def tick(campaign: str | None, every: bool, dry_run: bool, fmt: str, db: str | None,
         as_of: str | None) -> None:
    """Apply the clock to CAMPAIGN up to --as-of: open stages, fire timers, escalate.

    Every day since the last tick is evaluated in order, each change written with the date it
    was due.  Ticking the same date twice changes nothing the second time.
    """
    if every == bool(campaign):
        raise click.UsageError("give a CAMPAIGN or --all (not both)")
    database_ = database(db)
    if every:
        from campaigns.clock import running

        with database_.read() as conn:
            keys = running(conn)
    else:
        assert campaign is not None
        keys = [campaign]
    reports: list[dict[str, Any]] = []
    failed = 0
    for key in keys:
        try:
            report = _tick_one(database_, key, as_of, dry_run)
        except EngineError as exc:
            if not every:
                raise
            failed += 1
            click.echo(f"Error: {key}: {exc.format()}", err=True)
            continue
        reports.append(report.as_dict())
        if fmt == "table":
            _print(report)
    if fmt == "json":
        click.echo(json.dumps(reports if every else reports[0], ensure_ascii=False, indent=2))
    elif fmt == "csv":
        emit([{"campaign": r["campaign"], **s} for r in reports for s in r["steps"]], "csv",
             ["campaign", "date", "rule", "title", "count", "new_deadline"])
    if every and not keys and fmt == "table":
        click.echo("no running campaigns")
    if failed:
        raise click.exceptions.Exit(int(ExitCode.INVALID))


def _tick_one(db: Any, key: str, as_of: str | None, dry_run: bool) -> Any:
    from campaigns.clock import tick as tick_campaign
    from campaigns.runs import load_run
    from campaigns.snapshots import write_missing

    from ._common import scope_of

    with db.write() as conn:
        scope = scope_of(conn, load_run(conn, key), as_of, None, need_actor=False)
        report = tick_campaign(scope, dry_run)
        if not dry_run:  # months the clock has now sealed get their snapshot
            write_missing(conn, scope.run, newest_only=True)
        return report


def _print(report: Any) -> None:
    if report.concluded:
        click.echo(f"{report.campaign}: concluded on {report.concluded}; its clock has stopped")
        return
    span = (str(report.as_of) if report.first == report.as_of
            else f"{report.first} .. {report.as_of}")
    head = f"{report.campaign}: {'would tick' if report.dry_run else 'ticked'} {span}"
    click.echo(head + (" (dry run: nothing written)" if report.dry_run else ""))
    rows = [{"date": s.day.isoformat(), "rule": s.rule, "what": s.title, "count": s.count,
             "new deadline": s.new_deadline.isoformat() if s.new_deadline else ""}
            for s in report.steps]
    if rows:
        click.echo(table(rows))
    refusals = [f"{s.rule}: {r}" for s in report.steps for r in s.refused]
    for line in [*refusals, *report.waiting]:
        click.echo(f"not done: {line}")
    verb = "would change" if report.dry_run else "changed"
    click.echo(f"{verb} {report.changes}" if report.changes else "nothing due")


@click.command("notices")
@click.argument("campaign")
@click.option("--level", metavar="LEVEL", help="Only this escalation level (key or title).")
@click.option("--since", metavar="DATE", help="Only notices issued on or after DATE.")
@click.option("--unit", help="Only this unit's subtree.")
@click.option("--html", "folder", type=click.Path(file_okay=False), metavar="DIR",
              help="Write a printable 督办通知书 per unit into DIR (one HTML file each).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE.html",
              help="Write every unit's 督办通知书 into one printable HTML file.")
@output_options
@db_only
def notices(campaign: str, level: str | None, since: str | None, unit: str | None,
            folder: str | None, output: str | None, fmt: str, db: str | None) -> None:
    """List CAMPAIGN's escalation notices (提醒/督办/通报/问责), or print them per unit."""
    from campaigns.dates import parse_date
    from campaigns.notices import COLUMNS, HEADERS, list_notices, write_html
    from campaigns.runs import load_run
    from campaigns.units import UnitTree

    with database(db).read() as conn:
        run = load_run(conn, campaign)
        tree = UnitTree.load(conn)
        rows = list_notices(conn, run, tree, level=level, unit=unit,
                            since=parse_date(since, "--since") if since else None)
    if folder or output:
        written = write_html(run, tree, rows, folder=folder, path=output)
        units = len({r["unit_code"] for r in rows})
        click.echo(f"{len(rows)} notice(s) for {units} unit(s): {', '.join(written) or 'nothing written'}")
        return
    emit(rows, fmt, COLUMNS if fmt != "json" else None, HEADERS if fmt == "table" else None)

"""``rectify tick`` (the campaign clock) and ``rectify notices`` (what escalation produced)."""

from __future__ import annotations

import json
from contextlib import nullcontext
from functools import partial
from typing import Any

import click

from campaigns import wording
from campaigns.i18n import _, localize, translating
from engine.core.errors import Conflict, EngineError, ExitCode

from ._common import ACTOR, common, database
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
        raise click.UsageError(_("give a CAMPAIGN or --all (not both)"))
    database_ = database(db)
    if every:
        from campaigns.clock import running

        with database_.read() as conn:
            keys = running(conn)
    else:
        assert campaign is not None
        keys = [campaign]
    from engine.io.runlock import run_lock

    with run_lock(database_.engine, database_.sqlite_path, "tick") if not dry_run \
            else nullcontext(True) as got:
        if not got:
            if not every:
                raise Conflict(_("another 'rectify tick' is running on this database"),
                               _("run it again when that one has finished"))
            click.echo(_("another 'rectify tick' is running on this database; it ticks every "
                         "campaign it is asked to, so this one did nothing"), err=True)
            return
        _tick_all(database_, keys, every, dry_run, fmt, as_of)


def _tick_all(database_: Any, keys: list[str], every: bool, dry_run: bool, fmt: str,
              as_of: str | None) -> None:
    from ._retry import after_commits, commits

    reports: list[dict[str, Any]] = []
    failed: list[ExitCode] = []
    before = commits()
    for key in keys:
        try:
            # once an earlier campaign's tick committed, the command is not run again whole: a
            # conflict is retried here (a tick is resumable, so running it again is safe)
            report = after_commits(before, partial(_tick_one, database_, key, as_of, dry_run))
        except EngineError as exc:
            if not every:
                raise
            failed.append(exc.exit_code)
            click.echo(_("Error: {key}: {value}").format(key=key, value=exc.format()), err=True)
            continue
        reports.append(report.as_dict())
        if fmt == "table":
            _print(report, _marker(database_, key, report))
    if fmt == "json":
        click.echo(json.dumps(reports if every else reports[0], ensure_ascii=False, indent=2))
    elif fmt == "csv":
        emit([{"campaign": r["campaign"], **s} for r in reports for s in r["steps"]], "csv",
             ["campaign", "date", "rule", "title", "count", "new_deadline"])
    if every and not keys and fmt == "table":
        click.echo(_("no running campaigns"))
    if failed:
        raise click.exceptions.Exit(int(worst(failed)))


def worst(codes: list[ExitCode]) -> ExitCode:
    """The exit code of ``tick --all`` whose campaigns failed: a broken machine (4) before a
    conflict worth retrying (3) before a campaign's own problem (1), so cron's retry rule
    (rerun on 3) never reruns what cannot succeed, and always reruns what can."""
    for code in (ExitCode.ENVIRONMENT, ExitCode.CONFLICT):
        if code in codes:
            return code
    return ExitCode.INVALID


def _tick_one(db: Any, key: str, as_of: str | None, dry_run: bool) -> Any:
    """A real tick runs in short transactions (campaigns.clock.tick_in_batches); a dry run in one
    that is rolled back."""
    from campaigns.clock import tick as tick_campaign, tick_in_batches
    from campaigns.runs import load_run

    from ._common import scope_of

    def scope_in(conn: Any) -> Any:
        return scope_of(conn, load_run(conn, key), as_of, None, need_actor=False)

    if not dry_run:
        return tick_in_batches(db.write, scope_in)
    with db.write() as conn:
        return tick_campaign(scope_in(conn), dry_run)


def _marker(db: Any, key: str, report: Any) -> Any:
    """How to show a new deadline the tick set: marked when in a provisional year."""
    if not any(s.new_deadline for s in report.steps):
        return None
    from campaigns.provisional import shown
    from campaigns.runs import load_run

    with db.read() as conn:
        definition = load_run(conn, key).definition
    return lambda day: shown(definition, day)


def _print(report: Any, show_date: Any = None) -> None:
    if report.concluded:
        click.echo(_("{campaign}: concluded on {concluded}; its clock has stopped").format(
            campaign=report.campaign, concluded=report.concluded))
        return
    span = (str(report.as_of) if report.first == report.as_of
            else f"{report.first} .. {report.as_of}")
    if report.dry_run:
        click.echo(_("{campaign}: would tick {span} (dry run: nothing written)").format(
            campaign=report.campaign, span=span))
    else:
        click.echo(_("{campaign}: ticked {span}").format(campaign=report.campaign, span=span))
    rows = [{"date": s.day.isoformat(), "rule": s.rule, "what": s.title, "count": s.count,
             "new deadline": (show_date(s.new_deadline) if show_date else s.new_deadline.isoformat())
             if s.new_deadline else ""}
            for s in report.steps]
    if rows:
        click.echo(table(rows))
        from campaigns.provisional import legend, mark

        if any(r["new deadline"].endswith(mark()) for r in rows):
            click.echo(legend())
    if report.held:  # a guard that does not hold is not a failure: one line, no rows
        click.echo(_("not due, guards not met: {rules}").format(rules=", ".join(
            _("{rule} ({count} item(s))").format(rule=rule, count=len(codes))
            for rule, codes in sorted(report.held.items()))))
    refusals = [f"{s.rule}: {localize(r)}" for s in report.steps for r in s.refused]
    for line in [*refusals, *(localize(w) for w in report.waiting)]:
        click.echo(_("not done: {line}").format(line=line))
    if not report.changes:
        click.echo(_("nothing due"))
    elif report.dry_run:
        click.echo(_("would change {changes}").format(changes=report.changes))
    else:
        click.echo(_("changed {changes}").format(changes=report.changes))


@click.command("notices")
@click.argument("campaign")
@click.option("--level", metavar="LEVEL",
              help="Only this escalation or reminder level (key or title).")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Only notices of KIND: escalation, stage, reminder, inspection or assessment "
                   "(repeat, or a,b).")
@click.option("--since", metavar="DATE", help="Only notices issued on or after DATE.")
@click.option("--unit", help="Only notices about items of this unit's subtree.")
@click.option("--issue", is_flag=True,
              help="Number and record the business day's 督办通知书 (with --since: every day "
                   "from DATE); needs --actor.")
@click.option("--html", "folder", type=click.Path(file_okay=False), metavar="DIR",
              help="Write each 督办通知书 into DIR as HTML (same as -o DIR --format html).")
@click.option("-o", "--output", type=click.Path(), metavar="PATH",
              help="Write the 督办通知书: a file each into the folder PATH, or all into one "
                   "file PATH.html, PATH.pdf or PATH.docx.")
@click.option("--format", "doc_format", type=click.Choice(["html", "docx", "pdf"]),
              help="Format of the 督办通知书 written [default: html, or the extension of -o FILE].")
@output_options
@ACTOR
@common
def notices(campaign: str, level: str | None, kinds: tuple[str, ...], since: str | None,
            unit: str | None, issue: bool, folder: str | None, output: str | None,
            doc_format: str | None, fmt: str, actor: str | None, db: str | None, as_of: str | None) -> None:
    """List CAMPAIGN's notices (escalation, stage overdue, reminders), or print and issue 督办通知书.

    Beside the escalation notices (提醒/督办/通报/问责) to the units, the clock's notices to the
    office: a stage its guards keep open past its window (to the lead unit and the roles that
    may force it: which guard, why, since when), and reminders to confirm a waiting report (to
    the roles that must confirm).  A 督办通知书 goes to the unit that rectifies the items (a
    bureau for its sections' items) for one level on one day, and lists only the items still
    open at the end of that day.  Without --issue the documents are drafts, not numbered; the
    notices to the office are printed beside them, never numbered.
    """
    from campaigns.dates import parse_date
    from campaigns.notices import COLUMNS, HEADERS, list_all, parse_kinds
    from campaigns.runs import load_run

    from ._common import scope_of

    single, folder, doc_format = _targets(folder, output, doc_format)
    documents = bool(issue or folder or single)
    first = parse_date(since, "--since") if since else None
    from campaigns.confidential import blank, hidden, record_read, redact

    database_ = database(db)
    with (database_.write() if issue or actor else database_.read()) as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor, need_actor=issue)
        last = scope.as_of if (as_of or issue) else None
        if issue and first is None:
            first = scope.as_of
        rows = list_all(conn, scope.run, scope.tree, kinds=parse_kinds(kinds), level=level,
                        unit=unit, since=first, until=last)
        hide = hidden(scope.run, scope.actor) & {"title", "leader", "person"}
        sanctioned: list[str] = []  # a sanctioned person's name, shown: recorded as read
        if any(r["kind"] == "assessment" and r["person"] for r in rows):
            from campaigns.accountability import FIELD, names_shown, public

            if not names_shown(scope.run, scope.actor):
                rows = [{**r, "person": ""} if r["kind"] == "assessment" else r for r in rows]
            elif not public(scope.run):
                sanctioned = [FIELD]
        if "title" not in hide:  # an entitled viewer: the title a token stands for
            from campaigns.sealed import revealer

            reveal = revealer(conn, scope.run, scope.actor)
            rows = [{**r, "title": reveal(r["code"], r["title"])} for r in rows]
        record_read(scope, "notices", {"title", "leader", "person"} - hide, items=len(rows),
                    also=sanctioned,
                    level=level, unit=unit, since=first)
        if not documents:
            shown = [redact(r, hide) for r in rows]
            marked = _provisional(scope.run, shown) if fmt == "table" else shown
            columns = [c for c in COLUMNS if c not in hide]
            headers = HEADERS
            if fmt == "table" and translating():  # the level by its title alone, kinds in words
                marked = wording.rows(marked, {"kind": wording.notice_kinds()})
                columns = [c for c in columns if c != "level"]
                headers = {**HEADERS, "level_title": "level"}
            emit(marked, fmt, columns if fmt != "json" else None,
                 headers if fmt == "table" else None)
            if marked is not shown:
                from campaigns.provisional import legend

                click.echo(legend())
            return
        rows = [blank(r, hide) for r in rows]  # a document keeps its columns, emptied
        from campaigns import notice_docs, notice_render

        docs = notice_docs.build(conn, scope.run, scope.tree,
                                 [r for r in rows if r["kind"] == "escalation"])
        if issue:
            docs = notice_docs.issue(conn, scope.run, docs, scope.acting.key)
        office = notice_render.office_pages(scope.run, rows)
        # written inside the transaction: a file that cannot be written issues nothing
        written = notice_render.write(scope.run, docs, doc_format, folder=folder, path=single,
                                      office=office)
    for doc in docs if issue else ():
        reply = _(", reply by {date}").format(date=doc.reply_by) if doc.reply_by else ""
        click.echo(_("issued {number} to {to} ({level_title}, {issued_on}, {count} item(s){reply})").format(
            number=doc.number, to=doc.to, level_title=doc.level_title, issued_on=doc.issued_on,
            count=len(doc.rows), reply=reply))
    units = len({d.unit.code for d in docs})
    listed = sum(len(d.rows) for d in docs)
    to_office = _(" and {pages} page(s) of notices to the office ({rows} row(s))").format(
        pages=len(office), rows=sum(len(p.rows) for p in office)) if office else ""
    click.echo(_("{count} document(s) listing {listed} notice(s) for {units} unit(s){to_office}: "
                 "{value}").format(
                     count=len(docs), listed=listed, units=units, to_office=to_office,
                     value=", ".join(written) or _("nothing written")))


def _provisional(run: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their dates in provisional years marked; the same list when there are none."""
    import datetime as dt

    from campaigns.provisional import is_provisional, mark

    def marked(text: Any) -> Any:
        try:
            day = dt.date.fromisoformat(text) if isinstance(text, str) and text else None
        except ValueError:
            return text
        return text + mark() if is_provisional(run.definition, day) else text

    out = [{**r, **{k: marked(r.get(k)) for k in ("deadline", "new_deadline") if r.get(k)}}
           for r in rows]
    return out if out != rows else rows


def _targets(folder: str | None, output: str | None,
             doc_format: str | None) -> tuple[str | None, str | None, str]:
    """(one file, folder, format) from --html, -o and --format; contradictions are usage errors."""
    import os

    single = None
    if output is not None:
        ext = os.path.splitext(output)[1].lower().lstrip(".")
        if ext in ("html", "docx", "pdf"):
            if doc_format and doc_format != ext:
                raise click.UsageError(_("-o {output} is a .{ext} file but --format is {doc_format}: give a "
                                         ".{doc_format} file, or a folder").format(
                                             output=output, ext=ext, doc_format=doc_format))
            single, doc_format = output, ext
        elif folder is not None:
            raise click.UsageError(_("give --html DIR or -o DIR, not both"))
        else:
            folder = output
    if folder is not None and output is None and doc_format not in (None, "html"):
        raise click.UsageError(_("--html writes HTML: use -o DIR --format {doc_format}").format(
            doc_format=doc_format))
    return single, folder, doc_format or "html"

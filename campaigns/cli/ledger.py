"""``rectify ledger``, ``report``, ``board``, ``dashboard``, and the body of ``item import``."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import Any

import click

from campaigns.i18n import _

from ._common import ACTOR, UNIT, common, database, output_file, scope_of, viewing
from ._output import emit

SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$", re.IGNORECASE)
UNITS = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def parse_size(text: str) -> int:
    """'50MB', '200 KB', '1048576' → bytes."""
    match = SIZE.match(str(text))
    if not match:
        raise click.BadParameter(_("'{text}' is not a size; write e.g. 50MB, 500KB or 1048576").format(
            text=text),
                                 param_hint="--max-size")
    unit = (match.group(2) or "b")[0].lower()
    return int(float(match.group(1)) * UNITS[unit])


@contextmanager
def progress_bar(label: str) -> Iterator[tuple[Callable[[int | None], None], Callable[[int], None]]]:
    """A progress bar on a terminal (stderr); nothing at all when piped."""
    state: dict[str, Any] = {}

    def start(total: int | None) -> None:
        if total and sys.stderr.isatty():
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"] = bar.__enter__()

    def step(n: int) -> None:
        if "bar" in state:
            state["bar"].update(n)

    try:
        yield start, step
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


CREATABLE = ("units", "people")


def parse_create(text: str | None, parent: str | None) -> frozenset[str]:
    """--create-missing units,people (either or both)."""
    if not text:
        if parent:
            raise click.UsageError(_("--parent applies with --create-missing units"))
        return frozenset()
    kinds = frozenset(k.strip() for k in text.replace("，", ",").split(",") if k.strip())
    wrong = sorted(kinds - set(CREATABLE))
    if wrong or not kinds:
        raise click.BadParameter(_("'{text}': give units, people or units,people").format(
            text=text), param_hint="--create-missing")
    if "units" in kinds and not parent:
        raise click.UsageError(_("--create-missing units needs --parent UNIT: the unit new "
                                 "units go under"))
    return kinds


def import_command(campaign: str, file: str, fmt: str, errors: str | None,
                   **options: Any) -> None:
    """The body of ``rectify item import`` (the command itself lives in the item group): the
    import, with its problems also written to --errors and, with --json, printed as JSON."""
    from campaigns.importer import ImportProblems
    from campaigns.importer.problems import write_csv
    from engine.core.errors import Conflict, EngineError

    try:
        _import_command(campaign, file, fmt, **options)
    except ImportProblems as exc:
        if errors:
            write_csv(errors, exc.problems)
        if fmt == "json":
            emit(exc.as_dict(), "json")
            raise click.exceptions.Exit(int(exc.exit_code)) from None
        raise
    except Conflict:
        raise  # retried by the command itself (campaigns.cli._retry)
    except EngineError as exc:
        if fmt == "json":
            emit({"ok": False, "file": file, "error": exc.message, "hint": exc.hint,
                  "count": 0, "groups": [], "problems": []}, "json")
            raise click.exceptions.Exit(int(exc.exit_code)) from None
        raise
    if errors:
        write_csv(errors, [])


def _import_command(campaign: str, file: str, fmt: str, sheet: str | None, dry_run: bool,
                    columns: str | None, header_row: int | None, update: bool, max_size: str,
                    create_missing: str | None, parent: str | None, remarks: str | None,
                    actor: str | None, db: str | None, as_of: str | None) -> None:
    from campaigns.importer import Options, catch_up_clock, import_items, parse_columns
    from campaigns.importer.header import open_table
    from campaigns.runs import load_run

    from ._retry import after_commits, commits

    options = Options(sheet=sheet, header_row=header_row, columns=parse_columns(columns),
                      update=update, dry_run=dry_run, max_bytes=parse_size(max_size),
                      create=parse_create(create_missing, parent), parent=parent,
                      remarks=remarks)
    store = database(db)

    def scope_in(conn: Any) -> Any:
        return scope_of(conn, load_run(conn, campaign), as_of, actor)

    # the file is opened and checked before any write transaction: a FIFO, a damaged workbook
    # or a malformed CSV never holds the database's write lock, nor moves the campaign's clock
    with ExitStack() as stack:
        opened = [stack.enter_context(open_table(file, options))]

        def write() -> Any:
            again = not opened  # a retry reads the file afresh: the first reading is used up
            with (open_table(file, options) if again else nullcontext(opened.pop())) as table, \
                    (store.read() if dry_run else store.write()) as conn, \
                    progress_bar("importing") as bar:
                return import_items(scope_in(conn), file, options, progress=bar[1],
                                    on_total=bar[0], table=table)

        before = commits()
        # the campaign's clock, up to the import's date, in short transactions of its own
        catch_up_clock(store.read, store.write, scope_in, options)
        result = after_commits(before, write)
    if fmt == "json":
        emit(result.as_dict(), "json")
        return
    where = _("sheet '{sheet}', ").format(sheet=result.sheet) if result.sheet else ""
    span = ""
    if result.new and not dry_run:
        span = f": {result.new[0]}" + (f" … {result.new[-1]}" if len(result.new) > 1 else "")
    new = (_("would import {count} new item(s)") if dry_run else _("imported {count} new item(s)"))
    lines = [_("{file} ({where}header row {row}): {count} row(s)").format(
                 file=file, where=where, row=result.header_row, count=result.rows),
             new.format(count=len(result.new)) + span,
             _("{count} unchanged").format(count=result.unchanged)]
    if result.updated:
        updated = _("would update {count}: ") if dry_run else _("updated {count}: ")
        lines.append(updated.format(count=len(result.updated))
                     + ", ".join(result.updated[:10]) + (" …" if len(result.updated) > 10 else ""))
    if result.created_units:
        units = _some(f"{u['title']} ({u['code']})" for u in result.created_units)
        lines.append((_("would create {count} unit(s): {units}") if dry_run else
                      _("created {count} unit(s): {units}")).format(
            count=len(result.created_units), units=units))
    if result.created_people:
        people = _some(f"{p['name']} ({p['key']})" for p in result.created_people)
        lines.append((_("would create {count} person(s): {people}") if dry_run else
                      _("created {count} person(s): {people}")).format(
            count=len(result.created_people), people=people))
    if result.remark_rows:
        rows = ", ".join(str(r) for r in result.remark_rows)
        lines.append((_("备注 with reporter details (kept as the confidential reporter): rows "
                        "{rows}") if remarks == "reporter" else
                      _("备注 with reporter details (left out): rows {rows}")).format(rows=rows))
    if result.default_source:
        lines.append(_("rows without 问题来源 recorded as '{source}'").format(source=result.default_source))
    if result.ignored_columns:
        lines.append(_("ignored columns: {columns}").format(columns=", ".join(result.ignored_columns)))
    click.echo("\n".join(lines))


def _some(names: Iterable[str], shown: int = 10) -> str:
    """The first names of a list, and how many more (--json lists them all)."""
    names = list(names)
    more = (_(" … (+{more}; --json lists all)").format(more=len(names) - shown)
            if len(names) > shown else "")
    return ", ".join(names[:shown]) + more


@click.command("ledger")
@click.argument("campaign")
@UNIT
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="FILE.xlsx or FILE.csv.")
@ACTOR
@common
def ledger(campaign: str, unit: str | None, output: str, actor: str | None, db: str | None,
           as_of: str | None) -> None:
    """Export CAMPAIGN's rectification ledger (整改台账) as XLSX or CSV (confidential fields only
    for an entitled --actor)."""
    from campaigns.ledger import export
    from campaigns.runs import load_run

    output_file(output, ("xlsx", "csv"), _("a ledger"))
    with viewing(db, actor) as conn:
        n = export(scope_of(conn, load_run(conn, campaign), as_of, actor, need_actor=False, unit=unit),
                   output)
    click.echo(_("wrote {output}: {count} item(s)").format(output=output, count=n))


@click.command("report")
@click.argument("campaign")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month reported on.")
@UNIT
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="FILE.md or FILE.html.")
@ACTOR
@common
def report(campaign: str, month: str, unit: str | None, output: str, actor: str | None,
           db: str | None, as_of: str | None) -> None:
    """Write CAMPAIGN's monthly report (月报) as Markdown or HTML (confidential fields only for
    an entitled --actor)."""
    from campaigns.report import parse_month, write_report
    from campaigns.runs import load_run

    output_file(output, ("md", "markdown", "html", "htm"), _("a report"))
    first = parse_month(month)
    with viewing(db, actor) as conn:
        note = write_report(scope_of(conn, load_run(conn, campaign), as_of, actor,
                                     need_actor=False, unit=unit), first, output)
    click.echo(_wrote(output, note))


def _wrote(output: str, note: str) -> str:
    if note:
        return _("wrote {output} ({note})").format(output=output, note=note)
    return _("wrote {output}").format(output=output)


@click.command("board")
@click.argument("campaign")
@UNIT
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="FILE.html.")
@common
def board(campaign: str, unit: str | None, output: str, db: str | None, as_of: str | None) -> None:
    """Write CAMPAIGN's public board (公示): measures and progress per unit."""
    from campaigns.board import write_board
    from campaigns.runs import load_run

    output_file(output, ("html", "htm"), _("a board"))
    with database(db).read() as conn:
        n = write_board(scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False,
                                 unit=unit), output)
    click.echo(_("wrote {output}: {count} item(s) disclosed").format(output=output, count=n))


@click.command("dashboard")
@click.argument("campaign")
@UNIT
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="FILE.html.")
@common
def dashboard(campaign: str, unit: str | None, output: str, db: str | None, as_of: str | None) -> None:
    """Write CAMPAIGN's dashboard: one self-contained HTML page (no network needed)."""
    from campaigns.dashboard import write_dashboard
    from campaigns.runs import load_run

    output_file(output, ("html", "htm"), _("a dashboard"))
    with database(db).read() as conn:
        note = write_dashboard(scope_of(conn, load_run(conn, campaign), as_of, None,
                                        need_actor=False, unit=unit), output)
    click.echo(_wrote(output, note))


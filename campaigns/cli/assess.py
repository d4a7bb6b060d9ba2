"""``rectify assess``: enter scores, import them, show and rank a period's assessment, of units
or (``--people``) of people; the bottom rule, publication, the 四挂钩 workbooks, undo."""

from __future__ import annotations

from typing import Any

import click

from campaigns.i18n import _

from ._common import ACTOR, common, database, scope_of
from ._output import emit, output_options

PERIOD = click.option("--period", required=True, metavar="PERIOD",
                      help="2015-09, 2015-Q3, 2015-H2 or 2015.")
PEOPLE = click.option("--people", is_flag=True,
                      help="Rate people (the assessment's people: section), not units.")


@click.group()
def assess() -> None:
    """The assessment (考核): scores entered, indicators from the log, weights and ranking."""


@assess.command("score")
@click.argument("campaign")
@click.argument("score")
@click.argument("unit", metavar="UNIT|PERSON")
@click.argument("value", type=float)
@PERIOD
@PEOPLE
@click.option("--unit", "within", metavar="UNIT",
              help="With --people: the unit of the person named (where names repeat).")
@click.option("--note", help="Kept in the log with the entry.")
@ACTOR
@common
def score(campaign: str, score: str, unit: str, value: float, period: str, people: bool,
          within: str | None, note: str | None, actor: str | None, db: str | None,
          as_of: str | None) -> None:
    """Enter VALUE of SCORE for UNIT (with --people: for PERSON, by key or name) in
    CAMPAIGN's PERIOD (e.g. 民主测评 92.5)."""
    from campaigns.assessment import Entry, enter
    from campaigns.runs import load_run

    entry = Entry(score, within or "", value, person=unit) if people else Entry(score, unit, value)
    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor)
        enter(scope, period, [entry], note, people)
    click.echo(_("{score} of {unit} for {period}: {value}").format(
        score=score, unit=unit, period=period, value=value))


@assess.command("import")
@click.argument("campaign")
@click.argument("file", type=click.Path(dir_okay=False))
@PERIOD
@click.option("--score", "score_key", metavar="KEY",
              help="The score every row gives (else a column 测评项目 names it).")
@click.option("--sheet", help="The workbook's sheet (name or number; default the first).")
@PEOPLE
@click.option("--note", help="Kept in the log with every entry.")
@ACTOR
@common
def import_scores(campaign: str, file: str, period: str, score_key: str | None,
                  sheet: str | None, people: bool, note: str | None, actor: str | None,
                  db: str | None, as_of: str | None) -> None:
    """Enter scores for CAMPAIGN's PERIOD from a CSV or XLSX FILE (单位, 得分[, 测评项目]; with
    --people: 姓名 or 人员编号, 得分[, 单位][, 测评项目])."""
    from campaigns.assessment import enter, read_file
    from campaigns.runs import load_run

    entries = read_file(file, sheet, score_key, people)
    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor)
        n = enter(scope, period, entries, note, people)
    click.echo(_("{n} score(s) entered for {period}").format(n=n, period=period))


def _results(db: str | None, campaign: str, period: str, as_of: str | None, people: bool,
             actor: str | None) -> Any:
    from campaigns.assessment import compute, period_of
    from campaigns.assessment_decisions import status
    from campaigns.assessment_people import names_hidden
    from campaigns.confidential import record_read
    from campaigns.runs import load_run

    base = database(db)
    with (base.write() if people and actor else base.read()) as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor, need_actor=False)
        p = period_of(scope.run, period)
        results = compute(conn, scope.run, p, scope.as_of, scope.tree, people)
        hide = people and names_hidden(scope.run, scope.actor)
        if people and not hide:  # names the campaign keeps confidential, shown: a read event
            record_read(scope, "assessment", {"person"},
                        items=sum(len(res.rows) for res in results), period=p.key)
        return (results, scope.tree, scope.as_of, status(conn, scope.run, p, scope.as_of),
                hide)


XLSX = click.option("--xlsx", "xlsx", metavar="PATH", type=click.Path(dir_okay=False),
                    help="Write the table to an XLSX workbook instead of printing it.")


def _output(results: Any, tree: Any, as_of: Any, state: dict[str, Any], fmt: str,
            xlsx: str | None, ranked_only: bool, people: bool, hide: bool) -> None:
    from campaigns.assessment import table_rows
    from campaigns.assessment_report import labels, write_xlsx

    rows = table_rows(results, tree)
    who = (["person", "post"] if hide else ["person", "name", "post"]) if people else []
    keep = ["group", "rank", *who, "unit", "title"] + (
        ["total"] if ranked_only else [c.key for c in results[0].columns] if results else [])
    if any("vetoed" in r for r in rows):
        keep.append("vetoed")
    rows = [{k: r.get(k) for k in keep} for r in rows]
    if xlsx:
        write_xlsx(xlsx, results, rows, keep, as_of)
        click.echo(_("wrote {path}").format(path=xlsx))
        return
    if fmt == "json":
        emit({"period": results[0].period.key if results else None,
              "as_of": as_of.isoformat(), **state, "rows": rows}, fmt)
        return
    emit(rows, fmt, keep, labels(results))
    if fmt == "table":
        click.echo(_("status: {status}").format(status=_describe(state)))


def _describe(state: dict[str, Any]) -> str:
    if state["status"] == "draft":
        return _("draft (not published)")
    if state["status"] == "published":
        return _("published {day}, objections until {until}").format(
            day=state["published_on"], until=state["objections_until"])
    return _("final (published {day})").format(day=state["published_on"])


VIEWER = click.option("--actor", help="Who views: people's names follow the campaign's "
                      "confidentiality and publication rules for them.")


@assess.command("show")
@click.argument("campaign")
@PERIOD
@PEOPLE
@XLSX
@output_options
@VIEWER
@common
def show(campaign: str, period: str, people: bool, xlsx: str | None, fmt: str,
         actor: str | None, db: str | None, as_of: str | None) -> None:
    """CAMPAIGN's score table for PERIOD: every indicator, score and the total, by peer group."""
    results, tree, day, state, hide = _results(db, campaign, period, as_of, people, actor)
    _output(results, tree, day, state, fmt, xlsx, False, people, hide)


@assess.command("rank")
@click.argument("campaign")
@PERIOD
@PEOPLE
@XLSX
@output_options
@VIEWER
@common
def rank(campaign: str, period: str, people: bool, xlsx: str | None, fmt: str,
         actor: str | None, db: str | None, as_of: str | None) -> None:
    """CAMPAIGN's ranking for PERIOD in each peer group (ties share a place: 1, 2, 2, 4)."""
    results, tree, day, state, hide = _results(db, campaign, period, as_of, people, actor)
    _output(results, tree, day, state, fmt, xlsx, True, people, hide)


@assess.command("bottom")
@click.argument("campaign")
@PERIOD
@PEOPLE
@output_options
@VIEWER
@common
def bottom(campaign: str, period: str, people: bool, fmt: str, actor: str | None,
           db: str | None, as_of: str | None) -> None:
    """CAMPAIGN's bottom-rule proposals (末位) for PERIOD, each with the step its consecutive
    periods in the bottom reached and whether it has been confirmed."""
    from campaigns.accountability import FIELD, public
    from campaigns.assessment import period_of
    from campaigns.assessment_decisions import proposals
    from campaigns.assessment_people import names_hidden
    from campaigns.confidential import record_read
    from campaigns.runs import load_run

    base = database(db)
    with (base.write() if people and actor else base.read()) as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor, need_actor=False)
        found = proposals(conn, scope.run, period_of(scope.run, period), scope.as_of, scope.tree,
                          people)
        hide = names_hidden(scope.run, scope.actor, sanction=True)
        if people and not hide and found:  # names of people proposed for a sanction, shown
            record_read(scope, "assessment bottom", {"person"}, items=len(found),
                        also=[] if public(scope.run) else [FIELD], period=period)
        rows = []
        for p in found:
            row: dict[str, Any] = {"group": p.group, "rank": p.rank}
            if p.person is not None:
                row["person"] = p.person.key
                if not hide:
                    row["name"] = p.person.name
                row["post"] = p.person.title or ""
            row.update({"unit": p.unit.code, "title": scope.tree.unique_name(p.unit),
                        "total": None if p.total is None else round(p.total, 2),
                        "streak": p.streak, "step": p.step_title,
                        "confirmed": f"{p.confirmed_on} {p.confirmed_by}" if p.confirmed_on
                        else None})
            rows.append(row)
    if fmt == "json":
        emit({"period": period, "as_of": scope.as_of.isoformat(), "proposals": rows}, fmt)
        return
    who = (["person", "post"] if hide else ["person", "name", "post"]) if people else []
    emit(rows, fmt, ["group", "rank", *who, "unit", "title", "total", "streak", "step",
                     "confirmed"])


@assess.command("confirm")
@click.argument("campaign")
@click.argument("unit", metavar="UNIT|PERSON")
@PERIOD
@PEOPLE
@click.option("--unit", "within", metavar="UNIT",
              help="With --people: the unit of the person named (where names repeat).")
@click.option("--note", help="Kept in the log with the confirmation.")
@ACTOR
@common
def confirm(campaign: str, unit: str, period: str, people: bool, within: str | None,
            note: str | None, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Confirm the bottom-rule proposal for UNIT (with --people: for PERSON) in CAMPAIGN's
    PERIOD (an authorised role): it records the accountability case its step names and issues
    the notice (末位警示, 待岗培训 …) to the unit, or to the person's unit."""
    from campaigns.assessment_decisions import confirm as confirm_proposal
    from campaigns.runs import load_run

    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor)
        p = confirm_proposal(scope, period, unit, note, people, within or "")
        to = scope.tree.unique_name(p.unit)
    click.echo(_("{unit}: {step} confirmed for {period}").format(
        unit=p.person.key if p.person else p.unit.code, step=p.step_title, period=period))
    if p.case is not None:
        click.echo(_("accountability case {id} recorded").format(id=p.case))
    click.echo(_("notice issued to {to}").format(to=to))


@assess.command("undo")
@click.argument("campaign")
@click.option("--batch", type=int, metavar="N",
              help="Undo batch N (see 'rectify campaign batches') instead of the latest entry "
                   "of scores still standing.")
@click.option("--note", help="Why (required): kept in the log with the undo.")
@ACTOR
@common
def undo(campaign: str, batch: int | None, note: str | None, actor: str | None,
         db: str | None, as_of: str | None) -> None:
    """Undo CAMPAIGN's latest entry of scores (one 'assess score', or a whole 'assess
    import'): a compensating event; refused once the period's results are published."""
    from campaigns.assessment_undo import undo_scores
    from campaigns.runs import load_run

    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor)
        done = undo_scores(scope, note, batch)
    click.echo(_("undone: {n} score(s) of batch {batch} ({periods}) on {day}").format(
        n=done.entries, batch=done.batch, periods=", ".join(done.periods), day=done.as_of))


@assess.command("publish")
@click.argument("campaign")
@PERIOD
@click.option("--days", type=click.IntRange(1, 365), default=5, show_default=True,
              help="Calendar days objections are taken after publication.")
@click.option("--note", help="Kept in the log with the publication.")
@ACTOR
@common
def publish(campaign: str, period: str, days: int, note: str | None, actor: str | None,
            db: str | None, as_of: str | None) -> None:
    """Publish CAMPAIGN's results for PERIOD (公示): final once the objection period is over."""
    from campaigns.assessment_decisions import publish as publish_results
    from campaigns.runs import load_run

    with database(db).write() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor)
        until = publish_results(scope, period, days, note)
    click.echo(_("results for {period} published; objections until {until}").format(
        period=period, until=until))


@assess.command("ties")
@click.argument("campaign")
@PERIOD
@click.option("-o", "--output", "folder", required=True, metavar="FOLDER",
              type=click.Path(file_okay=False), help="The folder the four workbooks go to.")
@common
def ties(campaign: str, period: str, folder: str, db: str | None, as_of: str | None) -> None:
    """Write the 四挂钩 workbooks of CAMPAIGN's PERIOD for the personnel office: the unit's
    annual assessment, individuals' performance, cadre selection and performance cards (with
    each person's own result where the assessment rates people)."""
    from campaigns.assessment import compute, period_of
    from campaigns.assessment_ties import write_ties
    from campaigns.runs import load_run

    with database(db).read() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False)
        p = period_of(scope.run, period)
        results = compute(conn, scope.run, p, scope.as_of, scope.tree)
        rated = bool((scope.run.definition.sections.get("assessment") or {}).get("people"))
        persons = compute(conn, scope.run, p, scope.as_of, scope.tree, True) if rated else []
        paths = write_ties(conn, scope.run, results, scope.tree, scope.as_of, folder, persons)
    for path in paths:
        click.echo(_("wrote {path}").format(path=path))

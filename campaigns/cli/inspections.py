"""``rectify inspection``: inspections (督查检查) as records, and the county's yearly plan."""

from __future__ import annotations

from typing import Any

import click

from campaigns.i18n import _

from ._common import ACTOR, as_of_date, common, database, db_only, scope_of
from ._output import emit, output_options, record, table


@click.group()
def inspection() -> None:
    """Inspections (督查检查): records, findings, the yearly plan and the visit log."""


def _date(text: str, option: str) -> Any:
    from campaigns.dates import parse_date

    return parse_date(text, option)


@inspection.command("add")
@click.argument("campaign")
@click.option("--date", "date", required=True, metavar="DATE", help="The (first) day of the visit.")
@click.option("--until", metavar="DATE", help="Its last day, when it lasts more than one.")
@click.option("--team", required=True, help="The inspection team, e.g. 第一督查组 or its plan key.")
@click.option("--member", "members", multiple=True, required=True,
              help="An inspector's name (repeatable).")
@click.option("--target", "targets", multiple=True, required=True,
              help="A unit visited: code, title or path (repeatable).")
@click.option("--method", required=True,
              help="明察, 暗访, 节假日专项 or 随机抽查 (or the definition's methods).")
@click.option("--theme", required=True, help="What it looked at, e.g. 节前公车使用.")
@click.option("--point", "points", multiple=True, help="A place or point looked at (repeatable).")
@click.option("--plan-item", metavar="REF", help="The plan item it carries out (default: found).")
@click.option("--demanded-materials", is_flag=True,
              help="Breach: it demanded materials (不得要求报送材料).")
@click.option("--escorted", is_flag=True, help="Breach: it asked for an escort (不得要求陪同接待).")
@click.option("--announced", is_flag=True, help="Breach: it was announced in advance (不得提前打招呼).")
@ACTOR
@common
def add(campaign: str, date: str, until: str | None, team: str, members: tuple[str, ...],
        targets: tuple[str, ...], method: str, theme: str, points: tuple[str, ...],
        plan_item: str | None, demanded_materials: bool, escorted: bool, announced: bool,
        actor: str | None, db: str | None, as_of: str | None) -> None:
    """Record an inspection whose findings become items of CAMPAIGN; prints its reference."""
    from campaigns.inspections.records import Visit, add_inspection
    from campaigns.runs import load_run

    starts = _date(date, "--date")
    visit = Visit(starts, _date(until, "--until") if until else starts, team, members, targets,
                  method, theme, points, plan_item,
                  [k for k, on in (("materials", demanded_materials), ("escort", escorted),
                                   ("notice", announced)) if on])
    with database(db).write() as conn:
        done = add_inspection(scope_of(conn, load_run(conn, campaign), as_of, actor), visit)
    if done["planned"]:
        click.echo(_("{ref} recorded (plan item {item})").format(ref=done["ref"],
                                                                 item=done["plan_item"]))
    else:
        click.echo(_("{ref} recorded, unplanned: {why}").format(ref=done["ref"],
                                                                why=done["unplanned"]))


@inspection.command("finding")
@click.argument("ref", metavar="INSPECTION")
@click.option("--unit", required=True, help="The unit where it was found: code, title or path.")
@click.option("--title", required=True, help="What the problem is.")
@click.option("--category", required=True, help="Category key or title of the campaign.")
@click.option("--description")
@click.option("--deadline", metavar="DATE", help="Rectification deadline.")
@ACTOR
@common
def finding(ref: str, unit: str, title: str, category: str, description: str | None,
            deadline: str | None, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Record a problem INSPECTION found: an item of its campaign (source inspection)."""
    from sqlalchemy import select

    from campaigns.inspections.records import add_finding
    from campaigns.runs import load_run_by_id
    from campaigns.tables import INSPECTIONS
    from engine.core.errors import NotFound

    with database(db).write() as conn:
        campaign_id = conn.execute(select(INSPECTIONS.c.campaign_id)
                                   .where(INSPECTIONS.c.ref == ref.strip())).scalar()
        if campaign_id is None:
            raise NotFound(_("unknown inspection '{ref}'")
                           .format(ref=ref), _("see 'rectify inspection list'"))
        scope = scope_of(conn, load_run_by_id(conn, campaign_id), as_of, actor)
        done = add_finding(scope, ref, unit=unit, title=title, category=category,
                           description=description,
                           deadline=_date(deadline, "--deadline") if deadline else None)
    click.echo(done["code"])
    if done["notified"]:
        click.echo(_("notice to {to}").format(to=done["notified"]))


@inspection.command("breach")
@click.argument("ref", metavar="INSPECTION")
@click.option("--pledge", required=True, type=click.Choice(["materials", "escort", "notice"]),
              help="The pledge broken: materials, escort or notice.")
@click.option("--unit", help="The unit that bore it, one of the inspection's targets.")
@click.option("--note", help="What happened.")
@ACTOR
@common
def breach(ref: str, pledge: str, unit: str | None, note: str | None, actor: str | None,
           db: str | None, as_of: str | None) -> None:
    """Record that INSPECTION broke a 减负 pledge (found after it was recorded)."""
    from campaigns.inspections.access import require_person
    from campaigns.inspections.records import add_breach
    from campaigns.units import UnitTree

    with database(db).write() as conn:
        who, _roles = require_person(conn, actor)
        add_breach(conn, UnitTree.load(conn), ref, pledge, actor=who, day=as_of_date(as_of),
                   unit=unit, note=note)
    click.echo(_("breach of '{pledge}' recorded on {ref}").format(pledge=pledge, ref=ref))


@inspection.command("list")
@click.option("--year", type=int, help="Only this year's inspections.")
@click.option("--unit", help="Only inspections of this unit's subtree.")
@click.option("--campaign", help="Only inspections whose findings go to this campaign.")
@click.option("--unplanned", is_flag=True, help="Only inspections not in the plan.")
@output_options
@db_only
def list_(year: int | None, unit: str | None, campaign: str | None, unplanned: bool, fmt: str,
          db: str | None) -> None:
    """List inspections by date, with their plan item, findings and breaches."""
    from campaigns.inspections.records import LIST_COLUMNS, list_inspections
    from campaigns.units import UnitTree

    with database(db).read() as conn:
        rows = list_inspections(conn, UnitTree.load(conn), year=year, unit=unit,
                                campaign=campaign, unplanned=unplanned)
    emit(rows, fmt, LIST_COLUMNS)


@inspection.command("show")
@click.argument("ref", metavar="INSPECTION")
@output_options
@db_only
def show(ref: str, fmt: str, db: str | None) -> None:
    """Show one inspection: members, points, findings (their items) and breaches."""
    from campaigns.inspections.records import show_inspection
    from campaigns.units import UnitTree

    with database(db).read() as conn:
        detail = show_inspection(conn, UnitTree.load(conn), ref)
    if fmt != "table":
        emit(detail, fmt)
        return
    detail["members"], detail["points"] = "、".join(detail["members"]), "、".join(detail["points"])
    click.echo(record(detail))
    for key, heading in (("findings_list", _("Findings")), ("breaches_list", _("Breaches"))):
        if detail[key]:
            click.echo(f"\n{heading}\n" + table(detail[key]))


@inspection.command("visits")
@click.argument("year", type=int)
@click.option("--unit", help="Only visits to this unit's subtree.")
@output_options
@db_only
def visits(year: int, unit: str | None, fmt: str, db: str | None) -> None:
    """The visit log of YEAR: duplicate and overlapping visits, units over budget, breaches."""
    from campaigns.inspections.visits import (
        BREACH_COLUMNS,
        UNIT_COLUMNS,
        VISIT_COLUMNS,
        visit_log,
    )
    from campaigns.units import UnitTree

    with database(db).read() as conn:
        log = visit_log(conn, UnitTree.load(conn), year, unit)
    if fmt == "json":
        emit(log, fmt)
        return
    if fmt == "csv":
        emit(log["visits"], fmt, VISIT_COLUMNS)
        return
    click.echo(_("Visits {year}").format(year=year))
    click.echo(table(log["visits"], VISIT_COLUMNS))
    click.echo("\n" + _("Units") + "\n" + table(log["units"], UNIT_COLUMNS))
    if log["plan"] != "published":  # nothing to be planned against: none is unplanned
        click.echo("\n" + (_("No inspection plan for {year}: no inspection is counted as "
                              "unplanned") if log["plan"] == "none" else
                            _("The {year} inspection plan is not published: no inspection is "
                              "counted as unplanned")).format(year=year))
    else:
        click.echo("\n" + _("Unplanned inspections (counted against the office): {n}").format(
            n=len(log["unplanned"])))
    if log["unplanned"]:
        click.echo(table(log["unplanned"]))
    click.echo("\n" + _("Breaches of the pledges: {n}").format(n=len(log["breaches"])))
    if log["breaches"]:
        click.echo(table(log["breaches"], BREACH_COLUMNS))


@inspection.command("holidays")
@click.argument("campaign")
@click.argument("year", type=int)
@output_options
@common
def holidays(campaign: str, year: int, fmt: str, db: str | None, as_of: str | None) -> None:
    """Schedule CAMPAIGN's holiday inspections of YEAR from its working-day calendar."""
    from campaigns.inspections.holidays import COLUMNS, holiday_schedule
    from campaigns.runs import load_run

    with database(db).read() as conn:
        run = load_run(conn, campaign)
        rows = holiday_schedule(conn, run, year, as_of_date(as_of, run.timezone))
    emit(rows, fmt, COLUMNS)


@inspection.command("heatmap")
@click.argument("year", type=int)
@click.option("-o", "--output", required=True, metavar="FILE", help="FILE.svg or FILE.html.")
@click.option("--unit", help="Only this unit's subtree.")
@db_only
def heatmap(year: int, output: str, unit: str | None, db: str | None) -> None:
    """Draw YEAR's inspection calendar per unit as a heat map (visits a month)."""
    import os

    from campaigns.inspections.heatmap import heat_map
    from campaigns.units import UnitTree
    from engine.core.errors import InvalidInput

    kind = os.path.splitext(output)[1].lower()
    if kind not in (".svg", ".html"):
        raise InvalidInput(_("cannot write '{output}': the heat map is .svg or .html").format(output=output),
                           _('give -o FILE.svg or -o FILE.html'))
    with database(db).read() as conn:
        text = heat_map(conn, UnitTree.load(conn), year, unit, html=kind == ".html")
    tmp = output + ".part"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except OSError as exc:
        raise InvalidInput(_("cannot write {output}: {strerror}")
                           .format(output=output, strerror=exc.strerror), _('check the path')) from None
    click.echo(_("wrote {path}").format(path=output))


@inspection.group("plan")
def plan() -> None:
    """The county's yearly inspection plan: load, show, publish."""


def _budget(texts: tuple[str, ...]) -> dict[str, int]:
    from engine.core.errors import InvalidInput

    out: dict[str, int] = {}
    for text in texts:
        unit, sep, visits = text.partition("=")
        if not sep or not unit.strip() or not visits.strip().isdigit():
            raise InvalidInput(_("--budget '{text}' is not UNIT=VISITS")
                               .format(text=text), _('e.g. --budget xc-01=6'))
        out[unit.strip()] = int(visits)
    return out


@plan.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--year", type=int, help="The plan's year (required for CSV; checked for YAML).")
@click.option("--cap", type=click.IntRange(min=1), help="The most items (instead of plan.cap).")
@click.option("--budget", "budgets", multiple=True, metavar="UNIT=VISITS",
              help="A unit's yearly visit budget (repeatable; over the file's).")
@click.option("--reason", help="Why a published plan changes (required then).")
@ACTOR
@common
def plan_load(file: str, year: int | None, cap: int | None, budgets: tuple[str, ...],
              reason: str | None, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Load the plan in FILE (YAML or CSV): a new revision, all or nothing."""
    from campaigns.inspections.planfile import read_plan
    from campaigns.inspections.plans import load_plan
    from campaigns.units import UnitTree

    content = read_plan(file, year=year, cap=cap, budgets=_budget(budgets))  # before the transaction
    with database(db).write() as conn:
        done = load_plan(conn, UnitTree.load(conn), content, actor=actor, day=as_of_date(as_of),
                         reason=reason)
    click.echo(_("plan {year} revision {revision}: {items} item(s), {budgets} unit budget(s)")
               .format(**done))


@plan.command("show")
@click.argument("year", type=int)
@output_options
@db_only
def plan_show(year: int, fmt: str, db: str | None) -> None:
    """Show YEAR's plan: its items by date, teams and visit budgets."""
    from campaigns.inspections.plans import show_plan
    from campaigns.units import UnitTree

    with database(db).read() as conn:
        detail = show_plan(conn, UnitTree.load(conn), year)
    if fmt == "json":
        emit(detail, fmt)
        return
    if fmt == "csv":
        emit(detail["items"], fmt)
        return
    click.echo(record({k: v for k, v in detail.items() if v is not None}))
    click.echo("\n" + table(detail["items"], ("ref", "period", "title", "method", "organiser",
                                              "team", "targets")))
    if detail["teams"]:
        click.echo("\n" + table([{"team": t["key"], "title": t["title"],
                                  "members": "、".join(t["members"]),
                                  "targets": "、".join(t["targets"])} for t in detail["teams"]]))
    if detail["budgets"]:
        click.echo("\n" + table(detail["budgets"], ("unit", "unit_code", "visits")))


@plan.command("publish")
@click.argument("year", type=int)
@ACTOR
@common
def plan_publish(year: int, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Publish YEAR's plan: frozen from now on (a change needs an administrator and a reason)."""
    from campaigns.inspections.plans import publish_plan

    with database(db).write() as conn:
        done = publish_plan(conn, year, actor=actor, day=as_of_date(as_of))
    click.echo(_("plan {year} published: {items} item(s)").format(**done))

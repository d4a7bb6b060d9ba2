"""``rectify unit`` and ``rectify person``: the organisation a campaign runs in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from campaigns.i18n import _

from ._common import ACTOR, DB, as_of_date, common, database
from ._output import emit, output_options

if TYPE_CHECKING:
    import datetime as dt

    from campaigns.units import ImportReport

ON = click.option("--on", "on", metavar="DATE",
                  help="The date the change takes effect (YYYY-MM-DD); default today.")
UPDATE = click.option("--update", is_flag=True,
                      help="Change existing rows to the file's values (else they are refused).")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Check and report; change nothing.")


def _on(text: str | None, what: str = "--on") -> dt.date | None:
    from campaigns.dates import parse_date

    return parse_date(text, what) if text else None


def _report(report: ImportReport, what: str, as_json: bool) -> None:
    """What an import added, changed (with the fields) and left as it was."""
    if as_json:
        emit(report.as_dict(), "json")
        return
    if not (report.dry_run or report.changed or report.unchanged):  # all new: as it always said
        click.echo(_("imported {n} {what}").format(n=len(report.added), what=what))
        return
    lines = []
    if report.dry_run:
        lines.append(_("dry run: nothing was written; the import would make these changes"))
    lines.append(_("added {n} {what}").format(n=len(report.added), what=what)
                 + (": " + ", ".join(report.added) if report.added else ""))
    lines.append(_("changed {n} {what}").format(n=len(report.changed), what=what)
                 + (": " + "; ".join(f"{k} ({', '.join(v)})" for k, v in report.changed.items())
                    if report.changed else ""))
    lines.append(_("unchanged {n} {what}").format(n=report.unchanged, what=what))
    click.echo("\n".join(lines))


@click.group()
def unit() -> None:
    """Units (单位): a tree of county, departments and townships, offices."""


@unit.command("add")
@click.argument("code")
@click.option("--title", required=True, help="Name, e.g. 县财政局.")
@click.option("--parent", help="Parent unit: code, title, or path of titles.")
@click.option("--kind", help="e.g. county, department, township, office.")
@ACTOR
@common
def unit_add(code: str, title: str, parent: str | None, kind: str | None, actor: str | None,
             db: str | None, as_of: str | None) -> None:
    """Add unit CODE under --parent (an administrator; recorded in the site log)."""
    from campaigns.units import UnitTree, add_unit

    with database(db).write() as conn:  # add_unit checks the actor is an administrator
        row = add_unit(conn, UnitTree.load(conn), code, title, parent, kind, actor=actor,
                       day=as_of_date(as_of))
    click.echo(_("added unit {code} {title}").format(code=row.code, title=row.title))


@unit.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@UPDATE
@DRY_RUN
@click.option("--json", "as_json", is_flag=True, help="Report as JSON.")
@ACTOR
@common
def unit_import(file: str, update: bool, dry_run: bool, as_json: bool, actor: str | None,
                db: str | None, as_of: str | None) -> None:
    """Import units from a CSV (code,title,parent,kind or 代码,名称,上级,类型); all or nothing.
    Existing codes are refused unless --update, which changes them to the file's values."""
    from campaigns.tabular import read_csv
    from campaigns.units import UNIT_COLUMNS, import_units

    rows = read_csv(file, UNIT_COLUMNS, ("code", "title"))  # read before the transaction
    day = as_of_date(as_of) if as_of else None
    with database(db).write() as conn:
        report = import_units(conn, file, rows, actor=actor, day=day, update=update,
                              dry_run=dry_run)
    _report(report, _("unit(s)"), as_json)


@unit.command("edit")
@click.argument("code")
@click.option("--name", "title", help="Rename the unit (its items stay with it).")
@click.option("--parent", help="Move it under this unit (code, title or path).")
@click.option("--top", is_flag=True, help="Move it to the top of the tree.")
@click.option("--kind", help="Its kind, e.g. department, township, office.")
@click.option("--into", help="Merge it into this unit: its open items and people move there.")
@click.option("--dissolve", is_flag=True, help="Dissolve it (refused while it has open items).")
@click.option("--note", help="Why (e.g. the reorganisation's document number).")
@ON
@ACTOR
@DB
def unit_edit(code: str, title: str | None, parent: str | None, top: bool, kind: str | None,
              into: str | None, dissolve: bool, note: str | None, on: str | None,
              actor: str | None, db: str | None) -> None:
    """Rename, move, merge or dissolve unit CODE from --on (an administrator; site log)."""
    from campaigns.units import UnitTree, dissolve_unit, edit_unit, merge_unit

    edits = title is not None or parent is not None or top or kind is not None
    if sum((edits, into is not None, dissolve)) != 1 or (parent is not None and top):
        raise click.UsageError(_("say what changes: --name, --parent/--top, --kind; or --into "
                                 "OTHER; or --dissolve (one of the three), e.g. rectify unit edit "
                                 "{code} --name NEW-NAME --on 2015-10-10").format(code=code))
    day = _on(on)
    with database(db).write() as conn:  # the services check the actor is an administrator
        tree = UnitTree.load(conn)
        if into is not None:
            done = merge_unit(conn, tree, code, into, actor=actor, day=day, note=note)
            said = _("merged {code} into {into}: {items} open item(s), {people} person(s) moved")\
                .format(code=done["unit"], into=done["into"], items=len(done["items"]),
                        people=len(done["people"]))
        elif dissolve:
            dissolve_unit(conn, tree, code, actor=actor, day=day, note=note)
            said = _("dissolved {code}").format(code=code)
        else:
            changed = edit_unit(conn, tree, code, title=title, parent="" if top else parent,
                                kind=kind, actor=actor, day=day)
            said = _changes(code, changed)
    click.echo(said)


def _changes(key: str, changed: dict[str, tuple[Any, Any]]) -> str:
    if not changed:
        return _("{key}: nothing changed").format(key=key)
    return f"{key}: " + "; ".join(f"{k} {_shown(a)} → {_shown(b)}" for k, (a, b) in changed.items())


def _shown(value: Any) -> str:
    if value is None or value == []:
        return "-"
    return " ".join(value) if isinstance(value, list) else str(value)


@unit.command("list")
@click.option("--all", "include_ended", is_flag=True, help="Include merged and dissolved units.")
@output_options
@common
def unit_list(include_ended: bool, fmt: str, db: str | None, as_of: str | None) -> None:
    """Show the unit tree (with --as-of: as it stood at the end of that date)."""
    from campaigns.units import UnitTree, list_units

    with database(db).read() as conn:
        tree = UnitTree.at(conn, as_of_date(as_of)) if as_of else UnitTree.load(conn)
        rows = list_units(tree, include_ended)
    if fmt == "table":
        for r in rows:
            ended = f"  ({_('ended')} {r['ended']})" if r.get("ended") else ""
            click.echo(f"{'  ' * r['depth']}{r['title']}  [{r['code']}]{ended}")
        return
    emit(rows, fmt)


@click.group()
def person() -> None:
    """People: officials with a key (names repeat), a unit and roles."""


@person.command("add")
@click.argument("key")
@click.option("--name", required=True)
@click.option("--unit", help="Unit code, title or path.")
@click.option("--role", "roles", multiple=True, help="Role key from the definition (repeatable).")
@click.option("--title", "post", help="Post, e.g. 局长.")
@ACTOR
@common
def person_add(key: str, name: str, unit: str | None, roles: tuple[str, ...], post: str | None,
               actor: str | None, db: str | None, as_of: str | None) -> None:
    """Add person KEY (an administrator; recorded in the site log)."""
    from campaigns.people import add_person
    from campaigns.units import UnitTree

    with database(db).write() as conn:  # add_person checks the actor is an administrator
        add_person(conn, UnitTree.load(conn), key, name, unit, list(roles), post,
                   actor=actor, day=as_of_date(as_of))
    click.echo(_("added person {key} {name}").format(key=key, name=name))


@person.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@UPDATE
@DRY_RUN
@click.option("--json", "as_json", is_flag=True, help="Report as JSON.")
@ACTOR
@common
def person_import(file: str, update: bool, dry_run: bool, as_json: bool, actor: str | None,
                  db: str | None, as_of: str | None) -> None:
    """Import people from CSV (key,name,unit,roles,title or 编号,姓名,单位,角色,职务).
    Existing keys are refused unless --update, which changes them to the file's values."""
    from campaigns.people import PERSON_COLUMNS, import_people
    from campaigns.tabular import read_csv

    rows = read_csv(file, PERSON_COLUMNS, ("key", "name"))  # read before the transaction
    day = as_of_date(as_of) if as_of else None
    with database(db).write() as conn:
        report = import_people(conn, file, rows, actor=actor, day=day, update=update,
                               dry_run=dry_run)
    _report(report, _("person(s)"), as_json)


@person.command("edit")
@click.argument("key")
@click.option("--name", help="Correct the name.")
@click.option("--unit", help="Move to this unit (code, title or path).")
@click.option("--role", "roles", multiple=True, help="Set the roles to these (repeatable).")
@click.option("--add-role", "add_roles", multiple=True, help="Add a role (repeatable).")
@click.option("--drop-role", "drop_roles", multiple=True, help="Remove a role (repeatable).")
@click.option("--title", "--post", "post", help="Post, e.g. 局长 ('' for none).")
@click.option("--leave", "leave_on", metavar="DATE",
              help="Leaves on DATE: may no longer act; open items go to --successor.")
@click.option("--successor", help="Who takes over the open items they answer for.")
@click.option("--return", "back", is_flag=True, help="Acts again after leaving (from --on).")
@click.option("--note", help="Why (kept with the events).")
@ON
@ACTOR
@DB
def person_edit(key: str, name: str | None, unit: str | None, roles: tuple[str, ...],
                add_roles: tuple[str, ...], drop_roles: tuple[str, ...], post: str | None,
                leave_on: str | None, successor: str | None, back: bool, note: str | None,
                on: str | None, actor: str | None, db: str | None) -> None:
    """Change person KEY's roles, unit or post from --on; or record that they leave (handing
    their open items to --successor) or return (an administrator; site log)."""
    from campaigns.people import edit_person, leave, return_person
    from campaigns.tables import PEOPLE as P
    from campaigns.units import UnitTree

    if successor is not None and leave_on is None:
        raise click.UsageError(_("--successor goes with --leave DATE, e.g. rectify person edit "
                                 "{key} --leave 2015-10-10 --successor KEY").format(key=key))
    edits = any(v is not None for v in (name, unit, post)) or bool(roles or add_roles or drop_roles)
    if sum((edits, leave_on is not None, back)) != 1:
        raise click.UsageError(_("say what changes: --name, --unit, --role/--add-role/"
                                 "--drop-role, --title; or --leave DATE --successor KEY; or "
                                 "--return (one of the three), e.g. rectify person edit {key} "
                                 "--unit UNIT --on 2015-10-10").format(key=key))
    if leave_on is not None and on is not None:
        raise click.UsageError(_("--leave DATE is the date they leave: leave out --on"))
    with database(db).write() as conn:  # the services check the actor is an administrator
        if leave_on is not None:
            done = leave(conn, key, successor, actor=actor, day=_on(leave_on, "--leave"),
                         note=note)
            said = _("{key} left; {n} open item(s) handed to {successor}").format(
                key=key, n=len(done["items"]), successor=successor or "-")
        elif back:
            return_person(conn, key, actor=actor, day=_on(on))
            said = _("{key} returned").format(key=key)
        else:
            new_roles: list[str] | None = list(roles) if roles else None
            if add_roles or drop_roles:
                from sqlalchemy import select

                have = conn.execute(select(P.c.roles).where(P.c.key == key)).scalar()
                base = new_roles if new_roles is not None else (have or "").split()
                new_roles = [r for r in dict.fromkeys([*base, *add_roles])
                             if r not in drop_roles]
            changed = edit_person(conn, UnitTree.load(conn), key, name=name, unit=unit,
                                  roles=new_roles, title=post, actor=actor, day=_on(on))
            said = _changes(key, changed)
    click.echo(said)


@person.command("list")
@click.option("--unit", help="Only this unit's subtree.")
@click.option("--all", "include_inactive", is_flag=True,
              help="Include deactivated people (and those who left).")
@output_options
@common
def person_list(unit: str | None, include_inactive: bool, fmt: str, db: str | None,
                as_of: str | None) -> None:
    """List people (with --as-of: their units, posts and roles at the end of that date)."""
    from campaigns.people import list_people
    from campaigns.units import UnitTree

    with database(db).read() as conn:
        day = as_of_date(as_of) if as_of else None
        tree = UnitTree.at(conn, day) if day else UnitTree.load(conn)
        rows = list_people(conn, tree, unit, include_inactive, day)
    emit(rows, fmt)


@person.command("deactivate")
@click.argument("key")
@ACTOR
@common
def person_deactivate(key: str, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Deactivate person KEY (kept for history; may no longer act)."""
    from campaigns.people import deactivate

    with database(db).write() as conn:  # deactivate checks the actor is an administrator
        deactivate(conn, key, actor=actor, day=as_of_date(as_of))
    click.echo(_("deactivated {key}").format(key=key))


from .credentials import person_password, person_token  # noqa: E402  (the web door's)

person.add_command(person_password)
person.add_command(person_token)

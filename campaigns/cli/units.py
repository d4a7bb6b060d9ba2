"""``rectify unit`` and ``rectify person``: the organisation a campaign runs in."""

from __future__ import annotations

import click

from campaigns.i18n import _

from ._common import ACTOR, as_of_date, common, database, db_only
from ._output import emit, output_options


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
@ACTOR
@common
def unit_import(file: str, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Import units from a CSV (code,title,parent,kind or 代码,名称,上级,类型); all or nothing."""
    from campaigns.tabular import read_csv
    from campaigns.units import UNIT_COLUMNS, import_units

    rows = read_csv(file, UNIT_COLUMNS, ("code", "title"))  # read before the transaction
    day = as_of_date(as_of)
    with database(db).write() as conn:
        n = import_units(conn, file, rows, actor=actor, day=day)
    click.echo(f"imported {n} unit(s)")


@unit.command("list")
@output_options
@db_only
def unit_list(fmt: str, db: str | None) -> None:
    """Show the unit tree."""
    from campaigns.units import UnitTree, list_units

    with database(db).read() as conn:
        rows = list_units(UnitTree.load(conn))
    if fmt == "table":
        for r in rows:
            click.echo(f"{'  ' * r['depth']}{r['title']}  [{r['code']}]")
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
@ACTOR
@common
def person_import(file: str, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Import people from CSV (key,name,unit,roles,title or 编号,姓名,单位,角色,职务)."""
    from campaigns.people import PERSON_COLUMNS, import_people
    from campaigns.tabular import read_csv

    rows = read_csv(file, PERSON_COLUMNS, ("key", "name"))  # read before the transaction
    day = as_of_date(as_of)
    with database(db).write() as conn:
        n = import_people(conn, file, rows, actor=actor, day=day)
    click.echo(f"imported {n} person(s)")


@person.command("list")
@click.option("--unit", help="Only this unit's subtree.")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated people.")
@output_options
@db_only
def person_list(unit: str | None, include_inactive: bool, fmt: str, db: str | None) -> None:
    """List people."""
    from campaigns.people import list_people
    from campaigns.units import UnitTree

    with database(db).read() as conn:
        rows = list_people(conn, UnitTree.load(conn), unit, include_inactive)
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
    click.echo(f"deactivated {key}")


from .credentials import person_password, person_token  # noqa: E402  (the web door's)

person.add_command(person_password)
person.add_command(person_token)

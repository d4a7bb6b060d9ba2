"""``rectify diagram``: draw a campaign (or a definition alone) with Graphviz."""

from __future__ import annotations

import os

import click

from campaigns.i18n import _

from ._common import common, database, output_file

KINDS = ("stages", "items", "rectifications", "escalation", "units")
FORMATS = ("svg", "png", "pdf", "dot")


def _output(path: str | None, name: str, kind: str) -> str:
    """The file to write, checked before any work is done."""
    if path is None:  # in the working folder, whatever the key holds
        from campaigns.safecells import file_stem

        return file_stem(f"{name}-{kind}") + ".svg"
    if path == "-":
        return path
    return output_file(path, FORMATS, _("a diagram"))


@click.command()
@click.argument("campaign", required=False)
@click.option("--kind", type=click.Choice(KINDS), default="stages", show_default=True,
              help="stages: timeline; items / rectifications: lifecycle with counts; "
                   "escalation: the ladder; units: the unit tree with open/overdue/closed.")
@click.option("--unit", metavar="UNIT", help="Count only this unit's subtree (code, title or path).")
@click.option("--depth", type=click.IntRange(min=0), metavar="N",
              help="With --kind units: show N levels below the top; deeper units are counted "
                   "in their ancestor.")
@click.option("--definition", "definition_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Draw a definition file instead of a campaign (no database needed).")
@click.option("--start", "start_text", metavar="DATE",
              help="With --definition: place offset windows (+30d, +1m) from this start date.")
@click.option("-o", "--output", metavar="FILE",
              help="FILE.svg, .png, .pdf or .dot; '-' prints the DOT source "
                   "[default: CAMPAIGN-KIND.svg].")
@common
def diagram(campaign: str | None, kind: str, unit: str | None, depth: int | None,
            definition_file: str | None, start_text: str | None, output: str | None,
            db: str | None, as_of: str | None) -> None:
    """Draw CAMPAIGN as a diagram: its stages, lifecycles, escalation or units, with counts.

    \b
    Examples:
      rectify diagram wgbw-2015 -o stages.png
      rectify diagram wgbw-2015 --kind items --unit czj -o items.svg
      rectify diagram wgbw-2015 --kind units --depth 1 -o units.pdf
      rectify diagram --definition definitions/wgbw-2015.yaml --kind rectifications -o r.svg

    Rendering needs Graphviz's 'dot' program and a CJK font; '.dot' output and
    '-o -' need neither. On Debian and Ubuntu:

    \b
      sudo apt-get install -y graphviz fonts-noto-cjk
    """
    if definition_file and campaign:
        raise click.UsageError(_("give CAMPAIGN or --definition FILE, not both"))
    if not definition_file and not campaign:
        raise click.UsageError(_("give a CAMPAIGN key, or --definition FILE to draw a definition"))
    if depth is not None and kind != "units":
        raise click.UsageError(_("--depth applies only to --kind units"))
    if definition_file:
        if kind == "units":
            raise click.UsageError(_("--kind units needs a campaign's data; with --definition draw stages, "
                                     "items, rectifications or escalation"))
        if unit:
            raise click.UsageError(_("--unit counts a campaign's items; it needs CAMPAIGN, not --definition"))
    elif start_text:
        raise click.UsageError(_("--start applies only to --definition (a campaign has its own start)"))
    if output is not None:
        _output(output, "", kind)

    if definition_file:
        graph, name = _from_definition(definition_file, kind, start_text, as_of)
    else:
        assert campaign is not None
        graph, name = _from_campaign(campaign, kind, unit, depth, db, as_of)
    path = _output(output, name, kind)
    _write(graph, path)


def _from_definition(path: str, kind: str, start_text: str | None, as_of: str | None,
                     ) -> tuple[object, str]:
    from campaigns.dates import parse_date
    from campaigns.diagrams import definition_diagram
    from engine.core.errors import NotFound
    from engine.core.loader import load

    if not os.path.isfile(path):
        raise NotFound(_("definition file '{path}' does not exist").format(path=path), _("check the path"))
    definition = load(path)
    start = parse_date(start_text, "--start") if start_text else None
    day = parse_date(as_of, "--as-of") if as_of else None
    graph = definition_diagram(definition, path, kind, start, day)
    return graph, definition.key or os.path.splitext(os.path.basename(path))[0]


def _from_campaign(key: str, kind: str, unit: str | None, depth: int | None, db: str | None,
                   as_of: str | None) -> tuple[object, str]:
    from campaigns.diagrams import campaign_diagram
    from campaigns.runs import load_run

    from ._common import scope_of

    with database(db).read() as conn:
        scope = scope_of(conn, load_run(conn, key), as_of, None, need_actor=False)
        graph = campaign_diagram(scope, kind, unit, depth)
    return graph, scope.run.key


def _write(graph: object, path: str) -> None:
    from engine.io import diagrams as draw

    if path == "-":
        click.echo(graph.source, nl=False)  # type: ignore[attr-defined]
        return
    if not path.lower().endswith(".dot") and draw.cjk_font_missing():
        click.echo(_("warning: no Chinese font found (fc-list :lang=zh is empty); labels may show as boxes. "
                     "Install one: {value}").format(value=draw.install_hint()), err=True)
    draw.render(graph, path)
    click.echo(_("wrote {path}").format(path=path))

"""``rectify circular``: the weekly circular, the monthly bulletin and the month-end sorting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from campaigns.i18n import _

from ._common import ACTOR, common, scope_of, viewing

OUTPUT = click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
                      help="FILE.html or FILE.docx.")


@click.group("circular")
def circular() -> None:
    """Periodic documents rebuilt from the event log: 周通报, 月简报, 月末通报分类汇总."""


def _write(db: str | None, actor: str | None, campaign: str, as_of: str | None, output: str,
           make: Callable[[Any], Any]) -> None:
    from campaigns import docwriter
    from campaigns.confidential import record_read
    from campaigns.runs import load_run

    from ._common import output_file

    output_file(output, ("html", "htm", "docx"), _("a document"))  # before any reading
    with viewing(db, actor) as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, actor, need_actor=False)
        doc = make(scope)
        docwriter.write(doc, output)
        record_read(scope, "circular", ["title", "measures"], items=doc.items_shown,
                    document=doc.title)
    click.echo(_("wrote {path}").format(path=output))


@circular.command("weekly")
@click.argument("campaign")
@click.option("--week", required=True, metavar="WEEK",
              help="The week: an ISO week (2015-W37) or any date in it (Monday to Sunday).")
@OUTPUT
@ACTOR
@common
def weekly(campaign: str, week: str, output: str, actor: str | None, db: str | None,
           as_of: str | None) -> None:
    """Write CAMPAIGN's weekly circular (周通报): the week's new, closed and overdue items, the
    units named for overdue work, the typical cases."""
    from campaigns import circulars

    period = circulars.parse_week(week)
    _write(db, actor, campaign, as_of, output,
           lambda scope: circulars.weekly(circulars.digest(scope, period)))


def _monthly(scope: Any, month: str) -> Any:
    from campaigns import circulars

    return circulars.monthly(circulars.digest(scope, circulars.month_period(month)))


def _sorting(scope: Any, month: str) -> Any:
    from campaigns import circulars

    return circulars.sorting(scope, circulars.month_period(month))


def _month_command(name: str, summary: str, make: Callable[[Any, str], Any]) -> None:
    """A command writing one month's document: ``monthly`` and ``sorting`` differ only in it."""

    @circular.command(name, help=summary)
    @click.argument("campaign")
    @click.option("--month", required=True, metavar="YYYY-MM", help="The month.")
    @OUTPUT
    @ACTOR
    @common
    def command(campaign: str, month: str, output: str, actor: str | None, db: str | None,
                as_of: str | None) -> None:
        from campaigns.report import parse_month

        parse_month(month)  # a bad month is refused before the database is opened
        _write(db, actor, campaign, as_of, output, lambda scope: make(scope, month))


_month_command("monthly", "Write CAMPAIGN's monthly bulletin (月简报).", _monthly)
_month_command("sorting", "Write the month-end sorting of CAMPAIGN's circulars (月末通报分类汇总): "
               "the items the month's weekly circulars named and the notices issued, by "
               "category and by unit.", _sorting)

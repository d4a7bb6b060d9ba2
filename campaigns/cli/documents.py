"""``rectify document``: the numbered documents a campaign issued, and 签收 by their units."""

from __future__ import annotations

import click

from campaigns.i18n import _

from ._common import ACTOR, common, scope_of, viewing
from ._output import emit, output_options


@click.group("document")
def document() -> None:
    """Numbered documents (督办通知书) issued to units, and their signing (签收)."""


@document.command("list")
@click.argument("campaign")
@click.option("--unsigned", is_flag=True, help="Only documents not yet signed for.")
@click.option("--unit", help="Only documents to this unit and the units under it.")
@output_options
@common
def list_(campaign: str, unsigned: bool, unit: str | None, fmt: str, db: str | None,
          as_of: str | None) -> None:
    """List CAMPAIGN's numbered documents with who signed for each, and when."""
    from campaigns.runs import load_run
    from campaigns.signing import documents

    with viewing(db, None) as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False)
        path = scope.tree.find(unit).path if unit else None
        rows = documents(scope, unsigned, path)
    emit(rows, fmt, ["number", "unit", "level", "issued_on", "reply_by", "items", "status",
                     "signed_by", "signed_on", "waiting_days"])


@document.command("sign")
@click.argument("campaign")
@click.argument("number")
@click.option("--note", help="A remark kept with the signature.")
@ACTOR
@common
def sign(campaign: str, number: str, note: str | None, actor: str | None, db: str | None,
         as_of: str | None) -> None:
    """Sign for document NUMBER of CAMPAIGN (签收), as a person of the unit it is addressed to."""
    from campaigns.runs import load_run
    from campaigns.signing import sign as sign_for

    from ._common import database

    with database(db).write() as conn:
        done = sign_for(scope_of(conn, load_run(conn, campaign), as_of, actor), number, note)
    click.echo(_("{number}: signed for {unit} by {person} on {day}").format(
        number=done["number"], unit=done["unit"], person=done["signed_by"], day=done["signed_on"]))

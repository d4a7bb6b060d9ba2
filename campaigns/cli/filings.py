"""``rectify filing``: file a period's report, accept or return it, and see who has filed what."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from campaigns import wording
from campaigns.i18n import _, translating

from ._common import ACTOR, common, database, scope_of
from ._output import emit, output_options

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from campaigns.runs import Run

STATUS_COLUMNS = ("filing", "period", "unit", "unit_title", "due", "filed_on", "status", "level",
                  "document")

CAMPAIGN = click.option("--campaign", metavar="KEY",
                        help="The campaign; needed only when several running ones have FILING.")
PERIOD = click.option("--period", required=True, metavar="PERIOD",
                      help="The period: 2015-09 (month), 2015-W38 (week), 2015-Q3, 2015-H2, "
                           "2015 (year), 2015-09-14 (day).")


@click.group()
def filing() -> None:
    """Filings (报送事项): what units file on a rhythm, and who has filed what."""


def _run(conn: Connection, campaign: str | None, key: str) -> Run:
    """The campaign named, or the one running campaign whose definition has filing ``key``."""
    from sqlalchemy import select

    from campaigns.filings import spec_of
    from campaigns.runs import load_run
    from campaigns.tables import CAMPAIGNS
    from engine.core.errors import InvalidInput

    if campaign is not None:
        return load_run(conn, campaign)
    keys = conn.execute(select(CAMPAIGNS.c.key).where(CAMPAIGNS.c.concluded_on.is_(None))
                        .order_by(CAMPAIGNS.c.id)).scalars()
    found = [run for run in (load_run(conn, k) for k in keys)
             if (spec := spec_of(run)) is not None and spec.get(key) is not None]
    if len(found) != 1:
        raise InvalidInput(
            _("no running campaign has filing '{key}'").format(key=key) if not found else
            _("filing '{key}' is in several running campaigns: {keys}").format(
                key=key, keys=", ".join(r.key for r in found)),
            _("give --campaign KEY"))
    return found[0]


def _say(result: dict[str, Any]) -> str:
    line = _("{key}: {state} ({status}), due {due}").format(
        key=result["key"], state=result["state"], status=_(result["status"]), due=result["due"])
    if result.get("figures"):
        from campaigns.filing_figures import as_text

        line += "\n" + _("figures: {figures}").format(figures=as_text(result["figures"]))
    if result.get("bundled") is not None:
        line += "\n" + _("bundled: {sources}").format(sources=", ".join(result["bundled"]))
    if result.get("missing"):
        line += "\n" + _("not accepted, left out: {units}").format(
            units=", ".join(result["missing"]))
    return line


@filing.command("submit")
@click.argument("unit")
@click.argument("key", metavar="FILING")
@PERIOD
@click.option("--file", "path", type=click.Path(dir_okay=False), metavar="PATH",
              help="The document filed (kept by content hash); required unless the filing "
                   "says document: false.")
@click.option("--note", help="A remark kept in the history.")
@CAMPAIGN
@ACTOR
@output_options
@common
def submit(unit: str, key: str, period: str, path: str | None, note: str | None,
           campaign: str | None, actor: str | None, fmt: str, db: str | None,
           as_of: str | None) -> None:
    """File UNIT's FILING for a period (fires 'file'); on time or late against its due date."""
    from campaigns.filings import submit as file_it

    with database(db).write() as conn:
        scope = scope_of(conn, _run(conn, campaign, key), as_of, actor)
        result = file_it(conn, scope.run, scope.tree, scope.acting, scope.as_of, unit, key,
                         period, path, note)
    emit(result if fmt != "table" else _say(result), fmt)


@filing.command("prefill")
@click.argument("unit")
@click.argument("key", metavar="FILING")
@PERIOD
@CAMPAIGN
@output_options
@common
def prefill(unit: str, key: str, period: str, campaign: str | None, fmt: str, db: str | None,
            as_of: str | None) -> None:
    """The figures UNIT's FILING declares for a period, counted from the record for UNIT and
    the units under it (as the period ended, or as of --as-of); 'submit' files them with it."""
    from campaigns.filings import prefill as count

    with database(db).read() as conn:
        scope = scope_of(conn, _run(conn, campaign, key), as_of, None, need_actor=False)
        result = count(conn, scope.run, scope.tree, scope.as_of, unit, key, period)
    if fmt != "table":
        emit(result, fmt)
        return
    from campaigns.filing_spec import FIGURES

    emit([{"figure": k, "title": FIGURES.get(k, k), "value": v}
          for k, v in result["figures"].items()], fmt, ("figure", "title", "value"))


@filing.command("rollup")
@click.argument("unit")
@click.argument("key", metavar="FILING")
@PERIOD
@click.option("--file", "path", type=click.Path(dir_okay=False), metavar="PATH",
              help="UNIT's own document, put first in the bundle.")
@click.option("--note", help="A remark kept in the history.")
@CAMPAIGN
@ACTOR
@output_options
@common
def rollup(unit: str, key: str, period: str, path: str | None, note: str | None,
           campaign: str | None, actor: str | None, fmt: str, db: str | None,
           as_of: str | None) -> None:
    """File UNIT's FILING for a period made from the accepted filings of the units under it
    (its rollup: in this campaign or the campaigns it names): figures summed, documents
    bundled in one zip with figures.csv (fires 'file')."""
    from campaigns.filings import roll_up

    with database(db).write() as conn:
        scope = scope_of(conn, _run(conn, campaign, key), as_of, actor)
        result = roll_up(conn, scope.run, scope.tree, scope.acting, scope.as_of, unit, key,
                         period, path, note)
    emit(result if fmt != "table" else _say(result), fmt)


def _decide(verdict: str) -> Any:
    from campaigns.filing_spec import ACCEPT

    @click.argument("unit")
    @click.argument("key", metavar="FILING")
    @PERIOD
    @click.option("--note", required=verdict != ACCEPT,
                  help="Why (required to return: what to change).")
    @CAMPAIGN
    @ACTOR
    @output_options
    @common
    def command(unit: str, key: str, period: str, note: str | None, campaign: str | None,
                actor: str | None, fmt: str, db: str | None, as_of: str | None) -> None:
        from campaigns.filings import decide

        with database(db).write() as conn:
            scope = scope_of(conn, _run(conn, campaign, key), as_of, actor)
            result = decide(conn, scope.run, scope.tree, scope.acting, scope.as_of, unit, key,
                            period, verdict, note)
        emit(result if fmt != "table" else _say(result), fmt)
    return command


filing.command("accept", help="Accept UNIT's filed FILING for a period (the office's "
               "'accept-filing').")(_decide("accept-filing"))
filing.command("return", help="Return UNIT's filed FILING for a period with --note saying what "
               "to change (the office's 'return-filing'); the unit files it again.")(
    _decide("return-filing"))


@filing.command("status")
@click.argument("campaign")
@click.option("--period", metavar="PERIOD", help="Only this period (e.g. 2015-09).")
@click.option("--filing", "key", metavar="FILING", help="Only this filing.")
@click.option("--open", "open_only", is_flag=True,
              help="Only what still needs doing: pending, missing, late or returned.")
@click.option("--figures", "with_figures", is_flag=True,
              help="Add the figures filed with each filing: a column each (found, closed, ...), "
                   "a 'figures' object in JSON.")
@output_options
@common
def status(campaign: str, period: str | None, key: str | None, open_only: bool,
           with_figures: bool, fmt: str, db: str | None, as_of: str | None) -> None:
    """Who has filed what in CAMPAIGN, per unit and period: due, filed on, and whether on time,
    late, missing, returned or accepted (as of --as-of)."""
    from campaigns.filings import status as rows_of
    from campaigns.runs import load_run

    with database(db).read() as conn:
        scope = scope_of(conn, load_run(conn, campaign), as_of, None, need_actor=False)
        rows = rows_of(conn, scope.run, scope.as_of, period, key, figures=with_figures)
    if open_only:
        rows = [r for r in rows if r["status"] in ("pending", "missing", "late", "returned")]
    if fmt == "table":
        rows = [{**r, "status": _(r["status"])} for r in rows]
        if translating():  # the rung reached by its title (催报), not its key
            from campaigns.filings import spec_of

            spec = spec_of(scope.run)
            ladder = spec.ladder if spec else None
            titles = {lv.key: lv.title for lv in ladder.levels} if ladder else {}
            rows = wording.rows(rows, {"level": titles})
    columns: tuple[str, ...] = STATUS_COLUMNS
    if with_figures and fmt != "json":  # JSON keeps each row's figures as one object
        columns, rows = _figure_columns(scope.run, rows)
    emit(rows, fmt, columns)


def _figure_columns(run: Run, rows: list[dict[str, Any]],
                    ) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The status columns and a column per figure any row carries (in the order the filings
    declare them), each row's figures spread into them (blank: none filed)."""
    from campaigns.filings import spec_of

    spec = spec_of(run)
    declared = list(dict.fromkeys(k for f in (spec.items if spec else ()) for k in f.figures))
    seen = {k for r in rows for k in (r["figures"] or {})}
    keys = [k for k in declared if k in seen] + sorted(seen - set(declared))
    spread = [{**{k: v for k, v in r.items() if k != "figures"},
               **{k: (r["figures"] or {}).get(k, "") for k in keys}} for r in rows]
    return (*STATUS_COLUMNS, *keys), spread

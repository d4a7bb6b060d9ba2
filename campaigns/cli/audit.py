"""``rectify audit``: check the hash-chained event logs, print a head to publish."""

from __future__ import annotations

import json

import click

from campaigns.i18n import _
from engine.core.errors import ExitCode, InvalidInput

from ._common import as_of_date, common, database

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def audit() -> None:
    """Check the event logs: each campaign's hash chain and the site log's."""


@audit.command("verify")
@click.argument("campaign", required=False)
@click.option("--all", "every", is_flag=True, help="Every campaign and the site log.")
@click.option("--site", is_flag=True, help="The site log (units, people).")
@click.option("--expect", metavar="HASH",
              help="A head published earlier: it must still be in the log (one log only).")
@click.option("--repair-snapshots", "repair", is_flag=True,
              help="First rebuild the campaigns' month-end snapshots from the log (derived data).")
@JSON
@common
def verify(campaign: str | None, every: bool, site: bool, expect: str | None, repair: bool,
           as_json: bool, db: str | None, as_of: str | None) -> None:
    """Check CAMPAIGN's event log; name the first event edited, deleted, inserted or reordered.

    Exit 1 when anything is wrong.  --expect also catches a log cut short or a chain
    recomputed after an edit, which are consistent in themselves.
    """
    from campaigns.audit import streams, verify as run_checks

    if every and (campaign or site):
        raise click.UsageError(_("give a CAMPAIGN, --site, or --all"))
    if not (every or campaign or site):
        raise click.UsageError(_("give a CAMPAIGN, --site, or --all"))
    store = database(db)
    if repair:
        from campaigns.runs import load_run_by_id
        from campaigns.snapshots import repair_snapshots

        with store.write() as conn:
            for stream in streams(conn, campaign, every, site):
                if stream.campaign_id is not None:
                    n = repair_snapshots(conn, load_run_by_id(conn, stream.campaign_id))
                    if not as_json:
                        click.echo(_("{key}: {n} snapshot(s) rebuilt").format(key=stream.key, n=n))
    with store.read() as conn:
        targets = streams(conn, campaign, every, site)
        if expect and len(targets) != 1:
            raise InvalidInput(_("--expect checks one log's published head"),
                               _("give one CAMPAIGN (or --site) with --expect"))
        found = run_checks(conn, targets, expect)
    bad = sum(1 for f in found.values() if f)
    if as_json:
        click.echo(json.dumps({"ok": not bad, "logs": {k: [f.as_dict() for f in v]
                                                      for k, v in found.items()}},
                              ensure_ascii=False, indent=2))
    else:
        for key, findings in found.items():
            if not findings:
                click.echo(_("{key}: ok").format(key=key))
            for f in findings:
                click.echo(_("{key}: {kind}: {message}").format(key=key, kind=f.kind, message=f.message))
    if bad:
        if not as_json:
            click.echo(_("Error: {bad} of {count} log(s) failed verification").format(
                bad=bad, count=len(found)), err=True)
        raise SystemExit(int(ExitCode.INVALID))


@audit.command("head")
@click.argument("campaign", required=False)
@click.option("--site", is_flag=True, help="The site log (units, people).")
@JSON
@common
def head(campaign: str | None, site: bool, as_json: bool, db: str | None, as_of: str | None) -> None:
    """Print CAMPAIGN's chain head (sequence number and hash) for an office to publish.

    With --as-of, the head as it stood at the end of that day.
    """
    from campaigns.audit import head as head_of, streams

    if bool(campaign) == site:
        raise click.UsageError(_("give a CAMPAIGN or --site"))
    with database(db).read() as conn:
        target = streams(conn, campaign, False, site)[0]
        day = as_of_date(as_of) if as_of else None
        found = head_of(conn, target, day)
    if as_json:
        click.echo(json.dumps(found.as_dict() if found else None, ensure_ascii=False, indent=2))
    elif found is None:
        click.echo(_("{key}: no events yet").format(key=target.key))
    else:
        click.echo(_("{stream} #{seq} {hash}").format(stream=found.stream, seq=found.seq, hash=found.hash))


@audit.command("snapshots")
@click.argument("campaign", required=False)
@click.option("--all", "every", is_flag=True, help="Every campaign.")
@JSON
@common
def snapshots(campaign: str | None, every: bool, as_json: bool, db: str | None,
              as_of: str | None) -> None:
    """Write the month-end snapshots the as-of views start from, for months no change can reach.

    Derived data, kept apart from 'rectify tick' so the clock stays lean: run it after the
    nightly tick.  Writes only what is missing; 'audit verify --repair-snapshots' rebuilds all.
    """
    from campaigns.audit import streams
    from campaigns.runs import load_run_by_id
    from campaigns.snapshots import write_missing

    if bool(campaign) == every:
        raise click.UsageError(_("give a CAMPAIGN or --all"))
    written: dict[str, list[str]] = {}
    with database(db).write() as conn:
        for stream in streams(conn, campaign, every, False):
            if stream.campaign_id is not None:
                run = load_run_by_id(conn, stream.campaign_id)
                written[stream.key] = [d.isoformat() for d in write_missing(conn, run)]
    if as_json:
        click.echo(json.dumps(written, ensure_ascii=False, indent=2))
        return
    for key, days in written.items():
        click.echo(_("{key}: {count} snapshot(s) written").format(key=key, count=len(days))
                   + (f" ({', '.join(days)})" if days else ""))

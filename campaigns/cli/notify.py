"""``rectify notify``: send the outbox, see what is pending, sent and failed."""

from __future__ import annotations

import json

import click

from campaigns.i18n import _

from ._common import database

DB = click.option("--db", envvar="RECTIFY_DB", metavar="URL",
                  help="SQLite file or database URL [env RECTIFY_DB; default ./rectify.db].")


@click.group("notify")
def notify() -> None:
    """Notifications: e-mail, messenger webhooks and SMS for notices and chosen events."""


@notify.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages.")
@DB
def send(limit: int | None, db: str | None) -> None:
    """Deliver every message due now (run it every few minutes, e.g. from cron).

    Each message is delivered at least once and carries a stable id (Message-ID,
    Idempotency-Key); a failed delivery is retried later with a doubling wait.
    """
    from campaigns.notify.sender import MAX_ATTEMPTS, send as send_all

    done = send_all(database(db), limit=limit)
    if done.skipped:
        click.echo(_("another 'rectify notify send' is running on this database; this one did "
                     "nothing"), err=True)
        return
    click.echo(_("sent {sent}, to retry {retried}, failed {failed}").format(
        sent=done.sent, retried=done.retried, failed=done.failed))
    for line in done.errors:
        click.echo("  " + _("not delivered: {why}").format(why=line), err=True)
    if done.failed:
        click.echo("  " + _("{count} message(s) failed {times} times: see 'rectify notify "
                            "status', fix the site configuration, then 'rectify notify "
                            "retry'").format(count=done.failed, times=MAX_ATTEMPTS), err=True)


@notify.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@DB
def status(as_json: bool, db: str | None) -> None:
    """Show how many messages are pending, sent and failed, and why the failed ones failed."""
    from campaigns.notify.sender import status as read_status

    found = read_status(database(db))
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(_("pending {pending}, sent {sent}, failed {failed}").format(
        pending=found["pending"], sent=found["sent"], failed=found["failed"])
        + (_("; next attempt {at}").format(at=found["next_try_at"]) if found["next_try_at"] else ""))
    for key, n in found["by_channel"].items():
        click.echo(f"  {key}: {n}")
    for m in found["failed_messages"]:
        click.echo("  " + _("failed #{id} {channel} {recipient} ({attempts} attempts): "
                            "{error}").format(id=m["id"], channel=m["channel"],
                                              recipient=m["recipient"], attempts=m["attempts"],
                                              error=m["last_error"]))


@notify.command("retry")
@DB
def retry(db: str | None) -> None:
    """Queue the failed messages again (after the site configuration was fixed)."""
    from campaigns.notify.sender import retry_failed

    click.echo(_("queued {count} failed message(s) again").format(count=retry_failed(database(db))))

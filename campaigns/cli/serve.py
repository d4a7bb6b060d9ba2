"""``rectify serve``: the web door (pages for every unit and the office, and a JSON API), the
daily tick and the notification sender on their schedule; ``rectify schedule``: what ran."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from typing import Any

import click

from campaigns.i18n import _

from ._common import DB, common, database
from ._output import emit, output_options


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (behind nginx: keep 127.0.0.1).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (PostgreSQL; SQLite is served by one).")
@click.option("--no-schedule", "no_schedule", is_flag=True,
              help="Run neither the daily tick nor the notification sender here.")
@click.option("--forwarded-allow-ips", "forwarded", default="127.0.0.1", show_default=True,
              metavar="IPS", help="Proxies whose X-Forwarded-For/-Proto are believed (nginx).")
@common
def serve(host: str, port: int, workers: int, no_schedule: bool, forwarded: str,
          db: str | None, as_of: str | None) -> None:
    """Serve the web pages and the JSON API over the database until stopped (Ctrl-C), and
    run the daily tick and the notification sender on the site's schedule."""
    import uvicorn

    from campaigns.dates import parse_date
    from campaigns.schedule import Scheduler, site_schedule
    from campaigns.web.app import AS_OF_ENV, create_app, fixed_today
    from campaigns.web.work import default_today

    base = database(db)
    if workers > 1 and base.url.startswith("sqlite"):
        raise click.UsageError(_(
            "--workers {n}: SQLite has one writer at a time, so several processes would only "
            "wait for each other; serve SQLite with one worker, or give a PostgreSQL URL "
            "(--db postgresql+psycopg://…) for several").format(n=workers))
    with base.read():  # refuses a missing or outdated database before listening
        pass
    day = parse_date(as_of, "--as-of") if as_of else None
    today = fixed_today(day) if day else default_today
    schedule = None if no_schedule else site_schedule()  # a bad file stops here, located
    click.echo(_("rectify serve: http://{host}:{port}/ over {db} (Ctrl-C stops)").format(
        host=host, port=port, db=base.shown))
    scheduler = None
    if schedule is not None:
        _log_to_stderr()
        from campaigns.db import Database

        scheduler = Scheduler(Database(base.url, pooled=True), schedule, today)
        thread = scheduler.start()
    options: dict[str, Any] = dict(host=host, port=port, proxy_headers=True,
                                   forwarded_allow_ips=forwarded, server_header=False,
                                   access_log=False, log_level="warning")
    try:
        if workers > 1:  # each worker builds the application from the environment (spawned)
            os.environ["RECTIFY_DB"] = base.url
            os.environ[AS_OF_ENV] = day.isoformat() if day else ""
            uvicorn.run("campaigns.web.app:from_environment", factory=True, workers=workers,
                        **options)
        else:
            uvicorn.run(create_app(base.url, today=today), **options)
    finally:
        if scheduler is not None:
            scheduler.stopping.set()
            thread.join(timeout=30)


def _log_to_stderr() -> None:
    logger = logging.getLogger("rectify.schedule")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


@click.command("schedule")
@click.option("--last", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="How many runs to list, newest first.")
@output_options
@DB
def schedule(last: int, fmt: str, db: str | None) -> None:
    """When `rectify serve` ticks and sends notifications, and what its latest runs did."""
    from campaigns.schedule import next_slot, recent, site_schedule

    plan = site_schedule()
    runs = recent(database(db), last)
    nxt = next_slot(plan, dt.datetime.now(dt.UTC))
    if fmt == "json":
        emit({"tick": plan.tick.isoformat(), "timezone": plan.timezone,
              "send_every": plan.send_every, "next_tick": nxt.isoformat(), "runs": runs}, fmt)
        return
    if fmt == "table":
        from zoneinfo import ZoneInfo

        shown = nxt.astimezone(ZoneInfo(plan.timezone)).strftime("%Y-%m-%d %H:%M %z")
        click.echo(_("daily tick at {at} (next: {next}); notifications sent every {every:.0f} s "
                     "when the site configures them").format(at=plan.shown(), next=shown,
                                                             every=plan.send_every))
    emit(runs, fmt, ["job", "due", "server", "started", "finished", "outcome", "detail"])

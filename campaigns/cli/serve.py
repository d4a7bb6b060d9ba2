"""``rectify serve``: the web door (pages for every unit and the office, and a JSON API)."""

from __future__ import annotations

import click

from campaigns.i18n import _

from ._common import DB, database


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (behind nginx: keep 127.0.0.1).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--forwarded-allow-ips", "forwarded", default="127.0.0.1", show_default=True,
              metavar="IPS", help="Proxies whose X-Forwarded-For/-Proto are believed (nginx).")
@DB
def serve(host: str, port: int, forwarded: str, db: str | None) -> None:
    """Serve the web pages and the JSON API over the database until stopped (Ctrl-C)."""
    import uvicorn

    from campaigns.web.app import create_app

    base = database(db)  # refuses a missing or outdated database before listening
    with base.read():
        pass
    click.echo(_("rectify serve: http://{host}:{port}/ over {db} (Ctrl-C stops)").format(
        host=host, port=port, db=base.shown))
    uvicorn.run(create_app(db), host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=forwarded, server_header=False, access_log=False,
                log_level="warning")

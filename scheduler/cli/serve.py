"""`txcal serve`: the coordinator's page in a local browser."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.main import current_day, main, time_stamp
from scheduler.cli.params import clinic_option


@main.command(short_help="The coordinator's page: day sheet, chairs, week, moves, on a local web server.")
@clinic_option("The clinic's profile, whose book the page shows (also TXCAL_CLINIC).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="The port (default: a free one).")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="The address to listen on (loopback only, unless you must)."
)
def serve(profile_path: Path | None, port: int, host: str) -> None:
    """Serve the clinic book's page on 127.0.0.1 and print the address to open (it holds a one-time token).

    Needs txcal[web]. Ctrl-C stops it. Every change goes through the book's one unit of work, so txcal
    move and the page can be used at once.
    """
    if profile_path is None:
        raise click.UsageError("give --clinic FILE (or TXCAL_CLINIC): the profile whose book the page shows")
    try:
        import jinja2  # noqa: F401  (the web extra)
    except ImportError:
        raise click.ClickException("txcal serve needs Jinja2: pip install 'txcal[web]'") from None
    from scheduler.web.server import loopback, serve_forever, start

    if not loopback(host):
        click.echo(
            f"Warning: listening on {host}: anyone who can reach it and has the address can open the page", err=True
        )
    server, guard = start(profile_path, host, port, current_day, time_stamp)
    click.echo(guard.open_url())
    click.echo("Open the address above in a browser (once: it signs you in). Ctrl-C stops the server.", err=True)
    serve_forever(server)

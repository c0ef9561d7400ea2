"""`txcal feed build`, `url`, `rotate` and `serve`: patient subscription feeds (issue 35)."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.main import current_day, main, time_stamp
from scheduler.cli.params import clinic_option


def _profile(profile_path: Path | None) -> Path:
    if profile_path is None:
        raise click.UsageError(
            "give --clinic FILE (or TXCAL_CLINIC): the profile whose book and feed_dir hold the feeds"
        )
    return profile_path


@main.group(short_help="Patients' subscription feeds: build, give a link, rotate it, serve the folder.")
def feed() -> None:
    """Each booked patient's calendar as a feed a calendar app subscribes to (the profile's feed_dir)."""


@feed.command(short_help="Write every booked patient's feed again from the book.")
@clinic_option("The clinic's profile, whose book and feed_dir hold the feeds (also TXCAL_CLINIC).")
def build(profile_path: Path | None) -> None:
    """Write every booked patient's feed again from the book: after a restore, and daily (cron), so cancelled
    visits drop out 14 days after their day and released patients' feeds go."""
    from scheduler.app.feeds import build_feeds

    click.echo(build_feeds(_profile(profile_path), time_stamp(), current_day()), err=True)


@feed.command(short_help="Print a patient's webcal:// and https:// feed addresses.")
@click.argument("patient")
@clinic_option("The clinic's profile, whose book and feed_dir hold the feeds (also TXCAL_CLINIC).")
@click.option("--base", help="The https:// address the feed folder is served at (default: the profile's feed_base).")
def url(patient: str, profile_path: Path | None, base: str | None) -> None:
    """Print PATIENT's feed addresses: webcal:// (opens the calendar app) and https:// (to paste)."""
    from scheduler.app.feeds import feed_urls

    for address in feed_urls(_profile(profile_path), patient, base):
        click.echo(address)


@feed.command(short_help="Give a patient a new feed link; the old one answers 404.")
@click.argument("patient")
@clinic_option("The clinic's profile, whose book and feed_dir hold the feeds (also TXCAL_CLINIC).")
def rotate(patient: str, profile_path: Path | None) -> None:
    """Give PATIENT a new feed token and remove the old feed file (a link that leaked stops working)."""
    from scheduler.app.feeds import rotate_feed

    click.echo(rotate_feed(_profile(profile_path), patient, time_stamp(), current_day()), err=True)


@feed.command(short_help="Serve the feed folder over HTTP, for trying feeds out.")
@clinic_option("The clinic's profile, whose feed_dir is served (also TXCAL_CLINIC).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8035, show_default=True, help="0: any free port.")
def serve(profile_path: Path | None, host: str, port: int) -> None:
    """Serve the feed folder: only <token>.ics names answer, no listing, no log of paths. For a clinic's real
    server, use nginx or Caddy (docs/calendars.md, "Patients subscribe")."""
    from scheduler.web.feed_server import feed_server

    server = feed_server(_profile(profile_path), host, port)
    click.echo(f"serving feeds on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

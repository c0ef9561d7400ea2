"""`txcal batch`, `load` and `publish`: the whole clinic."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import click

from scheduler.app.plans import plan_from_spec
from scheduler.cli.main import (
    colour_on,
    current_day,
    expand_plan,
    load_catalog,
    main,
    plan_spec_from,
    time_stamp,
    view_width,
)
from scheduler.cli.params import (
    DATE,
    REMINDERS,
    Parsed,
    clinic_option,
    complete_names,
    plan_options,
    templates_option,
)
from scheduler.errors import TxcalError
from scheduler.units import parse_clock


@main.command(short_help="Plan a patient list: a calendar each, clinic.ics, manifest.")
@click.argument("patients", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Where to write the calendars."
)
@click.option("--remind", type=REMINDERS, help="Reminders for rows without a remind column, e.g. 1d,2h.")
@clinic_option("The clinic profile of rows without a clinic column (also TXCAL_CLINIC).")
@click.option("--force", is_flag=True, help="Replace patient files that hold another plan.")
@templates_option
def batch(
    patients: Path,
    out_dir: Path,
    remind: list[timedelta] | None,
    profile_path: Path | None,
    force: bool,
    template_dirs: tuple[str, ...],
) -> None:
    """Plan every patient of PATIENTS (CSV): a calendar each, a clinic calendar, a manifest.

    Bad rows are reported with their line number and skipped; the others are written. Exit 1
    when any row failed. Re-running updates each patient's calendar as `txcal plan -o` does.
    """
    from scheduler.app.batch import CLINIC_FILE, MANIFEST_FILE, Settings, run_batch, survey

    total = survey(patients)[0]  # checks the header before anything is written
    load_catalog(template_dirs)  # a broken template stops the batch before any row is planned
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TxcalError(f"cannot make the folder {out_dir}: {exc.strerror}") from None
    settings = Settings(out_dir, time_stamp(), patients.parent, tuple(remind or ()), force, template_dirs, profile_path)
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="Planning", file=sys.stderr) as bar:
            result = run_batch(patients, settings, bar.update)
    else:
        result = run_batch(patients, settings)
    for outcome in result.failed:
        click.echo(f"{patients}: row {outcome.row}: {outcome.error}", err=True)
    click.echo(
        f"Planned {result.rows - len(result.failed)} of {result.rows} patients ({result.events} events) into "
        f"{out_dir}: one .ics each, {CLINIC_FILE}, {MANIFEST_FILE}.",
        err=True,
    )
    if result.failed:
        raise click.ClickException(
            f"{len(result.failed)} of {result.rows} rows failed; see the lines above and {MANIFEST_FILE}"
        )


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _hours(text: str) -> int:
    """Return the minutes between opening and closing, from "08:00-18:00"."""
    opening, _, closing = text.partition("-")
    minutes = [clock.hour * 60 + clock.minute for clock in (parse_clock(opening), parse_clock(closing))]
    if minutes[1] <= minutes[0]:
        raise ValueError("closing must come after opening")
    return minutes[1] - minutes[0]


HOURS = Parsed("hours", _hours, "write opening hours like 08:00-18:00")


@main.command(short_help="Daily visits and chair minutes against capacity.")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--chairs", type=click.IntRange(min=1), help="Infusion chairs; with --hours, flags days over capacity.")
@click.option("--hours", "open_minutes", type=HOURS, help="Opening hours (default: the profile's, else 08:00-18:00).")
@clinic_option("The clinic's profile: its chairs and hours (also TXCAL_CLINIC).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "month"]), default="text", show_default=True)
@click.option("--from", "first", type=DATE, help="Count days on or after this date.")
@click.option("--to", "last", type=DATE, help="Count days on or before this date.")
@click.option("--today", type=DATE, help="Mark this day in the month view (also TXCAL_TODAY).")
@templates_option
def load(
    source: Path,
    chairs: int | None,
    open_minutes: int | None,
    profile_path: Path | None,
    fmt: str,
    first: date | None,
    last: date | None,
    today: date | None,
    template_dirs: tuple[str, ...],
) -> None:
    """Daily load: visits by kind and chair minutes per day, from a patient list or a calendar.

    SOURCE is a patient list (CSV, as for txcal batch), a calendar file, or a batch's output folder
    (its clinic.ics). With --chairs, days whose chair minutes pass chairs x opening hours are flagged.
    """
    from scheduler.app import chair_load as daily
    from scheduler.model import Load
    from scheduler.writers import chair_load as views

    if profile_path is not None:
        from scheduler.inputs.clinic_profile import load_profile

        profile = load_profile(profile_path)
        chairs = chairs or profile.chairs
        # The longest opening day sets the capacity; --hours gives another.
        longest = max((_minutes(closes) - _minutes(opens) for _, opens, closes in profile.hours), default=None)
        open_minutes = open_minutes or longest
    open_minutes = open_minutes or _hours("08:00-18:00")
    result = Load(capacity=chairs * open_minutes if chairs else None)
    if source.is_dir():
        from scheduler.app.batch import CLINIC_FILE

        daily.read_ics(source / CLINIC_FILE, result)
    elif source.suffix.lower() == ".ics":
        daily.read_ics(source, result)
    else:
        from scheduler.inputs.patient_list import iter_rows, spec_from_row

        catalog = load_catalog(template_dirs)
        for number, cells in iter_rows(source):
            try:
                spec = dataclasses.replace(spec_from_row(cells, source.parent), default_profile=profile_path)
                plan = plan_from_spec(spec, catalog)
            except TxcalError as exc:
                click.echo(f"{source}: row {number} left out: {exc}", err=True)
                continue
            daily.from_events(plan.events, result)
    shown = result.window(first, last)
    if fmt == "csv":
        click.echo(views.to_csv(shown), nl=False)
    elif fmt == "month":
        click.echo(views.render_months(shown, today or current_day(), view_width(), colour_on()), nl=False)
    else:
        click.echo(views.render_table(shown, view_width()), nl=False)


@main.command(short_help="Keep a CalDAV calendar in step with a plan.")
@click.argument("drug", required=False, shell_complete=complete_names)
@plan_options
@click.option(
    "--to",
    "url",
    required=True,
    help="The CalDAV calendar collection URL, e.g. https://cal.example.org/alice/treatment/.",
)
@click.option("--plan-file", type=click.Path(dir_okay=False, path_type=Path), help="Publish a patient's plan file.")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Publish a batch's output folder: each patient's calendar to URL/<file name>/.",
)
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file whose first line is user:password (else TXCAL_CALDAV_USER and TXCAL_CALDAV_PASSWORD).",
)
@click.option("--allow-insecure", is_flag=True, help="Allow plain http to another machine.")
@click.option("--overwrite", is_flag=True, help="Replace events edited in a calendar app since txcal wrote them.")
@click.option(
    "--state", type=click.Path(dir_okay=False, path_type=Path), help="Where the events' ETags are kept between runs."
)
@templates_option
@click.pass_context
def publish(
    ctx: click.Context,
    /,
    drug: str | None,
    url: str,
    plan_file: Path | None,
    folder: Path | None,
    credentials: Path | None,
    allow_insecure: bool,
    overwrite: bool,
    state: Path | None,
    template_dirs: tuple[str, ...],
    **options: Any,
) -> None:
    """Publish a plan to a CalDAV calendar: one event a resource, updated and cancelled in place.

    Events txcal did not write are left alone; a second run with nothing new changes nothing.
    """
    from scheduler.publishers import caldav

    collection = caldav.check_url(url, allow_insecure)
    user, password = caldav.credentials(credentials)
    if folder is not None:
        _publish_folder(folder, collection, user, password, state, overwrite)
        return
    result = expand_plan(plan_spec_from(ctx, drug, plan_file, options), template_dirs)
    server = caldav.Server(collection, user, password)
    report = caldav.publish(
        result,
        server,
        time_stamp(),
        state or caldav.default_state(collection, result.plan_id),
        result.request.reminders,
        overwrite,
    )
    click.echo(report.describe(collection), err=True)
    if report.edited:
        raise click.ClickException("some events were edited in a calendar app and were not replaced (see above)")


def _publish_folder(
    folder: Path, collection: str, user: str, password: str, state: Path | None, overwrite: bool
) -> None:
    """Publish each patient calendar of a batch folder to a collection of its own under `collection`."""
    from scheduler.app.batch import CLINIC_FILE
    from scheduler.publishers import caldav
    from scheduler.writers.ical.read import txcal_plan_id

    # The clinic calendar repeats every patient's events: it is not published beside them.
    files = sorted(p for p in folder.glob("*.ics") if p.name != CLINIC_FILE)
    if not files:
        raise TxcalError(f"{folder} holds no patient calendars: run txcal batch into it first")
    edited = 0
    for path in files:
        data = path.read_bytes()
        target = f"{collection}{path.stem}/"
        plan_id = txcal_plan_id(data) or ""
        state_path = (
            state.with_name(f"{state.stem}-{path.stem}{state.suffix}")
            if state
            else caldav.default_state(target, plan_id)
        )
        try:
            report = caldav.publish_file(
                data, caldav.Server(target, user, password), time_stamp(), state_path, overwrite
            )
        except caldav.PublishError as exc:
            raise TxcalError(f"{path.name}: {exc}") from None
        click.echo(f"{path.name}: {report.describe(target)}", err=True)
        edited += len(report.edited)
    if edited:
        raise click.ClickException(f"{edited} events were edited in a calendar app and were not replaced (see above)")

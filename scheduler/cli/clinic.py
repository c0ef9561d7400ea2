"""`txcal batch`, `load` and `publish`: the whole clinic."""

from __future__ import annotations

import sys
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import click

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
    click_type,
    clinic_option,
    complete_names,
    plan_options,
    replace_option,
    templates_option,
)
from scheduler.model import clock_minutes
from scheduler.options import CLOCK
from scheduler.units import parse_clock


@main.command(short_help="Plan a patient list: a calendar each, clinic.ics, manifest.")
@click.argument("patients", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Where to write the calendars."
)
@click.option("--remind", type=REMINDERS, help="Reminders for rows without a remind column, e.g. 1d,2h.")
@clinic_option("The clinic profile of rows without a clinic column (also TXCAL_CLINIC).")
@click.option("--force", is_flag=True, help="Replace patient files that hold another plan, without cancelling it.")
@replace_option("A patient file")
@click.option(
    "--level",
    type=click.Choice(["greedy", "exact"]),
    is_flag=False,
    flag_value="greedy",
    default=None,
    help="Give chair visits start times so no moment has more patients in chairs than the clinic's chairs, "
    "keeping the times asked for (--level; --level exact solves each day with OR-Tools: txcal[solver]).",
)
@click.option(
    "--level-seconds",
    type=click.FloatRange(0.1, 600),
    default=3.0,
    show_default=True,
    help="With --level exact: how long a day's search may run, in CP-SAT's deterministic seconds (work done, "
    "not the clock, so every run gives the same answer; about 2-4 wall seconds each).",
)
@click.option(
    "--relevel",
    is_flag=True,
    help="With a clinic book: re-time booked visits from today on too (never those before today).",
)
@click.option(
    "--handouts", type=click.Choice(["html", "pdf"]), help="Write each patient's handout beside their calendar."
)
@click.option("--fhir", is_flag=True, help="Write each patient's plan as a FHIR R4 Bundle beside their calendar.")
@click.option(
    "--strict", is_flag=True, help="Exit 1 when a visit is on a closed day, over the chairs or fits no chair."
)
@templates_option
def batch(
    patients: Path,
    out_dir: Path,
    remind: list[timedelta] | None,
    profile_path: Path | None,
    force: bool,
    replace: bool,
    level: str | None,
    level_seconds: float,
    relevel: bool,
    handouts: str | None,
    fhir: bool,
    strict: bool,
    template_dirs: tuple[str, ...],
) -> None:
    """Plan every patient of PATIENTS (CSV): a calendar each, a clinic calendar, a manifest.

    Bad rows are reported with their line number and skipped; the others are written. Exit 1
    when any row failed (and with --strict, when any patient has a conflict). Re-running updates
    each patient's calendar as `txcal plan -o` does; a corrected row (another start date) needs
    its old plan_id in the plan_id column, or --replace.

    With --level and a clinic profile (chairs, hours), each chair visit gets a start time within
    opening hours so the chairs are never double-booked; a `prefer` column (morning, afternoon or
    a time) is honoured where it can be, and a dose whose day is full moves to an open day within
    its window. Every time and move is in the event's description and the manifest.

    With a clinic book (the profile's `book` key), what the batch writes is booked: a later batch
    keeps every booked visit's day, time and chair and places only new or changed plans around
    them (--relevel: re-time booked visits from today on too); a row that fails keeps its
    patient's booked visits.
    """
    from scheduler.app.batch import CLINIC_FILE, MANIFEST_FILE, BatchOptions, batch_list, list_size

    options = BatchOptions(
        out_dir,
        tuple(remind or ()),
        profile_path,
        force,
        replace,
        level,
        level_seconds,
        relevel,
        handouts,
        fhir,
        template_dirs,
    )
    if sys.stderr.isatty():
        with click.progressbar(length=list_size(patients), label="Planning", file=sys.stderr) as bar:
            result, notes = batch_list(patients, options, time_stamp(), current_day(), bar.update)
    else:
        result, notes = batch_list(patients, options, time_stamp(), current_day())
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    for outcome in result.failed:
        click.echo(f"{patients}: row {outcome.row}: {outcome.error}", err=True)
    click.echo(
        f"Planned {result.rows - len(result.failed)} of {result.rows} patients ({result.events} events) into "
        f"{out_dir}: one .ics each, {CLINIC_FILE}, {MANIFEST_FILE}.",
        err=True,
    )
    from scheduler.view_wording import batch_conflicts

    if result.levelling is not None:
        click.echo(result.levelling.summary(), err=True)
        for line in result.levelling.day_lines():
            click.echo(line, err=True)
    if result.kept_out:
        click.echo(
            f"{result.kept_out} booked patients not in this list are kept as booked (the book and {CLINIC_FILE}).",
            err=True,
        )
    found = [(o.row, o.patient, o.conflicts) for o in result.conflicts]
    for line in batch_conflicts(found, result.over, MANIFEST_FILE):
        click.echo(line, err=True)
    if result.failed:
        raise click.ClickException(
            f"{len(result.failed)} of {result.rows} rows failed; see the lines above and {MANIFEST_FILE}"
        )
    if strict and result.conflicts:
        raise click.ClickException(
            f"{len(result.conflicts)} patients have conflicts (--strict); see the lines above and {MANIFEST_FILE}"
        )


def _hours(text: str) -> tuple[int, int]:
    """Return the minutes of the day a clinic opens and closes, from "08:00-18:00"."""

    opening, _, closing = text.partition("-")
    opens, closes = (clock_minutes(parse_clock(opening)), clock_minutes(parse_clock(closing)))
    if closes <= opens:
        raise ValueError("closing must come after opening")
    return opens, closes


HOURS = Parsed("hours", _hours, "write opening hours like 08:00-18:00")


@main.command(short_help="Daily patients, visits, chair minutes and chairs in use against capacity.")
@click.argument("source", required=False, type=click.Path(path_type=Path))
@click.option(
    "--chairs", type=click.IntRange(min=1), help="Infusion chairs; flags days over capacity or over the chairs."
)
@click.option("--hours", type=HOURS, help="Opening hours (default: the profile's, else 08:00-18:00).")
@clinic_option("The clinic's profile: its chairs and hours (also TXCAL_CLINIC).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "month", "chart"]),
    default="text",
    show_default=True,
    help="chart: one day's chairs in use through opening hours (with --date).",
)
@click.option("--date", "on", type=DATE, help="The day of the chart.")
@click.option("--from", "first", type=DATE, help="Count days on or after this date.")
@click.option("--to", "last", type=DATE, help="Count days on or before this date.")
@click.option("--today", type=DATE, help="Mark this day in the month view (also TXCAL_TODAY).")
@templates_option
def load(
    source: Path | None,
    chairs: int | None,
    hours: tuple[int, int] | None,
    profile_path: Path | None,
    fmt: str,
    on: date | None,
    first: date | None,
    last: date | None,
    today: date | None,
    template_dirs: tuple[str, ...],
) -> None:
    """Daily load: patients, visits by kind, chair minutes and the peak of chairs in use at once.

    SOURCE is a patient list (CSV, as for txcal batch), a calendar file, or a batch's output folder
    (its clinic.ics); without one, the clinic book of the --clinic profile. With --chairs (or a profile's), a day is flagged when its chair minutes pass
    chairs x opening hours, or when more patients sit in chairs at one moment than there are chairs.
    """
    from scheduler.app.load import load_view

    if fmt == "chart" and on is None:
        raise click.UsageError("--format chart shows one day: add --date, e.g. --date 2026-12-01")
    text = load_view(
        source,
        profile_path,
        chairs,
        hours,
        fmt,
        on,
        first,
        last,
        today or current_day(),
        lambda: load_catalog(template_dirs),
        lambda message: click.echo(message, err=True),
        view_width(),
        colour_on(),
    )
    click.echo(text, nl=False)


@main.command(short_help="The day sheet: each visit's time, chair, patient, preparation and conflicts.")
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--date", "first", type=DATE, required=True, help="The day, or the first of --days days.")
@click.option("--days", type=click.IntRange(1, 31), default=1, show_default=True, help="How many days (7: a week).")
@clinic_option("The clinic's profile: its name and chairs (also TXCAL_CLINIC).")
@click.option("--chairs", type=click.IntRange(min=1), help="Infusion chairs (default: the profile's).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@templates_option
def agenda(
    sources: tuple[Path, ...],
    first: date,
    days: int,
    profile_path: Path | None,
    chairs: int | None,
    fmt: str,
    template_dirs: tuple[str, ...],
) -> None:
    """The coordinator's day sheet for a day or a week, from a batch folder, a patient list or plan files.

    Each visit: time, chair (numbered in time order; none when every chair is taken), patient
    label, what (labs, provider visit, chair visit with drug and dose, collection, monitoring),
    minutes, what to prepare (premedication, product arrival, the weight a dose assumes) and
    conflicts. SOURCES: a batch's output folder (its clinic.ics), a calendar file, a patient list
    (CSV) or plan files (.toml); without any, the clinic book of the --clinic profile (its booked
    times and chairs). A list or plan files are shown as asked, not levelled, and the heading says so.
    """
    from scheduler.app.day_sheet import day_sheet

    if not sources and profile_path is None:
        raise click.UsageError("give SOURCES, or --clinic FILE whose profile keeps a clinic book")
    text = day_sheet(
        sources,
        profile_path,
        first,
        days,
        chairs,
        fmt,
        lambda: load_catalog(template_dirs),
        lambda message: click.echo(message, err=True),
        view_width(),
    )
    click.echo(text, nl=False)


@main.command(short_help="Move one booked chair visit to another time (and chair), kept in the clinic book.")
@click.argument("patient")
@click.option("--date", "on", type=DATE, required=True, help="The day of the visit.")
@click.option("--to", "to", type=click_type(CLOCK), help="The new start of the chair visit, e.g. 11:00.")
@click.option("--chair", type=click.IntRange(min=1), help="The chair (default: one that is free).")
@clinic_option("The clinic's profile, whose book holds the visit (also TXCAL_CLINIC).")
@click.option("--reason", default="", help="Why it moves, for the clinic's history (never in the patient's calendar).")
@click.option("--undo", is_flag=True, help="Take back the last move of this visit (again: the move before it).")
def move(
    patient: str, on: date, to: time | None, chair: int | None, profile_path: Path | None, reason: str, undo: bool
) -> None:
    """Move PATIENT's booked chair visit on --date to --to (and --chair): the day's visits move with it.

    A time that overbooks the chairs, breaks the nurse limit or falls outside opening hours is
    refused with the nearest time that fits. The move is kept in the clinic book's history, and
    the patient's calendar (and handout), and the clinic calendar are written again, so an
    imported calendar follows and later batches keep it.
    """
    from scheduler.app.moves import MoveRequest, move_visit

    if profile_path is None:
        raise click.UsageError("give --clinic FILE (or TXCAL_CLINIC): the profile whose book holds the visit")
    if (to is None) == (not undo):
        raise click.UsageError("give --to HH:MM, or --undo to take back the last move")
    request = MoveRequest(patient, on, clock_minutes(to) if to is not None else None, chair, reason, undo)
    click.echo(move_visit(profile_path, request, time_stamp(), current_day()), err=True)


@main.command(short_help="Let a booked patient go from a day on: their chairs freed, their visits cancelled.")
@click.argument("patient")
@click.option("--from", "first", type=DATE, help="The first day let go (default: today; never before today).")
@clinic_option("The clinic's profile, whose book holds the patient (also TXCAL_CLINIC).")
@click.option("--reason", default="", help="Why, for the clinic's history (never in the patient's calendar).")
def release(patient: str, first: date | None, profile_path: Path | None, reason: str) -> None:
    """Let PATIENT go from --from (default today) on: their booked chair visits are freed, their visits from
    that day are cancelled in their calendar and the clinic calendar, and the clinic book records why.

    For a patient who left the clinic's care, a row dropped from the list, or a patient relabelled:
    their chairs are free for others from that day, and later batches plan nothing for that plan
    from then on. What happened before today is never changed.
    """
    from scheduler.app.release import release_patient

    if profile_path is None:
        raise click.UsageError("give --clinic FILE (or TXCAL_CLINIC): the profile whose book holds the patient")
    click.echo(release_patient(profile_path, patient, first, reason, time_stamp(), current_day()), err=True)


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
@replace_option("The calendar")
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
    replace: bool,
    state: Path | None,
    template_dirs: tuple[str, ...],
    **options: Any,
) -> None:
    """Publish a plan to a CalDAV calendar: one event a resource, updated and cancelled in place.

    Events txcal did not write are left alone; a second run with nothing new changes nothing.
    """
    from scheduler.app.publish import Target, check_target, publish_folder, publish_plan

    collection, user, password = check_target(url, allow_insecure, credentials)
    target = Target(collection, user, password, time_stamp(), state, overwrite, replace)
    if folder is not None:
        edited = 0
        for line, count in publish_folder(folder, target):
            click.echo(line, err=True)
            edited += count
        if edited:
            raise click.ClickException(
                f"{edited} events were edited in a calendar app and were not replaced (see above)"
            )
        return
    spec = plan_spec_from(ctx, drug, plan_file, options)
    result = expand_plan(spec, template_dirs)
    line, edited = publish_plan(result, target)
    click.echo(line, err=True)
    if edited:
        raise click.ClickException("some events were edited in a calendar app and were not replaced (see above)")

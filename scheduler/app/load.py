"""Daily load of a clinic: patients, visits by kind, chair minutes and the peak of chairs in use at once.

Counted from plans (a patient list, planned here) or from a calendar file (a batch's clinic.ics),
read a line at a time so a whole clinic's calendar fits in little memory. Chair minutes are the
lengths of the visits that take an infusion chair: doses, chemotherapy and infusions; their
appointment times give how many chairs are in use at each moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from scheduler.app.plans import list_plans
from scheduler.catalog.loader import Catalog
from scheduler.clinic.book import profile_book, snapshots_of_the_book
from scheduler.clinic_model import ClinicHours, Load
from scheduler.errors import TxcalError
from scheduler.ical import Skipped, clinic_visits
from scheduler.model import DEFAULT_HOURS, ClinicProfile, Plan, minute_of_day


def from_plan(plan: Plan, load: Load) -> None:
    """Add a plan's events (not held ones) to a load; its patient is its label, else its plan id."""
    patient = plan.request.patient or plan.plan_id
    for event in plan.events:
        if event.status != "held":
            load.add(event.first_day, event.kind, event.minutes, patient, minute_of_day(event.start))


def read_ics(path: Path, load: Load, skipped: Skipped | None = None) -> None:
    """Add a calendar file's events to a load; those whose start cannot be read are counted in `skipped`.

    Raises:
        TxcalError: the file cannot be read.
    """
    for day, kind, minutes, patient, start in clinic_visits(path, skipped):
        load.add(day, kind, minutes, patient, start)


def from_book(profile: ClinicProfile, load: Load, first: date | None = None, last: date | None = None) -> None:
    """Add the clinic book's booked visits from `first` to `last` to a load (cancelled ones left out)."""
    book = profile_book(profile)
    try:
        for day, kind, minutes, patient, at in book.load_rows(first or date.min, last or date.max):
            load.add(day, kind, minutes, patient, at)
    finally:
        book.close()


def count(
    source: Path | None,
    default_profile: Path | None,
    catalog: Callable[[], Catalog],
    left_out: Callable[[str], None],
    first: date | None,
    last: date | None,
    load: Load,
) -> Load:
    """Count into `load` a patient list (planned here), a calendar file, a batch folder's clinic calendar, or
    (with no source) the clinic book of the profile; return it."""
    from scheduler.app.batching.folder import CLINIC_FILE

    if source is None:
        from scheduler.inputs.plan_spec import cached_profile

        if default_profile is None:
            raise TxcalError("give a SOURCE, or --clinic FILE whose profile keeps a clinic book")
        from_book(cached_profile(default_profile.resolve()), load, first, last)
    elif source.is_dir() or source.suffix.lower() == ".ics":
        path = source / CLINIC_FILE if source.is_dir() else source
        skipped = Skipped()
        read_ics(path, load, skipped)
        skipped.say(path, left_out)
    else:
        for plan in list_plans(source, default_profile, catalog(), left_out):
            from_plan(plan, load)
    return load


def clinic_hours(profile: ClinicProfile) -> ClinicHours:
    """Return a clinic's days as the load counts them: hours by weekday, closures, the nurse limit."""
    from scheduler.inputs.plan_spec import profile_calendar

    return ClinicHours(profile, profile_calendar(profile), profile.nurse_starts)


def opening_minutes(profile: ClinicProfile | None, hours: tuple[int, int] | None) -> int:
    """Return the minutes a day's chairs are open: given hours, else the profile's longest day, else 08:00-18:00."""
    if hours is not None:
        return hours[1] - hours[0]
    return profile.longest_day if profile else DEFAULT_HOURS[1] - DEFAULT_HOURS[0]


def load_view(
    source: Path | None,
    profile_path: Path | None,
    chairs: int | None,
    hours: tuple[int, int] | None,
    fmt: str,
    on: date | None,
    first: date | None,
    last: date | None,
    today: date,
    catalog: Callable[[], Catalog],
    left_out: Callable[[str], None],
    width: int,
    colour: bool,
) -> str:
    """Return the daily load as a front end shows it: a table, CSV, months (from `today`) or one day's chart (`on`).

    The source as for `count`; chairs and hours default to the profile's (each weekday's hours,
    closures and the nurse limit, unless `hours` are given).

    Raises:
        TxcalError: a source, profile or book cannot be read.
    """
    from scheduler.inputs.clinic_profile import load_profile
    from scheduler.writers import chair_load as views

    if first is not None and last is not None and first > last:
        raise TxcalError(f"--from {first} is after --to {last}: give the earlier day first")

    profile = load_profile(profile_path) if profile_path is not None else None
    chairs = chairs or (profile.chairs if profile else None)
    result = Load(chairs=chairs, open_minutes=opening_minutes(profile, hours))
    # Visits outside the day's opening hours are counted as they are read.
    if hours is not None:
        result.hours_of = lambda day: hours
    elif profile is not None:
        result.hours_of = profile.opening
    if source is not None and profile is not None and snapshots_of_the_book((source,), profile, left_out):
        source = None
    count(source, profile_path, catalog, left_out, first, last, result)
    if profile is not None and hours is None:
        result.clinic = clinic_hours(profile)
    shown = result.window(first, last)
    if fmt == "csv":
        return views.to_csv(shown)
    if fmt == "month":
        return views.render_months(shown, today, width, colour)
    if fmt == "chart":
        assert on is not None
        span = hours or (profile.opening(on) if profile else None) or DEFAULT_HOURS
        return views.render_chart(result, on, span, width, colour)
    return views.render_table(shown, width)

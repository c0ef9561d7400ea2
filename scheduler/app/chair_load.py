"""Daily load of a clinic: patients, visits by kind, chair minutes and the peak of chairs in use at once.

Counted from plans (a patient list, planned here) or from a calendar file (a batch's clinic.ics),
read a line at a time so a whole clinic's calendar fits in little memory. Chair minutes are the
lengths of the visits that take an infusion chair: doses, chemotherapy and infusions; their
appointment times give how many chairs are in use at each moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path

from scheduler.app.plans import list_plans
from scheduler.catalog.loader import Catalog
from scheduler.errors import TxcalError
from scheduler.files import check_regular
from scheduler.model import EVENT_KINDS, ClinicProfile, Load, Plan
from scheduler.writers.ical.read import ContentLine, moment, stream_events


def minute_of_day(moment: date | datetime) -> int | None:
    """Return the wall-clock minute of the day a timed event starts at (None for an all-day one)."""
    return moment.hour * 60 + moment.minute if isinstance(moment, datetime) else None


def from_plan(plan: Plan, load: Load) -> None:
    """Add a plan's events (not held ones) to a load; its patient is its label, else its plan id."""
    patient = plan.request.patient or plan.plan_id
    for event in plan.events:
        if event.status != "held":
            load.add(event.first_day, event.kind, event.minutes, patient, minute_of_day(event.start))


def _kind(categories: str) -> str:
    kind = categories.split(",")[0].strip().lower()
    return kind if kind in EVENT_KINDS else "other"


def _local(line: ContentLine) -> date | datetime | None:
    """Return a DTSTART or DTEND value as written (wall time; a UTC mark is set aside)."""
    value = moment(line)
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


# The patient an event of a clinic calendar belongs to (a calendar of one plan has no such line).
PATIENT_PROPERTY = "X-TXCAL-PATIENT"
_WANTED = frozenset({"DTSTART", "DTEND", "CATEGORIES", "STATUS", PATIENT_PROPERTY})


def from_ics_lines(lines: Iterator[str], load: Load) -> None:
    """Add the events of a calendar file, read a line at a time, to a load (cancelled ones left out).

    Minutes come from DTEND minus DTSTART in local time for timed events; an all-day visit's
    length is unknown.
    """
    for event in stream_events(lines, _WANTED):
        start = _local(event["DTSTART"]) if "DTSTART" in event else None
        status = event.get("STATUS")
        if start is None or (status is not None and status.value == "CANCELLED"):
            continue
        end = _local(event["DTEND"]) if "DTEND" in event else None
        minutes = None
        if isinstance(start, datetime) and isinstance(end, datetime):
            minutes = int((end - start).total_seconds() // 60)
            if minutes < 0:
                minutes = None  # an event that ends before it starts has no length to count
        day = start.date() if isinstance(start, datetime) else start
        categories = event.get("CATEGORIES")
        patient = event[PATIENT_PROPERTY].value if PATIENT_PROPERTY in event else ""
        load.add(day, _kind(categories.value if categories else ""), minutes, patient, minute_of_day(start))


def read_ics(path: Path, load: Load) -> None:
    """Add a calendar file's events to a load.

    Raises:
        TxcalError: the file cannot be read.
    """
    try:
        check_regular(path)
        with path.open(encoding="utf-8", newline="") as handle:
            from_ics_lines(handle, load)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TxcalError(f"cannot read {path} as a calendar: {getattr(exc, 'strerror', None) or exc}") from None


def count(
    source: Path,
    default_profile: Path | None,
    chairs: int | None,
    open_minutes: int | None,
    catalog: Callable[[], Catalog],
    left_out: Callable[[str], None],
) -> Load:
    """Return the load of a patient list (planned here), a calendar file or a batch folder's clinic calendar."""
    from scheduler.app.batch import CLINIC_FILE

    load = Load(chairs=chairs, open_minutes=open_minutes)
    if source.is_dir():
        read_ics(source / CLINIC_FILE, load)
    elif source.suffix.lower() == ".ics":
        read_ics(source, load)
    else:
        for plan in list_plans(source, default_profile, catalog(), left_out):
            from_plan(plan, load)
    return load


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def opening_hours(profile: ClinicProfile | None, day: date) -> tuple[int, int] | None:
    """Return the minutes of the day the clinic opens and closes on `day`, when its profile says."""
    if profile is None:
        return None
    return next(((_minutes(o), _minutes(c)) for weekday, o, c in profile.hours if weekday == day.weekday()), None)


def opening_minutes(profile: ClinicProfile | None, hours: tuple[int, int] | None) -> int:
    """Return the minutes a day's chairs are open: given hours, else the profile's longest day, else 08:00-18:00."""
    if hours is not None:
        return hours[1] - hours[0]
    spans = [_minutes(closes) - _minutes(opens) for _, opens, closes in (profile.hours if profile else ())]
    return max(spans, default=10 * 60)

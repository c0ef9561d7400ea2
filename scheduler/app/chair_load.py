"""Daily load of a clinic: patients, visits by kind, chair minutes and the peak of chairs in use at once.

Counted from plans (a patient list, planned here) or from a calendar file (a batch's clinic.ics),
read a line at a time so a whole clinic's calendar fits in little memory. Chair minutes are the
lengths of the visits that take an infusion chair: doses, chemotherapy and infusions; their
appointment times give how many chairs are in use at each moment.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from scheduler.app.plans import list_plans
from scheduler.catalog.loader import Catalog
from scheduler.errors import TxcalError
from scheduler.files import check_regular
from scheduler.model import DEFAULT_HOURS, EVENT_KINDS, ClinicProfile, Load, Plan, minute_of_day
from scheduler.writers.ical.read import (
    PATIENT_PROPERTY,
    ContentLine,
    is_txcal_text,
    moment,
    stream_events,
    stream_own_events,
    unescape,
)


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


@dataclass(frozen=True, slots=True)
class CalendarVisit:
    """An event of a calendar as the clinic's views count it: its day, kind, patient, start and length."""

    day: date
    kind: str
    patient: str
    start: int | None  # minute of the day; None for an all-day event
    minutes: int | None  # None when unknown (all-day) or nonsensical (ends before it starts)
    lines: dict[str, ContentLine]  # the properties asked for, for what else a view shows


_PIECE = 1 << 20  # characters read at a time: a whole clinic's calendar in little memory
_COUNTED = frozenset({"DTSTART", "DTEND", "CATEGORIES", "STATUS", PATIENT_PROPERTY})


def calendar_visits(events: Iterable[dict[str, ContentLine]]) -> Iterator[CalendarVisit]:
    """Yield the events of a calendar file (as the streaming readers give them), cancelled ones left out.

    Minutes come from DTEND minus DTSTART in local time for timed events; an all-day visit's
    length is unknown. The patient is a clinic calendar's X-TXCAL-PATIENT ("" in a one-plan file).
    """
    for event in events:
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
        patient = unescape(event[PATIENT_PROPERTY].value) if PATIENT_PROPERTY in event else ""
        yield CalendarVisit(
            day, _kind(categories.value if categories else ""), patient, minute_of_day(start), minutes, event
        )


def read_calendar(path: Path, more: frozenset[str] = frozenset()) -> Iterator[CalendarVisit]:
    """Yield a calendar file's visits (see calendar_visits).

    Raises:
        TxcalError: the file cannot be read as a calendar.
    """
    names = _COUNTED | more
    try:
        check_regular(path)
        with path.open(encoding="utf-8", newline="") as handle:
            head = handle.read(_PIECE)
            if is_txcal_text(head):  # txcal's own file: read in large pieces
                pieces = itertools.chain((head,), iter(lambda: handle.read(_PIECE), ""))
                yield from calendar_visits(stream_own_events(pieces, names))
            else:
                handle.seek(0)
                yield from calendar_visits(stream_events(handle, names))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TxcalError(f"cannot read {path} as a calendar: {getattr(exc, 'strerror', None) or exc}") from None


def read_ics(path: Path, load: Load) -> None:
    """Add a calendar file's events to a load.

    Raises:
        TxcalError: the file cannot be read.
    """
    for visit in read_calendar(path):
        load.add(visit.day, visit.kind, visit.minutes, visit.patient, visit.start)


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


def opening_minutes(profile: ClinicProfile | None, hours: tuple[int, int] | None) -> int:
    """Return the minutes a day's chairs are open: given hours, else the profile's longest day, else 08:00-18:00."""
    if hours is not None:
        return hours[1] - hours[0]
    return profile.longest_day if profile else DEFAULT_HOURS[1] - DEFAULT_HOURS[0]

"""Daily load of a clinic: visits by kind and chair minutes per day, against the chairs it has.

Counted from plans (a patient list, planned here) or from a calendar file (a batch's clinic.ics),
read a line at a time so a whole clinic's calendar fits in little memory. Chair minutes are the
lengths of the visits that take an infusion chair: doses, chemotherapy and infusions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.files import check_regular
from scheduler.model import EVENT_KINDS, Load, PlannedEvent
from scheduler.writers.ical.read import ContentLine, moment, stream_events


def from_events(events: Iterable[PlannedEvent], load: Load) -> None:
    """Add planned events (not held ones) to a load."""
    for event in events:
        if event.status != "held":
            load.add(event.first_day, event.kind, event.minutes)


def _kind(categories: str) -> str:
    kind = categories.split(",")[0].strip().lower()
    return kind if kind in EVENT_KINDS else "other"


def _local(line: ContentLine) -> date | datetime | None:
    """Return a DTSTART or DTEND value as written (wall time; a UTC mark is set aside)."""
    value = moment(line)
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


_WANTED = frozenset({"DTSTART", "DTEND", "CATEGORIES", "STATUS"})


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
        load.add(day, _kind(categories.value if categories else ""), minutes)


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

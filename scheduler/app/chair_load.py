"""Daily load of a clinic: patients, visits by kind, chair minutes and the peak of chairs in use at once.

Counted from plans (a patient list, planned here) or from a calendar file (a batch's clinic.ics),
read a line at a time so a whole clinic's calendar fits in little memory. Chair minutes are the
lengths of the visits that take an infusion chair: doses, chemotherapy and infusions; their
appointment times give how many chairs are in use at each moment.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scheduler.app.book import profile_book
from scheduler.app.plans import list_plans
from scheduler.catalog.loader import Catalog
from scheduler.clinic_model import ClinicHours, Load
from scheduler.errors import TxcalError
from scheduler.files import check_regular
from scheduler.model import DEFAULT_HOURS, EVENT_KINDS, ClinicProfile, Plan, minute_of_day
from scheduler.writers.ical.read import (
    PATIENT_PROPERTY,
    ContentLine,
    is_txcal_text,
    moment,
    parse_line,
    stream_events,
    stream_own_events,
    unescape,
    unfolded,
    whole_events,
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


@dataclass
class Skipped:
    """How many events a reader passed over because their start could not be read (the views say so)."""

    count: int = 0

    def say(self, path: Path, left_out: Callable[[str], None]) -> None:
        if self.count:
            left_out(f"{path}: {self.count} events skipped: their start could not be read")


def calendar_visits(
    events: Iterable[dict[str, ContentLine]], skipped: Skipped | None = None
) -> Iterator[CalendarVisit]:
    """Yield the events of a calendar file (as the streaming readers give them), cancelled ones left out.

    Minutes come from DTEND minus DTSTART in local time for timed events; an all-day visit's
    length is unknown. The patient is a clinic calendar's X-TXCAL-PATIENT ("" in a one-plan file).
    An event whose start is missing or cannot be read is counted in `skipped`.
    """
    for event in events:
        start = _local(event["DTSTART"]) if "DTSTART" in event else None
        status = event.get("STATUS")
        if status is not None and status.value == "CANCELLED":
            continue
        if start is None:
            if skipped is not None:
                skipped.count += 1
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


def read_calendar(
    path: Path, more: frozenset[str] = frozenset(), skipped: Skipped | None = None
) -> Iterator[CalendarVisit]:
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
                yield from calendar_visits(stream_own_events(pieces, names), skipped)
            else:
                handle.seek(0)
                yield from calendar_visits(stream_events(handle, names), skipped)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> TxcalError:
    """Return the error for a calendar file that cannot be read, in words."""
    if isinstance(exc, UnicodeDecodeError):
        why = "it is not UTF-8 text; give an iCalendar (.ics) file"
    else:
        why = getattr(exc, "strerror", None) or str(exc)
    return TxcalError(f"cannot read {path} as a calendar: {why}")


def read_ics(path: Path, load: Load, skipped: Skipped | None = None) -> None:
    """Add a calendar file's events to a load; those whose start cannot be read are counted in `skipped`.

    Raises:
        TxcalError: the file cannot be read.
    """
    try:
        check_regular(path)
        with path.open("rb") as handle:
            head = handle.read(_PIECE)
            if is_txcal_text(head[:4096].decode("utf-8", "replace")):  # txcal's own file (a clinic's): counted
                pieces = itertools.chain((head,), iter(lambda: handle.read(_PIECE), b""))  # from its bytes
                for day, kind, minutes, patient, start in own_visits(pieces, skipped):
                    load.add(day, kind, minutes, patient, start)
                return
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _unreadable(path, exc) from None
    for visit in read_calendar(path, skipped=skipped):
        load.add(visit.day, visit.kind, visit.minutes, visit.patient, visit.start)


# In txcal's own calendars: where events begin and end, where their alarms begin, and the lines counted.
# (Each line found by the line break before it: a literal the regular expression engine skips to
# quickly, where a "^" would be tried at every character; the text is searched with one put first.)
_OWN_COUNTED = re.compile(
    rb"\r\n(?:(BEGIN:VEVENT|END:VEVENT|BEGIN:VALARM)(?=\r\n)|(DTSTART|DTEND|CATEGORIES|STATUS|"
    + re.escape(PATIENT_PROPERTY.encode())
    + rb")([;:][^\r\n]*(?:\r\n[ \t][^\r\n]*)*))"
)
_Visit = tuple[date, str, int | None, str, int | None]  # day, kind, minutes, patient, minute it starts
_PATIENT = PATIENT_PROPERTY.encode()


def own_visits(chunks: Iterable[bytes], skipped: Skipped | None = None) -> Iterator[_Visit]:
    """Yield the (day, kind, minutes, patient, start) of calendar_visits, for a calendar txcal wrote.

    The load of a clinic's calendar needs five values an event: one regular expression finds them
    in a megabyte at a time, read without decoding the rest, content-line objects or date-times;
    each value is decoded once however many events share it, and an event with a date in any
    other form than txcal writes goes through the general reader. A test holds both equal.
    """
    for text in whole_events(chunks, b"END:VEVENT\r\n"):
        event: dict[bytes, bytes] | None = None
        in_alarm = False
        for mark, name, rest in _OWN_COUNTED.findall(b"\r\n" + text):
            if mark == b"BEGIN:VEVENT":
                event, in_alarm = {}, False
            elif event is None:
                continue  # outside an event: its time zones
            elif mark == b"END:VEVENT":
                visit = _own_visit(event, skipped)
                if visit is not None:
                    yield visit
                event = None
            elif mark == b"BEGIN:VALARM":
                in_alarm = True  # txcal writes alarms after the event's own lines
            elif not in_alarm:
                event[name] = rest


def _own_visit(found: dict[bytes, bytes], skipped: Skipped | None) -> _Visit | None:
    if found.get(b"STATUS") == b":CANCELLED":
        return None
    span = (found.get(b"DTSTART"), found.get(b"DTEND"))
    categories, patient = found.get(b"CATEGORIES", b":"), found.get(_PATIENT, b":")
    times = _SPANS.get(span) or _kept(_SPANS, span, _span)
    if times is _NOT_OWN:  # a date in another form than txcal's: the general reader
        lines = {name.decode(): parse_line(name.decode() + _text(rest)) for name, rest in found.items()}
        return next(((v.day, v.kind, v.minutes, v.patient, v.start) for v in calendar_visits([lines], skipped)), None)
    kind = _KINDS.get(categories) or _kept(_KINDS, categories, lambda c: _kind(_text(c).partition(":")[2]))
    label = _LABELS.get(patient) or _kept(_LABELS, patient, lambda p: unescape(_text(p).partition(":")[2]))
    day, at, minutes = times
    return day, kind, minutes, label, at


def _text(rest: bytes) -> str:
    return unfolded(rest.decode("utf-8"))


_Span = tuple[date, int | None, int | None]  # day, minute it starts, minutes
_NOT_OWN: _Span = (date.min, None, None)
# What a clinic's events share, read once: their days, times and lengths, kinds and patients.
_SPANS: dict[tuple[bytes | None, bytes | None], _Span] = {}
_KINDS: dict[bytes, str] = {}
_WALLS: dict[bytes, tuple[date, int | None, int] | None] = {}
_LABELS: dict[bytes, str] = {}


def _kept(kept: dict[Any, Any], key: Any, read: Callable[[Any], Any]) -> Any:
    if len(kept) > 100_000:
        kept.clear()
    value = kept[key] = read(key)
    return value


def _span(lines: tuple[bytes | None, bytes | None]) -> _Span:
    """Return the day, start minute and minutes of DTSTART and DTEND lines as txcal writes them, else _NOT_OWN."""
    start, end = (None if line is None else _WALLS.get(line) or _kept(_WALLS, line, _read_wall) for line in lines)
    if start is None or (end is None and lines[1] is not None):
        return _NOT_OWN
    day, at, second = start
    if end is None or at is None or end[1] is None:
        return day, at, None
    seconds = (end[0] - day).days * 86400 + (end[1] - at) * 60 + end[2] - second
    return day, at, seconds // 60 if seconds >= 0 else None


def _read_wall(line: bytes) -> tuple[date, int | None, int] | None:
    rest = line.decode("utf-8")
    params, _, text = rest.partition(":")
    timed = len(text) == 15 or (len(text) == 16 and text[15] == "Z")
    if "VALUE=" in params or "\r\n" in rest or not (len(text) == 8 or (timed and text[8] == "T")):
        return None
    if not (text[:8].isdigit() and text[9:15].isdigit() if timed else text.isdigit()):
        return None
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
    return (day, int(text[9:11]) * 60 + int(text[11:13]), int(text[13:15])) if timed else (day, None, 0)


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
    chairs: int | None,
    open_minutes: int | None,
    catalog: Callable[[], Catalog],
    left_out: Callable[[str], None],
    first: date | None = None,
    last: date | None = None,
) -> Load:
    """Return the load of a patient list (planned here), a calendar file, a batch folder's clinic calendar, or
    (with no source) the clinic book of the profile."""
    from scheduler.app.batch_files import CLINIC_FILE

    load = Load(chairs=chairs, open_minutes=open_minutes)
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

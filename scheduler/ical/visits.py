"""A calendar's events as the clinic's views count them: day, kind, patient, start and length.

Read through the one reader (read.py): any calendar line by line, and txcal's own clinic
calendars by a fast path that finds the five values the load needs in a megabyte at a time
(a test holds both equal). No view below the app layer parses calendar text of its own."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scheduler import caches
from scheduler.errors import TxcalError
from scheduler.files import check_regular
from scheduler.ical.names import PATIENT_PROPERTY
from scheduler.ical.read import (
    ContentLine,
    date_time_parts,
    is_txcal_text,
    moment,
    parse_line,
    stream_events,
    stream_own_events,
    unescape,
    unfolded,
    whole_events,
)
from scheduler.model import EVENT_KINDS, minute_of_day


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
for _store in (_SPANS, _KINDS, _WALLS, _LABELS):
    caches.register(_store.clear)


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
    """Return the day, minute and second of a DTSTART or DTEND line's rest (";TZID=...:2027..."), or None."""
    rest = line.decode("utf-8")
    params, _, text = rest.partition(":")
    if "VALUE=" in params or "\r\n" in rest:
        return None
    parts = date_time_parts(text)
    return None if parts is None else parts[:3]


def clinic_visits(
    path: Path, skipped: Skipped | None = None
) -> Iterator[tuple[date, str, int | None, str, int | None]]:
    """Yield (day, kind, minutes, patient, start) of a calendar file's visits: txcal's own by the fast path.

    Raises:
        TxcalError: the file cannot be read.
    """
    try:
        check_regular(path)
        with path.open("rb") as handle:
            head = handle.read(_PIECE)
            if is_txcal_text(head[:4096].decode("utf-8", "replace")):  # txcal's own file (a clinic's): counted
                pieces = itertools.chain((head,), iter(lambda: handle.read(_PIECE), b""))  # from its bytes
                yield from own_visits(pieces, skipped)
                return
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _unreadable(path, exc) from None
    for visit in read_calendar(path, skipped=skipped):
        yield visit.day, visit.kind, visit.minutes, visit.patient, visit.start

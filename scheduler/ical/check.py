"""`txcal check`: the checks no calendar parser makes, for any .ics file.

CRLF line endings, lines of at most 75 octets, unique UIDs, DTSTAMP in UTC, DTEND after DTSTART
and of the same type, a VTIMEZONE for every TZID, no METHOD, and VTIMEZONE offsets that agree with
zoneinfo at every date-time in the file. VTIMEZONEs are read with dateutil's tzical, a reader
independent of the icalendar package that wrote them.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.tz import tzical

from scheduler.ical.read import Component, ContentLine, moment, parse

# Control octets a content line may not hold (HTAB is allowed; CR only before LF).
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
MAX_OCTETS = 75
_DATE_TIME_PROPERTIES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "RDATE")


def _physical_lines(data: bytes) -> list[str]:
    problems = []
    lines = data.split(b"\n")
    if not data.endswith(b"\r\n"):
        problems.append("the file does not end with CRLF (RFC 5545 3.1)")
    bare = [number for number, line in enumerate(lines[:-1], 1) if not line.endswith(b"\r")]
    if bare:
        problems.append(
            f"line {bare[0]}: ends with LF only ({len(bare)} such lines); iCalendar lines end with CRLF (RFC 5545 3.1)"
        )
    for number, line in enumerate(lines, 1):
        octets = len(line.removesuffix(b"\r"))
        if octets > MAX_OCTETS:
            problems.append(f"line {number}: {octets} octets; fold lines longer than 75 octets (RFC 5545 3.1)")
        control = _CONTROL.search(line.removesuffix(b"\r"))
        if control:
            problems.append(
                f"line {number}: control character 0x{control.group()[0]:02X}; readers split or reject the line "
                "(RFC 5545 3.1 allows only HTAB)"
            )
    return problems


def _instant(value: date | datetime, zone: tzinfo | None) -> datetime | date:
    if isinstance(value, datetime) and value.tzinfo is None and zone is not None:
        return value.replace(tzinfo=zone)
    return value


def _event_problems(event: Component, zones: dict[str, tzinfo], label: str) -> list[str]:
    problems = []
    stamp = event.first("DTSTAMP")
    if stamp is None or not stamp.value.endswith("Z"):
        problems.append(f"{label}: DTSTAMP must be in UTC (ending in Z), got {stamp.value if stamp else 'none'}")
    start_line, end_line = event.first("DTSTART"), event.first("DTEND")
    if start_line is None:
        return [*problems, f"{label}: no DTSTART"]
    start = moment(start_line)
    if start is None:
        return [*problems, f"{label}: DTSTART {start_line.value!r} is not a date or date-time"]
    if end_line is not None:
        end = moment(end_line)
        if end is None:
            problems.append(f"{label}: DTEND {end_line.value!r} is not a date or date-time")
        elif isinstance(start, datetime) != isinstance(end, datetime):
            problems.append(f"{label}: DTSTART and DTEND must both be dates or both date-times (RFC 5545 3.6.1)")
        else:
            begin = _instant(start, zones.get(start_line.params.get("TZID", "")))
            finish = _instant(end, zones.get(end_line.params.get("TZID", "")))
            if _comparable(begin, finish) and finish <= begin:
                problems.append(f"{label}: DTEND {end_line.value} is not after DTSTART {start_line.value}")
    return problems


def _comparable(first: date | datetime, second: date | datetime) -> bool:
    if isinstance(first, datetime) and isinstance(second, datetime):
        return (first.tzinfo is None) == (second.tzinfo is None)
    return not isinstance(first, datetime) and not isinstance(second, datetime)


def _offset_problems(line: ContentLine, zone: tzinfo, label: str) -> list[str]:
    """Compare the file's VTIMEZONE with zoneinfo for one local date-time, when the TZID is an IANA name."""
    tzid = line.params["TZID"]
    try:
        reference = ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError):
        return []  # not an IANA name: nothing to compare with
    local = moment(line)
    if not isinstance(local, datetime) or local.tzinfo is not None:
        return []
    expected = local.replace(tzinfo=reference)
    if expected.astimezone(ZoneInfo("UTC")).astimezone(reference).replace(tzinfo=None) != local:
        return []  # a wall time that does not exist (spring forward): readers differ by design
    written = local.replace(tzinfo=zone).utcoffset()
    if written != expected.utcoffset():
        return [
            f"{label}: {line.name} {line.value} in {tzid}: the file's VTIMEZONE gives UTC{_hours(written)}, "
            f"zoneinfo gives UTC{_hours(expected.utcoffset())}; regenerate the VTIMEZONE"
        ]
    return []


def _hours(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def check_ics(data: bytes) -> list[str]:
    """Return the problems of an iCalendar file, one line each; an empty list means none found."""
    problems = _physical_lines(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [*problems, f"not UTF-8 text ({exc.reason} at byte {exc.start})"]
    try:
        roots = parse(text)
    except ValueError as exc:
        return [*problems, str(exc)]
    calendars = [root for root in roots if root.name == "VCALENDAR"]
    if not calendars:
        return [*problems, "no VCALENDAR"]
    for calendar in calendars:
        if calendar.first("METHOD"):
            problems.append(
                f"line {calendar.first('METHOD').number}: METHOD makes a file an invitation; leave it out of downloads and feeds"  # type: ignore[union-attr]
            )
        defined = [tz.first("TZID").value for tz in calendar.walk("VTIMEZONE") if tz.first("TZID")]  # type: ignore[union-attr]
        readers: dict[str, tzinfo] = {}
        if defined:
            try:
                parsed = tzical(io.StringIO(text))
                readers = {key: zone for key in parsed.keys() if (zone := parsed.get(key)) is not None}  # noqa: SIM118  (tzical is no mapping)
            except (ValueError, KeyError, AttributeError) as exc:
                problems.append(f"a VTIMEZONE cannot be read: {exc}")
        seen: dict[tuple[str, str], int] = {}
        for component in calendar.children:
            if component.name == "VTIMEZONE":
                continue
            uid = component.first("UID")
            start = component.first("DTSTART")
            label = f"line {start.number if start else '?'}: {component.name} {uid.value if uid else '(no UID)'}"
            if component.name in ("VEVENT", "VTODO", "VJOURNAL"):
                if uid is None:
                    problems.append(f"{label}: no UID")
                else:
                    instance = (uid.value, (component.first("RECURRENCE-ID") or uid).value)
                    if instance in seen:
                        problems.append(f"{label}: UID also used by the component on line {seen[instance]}")
                    seen[instance] = start.number if start else 0
                problems.extend(_event_problems(component, readers, label))
            for line in (line for c in [component, *component.children] for line in c.lines):
                tzid = line.params.get("TZID")
                if tzid is None:
                    continue
                if tzid not in defined:
                    problems.append(f"{label}: {line.name} uses TZID {tzid!r} with no VTIMEZONE for it in the file")
                elif line.name in _DATE_TIME_PROPERTIES and tzid in readers:
                    problems.extend(_offset_problems(line, readers[tzid], label))
    return problems

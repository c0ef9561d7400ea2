"""Closure files: the clinic's own closed days, as text lines of dates and ranges or as an .ics file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from scheduler.errors import TxcalError


def load_closures(path: Path) -> dict[date, str]:
    """Return closed days from a file: an .ics of closures, or text lines of dates and ranges.

    Text lines: `2026-12-24`, `2026-12-24..2026-12-31` (inclusive), each optionally followed by a
    reason; blank lines and `#` comments are ignored.

    Raises:
        TxcalError: the file cannot be read or a line is not a date or range (all bad lines named).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TxcalError(f"cannot read closures file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix.lower() == ".ics":
        return _ics_closures(path, text)
    closed: dict[date, str] = {}
    problems = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        span, _, reason = line.partition(" ")
        first_text, _, last_text = span.partition("..")
        try:
            first = date.fromisoformat(first_text)
            last = date.fromisoformat(last_text) if last_text else first
        except ValueError:
            problems.append(
                f"{path}:{number}: expected a date or range like 2026-12-24 or 2026-12-24..2026-12-31, got {span!r}"
            )
            continue
        if last < first:
            problems.append(f"{path}:{number}: the range ends before it starts ({span})")
            continue
        day = first
        while day <= last:
            closed[day] = reason.strip() or "clinic closed"
            day += timedelta(days=1)
    if problems:
        raise TxcalError("\n".join(problems))
    return closed


def _ics_closures(path: Path, text: str) -> dict[date, str]:
    from scheduler.writers.ical.read import parse

    try:
        calendars = parse(text)
    except ValueError as exc:
        raise TxcalError(f"{path}: not a readable .ics file ({exc})") from None
    closed: dict[date, str] = {}
    for calendar in calendars:
        for event in calendar.walk("VEVENT"):
            start, end = event.first("DTSTART"), event.first("DTEND")
            summary = event.first("SUMMARY")
            if start is None:
                continue
            try:
                first = date.fromisoformat(start.value[:8])
                # An all-day DTEND is exclusive; a timed event closes the days it touches.
                last = date.fromisoformat(end.value[:8]) if end else first
                if end and len(end.value) == 8 and last > first:
                    last -= timedelta(days=1)
            except ValueError:
                raise TxcalError(f"{path}: line {start.number}: DTSTART {start.value!r} is not a date") from None
            day = first
            while day <= last:
                closed[day] = summary.value.replace("\\,", ",") if summary else "clinic closed"
                day += timedelta(days=1)
    return closed

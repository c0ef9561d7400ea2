"""Closure files: the clinic's own closed days, as text lines of dates and ranges or as an .ics file."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.files import read_input
from scheduler.units import FIRST_DATE, LAST_DATE

# A closure longer than this is a typing error (a year typed wrong), not a clinic's break.
MAX_CLOSURE_DAYS = 366
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
DATE_LIKE = re.compile(r"[0-9./-]{1,24}")


def load_closures(path: Path) -> dict[date, str]:
    """Return closed days from a file: an .ics of closures, or text lines of dates and ranges.

    Text lines: `2026-12-24`, `2026-12-24..2026-12-31` (inclusive), each optionally followed by a
    reason; blank lines and `#` comments are ignored.

    Raises:
        TxcalError: the file cannot be read or a line is not a date or range (all bad lines named).
    """
    try:
        text = read_input(path, 2**20).decode("utf-8")
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
            # Quoted only when it looks like a mistyped date: a file that is not a closures file
            # (a password file, a key) must not reach the screen, the manifest or a calendar.
            shown = f", got {span!r}" if DATE_LIKE.fullmatch(span) else ""
            problems.append(
                f"{path}:{number}: expected a date or range like 2026-12-24 or 2026-12-24..2026-12-31{shown}"
            )
            continue
        if last < first:
            problems.append(f"{path}:{number}: the range ends before it starts ({span})")
            continue
        try:
            _close(closed, first, last, _plain(reason) or "clinic closed", f"{path}:{number}")
        except TxcalError as exc:
            problems.append(str(exc))
    if problems and not closed:
        raise TxcalError(
            f"{path} is not a closures file: no line is a date or range like 2026-12-24 or "
            "2026-12-24..2026-12-31 (its lines are not shown)"
        )
    if problems:
        raise TxcalError(
            "\n".join(problems[:10]) + (f"\n... and {len(problems) - 10} more" if len(problems) > 10 else "")
        )
    return closed


def _ics_closures(path: Path, text: str) -> dict[date, str]:
    """Return the days a calendar of closures covers, read with icalendar (a file txcal did not write)."""
    from icalendar import Calendar  # loaded only for .ics closures

    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except (ValueError, IndexError, KeyError) as exc:
        raise TxcalError(f"{path}: not a readable .ics file ({exc})") from None
    closed: dict[date, str] = {}
    for calendar in calendars:
        for event in calendar.walk("VEVENT"):
            try:
                start = event.decoded("DTSTART")
                end = event.decoded("DTEND") if "DTEND" in event else None
            except (KeyError, ValueError, TypeError):
                continue  # an event with no readable start closes no day
            if not isinstance(start, date):
                continue  # icalendar keeps a value it cannot read as its text: no day either
            first = start.date() if isinstance(start, datetime) else start
            last = first
            if isinstance(end, datetime):
                last = end.date()  # a timed event closes the days it touches
            elif isinstance(end, date) and end > first:
                last = end - timedelta(days=1)  # an all-day DTEND is exclusive
            reason = _plain(str(event.get("SUMMARY", ""))) or "clinic closed"
            _close(closed, first, last, reason, f"{path}: the event {reason!r}")
    return closed


def _plain(text: str) -> str:
    return " ".join(CONTROL.sub(" ", text).split())


def _close(closed: dict[date, str], first: date, last: date, reason: str, where: str) -> None:
    """Mark the days from first to last closed, within the dates and span txcal plans for."""
    if not (FIRST_DATE <= first <= LAST_DATE and FIRST_DATE <= last <= LAST_DATE):
        raise TxcalError(f"{where}: {first}..{last} is outside the dates txcal plans for ({FIRST_DATE} to {LAST_DATE})")
    if (last - first).days > MAX_CLOSURE_DAYS:
        raise TxcalError(f"{where}: {first}..{last} closes more than {MAX_CLOSURE_DAYS} days; split or shorten it")
    day = first
    while day <= last:
        closed[day] = reason
        day += timedelta(days=1)

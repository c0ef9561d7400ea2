"""The clinic's calendar: which days are closed and why, and where a visit may move.

Closed days come from `--avoid weekends`, `--holidays CODE` (the `holidays` package: a country
such as US, or a country and subdivision such as US-NY or GB-ENG) and `--closed FILE` (dates and
date ranges in a text file, or the events of an .ics file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.model import Window

SHIFTS = ("next", "previous", "nearest")


@dataclass(frozen=True)
class ClinicCalendar:
    """Closed days with their reasons; every other day is open."""

    weekends: bool = False
    holiday_code: str | None = None
    closures: dict[date, str] = field(default_factory=dict)
    # Holidays are looked up a year at a time, as days are asked about.
    _holidays: dict[date, str] = field(default_factory=dict, repr=False, compare=False)
    _years: set[int] = field(default_factory=set, repr=False, compare=False)

    def closed(self, day: date) -> str | None:
        """Return why the clinic is closed on day, or None when it is open."""
        if day in self.closures:
            return self.closures[day]
        if self.holiday_code is not None:
            if day.year not in self._years:
                self._load_holidays(day.year)
            if day in self._holidays:
                return self._holidays[day]
        if self.weekends and day.weekday() >= 5:
            return "weekend"
        return None

    def _load_holidays(self, year: int) -> None:
        assert self.holiday_code is not None
        self._holidays.update(_holiday_table(self.holiday_code, year))
        self._years.add(year)

    def place(self, planned: date, window: Window, shift: str) -> tuple[date, str | None]:
        """Return the day a visit planned for `planned` takes, and why it moved or cannot.

        Returns:
            (planned, None) when it is open; when it is closed, (the open day the shift rule finds
            within the window, None), or (planned, the conflict) when there is none.
        """
        if self.closed(planned) is None:
            return planned, None
        for offset in _offsets(window, shift):
            candidate = planned + timedelta(days=offset)
            if self.closed(candidate) is None:
                return candidate, None
        return planned, f"no open day from {window.describe()} around it"


@lru_cache(maxsize=256)
def _holiday_table(code: str, year: int) -> dict[date, str]:
    """Return one year's public holidays for a code, with the names shown as reasons (shared by every plan)."""
    import holidays  # loaded only when a plan asks for holidays

    country, _, subdivision = code.partition("-")
    table = holidays.country_holidays(country, subdiv=subdivision or None, years=year, language="en_US")
    return {day: f"{name} ({code} holiday)" for day, name in table.items()}


def _offsets(window: Window, shift: str) -> list[int]:
    later = list(range(1, window.late + 1))
    earlier = [-d for d in range(1, window.early + 1)]
    if shift == "next":
        return later
    if shift == "previous":
        return earlier
    # Nearest first; on a tie the later day, since a dose given late keeps at least the full interval.
    return sorted(later + earlier, key=lambda d: (abs(d), d < 0))


def check_holiday_code(code: str) -> str:
    """Return a holiday code the `holidays` package knows, upper-cased ("us-ny" -> "US-NY").

    Raises:
        ValueError: the country or subdivision is unknown.
    """
    import holidays

    country, _, subdivision = code.strip().upper().partition("-")
    try:
        holidays.country_holidays(country, subdiv=subdivision or None, years=2026)
    except NotImplementedError as exc:
        raise ValueError(
            f"{exc}; use a country code such as US or DE, or country-subdivision such as US-NY or GB-ENG"
        ) from None
    return f"{country}-{subdivision}" if subdivision else country


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

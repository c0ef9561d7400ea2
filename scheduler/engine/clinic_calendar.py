"""The clinic's calendar: which days are closed and why, and where a visit may move.

Closed days are weekends (when the clinic asks), public holidays (the `holidays` package: a
country such as US, or a country and subdivision such as US-NY or GB-ENG) and the clinic's own
closures (read by scheduler.inputs.closures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from scheduler import caches
from scheduler.model import Window


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

    def place(self, planned: date, window: Window, shift: str) -> tuple[date, bool]:
        """Return the day a visit planned for `planned` takes, and whether it is an open day.

        Returns:
            (planned, True) when it is open; when it is closed, (the open day the shift rule finds
            within the window, True), or (planned, False) when there is none.
        """
        if self.closed(planned) is None:
            return planned, True
        for offset in _offsets(window, shift):
            candidate = planned + timedelta(days=offset)
            if self.closed(candidate) is None:
                return candidate, True
        return planned, False


@caches.kept(256)
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

"""A clinic as its profile describes it: hours, chairs, linked visits; the chair rule and clock helpers."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Protocol

from scheduler.model.regimen import Window


class ClinicDays(Protocol):
    """The clinic's calendar as the engine sees it (scheduler.engine.clinic_calendar builds one)."""

    def closed(self, day: date) -> str | None:
        """Return why the clinic is closed on day, or None when it is open."""
        ...

    def place(self, planned: date, window: Window, shift: str) -> tuple[date, bool]:
        """Return the open day a visit takes within its window (True), or (planned, False) when there is none."""
        ...


@dataclass(frozen=True)
class LinkedVisit:
    """A visit that comes with each dose, as a clinic sets it: labs the day before, a provider visit."""

    kind: str  # LINKED_KINDS
    title: str
    minutes: int
    before_days: int = 0  # days before the dose (0: the same day, before the dose)
    every: int = 1  # with every Nth dose, from the first
    every_weeks: int | None = None  # imaging: every N weeks from the start, not tied to a dose
    wait_minutes: int = 0  # a same-day visit: the chair starts at least this long after it ends (results, pharmacy)


# The hours a clinic whose profile states none is taken to keep, in minutes of the day: 08:00-18:00.
DEFAULT_HOURS = (8 * 60, 18 * 60)


def clock_minutes(clock: time) -> int:
    """Return a time of day as minutes since midnight."""
    return clock.hour * 60 + clock.minute


def clock_text(minute: int) -> str:
    """Return a minute of the day as "HH:MM"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


NURSE_WINDOW = 15  # minutes: a nurse limit (a profile's nurse_starts) counts chair starts in any window this long


def starts_past_limit(starts: list[int], limit: int | None) -> int:
    """Return how many chair starts of a day break a nurse limit: more than `limit` in one NURSE_WINDOW (0 without one)."""
    if limit is None:
        return 0
    ordered = sorted(starts)
    return sum(1 for i, start in enumerate(ordered) if bisect.bisect_left(ordered, start + NURSE_WINDOW) - i > limit)


def minute_of_day(moment: date | datetime) -> int | None:
    """Return the wall-clock minute of the day a timed event starts at (None for an all-day one)."""
    return clock_minutes(moment.time()) if isinstance(moment, datetime) else None


@dataclass(frozen=True)
class ClinicProfile:
    """A clinic described once: where, who to call, its hours and defaults, visit lengths, linked visits."""

    name: str
    path: str = ""
    address: str = ""
    phone: str = ""
    after_hours_phone: str = ""
    timezone: str | None = None
    hours: tuple[tuple[int, time, time], ...] = ()  # (weekday 0-6, opens, closes); a closed weekday is absent
    chairs: int | None = None
    nurse_starts: int | None = None  # at most this many chair starts in any 15 minutes
    avoid: tuple[str, ...] = ()
    holidays: str | None = None
    closed: str | None = None  # a closures file, relative to the profile
    time: time | None = None
    remind: str | None = None
    language: str | None = None  # the patients' language when a plan names none (scheduler.i18n)
    visit_minutes: tuple[tuple[str, int], ...] = ()  # chair time by event kind
    same_visit: tuple[str, ...] = ()  # kinds whose steps of one day are given in one visit, together
    linked: tuple[LinkedVisit, ...] = ()
    book: str | None = None  # the clinic book (a SQLite file), relative to the profile

    @property
    def book_path(self) -> Path | None:
        """Return where the clinic book is kept, or None when the profile keeps none (checked by book_file)."""
        return Path(self.path).parent / self.book if self.book else None

    def opening(self, day: date) -> tuple[int, int] | None:
        """Return the minutes of the day the clinic opens and closes on day's weekday (None: closed that weekday)."""
        if not self.hours:
            return DEFAULT_HOURS
        return next(((clock_minutes(o), clock_minutes(c)) for d, o, c in self.hours if d == day.weekday()), None)

    @property
    def longest_day(self) -> int:
        """Return the minutes of its longest opening day: the day its chairs' capacity is counted on."""
        spans = [clock_minutes(c) - clock_minutes(o) for _, o, c in self.hours]
        return max(spans, default=DEFAULT_HOURS[1] - DEFAULT_HOURS[0])

    def minutes_for(self, kind: str) -> int | None:
        """Return how long a visit of this kind takes at this clinic, when the profile says."""
        return dict(self.visit_minutes).get(kind)

    def dose_minutes(self, route: str) -> int | None:
        """Return a dose's chair time by its route (dose_iv, dose_sc), else the profile's dose length."""
        by_route = {"IV": "dose_iv", "SC": "dose_sc"}.get(route.upper())
        return (by_route and self.minutes_for(by_route)) or self.minutes_for("dose")

    @property
    def location(self) -> str:
        return ", ".join(part for part in (self.name, self.address) if part)


# The kinds of visit that take a chair, the one rule for levelling, the book, the load, the day sheet and the
# exact solver: premedication sits in the chair its infusion follows in.
CHAIR_KINDS = ("dose", "chemotherapy", "infusion", "premedication")

"""The clinic's records: a day's chair load and the lines of the coordinator's day sheet.

Kept apart from scheduler.model (the plan's records) because only the clinic's views use them:
`txcal plan` never imports this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from scheduler.model import CHAIR_KINDS, ClinicDays, ClinicProfile, starts_past_limit

# -- the clinic's chair load (counted by scheduler.app.load, shown by scheduler.writers.chair_load)

# Reminders to check something and watch periods bring nobody to the clinic.
NOT_VISITS = ("milestone", "watch")


def outside_hours(hours: tuple[int, int] | None, kind: str, start: int | None, minutes: int | None) -> bool:
    """Return whether a visit is outside its day's opening hours (`hours`: None when the clinic keeps none that
    weekday): the one rule for the batch, the day sheet and the load. All-day visits, reminders and watch
    periods are never outside; a lab or scan before or after a dose is a visit of its own, so counted too."""
    if start is None or minutes is None or kind in NOT_VISITS:
        return False
    return hours is None or start < hours[0] or start + minutes > hours[1]


@dataclass
class DayLoad:
    """What one day holds: patients, visits by kind, chair minutes, and when each patient sits in a chair."""

    visits: Counter[str] = field(default_factory=Counter)
    patients: set[str] = field(default_factory=set)
    chair_minutes: int = 0
    unknown_minutes: int = 0
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # (patient, first minute, end minute): add_span
    outside_hours: int = 0  # visits outside the day's opening hours (when the load knows them)
    _peak: int | None = field(default=None, repr=False, compare=False)  # kept until a span is added

    def add_span(self, patient: str, start: int, end: int) -> None:
        """Count a patient in a chair from minute `start` of the day to `end`."""
        self.spans.append((patient, start, end))
        self._peak = None

    def in_chairs(self) -> list[tuple[int, int]]:
        """Return (minute, change) steps of the chairs in use: a patient's overlapping chair visits are one chair."""
        by_patient: dict[str, list[tuple[int, int]]] = {}
        for patient, start, end in self.spans:
            by_patient.setdefault(patient, []).append((start, end))
        steps: list[tuple[int, int]] = []
        for spans in by_patient.values():
            for start, end in sittings(spans):
                steps += ((start, 1), (end, -1))
        return sorted(steps)  # an end sorts before a start at the same minute: the chair is free again

    @property
    def peak_chairs(self) -> int:
        """Return the most chairs in use at one moment, from appointment times and lengths (kept: views ask often)."""
        if self._peak is None:
            self._peak = peak(self.in_chairs())
        return self._peak


def sittings(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return one patient's chair visits of a day (first and end minute) as sittings: overlapping visits (two
    drugs in one sitting, same_visit) take one chair."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def peak(steps: list[tuple[int, int]]) -> int:
    """Return the most chairs in use at one moment from sorted (minute, change) steps."""
    most = used = 0
    for _, change in steps:
        used += change
        most = max(most, used)
    return most


@dataclass
class ChairTally:
    """The chairs a batch's rows take, counted as rows stream: by day, the chair minutes and how many chairs
    start or stop being used at each minute, not each visit, so memory stays flat however long the list."""

    chairs: int | None
    open_minutes: int | None  # the longest opening day: chairs times this is a day's chair minutes
    minutes: Counter[date] = field(default_factory=Counter)
    changes: dict[date, Counter[int]] = field(default_factory=dict)

    def add_patient(self, visits: Iterable[tuple[date, int | None, int | None]]) -> None:
        """Count one patient's chair visits: (day, minutes or None, minute of the day it starts or None)."""
        spans: dict[date, list[tuple[int, int]]] = {}
        for day, minutes, at in visits:
            self.minutes[day] += minutes or 0
            if minutes is not None and at is not None:
                spans.setdefault(day, []).append((at, at + minutes))
        for day, found in spans.items():
            changes = self.changes.setdefault(day, Counter())
            for start, end in sittings(found):
                changes[start] += 1
                changes[end] -= 1

    def over(self) -> list[date]:
        """Return the days needing more than the clinic has: chair minutes, or chairs at one moment (as Load.over)."""
        if self.chairs is None:
            return []
        capacity = None if self.open_minutes is None else self.chairs * self.open_minutes
        return sorted(
            day
            for day in self.minutes
            if (capacity is not None and self.minutes[day] > capacity)
            or peak(sorted(self.changes.get(day, Counter()).items())) > self.chairs
        )


@dataclass(frozen=True)
class ClinicHours:
    """A clinic's days as the load counts them: opening minutes by day, why a day is closed, the nurse limit."""

    profile: ClinicProfile
    calendar: ClinicDays | None = None
    nurse_starts: int | None = None

    def open_minutes(self, day: date) -> int:
        span = self.profile.opening(day)
        return 0 if span is None else span[1] - span[0]

    def closed(self, day: date) -> str | None:
        if self.calendar is not None and (why := self.calendar.closed(day)):
            return why
        return None if self.profile.opening(day) is not None else "no opening hours that weekday"


@dataclass
class Load:
    """The clinic's days, and the chairs and opening minutes they are compared with (None when not given)."""

    days: dict[date, DayLoad] = field(default_factory=dict)
    chairs: int | None = None
    open_minutes: int | None = None  # the longest opening day, in minutes
    clinic: ClinicHours | None = None  # the clinic's own days: hours by weekday, closures, the nurse limit
    hours_of: Callable[[date], tuple[int, int] | None] | None = None  # a day's opening hours, to count visits outside

    @property
    def capacity(self) -> int | None:
        """Return the chair minutes the longest day holds: chairs times opening minutes."""
        return None if self.chairs is None or self.open_minutes is None else self.chairs * self.open_minutes

    def capacity_on(self, day: date) -> int | None:
        """Return the chair minutes a day holds: chairs times that weekday's opening minutes (0 when closed)."""
        if self.clinic is None or self.chairs is None:
            return self.capacity
        return 0 if self.clinic.closed(day) else self.chairs * self.clinic.open_minutes(day)

    def closed(self, day: date) -> str:
        """Return why the clinic is closed on a day ("" when it is open or not known)."""
        return (self.clinic.closed(day) or "") if self.clinic is not None else ""

    def nurse_over(self, day: date) -> int:
        """Return the chair starts of a day past the nurse limit (0 without one)."""
        limit = self.clinic.nurse_starts if self.clinic is not None else None
        if day not in self.days:
            return 0
        return starts_past_limit([start for _, start, _ in self.days[day].spans], limit)

    def add(self, day: date, kind: str, minutes: int | None, patient: str = "", at: int | None = None) -> None:
        """Count one visit: its kind, its patient and, for a chair visit, its minutes from minute `at` of the day."""
        if kind in NOT_VISITS:
            return
        load = self.days.get(day)
        if load is None:  # made only for a new day: a clinic's calendar adds a visit many times a day
            load = self.days[day] = DayLoad()
        load.visits[kind] += 1
        load.patients.add(patient)
        if self.hours_of is not None and outside_hours(self.hours_of(day), kind, at, minutes):
            load.outside_hours += 1
        if kind in CHAIR_KINDS:
            if minutes is None:
                load.unknown_minutes += 1
            else:
                load.chair_minutes += minutes
                if at is not None:
                    load.add_span(patient, at, at + minutes)

    def over(self, day: date) -> bool:
        """Return whether a day needs more than the clinic has: chair minutes, or chairs at one moment."""
        d = self.days[day]
        capacity = self.capacity_on(day)
        return (capacity is not None and d.chair_minutes > capacity) or (
            self.chairs is not None and d.peak_chairs > self.chairs
        )

    def window(self, first: date | None, last: date | None) -> Load:
        days = {d: v for d, v in self.days.items() if (first is None or d >= first) and (last is None or d <= last)}
        return Load(days, self.chairs, self.open_minutes, self.clinic, self.hours_of)


# -- the coordinator's day sheet (gathered by scheduler.app.day_sheet, shown by scheduler.writers.agenda)


@dataclass(frozen=True)
class AgendaItem:
    """One line of the day sheet."""

    day: date
    start: int | None  # minute of the day; None for an all-day item
    minutes: int | None
    patient: str
    kind: str
    what: str
    prepare: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    chair: int | None = None
    asked: str = ""  # a levelled chair visit: when the patient asked to come ("09:00")

    @property
    def end(self) -> int | None:
        return None if self.start is None or self.minutes is None else self.start + self.minutes

"""The coordinator's views of the clinic book: a day's chairs, a week's load, one patient's visits and history.

Read-only use cases a front end renders (the web page today; the CLI could call them too). Each opens
the book read-only for the call and closes it, so a long-running page always sees what the CLI booked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from scheduler.app.day_sheet import from_book, with_hours
from scheduler.app.load import clinic_hours
from scheduler.clinic.book import profile_book
from scheduler.clinic_model import AgendaItem, Load
from scheduler.errors import TxcalError
from scheduler.inputs.plan_spec import cached_profile
from scheduler.model import CHAIR_KINDS, NURSE_WINDOW, ClinicProfile


def clinic_profile(profile_path: Path) -> ClinicProfile:
    """Return the clinic profile (kept by its file's state, so an edited profile is read again)."""
    return cached_profile(profile_path.resolve())


def book_sheet(profile_path: Path, first: date, days: int = 1) -> list[AgendaItem]:
    """Return the book's day sheet rows of `days` days from `first`: the rows `txcal agenda --clinic` shows."""
    profile = clinic_profile(profile_path)
    return with_hours(from_book(profile, first, days), profile.opening)


@dataclass(frozen=True)
class Block:
    """A chair visit on the chart: where it sits and whose it is."""

    chair: int | None  # from 1; None: no chair was free
    start: int
    minutes: int
    patient: str
    kind: str
    what: str


@dataclass
class DayChart:
    """A day's chairs: the blocks on each, opening hours, why the day is closed, nurse starts by quarter hour."""

    day: date
    chairs: int
    opens: int  # minute of the day the chart starts (opening, or 08:00 on a closed day)
    closes: int
    closed: str  # why the clinic is closed ("" when open)
    hours: tuple[int, int] | None  # the day's opening hours (None when closed)
    blocks: list[Block] = field(default_factory=list)
    nurse_starts: int | None = None
    starts: list[tuple[int, int]] = field(default_factory=list)  # (first minute of a quarter hour, chair starts)


def day_chart(profile_path: Path, day: date, items: list[AgendaItem] | None = None) -> DayChart:
    """Return the chair chart of a day from the book's rows (the day sheet's: given, or read here)."""
    profile = clinic_profile(profile_path)
    items = book_sheet(profile_path, day) if items is None else items
    hours = profile.opening(day)
    closed = clinic_hours(profile).closed(day) or ""
    seated = [i for i in items if i.kind in CHAIR_KINDS and i.start is not None and i.minutes is not None]
    span = [hours] if hours else []
    span += [(i.start, i.start + i.minutes) for i in seated if i.start is not None and i.minutes is not None]
    opens = min((s for s, _ in span), default=8 * 60) // 60 * 60
    closes = -(-max((e for _, e in span), default=18 * 60) // 60) * 60
    chairs = max(profile.chairs or 1, *(i.chair or 0 for i in seated)) if seated else profile.chairs or 1
    blocks = [Block(i.chair, i.start or 0, i.minutes or 0, i.patient, i.kind, i.what) for i in seated]
    # A patient's two drugs in one sitting start the chair once, as the nurse limit counts them.
    per_patient = {(b.patient, b.start) for b in blocks}
    counted = [
        (quarter, sum(1 for _, s in per_patient if quarter <= s < quarter + NURSE_WINDOW))
        for quarter in range(opens, closes, NURSE_WINDOW)
    ]
    return DayChart(day, chairs, opens, closes, closed, hours, blocks, profile.nurse_starts, counted)


@dataclass(frozen=True)
class WeekDay:
    """One day of the week strip."""

    day: date
    patients: int
    chair_minutes: int
    capacity: int | None
    peak: int
    chairs: int | None
    closed: str
    over: bool


def week_load(profile_path: Path, first: date, days: int = 7) -> list[WeekDay]:
    """Return each day's load from `first` for `days` days: patients, chair minutes against capacity, peak chairs."""
    from scheduler.app.load import from_book as load_from_book
    from scheduler.app.load import opening_minutes

    profile = clinic_profile(profile_path)
    last = first + timedelta(days=days - 1)
    load = Load(chairs=profile.chairs, open_minutes=opening_minutes(profile, None), hours_of=profile.opening)
    load_from_book(profile, load, first, last)
    load.clinic = clinic_hours(profile)
    shown = []
    for n in range(days):
        day = first + timedelta(days=n)
        counted = load.days.get(day)
        shown.append(
            WeekDay(
                day,
                len(counted.patients) if counted else 0,
                counted.chair_minutes if counted else 0,
                load.capacity_on(day),
                counted.peak_chairs if counted else 0,
                load.chairs,
                load.closed(day),
                load.over(day) if counted else False,
            )
        )
    return shown


@dataclass(frozen=True)
class Visit:
    """A patient's booked chair visit: the day the plan gave it, when the patient asked, when it is booked."""

    planned: date
    day: date
    asked: int
    start: int
    chair: int | None
    minutes: int
    moved_by_hand: bool


@dataclass(frozen=True)
class HistoryLine:
    at: str
    command: str
    change: str
    was: str
    now: str
    reason: str


@dataclass
class PatientView:
    """A booked patient: label, plan, chair visits, the rest of their booked visits, and their history."""

    plan_id: str
    patient: str
    released: date | None
    visits: list[Visit]
    items: list[AgendaItem]
    history: list[HistoryLine]


def patients(profile_path: Path) -> list[tuple[str, str]]:
    """Return the book's active patients: (plan id, label), in the order of their rows."""
    book = profile_book(clinic_profile(profile_path))
    try:
        return book.labels()
    finally:
        book.close()


def patient_view(profile_path: Path, plan_id: str, first: date, last: date) -> PatientView:
    """Return one booked patient's visits from `first` to `last` and their whole history.

    Raises:
        TxcalError: the book holds no active plan with that id.
    """
    book = profile_book(clinic_profile(profile_path))
    try:
        booked = next((p for p in book.plans() if p.plan_id == plan_id), None)
        if booked is None:
            raise TxcalError("the clinic book holds no such patient (released, replaced, or never booked)")
        seats = sorted(book.seats(plan_id).values(), key=lambda s: s.day)
        visits = [
            Visit(s.planned, s.day, s.asked, s.start, s.chair, s.minutes, s.pinned)
            for s in seats
            if first <= s.day <= last
        ]
        items = book.agenda(first, last, plan_id)
        lines = [HistoryLine(r.at, r.command, r.change, r.was, r.now, r.reason) for r in book.history(plan_id)]
        return PatientView(plan_id, booked.patient, book.released().get(plan_id), visits, items, lines)
    finally:
        book.close()


def book_writable(profile_path: Path) -> bool:
    """Return whether the profile's book can be changed here (else a front end shows it read-only).

    Raises:
        TxcalError: the profile keeps no book.
    """
    import os

    path = clinic_profile(profile_path).book_path
    if path is None:
        raise TxcalError(f'{profile_path} keeps no clinic book: add book = "clinic-book.sqlite" and run txcal batch')
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


def check_book(profile_path: Path) -> None:
    """Check that the profile's book can be read and holds a booking.

    Raises:
        TxcalError: the profile keeps no book, nothing is booked yet, or the file is not a book.
    """
    profile_book(clinic_profile(profile_path)).close()

"""A plan: the request, its planned events (dose, moves, conflicts, facts), how far it reaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from scheduler.model.clinic import ClinicDays, ClinicProfile
from scheduler.model.regimen import Dose, Fact, Record, Regimen, Schedule, Window


@dataclass(frozen=True)
class PlanRequest:
    """A patient's plan: which regimen and schedule, when, and how far."""

    regimen: Regimen
    start: date
    schedule: Schedule | None = None
    time: time | None = None
    tz: str | None = None
    doses: int | None = None
    until: date | None = None
    period: str | None = None
    weight_kg: float | None = None
    infusion: date | None = None
    product_arrival: date | None = None
    monitor_days: int | None = None
    patient: str | None = None
    plan_id: str | None = None
    clinic: ClinicDays | None = None
    window: Window | None = None  # overrides the template's
    shift: str = "next"
    keep_grid: bool = False
    strict: bool = False
    records: tuple[Record, ...] = ()
    profile: ClinicProfile | None = None  # the clinic's profile: lengths, linked visits, place, phones
    reminders: tuple[timedelta, ...] = ()  # calendar reminders, kept with the plan
    language: str = "en"  # the patient's language: their calendar, handout and feed (scheduler.i18n)


# Why an event is not on its planned day: given on another day, delayed, moved off a closed day, held.
# levelled: the clinic set its time (and perhaps day) so no moment has more patients than chairs.
MoveCode = Literal["given", "delayed", "moved", "held", "levelled"]
# Why an event stays on a closed day: no open day in its window; tied to Day 1 (pathways).
ConflictCode = Literal["no-open-day", "tied-to-day-1"]


@dataclass(frozen=True, slots=True)
class Move:
    """One change to an event's day, with its reason code and the user's or clinic's reason."""

    code: MoveCode
    planned: date | None = None  # the day it was planned for (given: only when given on another day)
    day: date | None = None  # given: the day it was given
    days: int | None = None  # delayed: by how many days
    why: str = ""  # the reason recorded, or why the clinic is closed
    window: Window | None = None  # moved: the window it moved within
    at: time | None = None  # levelled: the appointment time the clinic set
    was: time | None = None  # levelled: the time it was planned for
    asked: str = ""  # levelled: what the patient asked for ("10:30": their arrival, or the time cell; "morning")


@dataclass(frozen=True, slots=True)
class Conflict:
    """An event left on a closed day (its code), why the clinic is closed, and the window it had."""

    code: ConflictCode
    closed: str
    window: Window | None = None
    shift: str = ""  # the shift rule the plan used ("" when it is not a dose's)
    other_shift: str = ""  # another shift rule that finds an open day within the window


@dataclass(frozen=True)
class Horizon:
    """How far a plan reaches and why: a code, its figures, and the template's words for the rest."""

    code: str  # doses, until, period, label-months, template-doses, planning-horizon, pathway
    continues: str  # how long treatment continues (the template's words)
    count: int | None = None
    last: date | None = None
    period: str | None = None
    why: str = ""  # the template's horizon text, or the pathway anchor's title
    stopped: date | None = None
    why_stopped: str = ""
    arrival: date | None = None  # pathways: the product's arrival date, when given
    beyond: int = 0  # doses planned past the label's duration limit
    limit_months: int | None = None  # that limit


@dataclass(slots=True)
class PlannedEvent:
    """One dated event of a plan; `uid` is its stable, opaque identity.

    `name` is what the event is (a step or the regimen's infusion); `title` adds the dose number
    and the patient label, for calendars and data. The rest is data: a record carries no words, and
    the writers word it through scheduler.wording (`event_dose`, `patient_notes(event.facts)`,
    `event_reason`, `event_conflict`), so an event can be worded in another language later.
    Slotted, not frozen: a clinic's worth of events is made in a batch, and a frozen record costs
    three times as much to make. Treat it as a value: change an event with dataclasses.replace.
    """

    key: str
    uid: str
    kind: str
    name: str
    title: str
    start: date | datetime
    end: date | datetime
    all_day: bool
    day: int | None = None
    dose_number: int | None = None
    dosage: Dose | None = None  # the dose of this event: a computed amount for weight-based doses
    route: str = ""
    status: str = "planned"  # planned, given or held
    facts: tuple[Fact, ...] = ()
    unconfirmed: bool = False
    shifted_from: date | None = None  # the day it was planned for, when it moved
    moves: tuple[Move, ...] = ()  # what changed its day, in order
    clash: Conflict | None = None  # why it is on a closed day it could not leave
    beyond_label: bool = False  # planned past the label's duration limit
    location: str = ""  # where it happens, from the clinic profile: for visits at the clinic
    audience: str = "patient"  # "clinic": a clinic task (product arrival) kept out of the patient's calendar
    remind: bool = True  # gets the calendar reminders (not the second and later days of a daily run)
    minutes: int | None = None  # how long the visit takes, all-day events included, where known

    @property
    def first_day(self) -> date:
        """Return the local date the event starts on."""
        return self.start.date() if isinstance(self.start, datetime) else self.start

    @property
    def last_day(self) -> date:
        """Return the last local date the event covers (all-day ends are exclusive)."""
        if isinstance(self.end, datetime):
            return self.end.date()
        return self.end - timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    """An expanded plan: its events in order and a sentence saying how far it reaches."""

    request: PlanRequest
    plan_id: str
    events: tuple[PlannedEvent, ...]
    reach: Horizon
    warnings: tuple[str, ...] = ()
    selection: str = ""  # how the events were narrowed for display, e.g. "next 3 events"
    booked: frozenset[str] = frozenset()  # the UIDs of the visits the clinic book holds as booked

    @property
    def regimen(self) -> Regimen:
        return self.request.regimen

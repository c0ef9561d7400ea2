"""Frozen records that flow from templates through the engine to the writers."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

# The fixed vocabulary of event kinds (issue 2); writers colour and categorise by it.
EVENT_KINDS = (
    "dose",
    "collection",
    "chemotherapy",
    "premedication",
    "infusion",
    "monitoring",
    "milestone",
    "watch",
    "lab",
    "visit",
    "imaging",
)
# The visits a clinic profile links to doses ([[linked]]); never added without one.
LINKED_KINDS = ("lab", "visit", "imaging")

# How sure a source is; see shared/clinical-facts.md "Verification marks".
SOURCE_MARKS = (
    "label",
    "FDA",
    "trial",
    "patient info",
    "manufacturer",
    "non-US label",
    "EU text",
    "institutional",
    "ACS page",  # the American Cancer Society's patient page the product's regimens come from
    "seed",
    "unconfirmed",
)


# Weight-based doses are rounded half up to this step of their unit (the precision txcal shows); the pharmacy may round further.
ROUNDING = Decimal("0.1")


@dataclass(frozen=True)
class Dose:
    """A dose: a fixed amount, an amount per kg or m² (with an optional cap), or free text."""

    amount: float | None = None
    unit: str = ""
    per: str | None = None
    max: float | None = None
    with_: str | None = None
    text: str | None = None
    span: tuple[float, float, str] | None = None  # a text dose's (low, high, UCUM unit) for a machine to read
    patient: str | None = None  # a text dose in the patient's words, where the label's is a cell count

    @property
    def weight_based(self) -> bool:
        return self.per == "kg"

    def for_weight(self, weight_kg: float) -> Dose:
        """Return this weight-based dose for one patient: amount per kg times weight, capped, then rounded.

        One rounding rule (ROUNDING): half up to 0.1 of the unit, on the exact decimal product, so the
        dose and its arithmetic never disagree (79.99 kg × 15 mg/kg = 1,199.85 mg -> 1,199.9 mg).
        """
        assert self.amount is not None and self.per == "kg"
        exact = Decimal(str(self.amount)) * Decimal(str(weight_kg))
        if self.max is not None and exact > Decimal(str(self.max)):
            exact = Decimal(str(self.max))
        return Dose(amount=float(exact.quantize(ROUNDING, rounding=ROUND_HALF_UP)), unit=self.unit)


@dataclass(frozen=True)
class Source:
    """Where a fact comes from and how sure it is."""

    id: str
    address: str
    supports: str
    mark: str
    checked: str = ""  # the label revision (or page version) the facts were checked against, and when


@dataclass(frozen=True)
class Notes:
    """What the patient should know: what to expect, side effects to report, when to call."""

    expect: str = ""
    report: tuple[str, ...] = ()
    call: str = ""
    missed: str = ""
    clinician: tuple[str, ...] = ()  # for the clinic's views only, never the patient's calendar
    sources: tuple[str, ...] = ()  # where the side effects and "when to call" come from (show --sources)
    lines: tuple[Fact, ...] = ()  # lines with sources of their own: warning signs, 911, tests, questions (LINE_KINDS)


@dataclass(frozen=True)
class Window:
    """How far a visit may move from its planned day: `early` days before, `late` days after."""

    early: int
    late: int


@dataclass(frozen=True)
class Schedule:
    """One repeating-dose schedule of a regimen (atezolizumab IV has three)."""

    every_days: int
    every: str
    dose: Dose
    length_first_min: int | None
    length_min: int
    given: str = ""
    sources: tuple[str, ...] = ()
    window: Window | None = None  # institutional-practice default; --window overrides


@dataclass(frozen=True)
class Step:
    """One step of a multi-step pathway, placed relative to the plan start or the anchor day.

    Exactly one placement is set: `on_start`, `day` (one event), `days` (one event per day
    of an inclusive range) or `span` (one all-day event over an inclusive range). Day numbers
    follow the Day 1 convention: there is no Day 0.
    """

    key: str
    kind: str
    title: str
    on_start: bool = False
    day: int | None = None
    days: tuple[int, int] | None = None
    span: tuple[int, int] | None = None
    all_day: bool = False
    audience: str = "patient"  # "clinic": a clinic task, kept out of the patient's calendar
    length_min: int | None = None
    dose: Dose | None = None
    route: str = ""
    notes: Notes = field(default_factory=Notes)
    unconfirmed: str = ""
    extendable: bool = False
    sources: tuple[str, ...] = ()
    clinic: bool = False  # happens at the clinic, so the clinic must be open that day


@dataclass(frozen=True)
class Anchor:
    """The day a pathway counts from (Day 1) and its default distance from the plan start."""

    title: str
    default_after_days: int
    default_after: str
    unconfirmed: str = ""  # applies to every event placed by day number
    default_unconfirmed: str = ""  # applies only when the anchor day is the default
    min_after_days: int | None = None  # the earliest plausible Day 1 after the start, unless the product date is known
    min_after_text: str = ""  # why, with its source


@dataclass(frozen=True)
class Duration:
    """How long treatment lasts, and how far txcal plans when it has no fixed end."""

    rule: str  # "open-ended", "months", "doses" or "once"
    text: str
    months: int | None = None
    doses: int | None = None
    horizon: str | None = None
    horizon_text: str = ""
    patient: str = ""  # how long, in the patient's words ("until the cancer grows ..."); else `text`


@dataclass(frozen=True)
class Regimen:
    """A regimen template: what a treatment is, with its sources."""

    id: str
    title: str
    drug: str
    ingredient: str
    route: str
    population: str  # "adult" or "pediatric"
    duration: Duration
    notes: Notes
    sources: tuple[Source, ...]
    brands: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    who: str = ""
    event_title: str = ""
    schedules: tuple[Schedule, ...] = ()
    anchor: Anchor | None = None
    steps: tuple[Step, ...] = ()
    slot_min: int | None = None
    path: str = ""
    origin: str = "shipped"

    def names(self) -> tuple[str, ...]:
        """Return every name a user may type for this regimen."""
        return (self.id, self.drug, *self.brands, *self.aliases)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)


RECORD_KINDS = ("given", "delay", "hold", "stop", "switch")
# How a visit leaves a closed day: to the next, previous or nearest open day in its window.
SHIFTS = ("next", "previous", "nearest")


@dataclass(frozen=True)
class Record:
    """Something that happened to a plan: a dose given on a date, delayed, held, a stop, a switch."""

    kind: str
    dose: int | None = None  # the dose it concerns (the first dose of the new regimen for a switch)
    on: date | None = None  # given: the day it was given; stop: the last day of treatment
    days: int | None = None  # delay: by how many days
    regimen: Regimen | None = None  # switch: the regimen from `dose` on
    schedule: Schedule | None = None
    reason: str = ""
    at: time | None = None  # given: the appointment time it was given at, when not the plan's


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


# Who a fact is for: the patient's calendar shows "patient" facts; the clinic's views show both.
AUDIENCES = ("patient", "clinic")
# Why an event is not on its planned day: given on another day, delayed, moved off a closed day, held.
# levelled: the clinic set its time (and perhaps day) so no moment has more patients than chairs.
MOVE_CODES = ("given", "delayed", "moved", "held", "levelled")
# Why an event stays on a closed day: no open day in its window; tied to Day 1 (pathways).
CONFLICT_CODES = ("no-open-day", "tied-to-day-1")


@dataclass(frozen=True, slots=True)
class Move:
    """One change to an event's day, with its reason code (MOVE_CODES) and the user's or clinic's reason."""

    code: str
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
    """An event left on a closed day (CONFLICT_CODES), why the clinic is closed, and the window it had."""

    code: str
    closed: str
    window: Window | None = None
    shift: str = ""  # the shift rule the plan used ("" when it is not a dose's)
    other_shift: str = ""  # another shift rule that finds an open day within the window


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing an event's notes say, as data: a kind (worded by scheduler.wording), its values,
    and where it comes from (source ids)."""

    kind: str
    args: tuple[Any, ...] = ()
    sources: tuple[str, ...] = ()
    # "patient": everyone's views; "clinic": the clinic's views only (AUDIENCES); "reference": where a
    # fact comes from, for JSON and show --sources, in no calendar.
    audience: str = "patient"


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


# The kinds of visit that take a chair, the one rule for levelling, the book, the load, the day sheet and the
# exact solver: premedication sits in the chair its infusion follows in.
CHAIR_KINDS = ("dose", "chemotherapy", "infusion", "premedication")

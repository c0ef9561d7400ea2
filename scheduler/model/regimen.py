"""A regimen as its template states it: doses, schedules, steps, sources and notes; the records kept of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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


# Who a fact is for: the patient's calendar shows "patient" facts; the clinic's views show both.
AUDIENCES = ("patient", "clinic")


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

"""Compiled plans: a batch's patients who share a regimen, schedule, profile and options share one plan
template, made once and filled in for each of them.

A template is compiled from the first such patient's plan as the general engine made it (the
reference): each event as its pre-rendered text (an EventShape: description, categories, status,
alarm triggers), its day and clock relative to the start, and what the clinic prepares. A patient's
plan fills in the holes: the days, the UIDs (from the plan id), the title's patient label, the
calendar file's name and the time stamp. The patient's calendar, the clinic calendar's events and
the row's figures come out byte for byte as the general path writes them (tests hold the two
equal over generated rows; a template is also checked against its own probe before it is kept).

Why a shift of days is enough: for a repeating-dose plan with no records whose visits all fall on
open days, every event falls a fixed number of days after the start, given the same dose count and
the same days to the last day the plan reaches and to the label's limit (all three are in the
template's key), and its wall-clock times are the appointment time plus fixed offsets on days
without a clock change. Anything unusual goes through the general engine: pathways, records, a
visit on a closed day, levelled or booked seats, a clock change on an event's day, and a file
already there to update.

Closed days never travel from one patient to another: a template is the plan's shape with every day
open (the probe planned again on a calendar that closes nothing), so a holiday that bent the probe
(a lab moved a day earlier, a last dose pushed past the plan's end) is not in it. A patient is filled
in only when none of the template's days is closed for them; and a template is used only once it
has been checked against a plan none of whose days was closed (the first such plan of its key).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from scheduler import caches
from scheduler.app.batching.clinic_events import clinic_line, clinic_properties
from scheduler.clinic.preparation import plan_preparation
from scheduler.engine.clinic_calendar import ClinicCalendar
from scheduler.engine.doses import dose_horizon
from scheduler.engine.events import steady_day
from scheduler.errors import TxcalError
from scheduler.ical import EventBlock, EventShape, calendar_bytes, escape, event_shape, filled_event, utc_text
from scheduler.identity import EventUids, derive_plan_id
from scheduler.model import CHAIR_KINDS, Plan, PlannedEvent, PlanRequest
from scheduler.units import calendar_months, minutes
from scheduler.wording import calendar_title, event_summary, event_title

# A clinic's few hundred keys at most; a key whose template failed its check maps to None.
_TEMPLATES: dict[tuple[Any, ...], Template | None] = {}
caches.register(_TEMPLATES.clear)
# Templates made but not yet checked: their first plans had a closed day (or a clock change) on one of
# the template's days, so filling them in could not be held to what the general engine wrote.
_UNCHECKED: dict[tuple[Any, ...], Template] = {}
caches.register(_UNCHECKED.clear)
# How often a key's shape was planned and had a clock change on an event's day: past _MOST_TRIES the key
# stays with the general engine (each try plans the row twice; the bytes are the same either way).
_TRIES: dict[tuple[Any, ...], int] = {}
caches.register(_TRIES.clear)
_MOST_TRIES = 4
# The calendar a template's shape is planned on: no day closed.
_ALWAYS_OPEN = ClinicCalendar()


@dataclass(frozen=True, slots=True)
class _Slot:
    """One event of a template."""

    event: PlannedEvent  # the probe's event: its data words the clinic's view of it
    day: int  # days from the start to its first day
    end_day: int  # days from the start to the date it ends (the day after, for an all-day event)
    offset: int | None  # minutes from the appointment time to its start; None for an all-day event
    length: int  # its minutes, for a timed event
    summary: str  # its title as calendars show it, escaped, without the patient's label
    shape: EventShape
    dated: bool  # its facts hold dates: its words are made again for each patient
    prepare: tuple[str, ...]  # what the clinic prepares
    group: int  # events with the same clinic words (description and properties) share a group


@dataclass(frozen=True, slots=True)
class Template:
    """A plan template: its events in plan order."""

    slots: tuple[_Slot, ...]


@dataclass(frozen=True, slots=True)
class Filled:
    """A patient's plan made from a template: what a batch writes and counts of it."""

    plan_id: str
    calendar: bytes  # the patient's .ics file
    clinic: Sequence[EventBlock]  # its events as the clinic calendar shows them
    chair: tuple[tuple[date, int | None, int | None], ...]  # chair visits: day, minutes, minute of the day
    timed: tuple[tuple[date, str, int, int | None], ...]  # timed visits: day, kind, minute of the day, minutes
    events: int
    first: date
    last: date


def template_key(request: PlanRequest, reminders: tuple[timedelta, ...]) -> tuple[Any, ...] | None:
    """Return what a plan's template depends on, or None for a plan the general engine makes."""
    regimen = request.regimen
    if (
        not regimen.schedules
        or request.records
        or request.infusion is not None
        or request.product_arrival is not None
        or request.monitor_days is not None
    ):
        return None
    try:
        count, last, _ = dose_horizon(request)
    except TxcalError:
        return None  # the general engine says what is wrong
    months = regimen.duration.months if regimen.duration.rule == "months" else None
    limit = (request.start + calendar_months(months) - request.start).days if months else None
    profile = request.profile
    return (
        regimen.id,
        regimen.path,
        caches.file_state(Path(regimen.path)) if regimen.path else None,  # an edited template is compiled again
        request.schedule.every if request.schedule else None,
        request.time is not None and bool(request.tz),  # the time and zone are filled in
        request.clinic is not None,  # its closed days are checked for each patient
        count,
        (last - request.start).days if last is not None else None,
        limit,
        request.weight_kg,
        request.window,
        request.shift,
        request.keep_grid,
        request.strict,
        profile.path if profile is not None else None,
        profile.name if profile is not None else None,
        reminders,
    )


def known(key: tuple[Any, ...]) -> tuple[bool, Template | None]:
    """Return whether a key's template was checked (or failed its check: None), and the template."""
    return key in _TEMPLATES, _TEMPLATES.get(key)


def open_days(request: PlanRequest) -> PlanRequest | None:
    """Return the request planned on a calendar that closes no day (a template's shape), or None when the
    plan has no clinic calendar (its plan is its shape)."""
    return dataclasses.replace(request, clinic=_ALWAYS_OPEN) if request.clinic is not None else None


def compile_template(
    key: tuple[Any, ...],
    plan: Plan,
    shape: Callable[[PlanRequest], Plan],
    reminders: tuple[timedelta, ...],
    stamp: datetime,
    names: tuple[str, str],
    written: tuple[bytes, Sequence[EventBlock]],
) -> None:
    """Compile or check a key's template against a plan the general path made (`names`: its calendar file
    and clinic label; `written`: the patient's file and the clinic's events the general path wrote).

    The template is the plan's shape with every day open (`shape` plans a request). It is kept when
    filling it in for a plan none of whose days is closed gives `written`; else the key stays with the
    general path. A plan with a closed day or a clock change on a template day cannot check it: the
    next plan of the key does.
    """
    template = _UNCHECKED.get(key)
    if template is None:
        opened = open_days(plan.request)
        template = _template(plan if opened is None else shape(opened), reminders)
        if template is None:  # the shape has a clock change on an event's day: the next plan of the key tries again
            _TRIES[key] = tries = _TRIES.get(key, 0) + 1
            if tries >= _MOST_TRIES:
                _TEMPLATES[key] = None
            return
    filled = fill(template, plan.request, reminders, stamp, *names)
    if filled is None:
        _UNCHECKED[key] = template  # checked by the next plan whose days are all open and plain
        return
    _UNCHECKED.pop(key, None)
    same = filled.calendar == written[0] and [b.text for b in filled.clinic] == [b.text for b in written[1]]
    _TEMPLATES[key] = template if same else None


def _template(plan: Plan, reminders: tuple[timedelta, ...]) -> Template | None:
    request = plan.request
    zone = ZoneInfo(request.tz) if request.time is not None and request.tz else None
    prepare = plan_preparation(plan)
    start = request.start
    slots: list[_Slot] = []
    groups: dict[tuple[str, tuple[str, ...]], int] = {}
    for event in plan.events:
        if event.audience != "patient" or event.moves or event.clash or event.status != "planned":
            return None
        end_day = event.end.date() if isinstance(event.end, datetime) else event.end
        offset, length = None, 0
        if isinstance(event.start, datetime) and isinstance(event.end, datetime):
            assert request.time is not None
            offset = _minute(event.start.time()) - _minute(request.time)
            length = int((event.end - event.start).total_seconds()) // 60
            if zone is None or not _plain(zone, event.first_day, _minute(request.time) + offset, length):
                return None
        unlabelled = dataclasses.replace(event, title=event_title(event.name, event.dose_number, None))
        dated = any(isinstance(arg, date) for fact in event.facts for arg in fact.args)
        # What the clinic's view of it says besides the calendar file and the label (a dated one: its own).
        words = (
            clinic_line(event, "", prepare.get(event.uid, ())),
            tuple(clinic_properties(event, "", prepare.get(event.uid, ()))),
        )
        slots.append(
            _Slot(
                event,
                (event.first_day - start).days,
                (end_day - start).days,
                offset,
                length,
                escape(event_summary(unlabelled)),
                event_shape(event, reminders),
                dated,
                prepare.get(event.uid, ()),
                groups.setdefault(words, len(groups)) if not dated else -1 - len(slots),
            )
        )
    return Template(tuple(slots)) if slots else None


def _minute(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _plain(zone: ZoneInfo, day: date, minute: int, length: int) -> bool:
    """Return whether the engine gives a timed event that day its wall time plainly: it starts and ends that day,
    and the clocks do not change that day (scheduler.engine.events: EventMaker.times)."""
    return minute >= 0 and minute + length < 24 * 60 and steady_day(zone, day)


def fill(
    template: Template,
    request: PlanRequest,
    reminders: tuple[timedelta, ...],
    stamp: datetime,
    calendar_file: str,
    label: str,
) -> Filled | None:
    """Return a patient's plan from a template, or None when one of its days has a clock change (general path).

    `calendar_file` and `label`: the patient's calendar and label as the clinic calendar names them.
    """
    start, clinic = request.start, request.clinic
    timed = request.time is not None and bool(request.tz)
    zone = ZoneInfo(request.tz) if timed and request.tz else None
    clock = _minute(request.time) if request.time is not None else 0
    ordinal = start.toordinal()
    days = [date.fromordinal(ordinal + slot.day) for slot in template.slots]
    # Every day first, before any text is made: a closed day or a clock change sends the plan to the engine.
    for slot, day in zip(template.slots, days, strict=True):
        if clinic is not None and clinic.closed(day):
            return None  # the general engine moves it, or says why it cannot
        if slot.offset is not None and zone is not None and not _plain(zone, day, clock + slot.offset, slot.length):
            return None
    plan_id = request.plan_id or derive_plan_id(request.regimen, start, request.patient)
    uids = EventUids(plan_id)
    stamp_text = utc_text(stamp)
    prefix = f"{escape(request.patient)}: " if request.patient else ""
    patient: list[EventBlock] = []
    clinic_blocks: list[EventBlock] = []
    chair, visits = [], []
    worded: dict[int, tuple[str, list[str]]] = {}  # the clinic's words of this patient's events, by group
    for slot, day in zip(template.slots, days, strict=True):
        begins: date | datetime
        ends: date | datetime
        if slot.offset is not None and zone is not None and request.time is not None:
            # As the engine makes them: the appointment time that day, plus the offset, plus the length.
            begins = datetime.combine(day, request.time, zone)
            if slot.offset:
                begins += minutes(slot.offset)
            ends = begins + minutes(slot.length)
        else:
            begins, ends = day, date.fromordinal(ordinal + slot.end_day)
        event, shape = slot.event, slot.shape
        if slot.dated:  # a beyond-label dose names the label's limit: its words, for this start
            event = _shifted(event, timedelta(days=(start - event.first_day).days + slot.day))
            shape = event_shape(event, reminders)
        block = filled_event(shape, uids(event.key), prefix + slot.summary, begins, ends, stamp_text)
        patient.append(block)
        words = worded.get(slot.group)
        if words is None:
            words = worded[slot.group] = (
                clinic_line(event, calendar_file, slot.prepare),
                clinic_properties(event, label, slot.prepare),
            )
        clinic_block = block.with_description(*words)
        assert clinic_block is not None  # a filled event knows where its description is
        clinic_blocks.append(clinic_block)
        if event.kind in CHAIR_KINDS:
            chair.append((day, event.minutes, clock + slot.offset if slot.offset is not None else None))
        if slot.offset is not None:
            visits.append((day, event.kind, clock + slot.offset, event.minutes))
    name = calendar_title(request.regimen.title, request.patient)
    last = date.fromordinal(ordinal + max(slot.end_day - (slot.offset is None) for slot in template.slots))
    return Filled(
        plan_id,
        calendar_bytes(name, plan_id, patient),
        clinic_blocks,
        tuple(chair),
        tuple(visits),
        len(template.slots),
        date.fromordinal(ordinal + template.slots[0].day),
        last,
    )


def _shifted(event: PlannedEvent, by: timedelta) -> PlannedEvent:
    """Return an event whose facts' dates are moved by `by` (the event's own days are filled in elsewhere)."""
    facts = tuple(
        dataclasses.replace(f, args=tuple(a + by if isinstance(a, date) else a for a in f.args))
        if any(isinstance(a, date) for a in f.args)
        else f
        for f in event.facts
    )
    return dataclasses.replace(event, facts=facts)

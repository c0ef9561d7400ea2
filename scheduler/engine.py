"""Expand a regimen and a plan request into dated events: pure, no I/O, no click, no icalendar."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, rrule

from scheduler.durations import describe_interval, describe_minutes, describe_period, parse_period
from scheduler.errors import PlanError
from scheduler.model import CONFIRM, Dose, Plan, PlannedEvent, PlanRequest, Regimen, Schedule, Step, format_number

# Fixed namespace: UIDs are uuid5 of plan and event keys, so reruns give the same UIDs and
# no patient data appears in them (RFC 7986 5.3).
UID_NAMESPACE = uuid.UUID("6f1d0c1e-8d3b-5a52-9c39-7a1f0e2b4c55")
MIN_WEIGHT_KG, MAX_WEIGHT_KG = 1, 300


def derive_plan_id(regimen: Regimen, start: date, patient: str | None) -> str:
    """Return the plan identity used when the user gives no --plan-id: regimen, first date, label."""
    return uuid.uuid5(UID_NAMESPACE, f"{regimen.id}|{start.isoformat()}|{patient or ''}").hex


def event_uid(plan_id: str, key: str) -> str:
    """Return the stable, opaque UID of one event of a plan."""
    return f"{uuid.uuid5(UID_NAMESPACE, f'{plan_id}/{key}')}@txcal"


def pathway_day_date(anchor: date, day: int) -> date:
    """Return the date of a pathway day: Day 1 is the anchor, Day -1 the day before, no Day 0."""
    return anchor + timedelta(days=day - 1 if day > 0 else day)


def day_label(day: int) -> str:
    return f"Day {day}"


def expand(request: PlanRequest) -> Plan:
    """Expand a plan request into its ordered events.

    Args:
        request: the regimen, its chosen schedule (for repeating doses) and the plan options.

    Returns:
        The Plan: events sorted by start, a sentence on how far it reaches, and warnings.

    Raises:
        PlanError: the options contradict each other or the regimen (the message names the fix).
    """
    regimen = request.regimen
    if request.time is not None and not request.tz:
        raise PlanError("an appointment time needs a time zone: add --tz, e.g. --tz Europe/Berlin")
    plan_id = request.plan_id or derive_plan_id(regimen, request.start, request.patient)
    builder = _Builder(request, plan_id)
    if regimen.schedules:
        horizon, warnings = builder.doses()
    else:
        horizon, warnings = builder.pathway(), []
    events = sorted(builder.events, key=lambda e: (_sort_date(e.start), not e.all_day, _sort_instant(e.start)))
    return Plan(request, plan_id, tuple(events), horizon, tuple(warnings), builder.schedule_text)


def _sort_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _sort_instant(value: date | datetime) -> float:
    return value.timestamp() if isinstance(value, datetime) else 0.0


class _Builder:
    """Collects the events of one plan; one method per kind of regimen."""

    def __init__(self, request: PlanRequest, plan_id: str) -> None:
        self.request = request
        self.regimen = request.regimen
        self.plan_id = plan_id
        self.zone = ZoneInfo(request.tz) if request.time is not None and request.tz else None
        self.events: list[PlannedEvent] = []
        self.schedule_text = ""

    # -- repeating doses -------------------------------------------------------------------

    def doses(self) -> tuple[str, list[str]]:
        request, regimen = self.request, self.regimen
        schedule = request.schedule or (regimen.schedules[0] if len(regimen.schedules) == 1 else None)
        if schedule is None:
            raise PlanError(f"{regimen.id} has several schedules; choose one with --every")
        if request.infusion is not None or request.monitor_days is not None:
            raise PlanError(
                f"--infusion and --monitor-days belong to the afami-cel pathway; {regimen.id} is a repeating dose"
            )
        warnings: list[str] = []
        dose_text, arithmetic = self._dose_amount(schedule.dose, warnings)
        # The heading names the whole dose, with the enzyme of subcutaneous forms.
        full = dose_text if schedule.dose.weight_based else schedule.dose.describe()
        self.schedule_text = f"{full} {regimen.route} {describe_interval(schedule.every_days)}"
        if arithmetic:
            self.schedule_text += f" ({arithmetic})"
        dates, horizon = self._dose_dates(schedule)
        if regimen.duration.rule == "months" and regimen.duration.months and dates:
            cap = request.start + relativedelta(months=regimen.duration.months)
            if dates[-1] >= cap:
                warnings.append(
                    f"this plan runs past the {regimen.duration.months}-month limit of the label for most "
                    f"indications; {CONFIRM.lower()[:-1]}."
                )
        shared = self._schedule_notes(schedule, arithmetic)
        title = regimen.event_title or regimen.title
        for number, when in enumerate(dates, 1):
            length = schedule.length_first_min if number == 1 and schedule.length_first_min else schedule.length_min
            start, end, notes = self._times(when, 0, length, placeholder=False)
            self.events.append(
                self._event(
                    key=f"dose-{number}",
                    kind="dose",
                    name=title,
                    start=start,
                    end=end,
                    dose_number=number,
                    dose=dose_text,
                    route=regimen.route,
                    notes=(self._length_note(schedule, number), *notes, *shared),
                    unconfirmed=False,
                )
            )
        return horizon, warnings

    def _dose_amount(self, dose: Dose, warnings: list[str]) -> tuple[str, str]:
        """Return the dose text for this patient and, for weight-based doses, its arithmetic."""
        weight = self.request.weight_kg
        if not dose.weight_based:
            if weight is not None:
                warnings.append(f"--weight-kg is not used: {self.regimen.id} gives a fixed dose")
            return dose.describe(with_partner=False), ""  # the enzyme given with it is in the notes
        if weight is None:
            raise PlanError(
                f"{self.regimen.id} doses by weight ({dose.describe()}): add --weight-kg with the patient's weight in kg"
            )
        if not MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG:
            raise PlanError(
                f"--weight-kg {format_number(weight)} is not a body weight: give kilograms between "
                f"{MIN_WEIGHT_KG} and {MAX_WEIGHT_KG}"
            )
        amount, arithmetic = dose.for_weight(weight)
        return f"{format_number(round(amount, 1))} {dose.unit}", arithmetic

    def _dose_dates(self, schedule: Schedule) -> tuple[list[date], str]:
        """Return the dose dates and the sentence that says how far the plan reaches and why."""
        request, duration = self.request, self.regimen.duration
        chosen = [
            name
            for name, value in (("--doses", request.doses), ("--until", request.until), ("--for", request.period))
            if value is not None
        ]
        if len(chosen) > 1:
            raise PlanError(f"give only one of --doses, --until and --for (got {' and '.join(chosen)})")
        continues = f"treatment continues {duration.text}."
        count: int | None = None
        last: date | None = None
        if request.doses is not None:
            if request.doses < 1:
                raise PlanError(f"--doses must be 1 or more, got {request.doses}")
            count = request.doses
            reason = f"Planned for {request.doses} dose{'s' if count > 1 else ''} (--doses); {continues}"
        elif request.until is not None:
            if request.until < request.start:
                raise PlanError(f"--until {request.until} is before the start {request.start}: give a later --until")
            last, reason = request.until, f"Planned through {request.until} (--until); {continues}"
        elif request.period is not None:
            last = request.start + parse_period(request.period) - timedelta(days=1)
            reason = (
                f"Planned for {describe_period(request.period)} (--for {request.period}), through {last}; {continues}"
            )
        elif duration.rule == "months" and duration.months:
            last = request.start + relativedelta(months=duration.months) - timedelta(days=1)
            reason = f"Planned for up to {duration.months} months, through {last}: {duration.horizon_text}. Treatment continues {duration.text}."
        elif duration.rule == "doses" and duration.doses:
            count, reason = duration.doses, f"Planned for {duration.doses} doses; treatment continues {duration.text}."
        else:
            assert duration.horizon is not None
            last = request.start + parse_period(duration.horizon) - timedelta(days=1)
            reason = f"Planned through {last} ({duration.horizon_text}); {continues}"
        rule = rrule(
            DAILY,
            interval=schedule.every_days,
            dtstart=datetime.combine(request.start, time()),
            count=count,
            until=None if last is None else datetime.combine(last, time()),
        )
        return [moment.date() for moment in rule], reason

    def _length_note(self, schedule: Schedule, number: int) -> str:
        route = self.regimen.route
        if schedule.given:
            return f"How it is given: {schedule.given}"
        if schedule.length_first_min and number == 1:
            return f"{route} infusion over {describe_minutes(schedule.length_first_min)} (first infusion)."
        if schedule.length_first_min:
            return f"{route} infusion over {describe_minutes(schedule.length_min)} if the first infusion was tolerated."
        return f"{route} infusion over {describe_minutes(schedule.length_min)}."

    def _schedule_notes(self, schedule: Schedule, arithmetic: str) -> tuple[str, ...]:
        regimen = self.regimen
        lines = [
            f"Schedule: {schedule.dose.describe()} {describe_interval(schedule.every_days)}; treatment continues {regimen.duration.text}."
        ]
        if arithmetic:
            lines.append(f"Dose for this weight: {arithmetic}.")
        lines.extend(regimen.notes.lines())
        lines.extend(self._source_lines(schedule.sources))
        return tuple(lines)

    # -- multi-step pathways ---------------------------------------------------------------

    def pathway(self) -> str:
        request, regimen = self.request, self.regimen
        if any(v is not None for v in (request.doses, request.until, request.period)):
            raise PlanError(
                f"{regimen.id} is a one-time pathway: --doses, --until and --for apply to repeating doses; leave them out"
            )
        if request.weight_kg is not None:
            raise PlanError(f"{regimen.id} does not dose by weight: leave out --weight-kg")
        anchor = regimen.anchor
        if request.infusion is not None and anchor is None:
            raise PlanError(f"{regimen.id} has no anchor day for --infusion to set")
        anchor_date = request.infusion or (
            request.start + timedelta(days=anchor.default_after_days) if anchor else request.start
        )
        placed = [(step, list(self._step_days(step))) for step in regimen.steps]
        anchored = [pathway_day_date(anchor_date, day) for step, days in placed if not step.on_start for day in days]
        if anchored and min(anchored) <= request.start:
            first = min(anchored)
            earliest = anchor_date + (request.start - first) + timedelta(days=1)
            raise PlanError(
                f"--infusion {anchor_date} puts the steps before the infusion on {first}, not after the "
                f"collection on {request.start}: choose an infusion date on or after {earliest}"
            )
        for step, days in placed:
            self._step_events(step, days, anchor_date)
        self.schedule_text = f"{regimen.title}; Day 1 (infusion) {anchor_date}"
        assert anchor is not None or not anchored
        how = (
            f"{describe_period(anchor.default_after)} after collection, the default"
            if anchor and request.infusion is None
            else "--infusion"
        )
        return (
            f"A one-time pathway: {regimen.duration.text} on {anchor_date} ({how}). {anchor.title if anchor else ''}".strip()
            + "."
        )

    def _step_days(self, step: Step) -> Iterator[int]:
        """Yield the day numbers a step occupies (0 stands for the plan start)."""
        if step.on_start:
            yield 0
        elif step.day is not None:
            yield step.day
        elif step.span is not None:
            yield step.span[0]
        elif step.days is not None:
            first, last = step.days
            wanted = self.request.monitor_days
            if step.extendable and wanted is not None:
                minimum = last - first + 1
                if wanted < minimum:
                    raise PlanError(
                        f"--monitor-days {wanted} is shorter than the {minimum} days the template requires: give {minimum} or more"
                    )
                last = first + wanted - 1
            yield from (day for day in range(first, last + 1) if day != 0)

    def _step_events(self, step: Step, days: list[int], anchor_date: date) -> None:
        request, regimen = self.request, self.regimen
        anchor = regimen.anchor
        unconfirmed = [step.unconfirmed] if step.unconfirmed else []
        if anchor and not step.on_start and anchor.unconfirmed:
            unconfirmed.append(anchor.unconfirmed)
        if anchor and not step.on_start and request.infusion is None and anchor.default_unconfirmed:
            unconfirmed.append(anchor.default_unconfirmed)
        shared: list[str] = []
        if step.dose:
            shared.append(f"Dose: {step.dose.describe()} {step.route}".rstrip() + ".")
        shared.extend(step.notes.lines())
        if unconfirmed:
            shared.append("Unconfirmed: " + " ".join(unconfirmed) + f" {CONFIRM}")
        shared.extend(self._source_lines(step.sources))
        for day in days:
            on = request.start if step.on_start else pathway_day_date(anchor_date, day)
            label = [] if step.on_start else [f"{day_label(day)}: Day 1 is the infusion on {anchor_date}."]
            if step.span is not None:
                end_date = pathway_day_date(anchor_date, step.span[1]) + timedelta(days=1)
                start: date | datetime = on
                end: date | datetime = end_date
                timing: tuple[str, ...] = (f"Through {end_date - timedelta(days=1)} ({day_label(step.span[1])}).",)
            else:
                start, end, timing = self._times(
                    on, step.offset_min, step.length_min or regimen.slot_min, step.length_min is None, step.all_day
                )
            self.events.append(
                self._event(
                    key=step.key if len(days) == 1 else f"{step.key}-day{day}",
                    kind=step.kind,
                    name=step.title,
                    start=start,
                    end=end,
                    day=None if step.on_start else day,
                    dose=step.dose.describe() if step.dose else "",
                    route=step.route,
                    notes=(*label, *timing, *shared),
                    unconfirmed=bool(unconfirmed),
                )
            )

    # -- shared pieces ---------------------------------------------------------------------

    def _times(
        self, on: date, offset_min: int, length_min: int | None, placeholder: bool, all_day: bool = False
    ) -> tuple[date | datetime, date | datetime, tuple[str, ...]]:
        """Return start, end and timing notes: all-day without --time, else wall-clock in the zone.

        A wall-clock time that does not exist that day (spring forward) is read with the offset
        before the gap, as RFC 5545 3.3.5 says, so 02:30 becomes 03:30; the note says so.
        An ambiguous time (fall back) is the first of the two, also as RFC 5545 says.
        """
        if all_day or self.request.time is None or self.zone is None:
            return on, on + timedelta(days=1), ()
        assert length_min is not None
        wall = datetime.combine(on, self.request.time) + timedelta(minutes=offset_min)
        start = wall.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)
        end = (start.astimezone(UTC) + timedelta(minutes=length_min)).astimezone(self.zone)
        notes = []
        if start.replace(tzinfo=None) != wall:
            notes.append(
                f"{wall:%H:%M} does not exist on {on} in {self.request.tz} (clocks change): shown at {start:%H:%M}."
            )
        if placeholder:
            notes.append("Calendar block only: no source gives a length for this step; your care team sets it.")
        return start, end, tuple(notes)

    def _source_lines(self, source_ids: tuple[str, ...]) -> list[str]:
        return [
            f"Source: {source.address} ({source.mark}: {source.supports})."
            for source in (self.regimen.source(i) for i in source_ids)
        ]

    def _event(self, key: str, name: str, **fields: Any) -> PlannedEvent:
        """Return an event; its title adds the dose number and, when asked for, the patient label."""
        title = f"{name}, dose {fields['dose_number']}" if fields.get("dose_number") else name
        if self.request.patient:
            title = f"{self.request.patient}: {title}"
        all_day = not isinstance(fields["start"], datetime)
        return PlannedEvent(
            key=key, uid=event_uid(self.plan_id, key), name=name, title=title, all_day=all_day, **fields
        )

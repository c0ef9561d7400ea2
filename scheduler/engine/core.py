"""Expand a regimen and a plan request into dated events: pure, no I/O, no click, no icalendar."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from scheduler.errors import PlanError, option
from scheduler.model import (
    Dose,
    Plan,
    PlannedEvent,
    PlanRequest,
    Record,
    Regimen,
    Schedule,
    Step,
    Window,
    format_number,
)
from scheduler.units import (
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
    describe_interval,
    describe_minutes,
    describe_period,
    parse_period,
)
from scheduler.wording import CONFIRM, day_label

# Fixed namespace: UIDs are uuid5 of plan and event keys, so reruns give the same UIDs and
# no patient data appears in them (RFC 7986 5.3).
UID_NAMESPACE = uuid.UUID("6f1d0c1e-8d3b-5a52-9c39-7a1f0e2b4c55")
_NAMESPACE_BYTES = UID_NAMESPACE.bytes


def derive_plan_id(regimen: Regimen, start: date, patient: str | None) -> str:
    """Return the plan identity used when the user gives none: regimen, first date, label."""
    return uuid.uuid5(UID_NAMESPACE, f"{regimen.id}|{start.isoformat()}|{patient or ''}").hex


def event_uid(plan_id: str, key: str) -> str:
    """Return the stable, opaque UID of one event of a plan: uuid5 (RFC 4122) of plan id and key.

    Written out by hand because uuid.uuid5 builds objects a clinic's worth of events does not need;
    a test holds it equal to uuid.uuid5.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{plan_id}/{key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}@txcal"


def pathway_day_date(anchor: date, day: int) -> date:
    """Return the date of a pathway day: Day 1 is the anchor, Day -1 the day before, no Day 0."""
    return anchor + timedelta(days=day - 1 if day > 0 else day)


def _label(step: Step, day: int) -> str:
    return step.title if step.on_start else f"{step.title} ({day_label(day)})"


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
        raise PlanError(
            f"an appointment time needs a time zone: add {option('tz', 'Europe/Berlin')}, or another IANA zone"
        )
    plan_id = request.plan_id or derive_plan_id(regimen, request.start, request.patient)
    builder = _Builder(request, plan_id)
    horizon, warnings = builder.doses() if regimen.schedules else builder.pathway()
    # Doses come out in order (a given date out of order is refused); pathway steps are sorted by
    # day, all-day first, then by time.
    events = builder.events if regimen.schedules else sorted(builder.events, key=_step_order)
    return Plan(request, plan_id, tuple(events), horizon, tuple(warnings), builder.schedule_text)


def _step_order(event: PlannedEvent) -> tuple[date, bool, float]:
    return event.first_day, not event.all_day, event.start.timestamp() if isinstance(event.start, datetime) else 0.0


_MAX_DOSES = 1000


def _because(record: Record) -> str:
    return f": {record.reason}" if record.reason else ""


def _source_lines(regimen: Regimen, source_ids: tuple[str, ...]) -> list[str]:
    return [
        f"Source: {source.address} ({source.mark}: {source.supports})."
        for source in (regimen.source(i) for i in source_ids)
    ]


class _Records:
    """What happened to a repeating-dose plan, indexed by dose number."""

    def __init__(self, records: tuple[Record, ...], regimen: Regimen, schedule: Schedule) -> None:
        self.given = {r.dose: r for r in records if r.kind == "given" and r.dose is not None}
        self.delays = {r.dose: r for r in records if r.kind == "delay" and r.dose is not None}
        self.holds = {r.dose: r for r in records if r.kind == "hold" and r.dose is not None}
        stops = [r for r in records if r.kind == "stop"]
        self.stop = min(stops, key=lambda r: r.on or date.max) if stops else None
        self.stop_day = self.stop.on if self.stop else None
        self.switches = sorted((r for r in records if r.kind == "switch"), key=lambda r: r.dose or 0)
        self.first = (regimen, schedule)
        for number in set(self.given) & set(self.holds):
            raise PlanError(
                f"dose {number} is recorded both as given and as held: remove one of them from the plan file"
            )

    def schedule_for(self, number: int) -> tuple[Regimen, Schedule]:
        """Return the regimen and schedule dose `number` follows (the latest switch at or before it)."""
        current = self.first
        for switch in self.switches:
            if switch.dose is not None and switch.dose <= number and switch.regimen and switch.schedule:
                current = (switch.regimen, switch.schedule)
        return current


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
            raise PlanError(f"{regimen.id} has several schedules; choose one with {option('every')}")
        if request.infusion is not None or request.monitor_days is not None:
            raise PlanError(
                f"{option('infusion')} and {option('monitor_days')} belong to the afami-cel pathway; {regimen.id} is a repeating dose"
            )
        warnings: list[str] = []
        count, last, horizon = self._horizon()
        records = _Records(request.records, regimen, schedule)
        texts = {}  # per (regimen, schedule): dose text, arithmetic, shared notes
        number, previous, previous_every, grid = 1, request.start, 0, request.start
        while count is None or number <= count:
            current, plan_schedule = records.schedule_for(number)
            if (current.id, plan_schedule.every) not in texts:
                dose_text, arithmetic = self._dose_amount(current, plan_schedule.dose, warnings)
                texts[current.id, plan_schedule.every] = (
                    dose_text,
                    arithmetic,
                    self._schedule_notes(current, plan_schedule, arithmetic),
                )
            dose_text, arithmetic, shared = texts[current.id, plan_schedule.every]
            # After a moved or late dose the next is counted from the actual date, unless --keep-grid.
            grid += timedelta(days=previous_every)
            planned = grid if request.keep_grid else previous + timedelta(days=previous_every)
            day, status, shifted_from, reason, conflict = self._dose_day(number, planned, plan_schedule, records)
            if number > 1 and day <= previous:
                raise PlanError(
                    f"dose {number} on {day} is not after dose {number - 1} on {previous}: check the dates recorded in the plan"
                )
            if (last is not None and day > last and status != "given") or (records.stop_day and day > records.stop_day):
                break
            length = (
                plan_schedule.length_first_min
                if number == 1 and plan_schedule.length_first_min
                else plan_schedule.length_min
            )
            start, end, timing = self._times(day, 0, length, placeholder=False)
            situation = [line for line in (reason, f"Conflict: {conflict}" if conflict else "") if line]
            self.events.append(
                self._event(
                    key=f"dose-{number}",
                    kind="dose",
                    name=current.event_title or current.title,
                    start=start,
                    end=end,
                    dose_number=number,
                    dose=dose_text,
                    route=current.route,
                    status=status,
                    minutes=length,
                    shifted_from=shifted_from,
                    reason=reason,
                    conflict=conflict,
                    notes=(*situation, self._length_note(current, plan_schedule, number), *timing, *shared),
                    unconfirmed=False,
                )
            )
            previous, previous_every = day, plan_schedule.every_days
            number += 1
            if number > _MAX_DOSES:
                raise PlanError(
                    f"a plan of more than {_MAX_DOSES} doses is not a schedule: give {option('doses')}, {option('until')} or {option('period')}"
                )
        first_text = texts[regimen.id, schedule.every]
        # The heading names the whole dose, with the enzyme of subcutaneous forms.
        full = first_text[0] if schedule.dose.weight_based else schedule.dose.describe()
        self.schedule_text = f"{full} {regimen.route} {describe_interval(schedule.every_days)}"
        if first_text[1]:
            self.schedule_text += f" ({first_text[1]})"
        for switch in records.switches:
            assert switch.regimen is not None and switch.schedule is not None and switch.dose is not None
            self.schedule_text += f"; from dose {switch.dose}: {switch.schedule.dose.describe()} {switch.regimen.route} {describe_interval(switch.schedule.every_days)}"
        dates = [e.first_day for e in self.events]
        if regimen.duration.rule == "months" and regimen.duration.months and dates:
            cap = request.start + relativedelta(months=regimen.duration.months)
            if dates[-1] >= cap:
                warnings.append(
                    f"this plan runs past the {regimen.duration.months}-month limit of the label for most "
                    f"indications; {CONFIRM.lower()[:-1]}."
                )
        if records.stop:
            assert records.stop.on is not None
            horizon = (
                f"Treatment stopped on {records.stop.on}"
                + (f" ({records.stop.reason})" if records.stop.reason else "")
                + "; no doses after it."
            )
        conflicts = [e for e in self.events if e.conflict]
        if conflicts and request.strict:
            raise PlanError(
                f"{option('strict')}: doses on closed days: "
                + "; ".join(f"dose {e.dose_number} on {e.first_day} ({e.conflict})" for e in conflicts)
            )
        return horizon, warnings

    def _dose_day(
        self, number: int, planned: date, schedule: Schedule, records: _Records
    ) -> tuple[date, str, date | None, str, str]:
        """Return (day, status, planned day if it moved, why, conflict) for one dose."""
        request = self.request
        given = records.given.get(number)
        if given is not None:
            assert given.on is not None
            moved = given.on if given.on != planned else None
            why = (
                f"Given on {given.on:%a %d %b %Y}"
                + (f" (planned {planned:%a %d %b})" if moved else "")
                + _because(given)
            )
            return given.on, "given", planned if moved else None, why, ""
        day, reason = planned, ""
        delay = records.delays.get(number)
        if delay is not None:
            assert delay.days is not None
            day = planned + timedelta(days=delay.days)
            reason = f"Delayed {delay.days} days from {planned:%a %d %b}{_because(delay)}"
        conflict = ""
        if request.clinic is not None:
            closed = request.clinic.closed(day)
            window = request.window or schedule.window or Window(0, 0)
            placed, problem = request.clinic.place(day, window, request.shift)
            if problem:
                conflict = f"{closed}; {problem}"
            elif placed != day:
                reason = (
                    reason + "; then m" if reason else "M"
                ) + f"oved from {day:%a %d %b}: {closed} (window {window.describe()})"
                day = placed
        status = "held" if number in records.holds else "planned"
        if status == "held":
            reason = (reason + "; " if reason else "") + "Held" + _because(records.holds[number])
        return day, status, planned if day != planned else None, reason, conflict

    def _horizon(self) -> tuple[int | None, date | None, str]:
        """Return the dose count or last day the plan reaches, and the sentence that says why."""
        request, duration = self.request, self.regimen.duration
        chosen = [
            option(name)
            for name, value in (("doses", request.doses), ("until", request.until), ("period", request.period))
            if value is not None
        ]
        if len(chosen) > 1:
            raise PlanError(
                f"give only one of {option('doses')}, {option('until')} and {option('period')} (got {' and '.join(chosen)})"
            )
        continues = f"treatment continues {duration.text}."
        if request.doses is not None:
            if request.doses < 1:
                raise PlanError(f"{option('doses', request.doses)}: give 1 or more")
            plural = "s" if request.doses > 1 else ""
            return request.doses, None, f"Planned for {request.doses} dose{plural}; {continues}"
        if request.until is not None:
            if request.until < request.start:
                raise PlanError(
                    f"{option('until', request.until)} is before the start {request.start}: give a later {option('until')}"
                )
            return None, request.until, f"Planned through {request.until}; {continues}"
        if request.period is not None:
            last = request.start + parse_period(request.period) - timedelta(days=1)
            return (
                None,
                last,
                f"Planned for {describe_period(request.period)}, through {last}; {continues}",
            )
        if duration.rule == "months" and duration.months:
            last = request.start + relativedelta(months=duration.months) - timedelta(days=1)
            return (
                None,
                last,
                f"Planned for up to {duration.months} months, through {last}: {duration.horizon_text}. Treatment continues {duration.text}.",
            )
        if duration.rule == "doses" and duration.doses:
            return duration.doses, None, f"Planned for {duration.doses} doses; treatment continues {duration.text}."
        assert duration.horizon is not None
        last = request.start + parse_period(duration.horizon) - timedelta(days=1)
        return None, last, f"Planned through {last} ({duration.horizon_text}); {continues}"

    def _dose_amount(self, regimen: Regimen, dose: Dose, warnings: list[str]) -> tuple[str, str]:
        """Return the dose text for this patient and, for weight-based doses, its arithmetic."""
        weight = self.request.weight_kg
        if not dose.weight_based:
            if weight is not None and not warnings:
                warnings.append(f"{option('weight_kg')} is not used: {regimen.id} gives a fixed dose")
            return dose.describe(with_partner=False), ""  # the enzyme given with it is in the notes
        if weight is None:
            raise PlanError(
                f"{regimen.id} doses by weight ({dose.describe()}): add {option('weight_kg')} with the patient's weight in kg"
            )
        if not MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG:
            raise PlanError(
                f"{option('weight_kg', format_number(weight))} is not a body weight: give kilograms between "
                f"{MIN_WEIGHT_KG} and {MAX_WEIGHT_KG}"
            )
        amount, arithmetic = dose.for_weight(weight)
        return f"{format_number(round(amount, 1))} {dose.unit}", arithmetic

    def _length_note(self, regimen: Regimen, schedule: Schedule, number: int) -> str:
        route = regimen.route
        if schedule.given:
            return f"How it is given: {schedule.given}"
        if schedule.length_first_min and number == 1:
            return f"{route} infusion over {describe_minutes(schedule.length_first_min)} (first infusion)."
        if schedule.length_first_min:
            return f"{route} infusion over {describe_minutes(schedule.length_min)} if the first infusion was tolerated."
        return f"{route} infusion over {describe_minutes(schedule.length_min)}."

    def _schedule_notes(self, regimen: Regimen, schedule: Schedule, arithmetic: str) -> tuple[str, ...]:
        lines = [
            f"Schedule: {schedule.dose.describe()} {describe_interval(schedule.every_days)}; treatment continues {regimen.duration.text}."
        ]
        if arithmetic:
            lines.append(f"Dose for this weight: {arithmetic}.")
        if schedule.window and self.request.clinic is not None:
            lines.append(
                f"A visit on a closed day may move {schedule.window.describe()} (txcal's institutional-practice default; your clinic may set its own)."
            )
        lines.extend(regimen.notes.lines())
        lines.extend(_source_lines(regimen, schedule.sources))
        return tuple(lines)

    # -- multi-step pathways ---------------------------------------------------------------

    def pathway(self) -> tuple[str, list[str]]:
        request, regimen = self.request, self.regimen
        dose_records = sorted({r.kind for r in request.records if r.kind != "stop"})
        if dose_records:
            raise PlanError(
                f"{regimen.id} is a one-time pathway: {', '.join(dose_records)} records apply to repeating doses"
            )
        if any(v is not None for v in (request.doses, request.until, request.period)):
            raise PlanError(
                f"{regimen.id} is a one-time pathway: {option('doses')}, {option('until')} and {option('period')} apply to repeating doses; leave them out"
            )
        if request.weight_kg is not None:
            raise PlanError(f"{regimen.id} does not dose by weight: leave out {option('weight_kg')}")
        anchor = regimen.anchor
        if request.infusion is not None and anchor is None:
            raise PlanError(f"{regimen.id} has no anchor day for {option('infusion')} to set")
        anchor_date = request.infusion or (
            request.start + timedelta(days=anchor.default_after_days) if anchor else request.start
        )
        placed = [(step, list(self._step_days(step))) for step in regimen.steps]
        anchored = [pathway_day_date(anchor_date, day) for step, days in placed if not step.on_start for day in days]
        if anchored and min(anchored) <= request.start:
            first = min(anchored)
            earliest = anchor_date + (request.start - first) + timedelta(days=1)
            raise PlanError(
                f"{option('infusion', anchor_date)} puts the steps before the infusion on {first}, not after the "
                f"collection on {request.start}: choose an infusion date on or after {earliest}"
            )
        clashes = self._clashes(placed, anchor_date)
        warnings = []
        if clashes:
            listed = "; ".join(f"{_label(step, day)} on {when:%a %d %b %Y} ({why})" for step, day, when, why in clashes)
            if request.strict:
                raise PlanError(f"{option('strict')}: pathway days on closed days: {listed}")
            warnings.append(self._propose_infusion(placed, anchor_date, listed))
        conflicts = {(step.key, day): f"{why}; steps tied to Day 1 never move alone" for step, day, _, why in clashes}
        for step, days in placed:
            self._step_events(step, days, anchor_date, conflicts)
        stops = [r.on for r in request.records if r.kind == "stop" and r.on]
        if stops:
            self.events = [e for e in self.events if e.first_day <= min(stops)]
        self.schedule_text = f"{regimen.title}; Day 1 (infusion) {anchor_date}"
        assert anchor is not None or not anchored
        how = (
            f"{describe_period(anchor.default_after)} after collection, the default"
            if anchor and request.infusion is None
            else "the infusion day given"
        )
        horizon = (
            f"A one-time pathway: {regimen.duration.text} on {anchor_date} ({how}). {anchor.title if anchor else ''}".strip()
            + "."
        )
        if stops:
            horizon = f"Treatment stopped on {min(stops)}; no steps after it. " + horizon
        return horizon, warnings

    def _clashes(self, placed: list[tuple[Step, list[int]]], anchor_date: date) -> list[tuple[Step, int, date, str]]:
        """Return the clinic steps that fall on a closed day: (step, day number, date, why closed)."""
        clinic = self.request.clinic
        if clinic is None:
            return []
        found = []
        for step, days in placed:
            for day in days if step.clinic else []:
                when = self.request.start if step.on_start else pathway_day_date(anchor_date, day)
                why = clinic.closed(when)
                if why:
                    found.append((step, day, when, why))
        return found

    def _propose_infusion(self, placed: list[tuple[Step, list[int]]], anchor_date: date, listed: str) -> str:
        """Return the warning for a pathway that clashes with closed days, proposing an infusion day that fits.

        Later days are tried first: the product is seldom ready early.
        """
        start = self.request.start
        tied = [(step, days) for step, days in placed if not step.on_start]
        earliest = min(pathway_day_date(anchor_date, d) for _, days in tied for d in days) if tied else anchor_date
        for offset in [*range(1, 29), *range(-1, -29, -1)]:
            candidate = anchor_date + timedelta(days=offset)
            if earliest + timedelta(days=offset) <= start:
                continue
            if not self._clashes(tied, candidate):
                return (
                    f"{self.regimen.id}: {listed}. Steps tied to Day 1 never move alone: an infusion on "
                    f"{candidate:%a %d %b %Y} avoids every closed day; add {option('infusion', candidate)} (when the product allows)."
                )
        return f"{self.regimen.id}: {listed}. No infusion day within 4 weeks avoids every closed day: agree the days with the clinic."

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
                        f"{option('monitor_days', wanted)} is shorter than the {minimum} days the template requires: give {minimum} or more"
                    )
                last = first + wanted - 1
            yield from (day for day in range(first, last + 1) if day != 0)

    def _step_events(
        self, step: Step, days: list[int], anchor_date: date, conflicts: dict[tuple[str, int], str]
    ) -> None:
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
        shared.extend(_source_lines(regimen, step.sources))
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
                    notes=(
                        *label,
                        *timing,
                        *([f"Conflict: {conflicts[step.key, day]}"] if (step.key, day) in conflicts else []),
                        *shared,
                    ),
                    unconfirmed=bool(unconfirmed),
                    conflict=conflicts.get((step.key, day), ""),
                    minutes=None if step.all_day or step.span else step.length_min or regimen.slot_min,
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

    def _event(self, key: str, name: str, **fields: Any) -> PlannedEvent:
        """Return an event; its title adds the dose number and, when asked for, the patient label."""
        title = f"{name}, dose {fields['dose_number']}" if fields.get("dose_number") else name
        if self.request.patient:
            title = f"{self.request.patient}: {title}"
        all_day = not isinstance(fields["start"], datetime)
        return PlannedEvent(
            key=key, uid=event_uid(self.plan_id, key), name=name, title=title, all_day=all_day, **fields
        )

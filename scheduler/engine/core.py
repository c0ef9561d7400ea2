"""Expand a regimen and a plan request into dated events: pure, no I/O, no click, no icalendar."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from scheduler.engine.identity import derive_plan_id, event_uid
from scheduler.errors import PlanError, option
from scheduler.model import (
    Conflict,
    Dose,
    Fact,
    Horizon,
    Move,
    Notes,
    Plan,
    PlannedEvent,
    PlanRequest,
    Record,
    Regimen,
    Schedule,
    Step,
    Window,
)
from scheduler.units import MAX_WEIGHT_KG, MIN_WEIGHT_KG, parse_period
from scheduler.wording import CONFIRM, day_label, dose_text, event_title, format_number


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
    return Plan(request, plan_id, tuple(events), horizon, tuple(warnings))


def _step_order(event: PlannedEvent) -> tuple[date, bool, float]:
    return event.first_day, not event.all_day, event.start.timestamp() if isinstance(event.start, datetime) else 0.0


_MAX_DOSES = 1000


def _source_facts(regimen: Regimen, source_ids: tuple[str, ...]) -> list[Fact]:
    return [Fact("source", (regimen.source(i),), (i,)) for i in source_ids]


def _notes_facts(notes: Notes, sources: tuple[str, ...]) -> list[Fact]:
    """Return a template's notes as facts: what to expect, side effects to report, when to call, missed dose."""
    facts = [Fact("expect", (notes.expect,), sources)] if notes.expect else []
    if notes.report:
        facts.append(Fact("report", notes.report, sources))
    facts += [Fact(kind, (text,), sources) for kind, text in (("call", notes.call), ("missed", notes.missed)) if text]
    return facts


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

    # -- repeating doses -------------------------------------------------------------------

    def doses(self) -> tuple[Horizon, list[str]]:
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
        shared_by: dict[tuple[str, str], tuple[Dose, tuple[Fact, ...]]] = {}  # per regimen and schedule
        number, previous, previous_every, grid = 1, request.start, 0, request.start
        while count is None or number <= count:
            current, plan_schedule = records.schedule_for(number)
            if (current.id, plan_schedule.every) not in shared_by:
                shared_by[current.id, plan_schedule.every] = (
                    self._dosage(current, plan_schedule.dose, warnings),
                    self._schedule_facts(current, plan_schedule),
                )
            dosage, shared = shared_by[current.id, plan_schedule.every]
            # After a moved or late dose the next is counted from the actual date, unless --keep-grid.
            grid += timedelta(days=previous_every)
            planned = grid if request.keep_grid else previous + timedelta(days=previous_every)
            day, status, moves, clash = self._dose_day(number, planned, plan_schedule, records)
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
            situation = [Fact("reason", (moves,))] if moves else []
            situation += [Fact("conflict", (clash,))] if clash else []
            self.events.append(
                self._event(
                    key=f"dose-{number}",
                    kind="dose",
                    name=current.event_title or current.title,
                    start=start,
                    end=end,
                    dose_number=number,
                    dosage=dosage,
                    route=current.route,
                    status=status,
                    minutes=length,
                    shifted_from=planned if day != planned else None,
                    moves=moves,
                    clash=clash,
                    facts=(*situation, self._length_fact(current, plan_schedule, number), *timing, *shared),
                    unconfirmed=False,
                )
            )
            previous, previous_every = day, plan_schedule.every_days
            number += 1
            if number > _MAX_DOSES:
                raise PlanError(
                    f"a plan of more than {_MAX_DOSES} doses is not a schedule: give {option('doses')}, {option('until')} or {option('period')}"
                )
        dates = [e.first_day for e in self.events]
        if regimen.duration.rule == "months" and regimen.duration.months and dates:
            cap = request.start + relativedelta(months=regimen.duration.months)
            if dates[-1] >= cap:
                warnings.append(
                    f"this plan runs past the {regimen.duration.months}-month limit of the label for most "
                    f"indications; {CONFIRM.lower()[:-1]}."
                )
        if records.stop:
            horizon = dataclasses.replace(horizon, stopped=records.stop.on, why_stopped=records.stop.reason)
        conflicts = [e for e in self.events if e.conflict]
        if conflicts and request.strict:
            raise PlanError(
                f"{option('strict')}: doses on closed days: "
                + "; ".join(f"dose {e.dose_number} on {e.first_day} ({e.conflict})" for e in conflicts)
            )
        return horizon, warnings

    def _dose_day(
        self, number: int, planned: date, schedule: Schedule, records: _Records
    ) -> tuple[date, str, tuple[Move, ...], Conflict | None]:
        """Return (day, status, what moved it, why it is stuck on a closed day) for one dose."""
        request = self.request
        given = records.given.get(number)
        if given is not None:
            assert given.on is not None
            moved_from = planned if given.on != planned else None
            return given.on, "given", (Move("given", moved_from, given.on, why=given.reason),), None
        day, moves = planned, []
        delay = records.delays.get(number)
        if delay is not None:
            assert delay.days is not None
            day = planned + timedelta(days=delay.days)
            moves.append(Move("delayed", planned, days=delay.days, why=delay.reason))
        clash = None
        if request.clinic is not None:
            closed = request.clinic.closed(day)
            window = request.window or schedule.window or Window(0, 0)
            placed, found = request.clinic.place(day, window, request.shift)
            if closed and not found:
                clash = Conflict("no-open-day", closed, window)
            elif closed and placed != day:
                moves.append(Move("moved", day, why=closed, window=window))
                day = placed
        status = "held" if number in records.holds else "planned"
        if status == "held":
            moves.append(Move("held", why=records.holds[number].reason))
        return day, status, tuple(moves), clash

    def _horizon(self) -> tuple[int | None, date | None, Horizon]:
        """Return the dose count or last day the plan reaches, and why."""
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
        continues = duration.text
        if request.doses is not None:
            if request.doses < 1:
                raise PlanError(f"{option('doses', request.doses)}: give 1 or more")
            return request.doses, None, Horizon("doses", continues, count=request.doses)
        if request.until is not None:
            if request.until < request.start:
                raise PlanError(
                    f"{option('until', request.until)} is before the start {request.start}: give a later {option('until')}"
                )
            return None, request.until, Horizon("until", continues, last=request.until)
        if request.period is not None:
            last = request.start + parse_period(request.period) - timedelta(days=1)
            return None, last, Horizon("period", continues, last=last, period=request.period)
        if duration.rule == "months" and duration.months:
            last = request.start + relativedelta(months=duration.months) - timedelta(days=1)
            return None, last, Horizon("label-months", continues, duration.months, last, why=duration.horizon_text)
        if duration.rule == "doses" and duration.doses:
            return duration.doses, None, Horizon("template-doses", continues, count=duration.doses)
        assert duration.horizon is not None
        last = request.start + parse_period(duration.horizon) - timedelta(days=1)
        return None, last, Horizon("planning-horizon", continues, last=last, why=duration.horizon_text)

    def _dosage(self, regimen: Regimen, dose: Dose, warnings: list[str]) -> Dose:
        """Return this patient's dose: the fixed dose (what is given with it is in the notes), or the amount for the weight."""
        weight = self.request.weight_kg
        if not dose.weight_based:
            if weight is not None and not warnings:
                warnings.append(f"{option('weight_kg')} is not used: {regimen.id} gives a fixed dose")
            return dataclasses.replace(dose, with_=None)
        if weight is None:
            raise PlanError(
                f"{regimen.id} doses by weight ({dose_text(dose)}): add {option('weight_kg')} with the patient's weight in kg"
            )
        if not MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG:
            raise PlanError(
                f"{option('weight_kg', format_number(weight))} is not a body weight: give kilograms between "
                f"{MIN_WEIGHT_KG} and {MAX_WEIGHT_KG}"
            )
        return dose.for_weight(weight)

    def _length_fact(self, regimen: Regimen, schedule: Schedule, number: int) -> Fact:
        if schedule.given:
            return Fact("how-given", (schedule.given,), schedule.sources)
        if schedule.length_first_min and number == 1:
            return Fact("infusion-length", (regimen.route, schedule.length_first_min, "first"), schedule.sources)
        which = "later" if schedule.length_first_min else ""
        return Fact("infusion-length", (regimen.route, schedule.length_min, which), schedule.sources)

    def _schedule_facts(self, regimen: Regimen, schedule: Schedule) -> tuple[Fact, ...]:
        facts = [Fact("schedule", (schedule.dose, schedule.every_days, regimen.duration.text), schedule.sources)]
        if schedule.dose.weight_based and self.request.weight_kg is not None:
            facts.append(Fact("weight", (schedule.dose, self.request.weight_kg), schedule.sources))
        if schedule.window and self.request.clinic is not None:
            facts.append(Fact("window", (schedule.window,)))
        facts += _notes_facts(regimen.notes, ())
        facts += _source_facts(regimen, schedule.sources)
        return tuple(facts)

    # -- multi-step pathways ---------------------------------------------------------------

    def pathway(self) -> tuple[Horizon, list[str]]:
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
        conflicts = {(step.key, day): Conflict("tied-to-day-1", why) for step, day, _, why in clashes}
        for step, days in placed:
            self._step_events(step, days, anchor_date, conflicts)
        stops = [r.on for r in request.records if r.kind == "stop" and r.on]
        if stops:
            self.events = [e for e in self.events if e.first_day <= min(stops)]
        assert anchor is not None or not anchored
        horizon = Horizon(
            "pathway",
            regimen.duration.text,
            last=anchor_date,
            period=anchor.default_after if anchor and request.infusion is None else None,
            why=anchor.title if anchor else "",
            stopped=min(stops) if stops else None,
        )
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
        self, step: Step, days: list[int], anchor_date: date, conflicts: dict[tuple[str, int], Conflict]
    ) -> None:
        request, regimen = self.request, self.regimen
        anchor = regimen.anchor
        unconfirmed = [step.unconfirmed] if step.unconfirmed else []
        if anchor and not step.on_start and anchor.unconfirmed:
            unconfirmed.append(anchor.unconfirmed)
        if anchor and not step.on_start and request.infusion is None and anchor.default_unconfirmed:
            unconfirmed.append(anchor.default_unconfirmed)
        shared = [Fact("step-dose", (step.dose, step.route), step.sources)] if step.dose else []
        shared += _notes_facts(step.notes, step.sources)
        if unconfirmed:
            shared.append(Fact("unconfirmed", tuple(unconfirmed), confirmed=False))
        shared += _source_facts(regimen, step.sources)
        for day in days:
            on = request.start if step.on_start else pathway_day_date(anchor_date, day)
            label = [] if step.on_start else [Fact("pathway-day", (day, anchor_date))]
            if step.span is not None:
                end_date = pathway_day_date(anchor_date, step.span[1]) + timedelta(days=1)
                start: date | datetime = on
                end: date | datetime = end_date
                timing: tuple[Fact, ...] = (Fact("through", (end_date - timedelta(days=1), step.span[1])),)
            else:
                start, end, timing = self._times(
                    on, step.offset_min, step.length_min or regimen.slot_min, step.length_min is None, step.all_day
                )
            clash = conflicts.get((step.key, day))
            self.events.append(
                self._event(
                    key=step.key if len(days) == 1 else f"{step.key}-day{day}",
                    kind=step.kind,
                    name=step.title,
                    start=start,
                    end=end,
                    day=None if step.on_start else day,
                    dosage=step.dose,
                    route=step.route,
                    facts=(*label, *timing, *([Fact("conflict", (clash,))] if clash else []), *shared),
                    unconfirmed=bool(unconfirmed),
                    clash=clash,
                    minutes=None if step.all_day or step.span else step.length_min or regimen.slot_min,
                )
            )

    # -- shared pieces ---------------------------------------------------------------------

    def _times(
        self, on: date, offset_min: int, length_min: int | None, placeholder: bool, all_day: bool = False
    ) -> tuple[date | datetime, date | datetime, tuple[Fact, ...]]:
        """Return start, end and timing facts: all-day without an appointment time, else wall-clock in the zone.

        A wall-clock time that does not exist that day (spring forward) is read with the offset
        before the gap, as RFC 5545 3.3.5 says, so 02:30 becomes 03:30; the notes say so.
        An ambiguous time (fall back) is the first of the two, also as RFC 5545 says.
        """
        if all_day or self.request.time is None or self.zone is None:
            return on, on + timedelta(days=1), ()
        assert length_min is not None
        wall = datetime.combine(on, self.request.time) + timedelta(minutes=offset_min)
        start = wall.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)
        end = (start.astimezone(UTC) + timedelta(minutes=length_min)).astimezone(self.zone)
        facts = []
        if start.replace(tzinfo=None) != wall:
            facts.append(Fact("clock-gap", (wall, on, self.request.tz, start)))
        if placeholder:
            facts.append(Fact("placeholder"))
        return start, end, tuple(facts)

    def _event(self, key: str, name: str, **fields: Any) -> PlannedEvent:
        """Return an event; its title adds the dose number and, when asked for, the patient label."""
        title = event_title(name, fields.get("dose_number"), self.request.patient)
        all_day = not isinstance(fields["start"], datetime)
        return PlannedEvent(
            key=key, uid=event_uid(self.plan_id, key), name=name, title=title, all_day=all_day, **fields
        )

"""Repeating doses: each dose counted from the day the previous one really fell on, around the clinic's closed days."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler import caches, wording
from scheduler.engine.events import EventMaker, event_order, notes_facts, source_facts
from scheduler.engine.linked import linked_visits
from scheduler.engine.records import Records
from scheduler.errors import PlanError, option
from scheduler.model import (
    SHIFTS,
    Conflict,
    Dose,
    Fact,
    Horizon,
    Move,
    PlannedEvent,
    PlanRequest,
    Regimen,
    Schedule,
    Window,
)
from scheduler.units import MAX_WEIGHT_KG, MIN_WEIGHT_KG, calendar_months, days, parse_period
from scheduler.wording import CONFIRM, dose_text, event_title, format_number

_MAX_DOSES = 1000
_AS_PLANNED: tuple[Move, ...] = ()  # what moved a dose that stays on its day


class DoseBuilder(EventMaker):
    """Builds the events of a repeating-dose regimen."""

    def build(self) -> tuple[Horizon, list[str]]:
        request, regimen = self.request, self.regimen
        schedule = request.schedule or (regimen.schedules[0] if len(regimen.schedules) == 1 else None)
        if schedule is None:
            raise PlanError(f"{regimen.id} has several schedules; choose one with {option('every')}")
        pathway_only = [
            option(name)
            for name in ("infusion", "product_arrival", "monitor_days")
            if getattr(request, name) is not None
        ]
        if pathway_only:
            verb = "belongs" if len(pathway_only) == 1 else "belong"
            raise PlanError(
                f"{' and '.join(pathway_only)} {verb} to the afami-cel pathway; {regimen.id} is a repeating dose"
            )
        warnings: list[str] = []
        count, last, horizon = dose_horizon(request)
        records = Records(request.records, regimen, schedule)
        dosages: dict[tuple[str, str], Dose] = {}  # per regimen and schedule
        untouched, clinic = not (records.given or records.delays or records.holds), request.clinic
        common: _Common | None = None  # the facts of the dose before, kept while the schedule stays
        location = self.location(True)
        # The chair time the clinic gives (check-in to observation), else the drug's own minutes.
        profile = request.profile
        number, previous, previous_every, grid = 1, request.start, 0, request.start
        infused = False  # an IV infusion was given (or is planned) before this dose
        told: Schedule | None = None  # the schedule a dose given (or planned) said what to expect for
        while count is None or number <= count:
            current, plan_schedule = records.schedule_for(number)
            # After a moved or late dose the next is counted from the actual date, unless --keep-grid.
            step = days(previous_every)
            grid += step
            planned = grid if request.keep_grid else previous + step
            if untouched and (clinic is None or not clinic.closed(planned)):
                day, status, moves, clash = planned, "planned", _AS_PLANNED, None  # most doses
            else:
                day, status, moves, clash = self._dose_day(number, planned, plan_schedule, records)
            if number > 1 and day <= previous:
                delay = records.delays.get(number)
                if delay is not None and delay.days is not None and delay.days < 0:
                    most = (planned - previous).days - 1
                    raise PlanError(
                        f"dose {number} brought forward {-delay.days} days would fall on {day}, not after dose "
                        f"{number - 1} on {previous}: bring it forward at most {most} days"
                    )
                raise PlanError(
                    f"dose {number} on {day} is not after dose {number - 1} on {previous}: check the dates recorded in the plan"
                )
            if (last is not None and day > last and status != "given") or (records.stop_day and day > records.stop_day):
                break
            # The label's longer first infusion (atezolizumab: 60 minutes, then 30 "if the first infusion was
            # tolerated") is the first IV infusion really given: not a held dose 1, not an SC dose before a switch.
            first = bool(plan_schedule.length_first_min) and not infused and status != "held"
            intro = told is not plan_schedule  # no dose of this schedule has said what to expect yet
            if common is None or common.schedule is not plan_schedule or (common.first, common.intro) != (first, intro):
                common = _COMMON.facts(self, current, plan_schedule, first, intro)
                if (current.id, plan_schedule.every) not in dosages:
                    dosages[current.id, plan_schedule.every] = self._dosage(current, plan_schedule.dose, warnings)
                dosage = dosages[current.id, plan_schedule.every]
            infused = infused or (status != "held" and current.route == "IV")
            told = plan_schedule if status != "held" else told
            length = plan_schedule.length_first_min if first else plan_schedule.length_min
            length = (profile.dose_minutes(current.route) if profile else None) or length
            given = records.given.get(number)
            at = given.at if given is not None else None
            if at is not None and self.zone is None:
                raise PlanError(
                    f"dose {number} is recorded as given at {at:%H:%M}, but the plan has no appointment times: "
                    f"give the plan an appointment time ({option('time')} and {option('tz')}) first"
                )
            start, end, timing = self.times(day, 0, length, False, False, at)
            if moves or clash or timing:
                situation: tuple[Fact, ...] = (Fact("reason", (moves,)),) if moves else ()
                situation += (Fact("conflict", (clash,)),) if clash else ()
                facts = (*situation, common.length, *common.visit, *timing, *common.shared)
            else:
                facts = common.usual
            key, name = f"dose-{number}", current.event_title or current.title
            self.events.append(
                # Made here, not through self.event: a clinic's worth of doses is made in a batch.
                PlannedEvent(
                    key=key,
                    uid=self.uid(key),
                    kind="dose",
                    name=name,
                    title=event_title(name, number, request.patient),
                    all_day=not isinstance(start, datetime),
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
                    facts=facts,
                    location=location,
                )
            )
            previous, previous_every = day, plan_schedule.every_days
            number += 1
            if number > _MAX_DOSES:
                raise PlanError(
                    f"a plan of more than {_MAX_DOSES} doses is not a schedule: give {option('doses')}, {option('until')} or {option('period')}"
                )
        if request.profile is not None and request.profile.linked:
            self.events = sorted([*self.events, *linked_visits(self, self.events)], key=event_order)
        if regimen.duration.rule == "months" and regimen.duration.months:
            horizon = self._mark_beyond_label(horizon, regimen.duration.months, warnings)
        if records.stop:
            horizon = dataclasses.replace(horizon, stopped=records.stop.on, why_stopped=records.stop.reason)
        conflicts = [e for e in self.events if e.clash]
        if conflicts and request.strict:
            raise PlanError(
                f"{option('strict')}: doses on closed days: "
                + "; ".join(f"dose {e.dose_number} on {e.first_day} ({wording.event_conflict(e)})" for e in conflicts)
            )
        return horizon, warnings

    def _visit_facts(self, kind: str, route: str = "") -> list[Fact]:
        profile = self.request.profile
        minutes = (profile.dose_minutes(route) if kind == "dose" else profile.minutes_for(kind)) if profile else None
        return [Fact("visit-length", (minutes, profile.name))] if profile and minutes else []

    def _mark_beyond_label(self, horizon: Horizon, months: int, warnings: list[str]) -> Horizon:
        """Say on every dose past the label's duration limit, and in the horizon, that it is beyond it."""
        limit = self.request.start + calendar_months(months)
        fact = Fact("beyond-label", (months, limit), self.request.schedule.sources if self.request.schedule else ())
        beyond = 0
        for index in range(len(self.events) - 1, -1, -1):  # the events are in day order: from the last
            event = self.events[index]
            if event.first_day < limit:
                break
            if event.kind == "dose":
                beyond += 1
                self.events[index] = dataclasses.replace(event, facts=(fact, *event.facts), beyond_label=True)
        if beyond:
            warnings.append(
                f"{beyond} doses fall after the {months}-month limit of the label for most indications; "
                f"{CONFIRM.lower()[:-1]}."
            )
        return dataclasses.replace(horizon, beyond=beyond, limit_months=months)

    def _dose_day(
        self, number: int, planned: date, schedule: Schedule, records: Records
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
        closed = request.clinic.closed(day) if request.clinic is not None else None
        if closed:
            assert request.clinic is not None
            window = request.window or schedule.window or Window(0, 0)
            placed, found = request.clinic.place(day, window, request.shift)
            if not found:
                # Say so when another shift rule would have found an open day in the same window.
                other = next((s for s in SHIFTS if s != request.shift and request.clinic.place(day, window, s)[1]), "")
                clash = Conflict("no-open-day", closed, window, request.shift, other)
            elif placed != day:
                moves.append(Move("moved", day, why=closed, window=window))
                day = placed
        status = "held" if number in records.holds else "planned"
        if status == "held":
            moves.append(Move("held", why=records.holds[number].reason))
        return day, status, tuple(moves), clash

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

    def _length_fact(self, regimen: Regimen, schedule: Schedule, first: bool) -> Fact:
        if schedule.given:
            return Fact("how-given", (schedule.given,), schedule.sources)
        if schedule.length_first_min and first:
            return Fact("infusion-length", (regimen.route, schedule.length_first_min, "first"), schedule.sources)
        which = "later" if schedule.length_first_min else ""
        return Fact("infusion-length", (regimen.route, schedule.length_min, which), schedule.sources)

    def _schedule_facts(self, regimen: Regimen, schedule: Schedule) -> tuple[Fact, ...]:
        # The patient's calendar says how long treatment lasts in plain words (the clinic's views keep the label's).
        how_long = regimen.duration.patient or regimen.duration.text
        facts = [Fact("schedule", (schedule.dose, schedule.every_days, how_long), schedule.sources)]
        if schedule.dose.weight_based and self.request.weight_kg is not None:
            facts.append(Fact("weight", (schedule.dose, self.request.weight_kg), schedule.sources))
        if schedule.window and self.request.clinic is not None:
            facts.append(Fact("window", (schedule.window,), audience="clinic"))
        facts += notes_facts(regimen.notes, regimen.notes.sources)
        facts += self.contact_facts()
        facts += source_facts(regimen, schedule.sources)
        return tuple(facts)


def dose_horizon(request: PlanRequest) -> tuple[int | None, date | None, Horizon]:
    """Return the dose count or last day a repeating-dose plan reaches, and why."""
    duration = request.regimen.duration
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
        last = request.start + calendar_months(duration.months) - timedelta(days=1)
        return None, last, Horizon("label-months", continues, duration.months, last, why=duration.horizon_text)
    if duration.rule == "doses" and duration.doses:
        return duration.doses, None, Horizon("template-doses", continues, count=duration.doses)
    assert duration.horizon is not None
    last = request.start + parse_period(duration.horizon) - timedelta(days=1)
    return None, last, Horizon("planning-horizon", continues, last=last, why=duration.horizon_text)


@dataclass(frozen=True)
class _Common:
    """The facts the doses of a regimen's schedule share, for one weight, clinic and profile."""

    regimen: Regimen
    schedule: Schedule
    first: bool  # for the first dose, when it takes longer
    intro: bool  # the first dose of its schedule: it says what to expect; later ones point back to it
    profile: object  # the clinic profile they were made for (None without one)
    shared: tuple[Fact, ...]  # the schedule, its notes, the clinic's contact, the sources
    length: Fact  # how long the dose takes (the first, or the later ones)
    visit: tuple[Fact, ...]  # how long the clinic gives a dose visit
    usual: tuple[Fact, ...]  # all of a dose's facts when nothing happened to it


class _CommonFacts:
    """Facts made once for a clinic's worth of plans, so the words kept by their identity
    (scheduler.wording) are worded once for all of them too."""

    def __init__(self, kept: int = 1024) -> None:
        self.kept, self.made = kept, dict[tuple[int, int, bool, bool, float | None, bool, int], _Common]()

    def facts(self, builder: DoseBuilder, regimen: Regimen, schedule: Schedule, first: bool, intro: bool) -> _Common:
        request = builder.request
        profile = id(request.profile)
        key = (id(regimen), id(schedule), first, intro, request.weight_kg, request.clinic is not None, profile)
        common = self.made.get(key)
        if common is None or not (
            common.regimen is regimen and common.schedule is schedule and common.profile is request.profile
        ):
            if len(self.made) >= self.kept:
                self.made.clear()
            shared = builder._schedule_facts(regimen, schedule)
            if not intro:  # ~300 words said once a schedule, not on every dose (the handout finds them inside)
                told = tuple(f for f in shared if f.kind in TOLD_ONCE)
                shared = (*(f for f in shared if f.kind not in TOLD_ONCE), Fact("see-first", (told,)))
            length = builder._length_fact(regimen, schedule, first)
            visit = tuple(builder._visit_facts("dose", regimen.route))
            common = self.made[key] = _Common(
                regimen, schedule, first, intro, request.profile, shared, length, visit, (length, *visit, *shared)
            )
        return common


# What a later dose of a schedule leaves to its first: what to expect, the side effects and signs, tests, a question
# and the missed-dose rule. Every dose keeps its length, the schedule, when to call, the 911 line and the clinic.
TOLD_ONCE = frozenset({"expect", "report", "signs", "tests", "ask", "missed"})
_COMMON = _CommonFacts()
caches.register(_COMMON.made.clear)

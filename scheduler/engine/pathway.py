"""Multi-step pathways (afami-cel): steps placed by day around Day 1, never moved alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from scheduler.engine.events import EventMaker, notes_facts, source_facts
from scheduler.errors import PlanError, option
from scheduler.model import (
    Conflict,
    Fact,
    Horizon,
    PlanRequest,
    Step,
)
from scheduler.wording import day_label


def pathway_day_date(anchor: date, day: int) -> date:
    """Return the date of a pathway day: Day 1 is the anchor, Day -1 the day before, no Day 0."""
    return anchor + timedelta(days=day - 1 if day > 0 else day)


def _label(step: Step, day: int) -> str:
    return step.title if step.on_start else f"{step.title} ({day_label(day)})"


class PathwayBuilder(EventMaker):
    """Builds the events of a one-time pathway."""

    def __init__(self, request: PlanRequest, plan_id: str) -> None:
        super().__init__(request, plan_id)
        self._cursor: dict[date, int] = {}  # minutes already booked from the appointment time, by day
        self._shared: dict[tuple[date, str], int] = {}  # where a visit of kinds given together starts

    def build(self) -> tuple[Horizon, list[str]]:
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
            # The date suggested must pass the next check too: no infusion sooner than the product can be made.
            earliest = max(earliest, self._earliest_plausible() or earliest)
            raise PlanError(
                f"{option('infusion', anchor_date)} puts the steps before the infusion on {first}, not after the "
                f"collection on {request.start}: choose an infusion date on or after {earliest}"
            )
        treatment = [
            pathway_day_date(anchor_date, day)
            for step, days in placed
            if step.clinic and not step.on_start
            for day in days
        ]
        self._check_plausible(anchor_date, min(treatment, default=anchor_date))
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
            arrival=request.product_arrival,
            period=anchor.default_after if anchor and request.infusion is None else None,
            why=anchor.title if anchor else "",
            stopped=min(stops) if stops else None,
        )
        return horizon, warnings

    def _earliest_plausible(self) -> date | None:
        """Return the earliest plausible Day 1 when the product's arrival is not known, or None."""
        anchor = self.regimen.anchor
        if anchor is None or anchor.min_after_days is None or self.request.product_arrival is not None:
            return None
        return self.request.start + timedelta(days=anchor.min_after_days)

    def _check_plausible(self, anchor_date: date, first_tied: date) -> None:
        """Refuse a Day 1 sooner after the start than the product can be made, unless its arrival is known.

        An infusion a few days after collection is not plausible (manufacturing takes weeks) and
        must not be planned silently; a known arrival date, before the first treatment tied to Day 1
        (the product must be there before lymphodepleting chemotherapy starts: label), lifts the check.
        """
        request, anchor = self.request, self.regimen.anchor
        arrival = request.product_arrival
        if arrival is not None:
            if anchor is None:
                raise PlanError(f"{self.regimen.id} has no product to arrive: leave out {option('product_arrival')}")
            if not request.start < arrival < first_tied:
                raise PlanError(
                    f"{option('product_arrival', arrival)} must fall after the plan start on {request.start} and "
                    f"before the first treatment tied to Day 1 on {first_tied}"
                )
            if anchor.min_after_days is not None and (arrival - request.start).days < anchor.min_after_days:
                # The product is made from the collected cells: it cannot arrive days after collection.
                earliest_arrival = request.start + timedelta(days=anchor.min_after_days)
                raise PlanError(
                    f"{option('product_arrival', arrival)} is {(arrival - request.start).days} days after the "
                    f"collection on {request.start}; {anchor.min_after_text}: the earliest plausible arrival is "
                    f"{earliest_arrival}"
                )
            return
        earliest = self._earliest_plausible()
        if earliest is not None and anchor_date < earliest and anchor is not None:
            gap = (anchor_date - request.start).days
            raise PlanError(
                f"{option('infusion', anchor_date)} is {gap} days after the start on {request.start}; "
                f"{anchor.min_after_text}: the earliest plausible infusion is {earliest}. If the product's arrival "
                f"date is known, give it with {option('product_arrival')} (before the first treatment tied to Day 1)"
            )

    def _closed_for_monitoring(self, step: Step, on: date) -> list[Fact]:
        """Return a note for the clinic when a monitoring day falls on a day the infusion clinic is closed."""
        clinic = self.request.clinic
        why = clinic.closed(on) if clinic is not None and step.kind == "monitoring" else None
        return [Fact("monitoring-closed", (why,), audience="clinic")] if why else []

    def _profile_minutes(self, step: Step) -> int | None:
        profile = self.request.profile
        return profile.minutes_for(step.kind) if profile else None

    def _length(self, step: Step) -> int | None:
        """Return a timed step's length: the clinic's visit minutes, the template's length, or its slot."""
        return self._profile_minutes(step) or step.length_min or self.regimen.slot_min

    def _clashes(self, placed: list[tuple[Step, list[int]]], anchor_date: date) -> list[tuple[Step, int, date, str]]:
        """Return the clinic steps that fall on a closed day: (step, day number, date, why closed)."""
        clinic = self.request.clinic
        if clinic is None:
            return []
        found = []
        for step, days in placed:
            for day in days if step.clinic or step.audience == "clinic" else []:
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
        plausible = self._earliest_plausible()
        for offset in [*range(1, 29), *range(-1, -29, -1)]:
            candidate = anchor_date + timedelta(days=offset)
            if earliest + timedelta(days=offset) <= start or (plausible is not None and candidate < plausible):
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
                # Monitoring never outlasts the template's watch period (afami-cel: 4 weeks, label).
                watch_end = max((s.span[1] for s in self.regimen.steps if s.span), default=None)
                if watch_end is not None and first + wanted - 1 > watch_end:
                    most = watch_end - first + 1
                    raise PlanError(
                        f"{option('monitor_days', wanted)} runs past the watch period, which ends on Day {watch_end}: "
                        f"give at most {most}; the care team plans visits after it"
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
        shared += notes_facts(step.notes, step.sources)
        # Every event carries what the regimen says to expect; the cells' warning signs and when to call
        # only from the infusion on (Day 1). Before it, the emergency line still stands on every visit, and a
        # step says what its own treatment brings (the chemotherapy's infections and low blood counts).
        before_infusion = anchor is not None and (step.on_start or max(days) < 1)
        emergency = tuple(f for f in regimen.notes.lines if f.kind == "emergency")
        notes = (
            dataclasses.replace(regimen.notes, report=(), call="", lines=emergency)
            if before_infusion
            else regimen.notes
        )
        shared += notes_facts(notes, regimen.notes.sources)
        shared += self.contact_facts()
        if unconfirmed:
            shared.append(Fact("unconfirmed", tuple(unconfirmed)))
        shared += source_facts(regimen, step.sources)
        for day in days:
            on = request.start if step.on_start else pathway_day_date(anchor_date, day)
            label = [] if step.on_start else [Fact("pathway-day", (day, anchor_date))]
            if step.span is not None:
                end_date = pathway_day_date(anchor_date, step.span[1]) + timedelta(days=1)
                start: date | datetime = on
                end: date | datetime = end_date
                timing: tuple[Fact, ...] = (Fact("through", (end_date - timedelta(days=1), step.span[1])),)
            else:
                # Steps of one day run one after the other from the appointment time, in the
                # template's order: premedication ends when the infusion starts.
                # A clinic that gives some kinds in one visit (two chemotherapy drugs) starts them together.
                length = self._length(step)
                placeholder = self._profile_minutes(step) is None and step.length_min is None
                together = request.profile is not None and step.kind in request.profile.same_visit
                offset = self._cursor.get(on, 0)
                if together:
                    offset = self._shared.setdefault((on, step.kind), offset)
                start, end, timing = self.times(on, offset, length, placeholder, step.all_day)
                if not step.all_day and length is not None:
                    self._cursor[on] = max(self._cursor.get(on, 0), offset + length)
                    if isinstance(start, datetime) and start.date() != on:
                        raise PlanError(
                            f"the visits of {day_label(day)} run past midnight from an appointment at "
                            f"{request.time:%H:%M}: give an earlier {option('time')}"
                        )
            clash = conflicts.get((step.key, day))
            where = self._closed_for_monitoring(step, on)
            self.events.append(
                self.event(
                    key=step.key if len(days) == 1 else f"{step.key}-day{day}",
                    kind=step.kind,
                    name=step.title,
                    start=start,
                    end=end,
                    day=None if step.on_start else day,
                    dosage=step.dose,
                    route=step.route,
                    facts=(*label, *timing, *([Fact("conflict", (clash,))] if clash else []), *where, *shared),
                    unconfirmed=bool(unconfirmed),
                    clash=clash,
                    # Monitoring is at the health care facility the care team names (often a hospital
                    # stay), not necessarily the infusion clinic: no clinic address on it.
                    location=self.location(step.clinic),
                    audience=step.audience,
                    # A daily run of all-day events (monitoring) reminds once, on its first day; each
                    # timed visit (a chemotherapy day) reminds on its own.
                    remind=step.audience == "patient" and (step.days is None or not step.all_day or day == days[0]),
                    minutes=None if step.all_day or step.span else self._length(step),
                )
            )

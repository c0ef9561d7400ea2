"""Visits a clinic links to doses: labs the day before, a provider visit the same day, imaging every
few weeks. Only from a clinic profile's [[linked]] entries: txcal never invents a lab schedule.

Linked visits follow their dose as it really falls (delays, moves off closed days, records) and
are not planned for a held dose. A patient is in one place at a time: the same-day visits before a
dose run one after another in the profile's order, each ending early enough for its
`wait_minutes` (lab results, pharmacy) before the chair starts. A linked visit on a closed day moves earlier, up to three days and
never to or past the dose before; with no open day it stays and is flagged, as doses are.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from scheduler.engine.events import EventMaker
from scheduler.errors import PlanError
from scheduler.model import Conflict, Fact, LinkedVisit, PlannedEvent, Window

MAX_LINKED_EVENTS = 5000  # the linked visits of one plan: a few per dose at most
# How far a linked visit may move off a closed day: earlier only, so it still comes before its dose.
_EARLIER = Window(3, 0)
_LATER = Window(0, 3)


def linked_visits(maker: EventMaker, doses: list[PlannedEvent]) -> list[PlannedEvent]:
    """Return the linked visits of a plan's doses, and its imaging every N weeks from the start."""
    profile = maker.request.profile
    assert profile is not None
    found: list[PlannedEvent] = []
    planned = [d for d in doses if d.kind == "dose" and d.status != "held"]
    for visit in profile.linked:
        if visit.every_weeks is not None:
            found += _every_weeks(maker, visit, planned)
            continue
        for index, dose in enumerate(planned):
            number = dose.dose_number or index + 1
            if _with_dose(visit, number):
                previous = planned[index - 1].first_day if index else None
                found.append(
                    _before_dose(maker, visit, dose, number, previous, _ends_before(profile.linked, visit, number))
                )
        if len(found) > MAX_LINKED_EVENTS:
            raise PlanError(
                f"the clinic profile's linked visits make more than {MAX_LINKED_EVENTS} events for this plan: "
                "link fewer visits, or link them to every Nth dose (every)"
            )
    return found


def _with_dose(visit: LinkedVisit, number: int) -> bool:
    return visit.every_weeks is None and (number - 1) % visit.every == 0


def _ends_before(visits: tuple[LinkedVisit, ...], visit: LinkedVisit, number: int) -> int:
    """Return how many minutes before the dose a same-day visit ends: the visits after it in the profile's
    order come between, each ending its own wait before the chair."""
    same_day = [v for v in visits if v.before_days == 0 and _with_dose(v, number)]
    gap = 0  # minutes from the end of the visit being placed to the chair
    for later in reversed(same_day[same_day.index(visit) :] if visit in same_day else []):
        gap = max(gap, later.wait_minutes)
        if later is visit:
            return gap
        gap += later.minutes
    return gap


def _before_dose(
    maker: EventMaker, visit: LinkedVisit, dose: PlannedEvent, number: int, previous: date | None, ends_before: int
) -> PlannedEvent:
    day = dose.first_day - timedelta(days=visit.before_days)
    day, clash = _open_day(maker, day, _EARLIER, previous)
    if visit.before_days == 0 and isinstance(dose.start, datetime):
        # The same day, before the dose: the visits after it and its wait come between it and the chair.
        end: date | datetime = dose.start - timedelta(minutes=ends_before)
        start: date | datetime = end - timedelta(minutes=visit.minutes)
        timing: tuple[Fact, ...] = ()
    else:
        start, end, timing = maker.times(day, 0, visit.minutes, placeholder=False)
    return _event(
        maker,
        visit,
        f"{visit.kind}-dose-{number}",
        start,
        end,
        clash,
        [Fact("linked", (number, visit.before_days)), *timing],
    )


def _every_weeks(maker: EventMaker, visit: LinkedVisit, doses: list[PlannedEvent]) -> list[PlannedEvent]:
    if not doses or visit.every_weeks is None:
        return []
    events = []
    last = doses[-1].first_day
    count = 1
    by_day = {dose.first_day: dose for dose in doses}
    while (day := maker.request.start + timedelta(weeks=visit.every_weeks * count)) <= last:
        day, clash = _open_day(maker, day, _LATER, None)
        dose = by_day.get(day)
        if dose is not None and isinstance(dose.end, datetime):
            # On a dose day, after the dose: a patient is in one place at a time.
            start: date | datetime = dose.end
            end: date | datetime = dose.end + timedelta(minutes=visit.minutes)
            timing: tuple[Fact, ...] = ()
        else:
            start, end, timing = maker.times(day, 0, visit.minutes, placeholder=False)
        events.append(_event(maker, visit, f"{visit.kind}-{count}", start, end, clash, list(timing)))
        count += 1
    return events


def _open_day(maker: EventMaker, day: date, window: Window, after: date | None) -> tuple[date, Conflict | None]:
    """Return the open day a linked visit takes within its window, or the day itself and why it is stuck."""
    clinic = maker.request.clinic
    if clinic is None or not (closed := clinic.closed(day)):
        return day, None
    placed, found = clinic.place(day, window, "previous" if window.early else "next")
    if found and (after is None or placed > after):
        return placed, None
    return day, Conflict("no-open-day", closed, window)


def _event(
    maker: EventMaker,
    visit: LinkedVisit,
    key: str,
    start: date | datetime,
    end: date | datetime,
    clash: Conflict | None,
    facts: list[Fact],
) -> PlannedEvent:
    situation = [Fact("conflict", (clash,))] if clash else []
    return maker.event(
        key=key,
        kind=visit.kind,
        name=visit.title,
        start=start,
        end=end,
        minutes=visit.minutes,
        clash=clash,
        facts=(*situation, *facts, *maker.contact_facts()),
        location=maker.location(True),
    )

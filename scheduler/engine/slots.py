"""Appointment times a clinic sets when it levels its chairs: a plan's visits of a day moved together.

The engine plans every visit of a day from the plan's appointment time; a levelled batch
(scheduler.clinic.levelling) then gives each patient's day a time, and sometimes another open day
within the dose's window. The whole day moves as one (labs and the provider visit stay right
before the chair), a visit tied to the dose on another day (labs the day before) moves with its
day, and every moved event says so in its reason.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.engine.events import event_order, zoned
from scheduler.model import CHAIR_KINDS, Fact, Move, Plan, PlannedEvent


@dataclasses.dataclass(frozen=True, slots=True)
class Rebooking:
    """A patient's day the clinic rebooked: its chair visit starts at `at` on `day` instead of `planned` at `was`."""

    planned: date
    day: date
    at: time
    was: time
    # What the patient asked for, when the clinic's time differs from it ("10:30", "morning"); "" when it
    # keeps the request (a lab's lead time before the chair is no change): the visits move, nobody is told.
    asked: str = ""
    why: str = ""  # a coordinator's move (txcal move): its reason, for the clinic's views; "" for levelling


def _shift(event: PlannedEvent, days: int, minutes: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    assert isinstance(event.start, datetime) and isinstance(event.end, datetime)
    wall = event.start.replace(tzinfo=None) + timedelta(days=days, minutes=minutes)
    length = event.end.astimezone(UTC) - event.start.astimezone(UTC)
    start = zoned(wall, zone)
    return start, (start.astimezone(UTC) + length).astimezone(zone)


def reschedule(plan: Plan, rebookings: tuple[Rebooking, ...]) -> Plan:
    """Return the plan with each rebooked day's timed visits at their new time (and day), reasons added."""
    if not rebookings or plan.request.tz is None:
        return plan
    zone = ZoneInfo(plan.request.tz)
    by_day = {r.planned: r for r in rebookings}
    # A dose's own visits on other days (labs the day before) follow its day: their keys end "-dose-N".
    dose_days = {e.dose_number: e.first_day for e in plan.events if e.kind == "dose" and e.dose_number}
    events = []
    for event in plan.events:
        rebooking = by_day.get(event.first_day)
        same_day = rebooking is not None
        if rebooking is None and "-dose-" in event.key:
            number = int(event.key.rpartition("-dose-")[2])
            rebooking = by_day.get(dose_days.get(number, event.first_day))
        if rebooking is None or not isinstance(event.start, datetime) or event.status == "given":
            events.append(event)
            continue
        days = (rebooking.day - rebooking.planned).days
        minutes = (rebooking.at.hour - rebooking.was.hour) * 60 + rebooking.at.minute - rebooking.was.minute
        start, end = _shift(event, days, minutes if same_day else 0, zone)
        moves, facts = event.moves, event.facts
        # Said once a visit: on its chair visit, or on every event of a day that moved to another day.
        if rebooking.asked and (days or event.kind in CHAIR_KINDS):
            move = Move(
                "levelled",
                planned=rebooking.planned,
                day=rebooking.day,
                at=start.time(),
                was=event.start.time(),
                asked=rebooking.asked,
                why=rebooking.why,
            )
            moves = (*event.moves, move)
            # The reason is the first thing the event's notes say, as the engine puts it.
            facts = (Fact("reason", (moves,)), *(f for f in event.facts if f.kind != "reason"))
        events.append(
            dataclasses.replace(
                event,
                start=start,
                end=end,
                moves=moves,
                facts=facts,
                shifted_from=event.shifted_from or (event.first_day if days else None),
            )
        )
    return dataclasses.replace(plan, events=tuple(sorted(events, key=event_order)))


def asked_for(event: PlannedEvent) -> str:
    """Return what the patient asked for, for a chair visit the clinic set at another time: "10:30" (their
    arrival, or the list's time: the chair's start), "morning", or "2026-12-01 09:00" when it moved day ("" when
    the clinic kept the request)."""
    if event.kind not in CHAIR_KINDS:
        return ""
    move = next((m for m in event.moves if m.code == "levelled"), None)
    if move is None or not move.asked:
        return ""
    day = f"{move.planned} " if move.planned is not None and move.day not in (None, move.planned) else ""
    return f"{day}{move.asked}"

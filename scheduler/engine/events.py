"""What every kind of plan builds its events with: times in the plan's zone, identities, titles, shared facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler import caches
from scheduler.identity import EventUids
from scheduler.model import (
    Fact,
    Notes,
    PlannedEvent,
    PlanRequest,
    Regimen,
)
from scheduler.units import minutes
from scheduler.wording import event_title


def source_facts(regimen: Regimen, source_ids: tuple[str, ...]) -> list[Fact]:
    # Sources are for reference (show --sources, JSON): no calendar names them, the patient's least.
    return [Fact("source", (regimen.source(i),), (i,), audience="reference") for i in source_ids]


def notes_facts(notes: Notes, sources: tuple[str, ...]) -> list[Fact]:
    """Return a template's notes as facts: what to expect, side effects to report, when to call, missed dose."""
    facts = [Fact("expect", (notes.expect,), sources)] if notes.expect else []
    if notes.report:
        facts.append(Fact("report", notes.report, sources))
    facts += [Fact(kind, (text,), sources) for kind, text in (("call", notes.call), ("missed", notes.missed)) if text]
    facts += [Fact("clinician", (text,), sources, audience="clinic") for text in notes.clinician]
    facts += notes.lines  # each with its own sources
    return facts


def zoned(wall: datetime, zone: ZoneInfo) -> datetime:
    """Return a wall-clock time in a zone as RFC 5545 reads it: a time in a spring-forward gap moves past it."""
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


_ONE_DAY = timedelta(days=1)
_DAY_MINUTES = 24 * 60
_PLACEHOLDER = Fact("placeholder")


@caches.kept(8192)
def steady_day(zone: ZoneInfo, day: date) -> bool:
    """Return whether the zone's clocks keep one offset through the whole day (no change to or from summer time)."""
    midnight = datetime.combine(day, time()).replace(tzinfo=zone)
    return midnight.utcoffset() == (midnight + timedelta(days=1)).utcoffset()


def event_order(event: PlannedEvent) -> tuple[date, bool, float]:
    """Return how events sort in a plan: by day, all-day ones first, then by the time they start."""
    return event.first_day, not event.all_day, event.start.timestamp() if isinstance(event.start, datetime) else 0.0


class EventMaker:
    """Makes the events of one plan: wall-clock times in its zone, stable UIDs, titles."""

    def __init__(self, request: PlanRequest, plan_id: str) -> None:
        self.request = request
        self.regimen = request.regimen
        self.plan_id = plan_id
        self.zone = ZoneInfo(request.tz) if request.time is not None and request.tz else None
        self.events: list[PlannedEvent] = []
        self.uid = EventUids(plan_id)

    def times(
        self,
        on: date,
        offset_min: int,
        length_min: int | None,
        placeholder: bool,
        all_day: bool = False,
        at: time | None = None,
    ) -> tuple[date | datetime, date | datetime, tuple[Fact, ...]]:
        """Return start, end and timing facts: all-day without an appointment time, else wall-clock in the zone.

        A wall-clock time that does not exist that day (spring forward) is read with the offset
        before the gap, as RFC 5545 3.3.5 says, so 02:30 becomes 03:30; the notes say so.
        An ambiguous time (fall back) is the first of the two, also as RFC 5545 says.
        """
        if all_day or self.request.time is None or self.zone is None:
            return on, on + _ONE_DAY, ()
        assert length_min is not None
        clock = at or self.request.time
        minute = clock.hour * 60 + clock.minute + offset_min
        if minute >= 0 and minute + length_min < _DAY_MINUTES and steady_day(self.zone, on):
            # Starts and ends that day, and no clock change that day: the wall time is the time, and
            # the end is the start plus the length (what the conversion through UTC below gives, at
            # a fraction of the cost).
            start = datetime.combine(on, clock, self.zone)
            if offset_min:
                start += minutes(offset_min)
            return start, start + minutes(length_min), (_PLACEHOLDER,) if placeholder else ()
        wall = datetime.combine(on, clock) + timedelta(minutes=offset_min)
        length = timedelta(minutes=length_min)
        start = zoned(wall, self.zone)
        end = (start.astimezone(UTC) + length).astimezone(self.zone)
        facts = []
        if start.replace(tzinfo=None) != wall:
            facts.append(Fact("clock-gap", (wall, on, self.request.tz, start)))
        if placeholder:
            facts.append(_PLACEHOLDER)
        return start, end, tuple(facts)

    def location(self, at_clinic: bool) -> str:
        """Return where a visit at the clinic happens, from the profile ("" without one)."""
        profile = self.request.profile
        return profile.location if profile is not None and at_clinic else ""

    def contact_facts(self) -> list[Fact]:
        """Return the clinic's name and phone numbers as a fact, when the profile gives them."""
        profile = self.request.profile
        if profile is None or not (profile.phone or profile.after_hours_phone):
            return []
        return [Fact("contact", (profile.name, profile.phone, profile.after_hours_phone))]

    def event(self, key: str, name: str, **fields: Any) -> PlannedEvent:
        """Return an event; its title adds the dose number and, when asked for, the patient label."""
        title = event_title(name, fields.get("dose_number"), self.request.patient)
        all_day = not isinstance(fields["start"], datetime)
        return PlannedEvent(key=key, uid=self.uid(key), name=name, title=title, all_day=all_day, **fields)

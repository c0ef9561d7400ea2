"""Expand a regimen and a plan request into dated events: pure, no I/O, no click, no icalendar."""

from __future__ import annotations

import dataclasses
from datetime import date

from scheduler.engine.doses import DoseBuilder
from scheduler.engine.events import event_order
from scheduler.engine.pathway import PathwayBuilder
from scheduler.errors import PlanError, option
from scheduler.identity import derive_plan_id
from scheduler.model import (
    Plan,
    PlannedEvent,
    PlanRequest,
)


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
    builder = DoseBuilder(request, plan_id) if regimen.schedules else PathwayBuilder(request, plan_id)
    horizon, warnings = builder.build()
    # Doses come out in order (a given date out of order is refused); pathway steps are sorted by
    # day, all-day first, then by time.
    events = builder.events if regimen.schedules else sorted(builder.events, key=event_order)
    return Plan(request, plan_id, tuple(_one_reminder_a_day(events)), horizon, tuple(warnings))


def _one_reminder_a_day(events: list[PlannedEvent]) -> list[PlannedEvent]:
    """Keep the reminders of a day's first visit only: a lab, a visit and a dose the same day remind once."""
    first: dict[date, PlannedEvent] = {}
    reminding = (e for e in events if e.remind and e.audience == "patient" and e.status != "held")
    for event in sorted(reminding, key=event_order):
        first.setdefault(event.first_day, event)
    return [
        e
        if not e.remind or e.audience != "patient" or first.get(e.first_day) is e
        else dataclasses.replace(e, remind=False)
        for e in events
    ]

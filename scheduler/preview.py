"""Plans as terminal text: one line per event, with the horizon and the care-team reminder."""

from __future__ import annotations

from datetime import datetime

from scheduler.engine import day_label
from scheduler.model import DISCLAIMER, Plan, PlannedEvent


def event_label(event: PlannedEvent) -> str:
    """Return the short label of an event: "dose 3", "Day -7", or its kind."""
    if event.dose_number is not None:
        return f"dose {event.dose_number}"
    if event.day is not None:
        return day_label(event.day)
    return event.kind


def event_time(event: PlannedEvent) -> str:
    """Return "09:00-09:30" for a timed event, "all day" otherwise."""
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        return f"{event.start:%H:%M}-{event.end:%H:%M}"
    return "all day"


def render_text(plan: Plan) -> str:
    """Return the plan as text: a heading, one line per event, the horizon and the reminder."""
    regimen = plan.regimen
    heading = f"{regimen.title}: {plan.schedule_text}" if regimen.schedules else plan.schedule_text
    if plan.request.time is not None:
        heading += f" (times in {plan.request.tz})"
    lines = [heading]
    for event in plan.events:
        when = event.start.date() if isinstance(event.start, datetime) else event.start
        flag = " *" if event.unconfirmed else ""
        dose = f"  {event.dose}" if event.dose else ""
        lines.append(
            f"{when:%Y-%m-%d} {when:%a}  {event_time(event):<11}  {event_label(event):<8}  {event.title}{dose}{flag}".rstrip()
        )
    lines.append("")
    lines.append(plan.horizon)
    if any(e.unconfirmed for e in plan.events):
        lines.append("* rests on a fact not confirmed against the label: confirm with your care team.")
    lines.append(DISCLAIMER)
    return "\n".join(lines) + "\n"

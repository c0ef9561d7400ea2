"""The `ics` format: a plan as an iCalendar file (scheduler.ical writes it), updating the previous export."""

from __future__ import annotations

from scheduler.ical import to_ics, txcal_plan_id
from scheduler.model import Plan
from scheduler.writers.registry import Rendered, View


def render(plan: Plan, view: View) -> Rendered:
    """Return the plan as an iCalendar file (the `ics` format), updating `view.previous` when given."""
    export = to_ics(plan, view.stamp, view.reminders, view.previous)
    note = ""
    if export.changed or export.cancelled:
        note = f"; against the previous export: {export.changed} changed, {export.cancelled} cancelled"
    return Rendered(export.data, note)


def owner(data: bytes) -> str | None:
    """Return the plan id of a calendar file txcal wrote, or None for any other file."""
    return txcal_plan_id(data)

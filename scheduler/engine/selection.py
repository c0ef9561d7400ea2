"""Narrow a plan's events for display: what is next, or what falls between two dates."""

from __future__ import annotations

import dataclasses
from datetime import date

from scheduler.errors import PlanError
from scheduler.model import Plan
from scheduler.view_wording import selection_text


def select_events(
    plan: Plan, today: date, next_count: int | None = None, first: date | None = None, last: date | None = None
) -> Plan:
    """Return the plan with only the events asked for; identities and order are kept.

    Args:
        plan: the expanded plan.
        today: the day `next_count` counts from (today's events count as next).
        next_count: keep the next N events from today.
        first, last: keep events that touch this inclusive range of dates.

    Raises:
        PlanError: the range ends before it starts.
    """
    if first and last and last < first:
        raise PlanError(f"{last} is before {first}: the end of the range must come after its start")
    events = [
        e for e in plan.events if (first is None or e.last_day >= first) and (last is None or e.first_day <= last)
    ]
    if first is None and last is None and next_count is None:
        return plan
    if next_count is not None:
        events = [e for e in events if e.last_day >= today][:next_count]
    selection = selection_text(len(events), len(plan.events), first, last, next_count, today)
    return dataclasses.replace(plan, events=tuple(events), selection=selection)

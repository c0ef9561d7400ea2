"""The handout's own patient sentences: the first screen (who, the next visit, whom to call) and each row's place.

The handout reads top-down on a phone or a printed page, so its first screen answers what a
patient looks for first; the rest of the page (appointments, month grids, side effects) follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from scheduler.fact_words import fact_line
from scheduler.model import Fact, Plan, PlannedEvent
from scheduler.wording import CONFIRM, schedule_text

# Kinds that are a period to watch, not a visit anywhere: no place, and never "the next visit".
NOT_A_VISIT = frozenset({"watch"})
# A visit the clinic profile gives no address for (afami-cel's monitoring: label 5.1 says "at the
# healthcare facility", which the care team names, often a hospital stay).
PLACE_UNKNOWN = "Your care team tells you where"
CALL_CARE_TEAM = "Questions or problems: call your care team."


def place(event: PlannedEvent) -> str:
    """Return where a visit happens as the patient reads it ("" for a period to watch)."""
    if event.kind in NOT_A_VISIT:
        return ""
    return event.location or PLACE_UNKNOWN


def next_visit(events: Sequence[PlannedEvent], today: date) -> PlannedEvent | None:
    """Return the first visit on or after today that is still to happen, or None."""
    return next(
        (e for e in events if e.kind not in NOT_A_VISIT and e.status == "planned" and e.last_day >= today),
        None,
    )


def visit_when(event: PlannedEvent) -> str:
    """Return a visit's day and time in words: "Tuesday 23 February 2027 at 09:30" or "..., all day"."""
    day = f"{event.first_day:%A %d %B %Y}"
    return f"{day} at {event.start:%H:%M}" if isinstance(event.start, datetime) else f"{day}, all day"


def zone_words(tz: str) -> str:
    """Return a time zone as a patient says it: "America/New_York" -> "New York time"."""
    return tz.rsplit("/", 1)[-1].replace("_", " ") + " time"


def whom_to_call(contacts: Sequence[Fact]) -> str:
    """Return whom to call, from the clinic profile's numbers when it gives them."""
    return " ".join(fact_line(f) for f in contacts) if contacts else CALL_CARE_TEAM


def heading(plan: Plan) -> str:
    """Return the plan in a sentence a patient reads: the treatment, its schedule or Day 1, and the time zone."""
    if plan.regimen.schedules:
        text = f"{plan.regimen.title}: {schedule_text(plan)}."
    else:
        assert plan.reach.last is not None
        text = f"{plan.regimen.title}. Your infusion (Day 1) is on {plan.reach.last:%A %d %B %Y}."
    if plan.request.time is not None and plan.request.tz:
        text += f" Times are {zone_words(plan.request.tz)}."
    return text


def reach(plan: Plan) -> str:
    """Return how far the schedule reaches and how long treatment lasts, in plain words."""
    horizon, duration = plan.reach, plan.regimen.duration
    if horizon.stopped is not None:
        return f"Treatment stopped on {horizon.stopped:%A %d %B %Y}."
    if horizon.code == "pathway":
        text = "Day 1 is the day of your infusion. Day -1 is the day before."
        if horizon.period is not None:
            text += " The infusion date is an estimate: it depends on when your cells are ready."
        return text
    if horizon.count is not None and horizon.code in ("doses", "template-doses"):
        text = f"This schedule shows {horizon.count} dose{'' if horizon.count == 1 else 's'}."
    else:
        assert horizon.last is not None
        text = f"This schedule shows your visits through {horizon.last:%A %d %B %Y}."
    if duration is not None:
        text += f" Treatment goes on {duration.patient or duration.text}."
    if horizon.beyond:
        text += (
            f" {horizon.beyond} of these doses come after the {horizon.limit_months}-month limit on the drug's "
            f"label. {CONFIRM}"
        )
    return text


# The feed section of a handout: what the patient does once, in plain words.
FEED_HOW = (
    "Scan this code with your phone's camera once. Your calendar app then keeps your visits up to date by "
    "itself when your clinic changes a time. Keep the code to yourself: anyone with it can see your visits."
)

"""The handout's own patient sentences: the first screen (who, the next visit, whom to call) and each row's place.

The handout reads top-down on a phone or a printed page, so its first screen answers what a
patient looks for first; the rest of the page (appointments, month grids, side effects) follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from scheduler import i18n
from scheduler.fact_words import fact_line
from scheduler.i18n import N_, _, ngettext
from scheduler.model import Fact, Plan, PlannedEvent
from scheduler.wording import CONFIRM, schedule_text

# Kinds that are a period to watch, not a visit anywhere: no place, and never "the next visit".
NOT_A_VISIT = frozenset({"watch"})
# A visit the clinic profile gives no address for (afami-cel's monitoring: label 5.1 says "at the
# healthcare facility", which the care team names, often a hospital stay).
PLACE_UNKNOWN = N_("Your care team tells you where")
CALL_CARE_TEAM = N_("Questions or problems: call your care team.")


def place(event: PlannedEvent) -> str:
    """Return where a visit happens as the patient reads it ("" for a period to watch)."""
    if event.kind in NOT_A_VISIT:
        return ""
    return event.location or _(PLACE_UNKNOWN)


def next_visit(events: Sequence[PlannedEvent], today: date) -> PlannedEvent | None:
    """Return the first visit on or after today that is still to happen, or None."""
    return next(
        (e for e in events if e.kind not in NOT_A_VISIT and e.status == "planned" and e.last_day >= today),
        None,
    )


def visit_when(event: PlannedEvent) -> str:
    """Return a visit's day and time in words: "Tuesday 23 February 2027 at 09:30" or "..., all day"."""
    day = i18n.day_long(event.first_day)
    if isinstance(event.start, datetime):
        return _("{day} at {time}").format(day=day, time=f"{event.start:%H:%M}")
    return _("{day}, all day").format(day=day)


def zone_words(tz: str) -> str:
    """Return a time zone as a patient says it: "America/New_York" -> "New York time"."""
    return _("{place} time").format(place=i18n.city(tz))


def whom_to_call(contacts: Sequence[Fact]) -> str:
    """Return whom to call, from the clinic profile's numbers when it gives them."""
    return " ".join(fact_line(f) for f in contacts) if contacts else _(CALL_CARE_TEAM)


def heading(plan: Plan) -> str:
    """Return the plan in a sentence a patient reads: the treatment, its schedule or Day 1, and the time zone."""
    if plan.regimen.schedules:
        text = f"{plan.regimen.title}: {schedule_text(plan)}."
    else:
        assert plan.reach.last is not None
        day1 = _("Your infusion (Day 1) is on {day}.").format(day=i18n.day_long(plan.reach.last))
        text = f"{plan.regimen.title}. {day1}"
    if plan.request.time is not None and plan.request.tz:
        text += " " + _("Times are {zone}.").format(zone=zone_words(plan.request.tz))
    return text


def reach(plan: Plan) -> str:
    """Return how far the schedule reaches and how long treatment lasts, in plain words."""
    horizon, duration = plan.reach, plan.regimen.duration
    if horizon.stopped is not None:
        return _("Treatment stopped on {day}.").format(day=i18n.day_long(horizon.stopped))
    if horizon.code == "pathway":
        text = _("Day 1 is the day of your infusion. Day -1 is the day before.")
        if horizon.period is not None:
            text += " " + _("The infusion date is an estimate: it depends on when your cells are ready.")
        return text
    if horizon.count is not None and horizon.code in ("doses", "template-doses"):
        shows = ngettext("This schedule shows {count} dose.", "This schedule shows {count} doses.", horizon.count)
        text = shows.format(count=horizon.count)
    else:
        assert horizon.last is not None
        text = _("This schedule shows your visits through {day}.").format(day=i18n.day_long(horizon.last))
    if duration is not None:
        text += " " + _("Treatment goes on {duration}.").format(duration=duration.patient or duration.text)
    if horizon.beyond:
        beyond = _("{count} of these doses come after the {months}-month limit on the drug's label.")
        text += " " + beyond.format(count=horizon.beyond, months=horizon.limit_months) + f" {_(CONFIRM)}"
    return text


# The feed section of a handout: what the patient does once, in plain words.
FEED_HOW = N_(
    "Scan this code with your phone's camera once. Your calendar app then keeps your visits up to date by "
    "itself when your clinic changes a time. Keep the code to yourself: anyone with it can see your visits."
)

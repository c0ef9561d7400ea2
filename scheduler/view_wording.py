"""The words of txcal's views around the events: the listing's headings, and the clinic's own words.

The terminal listing and the handout head a plan with `plan_heading`; the clinic's views (day
sheet, clinic calendar, batch messages) word descriptions, preparation and levelling here. An
event's own words (title, dose, notes, moves) are in scheduler.wording, whose helpers these share.
"""

from __future__ import annotations

from datetime import date

from scheduler.model import Dose, Fact, Plan, clock_text
from scheduler.wording import (
    CONFLICT_PREFIX,
    DISCLAIMER,
    dose_text,
    format_number,
    plural,
    schedule_text,
    weight_arithmetic,
)


def clinic_description(
    dose: str, route: str, kind: str, reason: str, conflict: str, clinic_notes: tuple[str, ...], calendar_file: str
) -> str:
    """Return an event's short description in the clinic calendar: what, what changed, care-team notes, whose calendar."""
    lines = [f"Dose: {dose} {route}".rstrip() if dose else kind.capitalize()]
    lines += [line for line in (reason, f"Conflict: {conflict}" if conflict else "") if line]
    lines += clinic_notes
    lines += [f"Patient calendar: {calendar_file}", DISCLAIMER]
    return "\n".join(lines)


def preparation(
    facts: tuple[Fact, ...],
    dosage: Dose | None,
    kind: str,
    premedication: str,
    arrival: date | None,
    product_first: bool = False,
) -> tuple[str, ...]:
    """Return what the clinic prepares for a visit: the weight a dose assumes, body surface area, premedication, the product.

    `product_first`: the first day of a pathway's chemotherapy, before which the product must be at the facility.
    """
    lines = []
    if product_first:
        lines.append(
            "First confirm the T-cell product is here (label: before lymphodepleting chemotherapy"
            + (f"; arrival planned {arrival:%a %d %b})" if arrival else ")")
        )
    if dosage is not None and dosage.per == "m²":
        lines.append(f"Weigh and measure the patient: the dose is {dose_text(dosage)} of body surface area")
    for fact in facts:
        if fact.kind == "weight":
            dose, weight = fact.args
            lines.append(
                f"Weigh the patient: the dose assumes {format_number(weight)} kg ({weight_arithmetic(dose, weight)})"
            )
    if premedication:
        lines.append(f"First: {premedication}")
    if kind == "infusion":
        lines.append(
            f"Product arrival planned {arrival:%a %d %b}: confirm it has arrived"
            if arrival
            else "Confirm the T-cell product has arrived (no arrival date given)"
        )
    return tuple(lines)


NO_CHAIR = "no chair free at this time: every chair is taken"


def outside_hours_text(hours: tuple[int, int] | None) -> str:
    """Return the conflict of a visit outside its day's opening hours."""
    if hours is None:
        return "the clinic keeps no opening hours that weekday"
    return f"outside opening hours ({clock_text(hours[0])}-{clock_text(hours[1])})"


def levelling_summary(
    visits: int,
    days: int,
    moved: int,
    minutes: int,
    largest: int,
    other_day: int,
    unfit: int,
    honoured: int,
    preferences: int,
) -> str:
    """Return what levelling did, in one sentence for the coordinator."""
    if not visits:
        text = "Levelled no chair visit: none from today on that was not booked already"
        return text + (f"; {unfit} fit no chair (see the manifest's conflicts column)." if unfit else ".")
    text = f"Levelled {plural(visits, 'chair visit')} on {plural(days, 'day')}: {visits - moved} kept at the time asked for"
    if moved:
        text += f", {moved} moved ({plural(minutes, 'minute')} in all, the largest {plural(largest, 'minute')})"
    if other_day:
        text += f", {other_day} of them to another day within the dose's window"
    if preferences:
        text += f"; {honoured} of {plural(preferences, 'preference')} met"
    if unfit:
        text += f"; {unfit} fit no chair (see the manifest's conflicts column)"
    return text + "."


def day_sheet_title(summary: str, patient: str) -> str:
    """Return a title without the clinic's conflict mark and the patient label, which have columns of their own."""
    summary = summary.removeprefix(CONFLICT_PREFIX)
    return summary.removeprefix(f"{patient}: ") if patient else summary


def exact_summary(days: int, optimal: int, too_large: int = 0) -> str:
    """Return how the exact solver ended over the days it levelled."""
    large = f"; {plural(too_large, 'day')} too large for the exact model kept the default method's answer"
    if optimal == days:
        return f" Solved exactly: {plural(days, 'day')}, every one optimal."
    text = f" Solved exactly: {optimal} of {plural(days, 'day')} optimal"
    rest = days - optimal - too_large
    return text + (f", {rest} the best found in the time limit" if rest else "") + (large if too_large else "") + "."


def levelling_day(day: date, kept: int, moves: list[int], unmet: list[str]) -> str:
    """Return one levelled day in a line: kept, moved by how much, and whose preference was not met."""
    text = f"  {day}: {kept} kept"
    if moves:
        text += (
            f", {len(moves)} moved ({plural(sum(moves), 'minute')} in all, the largest {plural(max(moves), 'minute')})"
        )
    if unmet:
        text += f"; preference not met: {', '.join(unmet[:5])}" + (
            f" and {len(unmet) - 5} more" if len(unmet) > 5 else ""
        )
    return text


def batch_conflicts(patients: list[tuple[int, str, list[str]]], over: list[date], manifest: str) -> list[str]:
    """Return the lines naming the patients (row, label, what) with a visit on a closed day or over the chairs."""
    if not patients and not over:
        return []
    lines = []
    if over:
        shown = ", ".join(str(day) for day in over[:5]) + (" ..." if len(over) > 5 else "")
        lines.append(f"{plural(len(over), 'day')} over the clinic's chairs: {shown}.")
    lines.append(f"{plural(len(patients), 'patient')} with conflicts (the {manifest} conflicts column says each):")
    for row, label, found in patients[:20]:
        more = f"; and {len(found) - 3} more" if len(found) > 3 else ""  # a line a patient; the manifest has all
        lines.append(f"  row {row} {label}: {'; '.join(found[:3])}{more}")
    if len(patients) > 20:
        lines.append(f"  ... and {len(patients) - 20} more in {manifest}")
    return lines


# -- terminal views -------------------------------------------------------------------------------


def relative_day(day: date, today: date) -> str:
    """Return when a day is, seen from today: "today", "tomorrow", "in 5 days", or nothing if past."""
    ahead = (day - today).days
    if ahead < 0:
        return ""
    return {0: "today", 1: "tomorrow"}.get(ahead, f"in {ahead} days")


def plan_heading(plan: Plan) -> str:
    """Return the one-line description of the plan: regimen, schedule, zone."""
    text = f"{plan.regimen.title}: {schedule_text(plan)}" if plan.regimen.schedules else schedule_text(plan)
    if plan.request.time is not None:
        text += f" (times in {plan.request.tz})"
    return text


def plan_summary(plan: Plan) -> str:
    """Return how many events, from when to when, and what the listing shows."""
    if not plan.events:
        return "No events to show." + (f" ({plan.selection})" if plan.selection else "")
    doses = all(e.kind == "dose" for e in plan.events)
    count = len(plan.events)
    noun = ("dose" if doses else "event") + ("" if count == 1 else "s")
    first, last = plan.events[0].first_day, max(e.last_day for e in plan.events)
    text = f"{count} {noun} from {first:%a %Y-%m-%d} to {last:%a %Y-%m-%d}"
    if plan.selection:
        text += f" ({plan.selection})"
    return text + "."


def selection_text(
    shown: int, total: int, first: date | None, last: date | None, next_count: int | None, today: date
) -> str:
    """Return how a view was narrowed: "showing 3 of 19 events: the next 3 from 2026-11-26"."""
    described = []
    if first or last:
        described.append(f"from {first or 'the start'} to {last or 'the end'}")
    if next_count is not None:
        described.append(f"the next {next_count} from {today}")
    return f"showing {shown} of {total} events: " + ", ".join(described)
